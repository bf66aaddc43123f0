"""The build cache is keyed on the modules a design is generated from, found through the
import graph (cosim/sources.py, cosim/verilog.py)."""

import os
import sys
import textwrap

import pytest

from panther.cosim.sources import process_start_time, source_hash, source_modules
from panther.cosim.verilog import build_lock, write_verilog


def test_the_tile_depends_on_what_it_imports_and_nothing_above():
    found = source_modules(["panther.hdl.tile", "panther.hdl.flatten"])
    # The modules issue 13 found missing from the hand-kept list, and the ports.
    for name in ("panther.config", "panther.isa.events", "panther.isa.faults",
                 "panther.isa.table", "panther.hdl.ports", "panther.hdl.core.deferred",
                 "panther.hdl.mcu.controller", "panther.hdl.flatten"):
        assert name in found, name
    assert found["panther.config"].name == "config.py"
    for name in found:
        assert not name.startswith(("panther.cosim", "panther.isa.golden", "panther.apps",
                                    "panther.compiler")), name


def test_a_root_that_is_not_a_module_is_an_error():
    with pytest.raises(ValueError, match="'panther.no_such_module'"):
        source_modules(["panther.no_such_module"])


def _written_before_this_process(*paths):
    """Date ``paths`` (files, or every file below a folder) an hour before this process began,
    as a checked-out source is: a module file changed after it began is not cached."""
    when = process_start_time() - 3600
    for path in paths:
        for file in ([path] if path.is_file() else path.rglob("*")):
            os.utime(file, (when, when))


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throw-away package ``ptop`` whose top level imports a helper module."""
    root = tmp_path / "src"
    (root / "ptop").mkdir(parents=True)
    (root / "ptop" / "__init__.py").write_text("")
    (root / "ptop" / "helper.py").write_text("WIDTH = 4\nMARK = 'as imported'\n")
    (root / "ptop" / "top.py").write_text(textwrap.dedent("""\
        import os

        from amaranth.hdl import Module
        from amaranth.lib import wiring
        from amaranth.lib.wiring import In, Out

        from ptop import helper


        class Top(wiring.Component):
            def __init__(self):
                super().__init__({"a": In(helper.WIDTH), "y": Out(helper.WIDTH)})

            def elaborate(self, platform):
                m = Module()
                m.d.comb += self.y.eq(~self.a)
                return m


        def logged(log):
            # which process built, and what it sees of helper.MARK
            with open(log, "a") as f:
                f.write(f"{os.getpid()} {helper.MARK}\\n")
            return Top()


        def broken():
            raise ValueError("no such unit")
        """))
    _written_before_this_process(root / "ptop")
    monkeypatch.syspath_prepend(str(root))
    yield root / "ptop"
    for name in [n for n in sys.modules if n == "ptop" or n.startswith("ptop.")]:
        del sys.modules[name]


def test_editing_an_imported_module_redoes_the_build(package, tmp_path):
    from ptop.top import Top

    builds = []

    def build():
        builds.append(1)
        return Top()

    kwargs = dict(name="ptop_top", sources=["ptop.top"], build_root=tmp_path / "build")
    hash_before = source_hash(["ptop.top"], packages=("ptop",))
    path = write_verilog(build, **kwargs, packages=("ptop",))
    write_verilog(build, **kwargs, packages=("ptop",))
    assert len(builds) == 1                      # unchanged sources: reused, nothing built
    (package / "helper.py").write_text("WIDTH = 4   # edited, same value\n")
    assert source_hash(["ptop.top"], packages=("ptop",)) != hash_before
    assert source_modules(["ptop.top"], packages=("ptop",)).keys() == {
        "ptop", "ptop.helper", "ptop.top"}
    with pytest.warns(RuntimeWarning, match="ptop.helper changed after this process started"):
        write_verilog(build, **kwargs, packages=("ptop",))
    assert len(builds) == 2                      # the helper changed: converted again
    assert "module ptop_top" in path.read_text()


def test_a_module_edited_after_it_was_imported_is_not_cached(package, tmp_path):
    """This process built from the helper as it imported it (4 bits), not as the file now
    says (5 bits): the Verilog is not stamped with the file's hash, so the next process
    converts again instead of reusing 4-bit Verilog as if it were the 5-bit design."""
    from ptop.top import Top

    root = tmp_path / "build"
    (package / "helper.py").write_text("WIDTH = 5\nMARK = 'edited'\n")
    with pytest.warns(RuntimeWarning, match="ptop_top's Verilog is built from the modules as"):
        path = write_verilog(Top, name="ptop_top", sources=["ptop.top"], build_root=root,
                             packages=("ptop",))
    assert "input [3:0] a" in path.read_text()                  # the module as imported
    assert not (root / "ptop_top" / "ptop_top.sources").exists()


def test_the_build_lock_is_reentrant(tmp_path):
    with build_lock("x", tmp_path):
        with build_lock("x", tmp_path):
            pass
        with build_lock("x", tmp_path):
            pass
    assert (tmp_path / "x.lock").is_file()



def test_editing_a_copy_of_a_module_the_rtl_imports_redoes_the_build(tmp_path, monkeypatch):
    import panther.cosim.sources as sources
    from panther.config import PRESETS
    from panther.hdl.mcu import XBarIn

    real = sources._origin("panther.config")
    copy = tmp_path / "config.py"
    copy.write_bytes(real.read_bytes())
    _written_before_this_process(copy)
    locate = sources._origin
    monkeypatch.setattr(sources, "_origin",
                        lambda name: copy if name == "panther.config" else locate(name))
    builds = []

    def build():
        builds.append(1)
        return XBarIn(config=PRESETS["small"])

    kwargs = dict(name="xbar_in_cache_test", sources=[XBarIn.__module__],
                  build_root=tmp_path / "build")
    write_verilog(build, **kwargs)
    write_verilog(build, **kwargs)
    assert len(builds) == 1
    copy.write_text(copy.read_text() + "\n# edited\n")
    with pytest.warns(RuntimeWarning, match="panther.config changed"):
        write_verilog(build, **kwargs)
    assert len(builds) == 2


def test_write_verilogs_converts_the_stale_modules_at_once_and_reuses_the_rest(package, tmp_path):
    """Three stale modules: two in processes of their own, started afresh (not forked: they
    see the helper module as imported, not as this process changed it), the last here."""
    import functools
    import os

    from ptop import helper, top

    from panther.cosim.verilog import write_verilogs

    pids = tmp_path / "pids"
    root = tmp_path / "build"
    jobs = [dict(build=functools.partial(top.logged, str(pids)), name=f"ptop_top{i}",
                 sources=["ptop.top"], build_root=root) for i in range(3)]
    started = []
    helper.MARK = "changed"
    paths = write_verilogs(jobs, packages=("ptop",), on_convert=lambda: started.append(1))
    assert [p.name for p in paths] == ["ptop_top0.v", "ptop_top1.v", "ptop_top2.v"]
    assert all(f"module ptop_top{i}" in p.read_text() for i, p in enumerate(paths))
    converted = [line.split(" ", 1) for line in pids.read_text().splitlines()]
    assert len(converted) == 3 and len({pid for pid, _ in converted}) == 3   # three processes
    assert converted.count([str(os.getpid()), "changed"]) == 1               # the last one here
    assert sorted(mark for pid, mark in converted if pid != str(os.getpid())) == \
        ["as imported", "as imported"]
    assert started == [1]
    pids.unlink()
    assert write_verilogs(jobs, packages=("ptop",), on_convert=started.append) == paths
    assert not pids.exists() and started == [1]                   # all reused: nothing ran


def test_write_verilogs_reports_a_failed_conversion_in_a_child(package, tmp_path):
    from ptop.top import Top, broken

    from panther.cosim.verilog import write_verilogs

    root = tmp_path / "build"
    jobs = [dict(build=broken, name="ptop_bad", sources=["ptop.top"], build_root=root),
            dict(build=Top, name="ptop_good", sources=["ptop.top"], build_root=root)]
    with pytest.raises(RuntimeError, match=r"(?s)converting ptop_bad to Verilog failed:.*"
                                           r"ValueError: no such unit"):
        write_verilogs(jobs, packages=("ptop",))
    assert (root / "ptop_good" / "ptop_good.v").is_file()      # the other one finished
    assert not (root / "ptop_bad" / "ptop_bad.v").exists()


def test_write_verilogs_wants_builds_it_can_send_to_another_process(package, tmp_path):
    from ptop.top import Top

    from panther.cosim.verilog import write_verilogs

    jobs = [dict(build=lambda: Top(), name="ptop_lambda", sources=["ptop.top"],
                 build_root=tmp_path / "build")]
    with pytest.raises(TypeError, match="'ptop_lambda': build must be picklable"):
        write_verilogs(jobs, packages=("ptop",))
    assert not (tmp_path / "build").exists()


def test_an_unguarded_main_module_is_an_error_not_a_hang(package, tmp_path):
    """A converting process imports the main module afresh; a script that builds without
    ``if __name__ == '__main__':`` would have it wait for the lock its parent holds."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""\
        import functools, sys
        sys.path.insert(0, {str(package.parent)!r})
        from ptop import top
        from panther.cosim.verilog import build_lock, write_verilogs

        root = {str(tmp_path / "build")!r}
        jobs = [dict(build=functools.partial(top.logged, {str(tmp_path / "log")!r}),
                     name=f"ptop_u{{i}}", sources=["ptop.top"], build_root=root)
                for i in range(2)]
        with build_lock("ptop_outer", root):        # as TileSimulation.build does
            write_verilogs(jobs, packages=("ptop",))
        """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    assert "guard the main module's work with `if __name__ == '__main__':`" in done.stderr
    assert "converting ptop_u0 to Verilog failed" in done.stderr
