"""Run program images on the tile RTL (Verilator or Icarus through cocotb) and compare with the
golden model.

The tile is converted to Verilog and compiled ONCE per (configuration, simulator, waves); every
program is then loaded at run time through the host ports (instruction memories, register
files, XBar buffers, shared memory) and the crossbar weights are programmed into the analog
models that answer the MCUs' analog ports (:mod:`cosim.mcu_bridge`). One simulator run serves a
whole batch of images (:meth:`TileSimulation.run`); the cocotb side is :mod:`cosim.tile_tb`.

A tile whose top-level inputs exceed what Amaranth converts (65536 bits: a paper-size tile
with more than one core) is wrapped in a :class:`cosim.wide_input_loader.WideInputLoader`:
the MCU analog ports' wide inputs (ADC code vectors, serial-read data) are then written
through a narrow load bus between two edges of the main clock, at no cost in cycles
(:mod:`cosim.wide_input_bus`). ``wide_inputs="load"`` forces the wrapper, ``"direct"``
forbids it.

The RTL *dump* of one image is a JSON-ready dict shaped like the golden model's report
(:class:`isa.golden.GoldenReport`) plus what only the RTL knows (cycles, per-core retired
instructions, analog-port transactions, analog event counts). :func:`compare` walks both in
a fixed order (per core: status, fault code, PC, overflow flag, register file, XBar buffers,
weights and slice digits, pending updates; then the shared memory; then the event counts) and
lists every difference, the first diverging state first.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panther.config import PantherConfig
from panther.errors import UserError

from .clock import period_ps
from .compare import compare
from .progress import RunProgress, announce, expected_seconds, format_seconds

__all__ = ["LOG", "DEFAULT_MAX_CYCLES", "WIDE_INPUT_MODES", "LOADED_INPUT_BITS", "LOAD_CHUNK_BITS",
           "tile_input_bits", "wide_input_mode", "TileSimulation", "port_map", "compare", "RtlOutcome",
           "run_and_compare", "rtl_report", "get_simulation", "SimulationError", "period_ps"]

#: Progress messages (a build can take minutes); ``panther`` prints this logger's INFO lines.
LOG = logging.getLogger("panther.cosim")

#: Cycles after which a program is stopped and reported as not halting.
DEFAULT_MAX_CYCLES = 2_000_000

#: Sources the tile's Verilog is generated from (a change re-converts it; the file is only
#: rewritten, and the simulator build only redone, when the Verilog text changes).
RTL_SOURCES = ("hdl/mcu", "hdl/core", "hdl/tile", "hdl/node", "isa/table.py", "isa/faults.py", "isa/events.py",
               "isa/variants.py", "isa/vfu_math.py", "panther/fixed_point.py", "panther/config.py")

#: ``wide_inputs`` choices of :class:`TileSimulation` (None: choose automatically).
WIDE_INPUT_MODES = ("load", "direct")
#: With the load bus, inputs wider than this are kept inside the design: every ADC code
#: vector (1408 bits in the small preset, 14336 at paper size) and, at paper size, the
#: serial-read data (768 bits); control inputs are at most 64 bits.
LOADED_INPUT_BITS = 512
#: Width of the load bus's data (bits written per 2 ps load step).
LOAD_CHUNK_BITS = 1024
#: Top-level ports Amaranth adds to the tile itself (``clk``, ``rst``).
_IMPLICIT_INPUT_BITS = 2

#: Environment variable telling :mod:`cosim.tile_tb` where its job file is.
JOB_ENV = "PANTHER_TILE_JOB"

class SimulationError(UserError):
    """The RTL simulation could not be built or run, or produced no result."""


def port_map(tile):
    """Top-level names the testbench needs, from a :class:`hdl.tile.Tile`'s pass-through list.

    Returns a JSON-ready dict: per core ``run``, ``halted`` and the ``dbg`` prefix of the
    host/debug port, and ``mcus``: the prefixes of its MCU analog ports (``<prefix>a_req``
    ...) in MCU order.
    """
    cores = []
    for i in range(tile.config.cores_per_tile):
        names = [(path, name) for core, path, name, _ in tile.passthrough if core == i]
        by_path = {path: name for path, name in names}
        mcus = []
        for path, name in names:
            if path[-1] == "a_req":
                mcus.append(name[:-len("a_req")])
        if len(mcus) != tile.config.mcus_per_core:
            raise SimulationError(f"core {i}: found {len(mcus)} MCU analog ports ({mcus}), "
                                  f"expected {tile.config.mcus_per_core}")
        dbg = [name[:-len("req")] for path, name in names if path[0] == "dbg" and path[-1] == "req"]
        if ("run",) not in by_path or ("halted",) not in by_path or len(dbg) != 1:
            raise SimulationError(f"core {i}: the core needs 'run', 'halted' and a 'dbg' port")
        cores.append({"run": by_path[("run",)], "halted": by_path[("halted",)], "dbg": dbg[0],
                      "mcus": mcus})
    return {"cores": cores}


def tile_input_bits(tile):
    """Top-level input bits of ``tile`` converted on its own (its ``In`` members, ``clk``,
    ``rst``)."""
    from .wide_input_loader import input_bits

    return input_bits(tile.signature) + _IMPLICIT_INPUT_BITS


def wide_input_mode(tile, requested=None):
    """``'load'`` or ``'direct'``: ``requested`` if given, else ``'load'`` exactly when the
    tile's top-level inputs exceed what Amaranth accepts in one conversion."""
    from .wide_input_loader import INPUT_BITS_LIMIT

    if requested is not None:
        return requested
    return "load" if tile_input_bits(tile) > INPUT_BITS_LIMIT else "direct"


class TileSimulation:
    """A compiled tile for one configuration and simulator, reused for every program.

    Parameters
    ----------
    config : PantherConfig
    simulator : {'verilator', 'icarus'}
    waves : bool
        Compile with waveform recording (a separate build); see :meth:`run`.
    build_root : path, optional
        Default :func:`cosim.verilog.default_build_root` (``build/cosim`` of the current
        directory, or of ``$PANTHER_BUILD_DIR``).
    tile_id : int
        The tile's number on the node (its network address; a separate build when not 0,
        for :mod:`cosim.tile_in_loop`).
    wide_inputs : {'load', 'direct', None}
        ``'load'``: wrap the tile in a :class:`cosim.wide_input_loader.WideInputLoader`
        (inputs wider than :data:`LOADED_INPUT_BITS` loaded through the bus); ``'direct'``:
        plain top-level ports; None (default): ``'load'`` only when the tile does not fit
        Amaranth's 65536 top-level input bits (see :func:`wide_input_mode`). Part of the
        build's module name.

    Members
    -------
    top : str
        Verilog module name (keyed by configuration, wide-input mode and RTL sources).
    ports : dict
        :func:`port_map` of the tile.
    mode : str
        ``'load'`` or ``'direct'`` once built.
    loader : dict or None
        With the load bus: ``{'chunk_bits': ..., 'chunk_map': ...}`` for the testbench.
    """

    def __init__(self, config, *, simulator="verilator", waves=False, build_root=None,
                 wide_inputs=None, tile_id=0):
        from .simulators import SIMULATORS, availability
        from .verilog import default_build_root

        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if simulator not in SIMULATORS:
            raise UserError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
        if wide_inputs is not None and wide_inputs not in WIDE_INPUT_MODES:
            raise UserError(f"wide_inputs must be one of {', '.join(WIDE_INPUT_MODES)} or None, "
                            f"not {wide_inputs!r}")
        ok, reason = availability(simulator)
        if not ok:
            raise SimulationError(f"--sim {simulator}: {reason}")
        self.config = config
        self.simulator = simulator
        self.waves = bool(waves)
        root = Path(build_root) if build_root is not None else default_build_root()
        self.build_root = root / "waves" if self.waves else root
        self.wide_inputs = wide_inputs
        self.tile_id = tile_id
        self._runner = None
        self.top = None
        self.ports = None
        self.mode = None
        self.loader = None

    def build(self):
        """Convert and compile (once; an up-to-date build is reused). Returns self."""
        if self._runner is not None:
            return self
        from panther.hdl.tile import Tile

        from .verilog import module_name, write_verilog

        tile = Tile(config=self.config, tile_id=self.tile_id)
        self.ports = port_map(tile)
        self.mode = wide_input_mode(tile, self.wide_inputs)
        sources = RTL_SOURCES
        if self.mode == "direct":
            top = tile
            extra = (f"tile{self.tile_id}",) if self.tile_id else ()
            self.top = module_name("tile", self.config, *extra)
        else:
            from .wide_input_loader import WideInputLoader

            top = WideInputLoader(tile, max_input_bits=LOADED_INPUT_BITS,
                                  chunk_bits=LOAD_CHUNK_BITS)
            self.loader = {"chunk_bits": LOAD_CHUNK_BITS, "chunk_map": top.chunk_map}
            extra = (f"tile{self.tile_id}",) if self.tile_id else ()
            self.top = module_name("tile", self.config, "load", LOADED_INPUT_BITS, LOAD_CHUNK_BITS,
                                   *extra)
            sources = RTL_SOURCES + ("cosim/wide_input_loader.py",)
        # One build at a time per top (pytest-xdist workers and scripts share build/cosim).
        # The lock file must differ from write_verilog's own `{top}.lock`: flock locks are
        # per open file, so taking that one again here would deadlock this process.
        c = self.config
        traced = " with waveform tracing" if self.waves else ""

        def announce_convert():
            announce(f"building the tile model {self.top} for {self.simulator} "
                     f"({c.cores_per_tile} cores, {c.xbar_size}x{c.xbar_size} crossbars; first run "
                     "with this configuration and RTL, reused afterwards): converting it to "
                     "Verilog", expected_seconds("convert", c), f"then the {self.simulator} "
                     f"compile, about {format_seconds(expected_seconds(self.simulator, c))}")

        def announce_compile():
            announce(f"compiling the tile model {self.top} with {self.simulator}{traced}",
                     expected_seconds(self.simulator, c), f"into {self.build_root}")

        with _locked(Path(_mkdir(self.build_root)) / f"{self.top}.runner.lock"):
            source = write_verilog(top, name=self.top, source_dirs=sources,
                                   build_root=self.build_root, on_convert=announce_convert)
            try:
                self._runner = _build(self.simulator, source, self.top, self.build_root, self.waves,
                                      on_compile=announce_compile)
            except (SystemExit, RuntimeError) as error:      # the runner's compiler errors
                raise SimulationError(
                    f"building the tile for {self.simulator} failed ({error}); see "
                    f"{self.build_root / self.top / self.simulator / 'build.log'}") from None
        return self

    @property
    def period_ps(self):
        """The simulated clock period: the configuration's (:func:`cosim.clock.period_ps`),
        unless the wide-input load bus needs a longer low phase to write every wide input
        of one cycle (2 ps per chunk, see :mod:`cosim.wide_input_bus`): then the shortest
        period that holds them all (only multi-core paper-size tiles; cycles are unchanged)."""
        period = period_ps(self.config)
        if self.loader is not None:
            chunks = sum(len(parts) for parts in self.loader["chunk_map"].values())
            period = max(period, 2 * (2 * chunks + 8))
        return period

    @property
    def run_dir(self):
        """Where the simulator runs (logs, waveforms)."""
        return self._runner.build_dir / "run"

    def run(self, images, *, max_cycles=DEFAULT_MAX_CYCLES, name="batch", waves_file=None):
        """Run every :class:`isa.image.ProgramImage` of ``images`` in one simulation.

        Returns one RTL dump (dict) per image, in order. Raises :class:`SimulationError` when
        the simulation produced no result for an image (the log file is named).

        With a waves build, the whole simulation is recorded into ``waves_file`` (VCD or FST
        by its suffix, see :func:`cosim.simulators.wave_format`; default
        ``run_dir/<name>.<the simulator's default format>``), and every dump names it under
        ``'waves'``.
        """
        from .simulators import WAVE_FORMATS, wave_format

        if waves_file is not None and not self.waves:
            raise UserError("waves_file needs a TileSimulation built with waves=True")
        images = list(images)
        for k, image in enumerate(images):
            if image.config != self.config:
                raise UserError(f"image {k} was assembled for another configuration than the "
                                "compiled tile")
        if not (isinstance(max_cycles, int) and max_cycles >= 1):
            raise UserError(f"max_cycles must be a positive integer, not {max_cycles!r}")
        self.build()
        waves = None
        if self.waves:
            waves = Path(waves_file) if waves_file is not None else \
                self.run_dir / f"{name}.{WAVE_FORMATS[self.simulator][0]}"
            try:
                wave_format(self.simulator, waves)
            except ValueError as error:
                raise UserError(str(error)) from None
            waves = waves.resolve()
            _mkdir(waves.parent)
            waves.unlink(missing_ok=True)
        job_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=_mkdir(self.run_dir)))
        try:
            entries = []
            for k, image in enumerate(images):
                image_dir = image.save(job_dir / f"image{k:05d}")
                entries.append({"image": str(image_dir), "result": str(job_dir / f"result{k:05d}.json")})
            job = {"config": self.config.to_dict(), "ports": self.ports, "max_cycles": max_cycles,
                   "simulator": self.simulator, "wide_inputs": self.loader,
                   "period_ps": self.period_ps, "runs": entries,
                   "progress": str(job_dir / "progress.json")}
            job_file = job_dir / "job.json"
            job_file.write_text(json.dumps(job, indent=1))
            with RunProgress(job["progress"], f"RTL ({self.simulator})"):
                log = _test(self._runner, self.top, job_file, job_dir.name, waves)
            results = []
            for k, entry in enumerate(entries):
                path = Path(entry["result"])
                if not path.is_file():
                    raise SimulationError(f"the {self.simulator} simulation produced no result for "
                                          f"program {k} of {len(entries)}; see {log}")
                results.append(json.loads(path.read_text()))
                if waves is not None:
                    if not waves.is_file():
                        raise SimulationError(f"the {self.simulator} simulation wrote no "
                                              f"waveform file {waves}; see {log}")
                    results[-1]["waves"] = str(waves)
            for leftover in (log, log.with_suffix(".xml")):   # kept only when something failed
                leftover.unlink(missing_ok=True)
            return results
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)


_SIMULATIONS = {}


def get_simulation(config, *, simulator="verilator", waves=False, wide_inputs=None):
    """A built :class:`TileSimulation`, shared per (configuration, simulator, waves,
    wide_inputs) in this process."""
    key = (config.to_json(), simulator, bool(waves), wide_inputs)
    sim = _SIMULATIONS.get(key)
    if sim is None:
        sim = _SIMULATIONS[key] = TileSimulation(config, simulator=simulator, waves=waves,
                                                 wide_inputs=wide_inputs).build()
    return sim


class _locked:
    """An exclusive ``fcntl`` lock on ``path`` for the duration of a ``with`` block."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        import fcntl

        self.handle = open(self.path, "w")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        import fcntl

        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _mkdir(path):
    Path(path).mkdir(parents=True, exist_ok=True)
    return path


def _build(simulator, source, top, build_root, waves, on_compile=None):
    """Compile the tile into ``build_root/top/simulator`` with :func:`cosim.simulators.build`
    (reused when up to date). Verilator warnings are reported but not fatal here: lint is
    ``panther verilog``'s job (``hdl.synth.lint``), and a warning in one unit must not stop
    every program run."""
    from . import simulators

    extra = []
    if simulator == "verilator":
        extra = ["-Wno-fatal"] + (["--trace-structs"] if waves else [])   # cocotb adds --trace
    return simulators.build(simulator, [source], top, build_root=build_root, extra_args=extra,
                            waves=waves, on_compile=on_compile)


def _test(runner, top, job_file, name, waves, module="panther.cosim.tile_tb"):
    """Run the cocotb ``module`` (:mod:`cosim.tile_tb`) on ``job_file``, recording into the
    waveform file ``waves`` unless it is None; returns the log path."""
    from .simulators import run

    env = {JOB_ENV: str(job_file)}
    log = runner.build_dir / "run" / f"{name}.log"
    try:
        run(runner, top, module, extra_env=env, results_name=name, waves=waves)
    except (SystemExit, Exception) as error:     # cocotb raises when its test failed
        if not isinstance(error, (SystemExit, AssertionError, RuntimeError)) and \
                type(error).__name__ not in ("SimFailure", "TestFailure"):
            raise
    return log


# -- reports -----------------------------------------------------------------------------------

def rtl_report(image, dump, golden):
    """A :class:`isa.golden.GoldenReport`-shaped report of an RTL run.

    State, retired instructions, MCU operations, ADC conversions, the digital event counts
    (VFU operations, register-file, XBar-buffer and shared-memory words) and so the energy
    events are the RTL's own (from the dump); only the per-opcode instruction counts and the
    per-MCU operation table are the golden model's for the same program, which the comparison
    checks is the same program run.
    """
    from panther.isa.events import MCU_EVENTS, energy_events
    from panther.isa.golden import GoldenReport

    g = golden.to_dict()
    events = json.loads(json.dumps(g["events"]))
    for key, value in dump["events"].items():
        if key == "mcu_totals":
            events["mcu_totals"] = {**events.get("mcu_totals", {}), **value}
        elif key == "mcu":
            # the golden model's per-MCU table with the RTL's own counts where it has them
            rows = {(row["core"], row["mcu"]): row for row in events.get("mcu", [])}
            zero = dict.fromkeys(MCU_EVENTS, 0)
            merged = [{**zero, **rows.get((row["core"], row["mcu"]), {}), **row} for row in value]
            events["mcu"] = [row for row in merged if any(row[name] for name in MCU_EVENTS)]
        elif key != "energy_events":
            events[key] = value
    energy = energy_events(events, PantherConfig.from_dict(g["config"]))
    energy.update(dump["events"]["energy_events"])       # the analog models' own counts
    events["energy_events"] = energy
    return GoldenReport(config=g["config"], rounds=g["rounds"], cores=dump["cores"],
                        smem=dump["smem"], events=events)


@dataclass
class RtlOutcome:
    """The result of one program on the RTL, with the golden comparison.

    Members
    -------
    dump : dict
        The RTL dump (see the module docstring).
    golden : GoldenReport
        The golden model's report (its state when it stopped, if it deadlocked).
    golden_error : str
        The golden model's error message ('' if it completed).
    report : GoldenReport
        :func:`rtl_report` of the dump.
    diffs : list of str
        :func:`compare` (empty when the RTL matches).
    golden_stopped : str
        How the golden model's run ended: ``'halted'`` (every core stopped, with or without
        a fault), ``'deadlock'`` or ``'round_limit'``.
    image : ProgramImage or None
        The program that ran.
    """

    dump: dict
    golden: object
    golden_error: str
    report: object
    diffs: list = field(default_factory=list)
    golden_stopped: str = "halted"
    image: object = None

    @property
    def stopped(self):
        """``'halted'``, ``'deadlock'`` or ``'cycle_limit'``."""
        return self.dump["stopped"]

    @property
    def both_limits(self):
        """The RTL reached its cycle limit and the golden model its round limit: neither ran
        the program to its end, so their states are not compared."""
        return self.stopped == "cycle_limit" and self.golden_stopped == "round_limit"

    @property
    def ok(self):
        """Halted like the golden model and the same state."""
        return self.stopped == "halted" and not self.golden_error and not self.diffs

    @property
    def cycles(self):
        return self.dump["cycles"]

    def format(self):
        """Text: how the run stopped, cycles, and the comparison with the golden model."""
        from panther.isa.run_text import rtl_lines

        from .outcome_report import run_report

        return "\n".join(rtl_lines(run_report(self)))


def _golden_run(image, golden_factory=None, max_rounds=None):
    from panther.isa.golden import run_image
    from panther.isa.golden.errors import DeadlockError, GoldenError
    from panther.isa.golden.tile import DEFAULT_MAX_ROUNDS

    try:
        return run_image(image, mcu_factory=golden_factory,
                         max_rounds=max_rounds or DEFAULT_MAX_ROUNDS), "", "halted"
    except GoldenError as error:
        if error.report is None:
            raise
        return error.report, str(error), \
            "deadlock" if isinstance(error, DeadlockError) else "round_limit"


def run_and_compare(images, *, simulator="verilator", waves=False, waves_file=None,
                    max_cycles=DEFAULT_MAX_CYCLES, golden_factory=None, simulation=None,
                    wide_inputs=None, max_rounds=None):
    """Run ``images`` (one config) on the RTL in one simulation and compare each with the
    golden model. Returns a list of :class:`RtlOutcome`. With ``waves``, the simulation is
    recorded (FST) into ``waves_file`` (see :meth:`TileSimulation.run`); ``wide_inputs`` as
    in :class:`TileSimulation` (ignored when ``simulation`` is given); ``max_rounds`` bounds
    the golden model's run (default :data:`isa.golden.tile.DEFAULT_MAX_ROUNDS`)."""
    images = list(images)
    if not images:
        return []
    sim = simulation or get_simulation(images[0].config, simulator=simulator, waves=waves,
                                       wide_inputs=wide_inputs)
    dumps = sim.run(images, max_cycles=max_cycles, waves_file=waves_file)
    outcomes = []
    for image, dump in zip(images, dumps):
        golden, error, golden_stopped = _golden_run(image, golden_factory, max_rounds)
        outcome = RtlOutcome(dump=dump, golden=golden, golden_error=error,
                             report=rtl_report(image, dump, golden),
                             golden_stopped=golden_stopped, image=image)
        outcome.diffs = [] if outcome.both_limits else compare(golden, dump)
        outcomes.append(outcome)
    return outcomes


def as_int_lists(array):
    """Nested Python int lists of an integer array (JSON-ready)."""
    return np.asarray(array, dtype=np.int64).tolist()
