"""The build cache is keyed on the modules a design is generated from, found through the
import graph (cosim/sources.py, cosim/verilog.py)."""

import sys
import textwrap

import pytest

from panther.cosim.sources import source_hash, source_modules
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


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throw-away package ``ptop`` whose top level imports a helper module."""
    root = tmp_path / "src"
    (root / "ptop").mkdir(parents=True)
    (root / "ptop" / "__init__.py").write_text("")
    (root / "ptop" / "helper.py").write_text("WIDTH = 4\n")
    (root / "ptop" / "top.py").write_text(textwrap.dedent("""\
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
        """))
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
    write_verilog(build, **kwargs, packages=("ptop",))
    assert len(builds) == 2                      # the helper changed: converted again
    assert "module ptop_top" in path.read_text()


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
    write_verilog(build, **kwargs)
    assert len(builds) == 2


def test_write_verilogs_converts_the_stale_modules_at_once_and_reuses_the_rest(package, tmp_path):
    import os

    from ptop.top import Top

    from panther.cosim.verilog import write_verilogs

    pids = tmp_path / "pids"

    def build():
        with open(pids, "a") as f:                  # a child's list would not come back
            f.write(f"{os.getpid()}\n")
        return Top()

    root = tmp_path / "build"
    jobs = [dict(build=build, name=f"ptop_top{i}", sources=["ptop.top"], build_root=root)
            for i in range(3)]
    started = []
    paths = write_verilogs(jobs, packages=("ptop",), on_convert=lambda: started.append(1))
    assert [p.name for p in paths] == ["ptop_top0.v", "ptop_top1.v", "ptop_top2.v"]
    assert all(f"module ptop_top{i}" in p.read_text() for i, p in enumerate(paths))
    converted = pids.read_text().split()
    assert len(converted) == 3 and len(set(converted)) == 3      # three processes
    assert str(os.getpid()) in converted                          # the last one here
    assert started == [1]
    pids.unlink()
    assert write_verilogs(jobs, packages=("ptop",), on_convert=started.append) == paths
    assert not pids.exists() and started == [1]                   # all reused: nothing ran


def test_write_verilogs_reports_a_failed_conversion_in_a_child(package, tmp_path):
    from ptop.top import Top

    from panther.cosim.verilog import write_verilogs

    def broken():
        raise ValueError("no such unit")

    root = tmp_path / "build"
    jobs = [dict(build=broken, name="ptop_bad", sources=["ptop.top"], build_root=root),
            dict(build=Top, name="ptop_good", sources=["ptop.top"], build_root=root)]
    with pytest.raises(RuntimeError, match=r"(?s)converting ptop_bad to Verilog failed:.*"
                                           r"ValueError: no such unit"):
        write_verilogs(jobs, packages=("ptop",))
    assert (root / "ptop_good" / "ptop_good.v").is_file()      # the other one finished
    assert not (root / "ptop_bad" / "ptop_bad.v").exists()
