"""The tile RTL built once per configuration and simulator, and run on batches of program
images (Verilator or Icarus through cocotb).

The tile (:class:`hdl.tile.Tile`) is flattened to plain top-level ports
(:class:`hdl.flatten.FlatPorts`) and converted to Verilog and compiled ONCE per
(configuration, simulator, waves); every program is then loaded at run time through the host
ports (instruction memories, register files, XBar buffers, shared memory) and the crossbar
weights are programmed into the analog models that answer the MCUs' analog ports
(:mod:`cosim.mcu_bridge`). One simulator run serves a whole batch of images
(:meth:`TileSimulation.run`); the cocotb side is :mod:`cosim.tile_tb`. A build is reused while
no module it is generated from changed (:mod:`cosim.sources`); the tile itself is then not even
constructed (its ports come from :class:`hdl.tile.TileSignature`).

A tile whose top-level inputs exceed what Amaranth converts (65536 bits: a paper-size tile
with more than one core) is wrapped in a :class:`cosim.wide_input_loader.WideInputLoader`
instead: the MCU analog ports' wide inputs (ADC code vectors, serial-read data) are then
written through a narrow load bus between two edges of the main clock, at no cost in cycles
(:mod:`cosim.wide_input_bus`). ``wide_inputs="load"`` forces the wrapper, ``"direct"``
forbids it.

The RTL *dump* of one image is a JSON-ready dict shaped like the golden model's report
(:class:`isa.golden.GoldenReport`) plus what only the RTL knows (cycles, per-core retired
instructions, analog-port transactions, analog event counts).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

from panther.config import PantherConfig
from panther.errors import UserError
from panther.hdl.flatten import FlatPorts, flat_ports, input_bits
from panther.hdl.tile import Tile, TileSignature

from . import simulators
from .clock import period_ps
from .progress import RunProgress, announce, expected_seconds, format_seconds
from .verilog import build_lock, default_build_root, module_name, write_verilog
from .wide_input_loader import INPUT_BITS_LIMIT, WideInputLoader, load_plan

__all__ = ["LOG", "DEFAULT_MAX_CYCLES", "WIDE_INPUT_MODES", "LOADED_INPUT_BITS",
           "LOAD_CHUNK_BITS", "JOB_ENV", "SimulationError", "port_map", "tile_input_bits",
           "wide_input_mode", "TileSimulation", "get_simulation"]

#: Progress messages (a build can take minutes); ``panther`` prints this logger's INFO lines.
LOG = logging.getLogger("panther.cosim")

#: Cycles after which a program is stopped and reported as not halting.
DEFAULT_MAX_CYCLES = 2_000_000

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


def port_map(ports, config):
    """Top-level names the testbench needs, from the flattened ports of a tile
    (:func:`hdl.flatten.flat_ports` of a :class:`hdl.tile.TileSignature`).

    Returns a JSON-ready dict: per core ``run``, ``halted`` and the ``dbg`` prefix of the
    host/debug port, and ``mcus``: the prefixes of its MCU analog ports (``<prefix>req`` ...)
    in MCU order.
    """
    by_path = {port.path: port.name for port in ports}
    cores = []
    for i in range(config.cores_per_tile):
        core = f"c{i}"
        mcus = [by_path[(core, "analog", m, "req")][:-len("req")]
                for m in range(config.mcus_per_core) if (core, "analog", m, "req") in by_path]
        if len(mcus) != config.mcus_per_core:
            raise SimulationError(f"core {i}: found {len(mcus)} MCU analog ports ({mcus}), "
                                  f"expected {config.mcus_per_core}")
        needed = [(core, "run"), (core, "halted"), (core, "dbg", "req")]
        if any(path not in by_path for path in needed):
            raise SimulationError(f"core {i}: the core needs 'run', 'halted' and a 'dbg' port")
        cores.append({"run": by_path[(core, "run")], "halted": by_path[(core, "halted")],
                      "dbg": by_path[(core, "dbg", "req")][:-len("req")], "mcus": mcus})
    return {"cores": cores}


def tile_input_bits(signature):
    """Top-level input bits of a tile with ``signature`` (a :class:`hdl.tile.TileSignature`)
    converted on its own: its flattened ``In`` ports, ``clk`` and ``rst``."""
    return input_bits(signature) + _IMPLICIT_INPUT_BITS


def wide_input_mode(signature, requested=None):
    """``'load'`` or ``'direct'``: ``requested`` if given, else ``'load'`` exactly when the
    top-level inputs of a tile with ``signature`` exceed what Amaranth accepts in one
    conversion."""
    if requested is not None:
        return requested
    return "load" if tile_input_bits(signature) > INPUT_BITS_LIMIT else "direct"


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
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if simulator not in simulators.SIMULATORS:
            raise UserError(f"simulator must be one of {', '.join(simulators.SIMULATORS)}, "
                            f"not {simulator!r}")
        if wide_inputs is not None and wide_inputs not in WIDE_INPUT_MODES:
            raise UserError(f"wide_inputs must be one of {', '.join(WIDE_INPUT_MODES)} or None, "
                            f"not {wide_inputs!r}")
        ok, reason = simulators.availability(simulator)
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
        c = self.config
        signature = TileSignature(c)
        self.ports = port_map(flat_ports(signature), c)
        self.mode = wide_input_mode(signature, self.wide_inputs)
        tile_id = self.tile_id
        extra = (f"tile{tile_id}",) if tile_id else ()
        if self.mode == "direct":
            self.top = module_name("tile", c, *extra)

            def make():
                return FlatPorts(Tile(config=c, tile_id=tile_id))
            sources = (Tile.__module__, FlatPorts.__module__)
        else:
            plan = load_plan(signature, max_input_bits=LOADED_INPUT_BITS,
                             chunk_bits=LOAD_CHUNK_BITS)
            self.loader = {"chunk_bits": LOAD_CHUNK_BITS, "chunk_map": plan.chunk_map}
            self.top = module_name("tile", c, "load", LOADED_INPUT_BITS, LOAD_CHUNK_BITS, *extra)

            def make():
                return WideInputLoader(Tile(config=c, tile_id=tile_id), max_input_bits=LOADED_INPUT_BITS,
                                       chunk_bits=LOAD_CHUNK_BITS)
            sources = (Tile.__module__, WideInputLoader.__module__)

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

        # One build at a time per top (pytest-xdist workers and scripts share build/cosim).
        with build_lock(self.top, self.build_root):
            source = write_verilog(make, name=self.top, sources=sources,
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
                self.run_dir / f"{name}.{simulators.WAVE_FORMATS[self.simulator][0]}"
            try:
                simulators.wave_format(self.simulator, waves)
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


def _mkdir(path):
    Path(path).mkdir(parents=True, exist_ok=True)
    return path


def _build(simulator, source, top, build_root, waves, on_compile=None):
    """Compile the tile into ``build_root/top/simulator`` with :func:`cosim.simulators.build`
    (reused when up to date). Verilator warnings are reported but not fatal here: lint is
    ``panther verilog``'s job (``hdl.synth.lint``), and a warning in one unit must not stop
    every program run."""
    extra = []
    if simulator == "verilator":
        extra = ["-Wno-fatal"] + (["--trace-structs"] if waves else [])   # cocotb adds --trace
    return simulators.build(simulator, [source], top, build_root=build_root, extra_args=extra,
                            waves=waves, on_compile=on_compile)


def _test(runner, top, job_file, name, waves, module="panther.cosim.tile_tb"):
    """Run the cocotb ``module`` (:mod:`cosim.tile_tb`) on ``job_file``, recording into the
    waveform file ``waves`` unless it is None; returns the log path."""
    env = {JOB_ENV: str(job_file)}
    log = runner.build_dir / "run" / f"{name}.log"
    try:
        simulators.run(runner, top, module, extra_env=env, results_name=name, waves=waves)
    except (SystemExit, Exception) as error:     # cocotb raises when its test failed
        if not isinstance(error, (SystemExit, AssertionError, RuntimeError)) and \
                type(error).__name__ not in ("SimFailure", "TestFailure"):
            raise
    return log


