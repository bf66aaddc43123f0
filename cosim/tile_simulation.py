"""The tile RTL built once per configuration and simulator, and run on batches of program
images (Verilator or Icarus through cocotb).

The tile is built hierarchically (:mod:`cosim.cosim_tile`): the MCU and the core are each
converted to Verilog once, as modules of their own, the tile instantiates the core's module
and the core the MCU's; the top level (:class:`cosim.cosim_tile.CosimTile`) answers every MCU
analog port inside the design (hold registers the Python bridge writes, ``ack`` after the
answer latency of the configuration's ``analog_latency``, :func:`cosim.analog_answer.answer_latencies`).
Everything is compiled ONCE per (configuration, simulator, waves, answer latencies: the top's
module name carries them, :func:`cosim.analog_answer.latency_tag`; the MCU and core units do
not depend on them and are shared); every program is then loaded at run time, mostly by direct access to the memories
(:func:`cosim.backdoor.memory_paths`), and the crossbar weights are programmed into the
analog models the bridges serve (:mod:`cosim.mcu_bridge`). One simulator run serves a whole
batch of images (:meth:`TileSimulation.run`); the cocotb side is :mod:`cosim.tile_tb`. A
build is reused while no module it is generated from changed (:mod:`cosim.sources`); the
design is then not even constructed (its ports come from :class:`hdl.tile.TileSignature`).

The RTL *dump* of one image is a JSON-ready dict shaped like the golden model's report
(:class:`isa.golden.GoldenReport`) plus what only the RTL knows (cycles, per-core retired
instructions, analog-port transactions, analog event counts).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from functools import partial
from pathlib import Path

from panther.config import PantherConfig
from panther.errors import UserError
from panther.hdl.tile import TileSignature

from . import simulators
from .analog_answer import HOLD_MODULE, answer_latencies, hold_verilog, latency_tag
from .backdoor import BACKDOOR_VARS, memory_paths
from .clock import period_ps
from .cosim_tile import (
    UNIT_SOURCES,
    core_unit,
    cosim_ports,
    hierarchical_tile,
    mcu_unit,
)
from .progress import RunProgress, announce, expected_seconds, format_seconds
from .verilog import (
    build_lock,
    default_build_root,
    enabled_registers,
    module_name,
    write_text,
    write_verilogs,
)

__all__ = ["LOG", "DEFAULT_MAX_CYCLES", "JOB_ENV", "BACKDOOR_VARS", "SimulationError", "port_map",
           "TileSimulation", "get_simulation"]

#: Progress messages (a build can take minutes); ``panther`` prints this logger's INFO lines.
LOG = logging.getLogger("panther.cosim")

#: Cycles after which a program is stopped and reported as not halting.
DEFAULT_MAX_CYCLES = 2_000_000

#: Environment variable telling :mod:`cosim.tile_tb` where its job file is.
JOB_ENV = "PANTHER_TILE_JOB"



class SimulationError(UserError):
    """The RTL simulation could not be built or run, or produced no result."""


def port_map(ports, config):
    """Top-level names the testbench needs, from the flattened ports of a tile
    (:func:`cosim.cosim_tile.cosim_ports` of a :class:`hdl.tile.TileSignature`).

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
        The tile's number on the node (its network address; a separate top level when not 0,
        for :mod:`cosim.tile_in_loop`; the MCU and core modules are shared).

    Members
    -------
    top : str
        Verilog module name of the top level (keyed by configuration; modelled answer
        latencies also appear in it, ``panther_tile_lat_9_9_3_81_86_...``).
    latencies : dict
        ``{AnalogOp: cycles}`` the top answers each analog transaction in.
    unit_config : PantherConfig
        The configuration the MCU and core units are built from (``analog_latency``
        ideal: they do not depend on it).
    units : dict
        ``{'mcu': name, 'core': name}``: the unit modules the top instantiates.
    ports : dict
        :func:`port_map` of the tile.
    paths : dict
        :func:`cosim.backdoor.memory_paths` (what the testbench accesses directly).
    """

    def __init__(self, config, *, simulator="verilator", waves=False, build_root=None,
                 tile_id=0):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if simulator not in simulators.SIMULATORS:
            raise UserError(f"simulator must be one of {', '.join(simulators.SIMULATORS)}, "
                            f"not {simulator!r}")
        ok, reason = simulators.availability(simulator)
        if not ok:
            raise SimulationError(f"--sim {simulator}: {reason}")
        self.config = config
        self.simulator = simulator
        self.waves = bool(waves)
        root = Path(build_root) if build_root is not None else default_build_root()
        self.build_root = root / "waves" if self.waves else root
        self.tile_id = tile_id
        self._runner = None
        #: Where the wall time of the last :meth:`run` went (:func:`_timing`), or None.
        self.timing = None
        c = config
        #: Answer latencies of the top's analog halves ({AnalogOp: cycles}).
        self.latencies = answer_latencies(c)
        # the units do not depend on the answer latencies: one build serves both
        self.unit_config = unit = c.replace(analog_latency="ideal")
        self.units = {"mcu": module_name("mcu", unit, "unit"),
                      "core": module_name("core", unit, "unit")}
        tag = latency_tag(self.latencies)
        self.top = module_name("tile" + (f"_{tag}" if tag else ""), c, "cosim",
                               *((f"tile{tile_id}",) if tile_id else ()))
        self.ports = port_map(cosim_ports(TileSignature(c)), c)
        self.paths = memory_paths(c)

    def sources(self):
        """Convert what changed and return the Verilog files of the build: the hold module,
        the MCU, the core and the top level (each reused while its sources are unchanged)."""
        c, root = self.config, self.build_root

        def announce_build():
            total = max(expected_seconds(f"convert_{part}", c) for part in ("mcu", "core", "top"))
            announce(f"building the tile model {self.top} for {self.simulator} "
                     f"({c.cores_per_tile} cores, {c.xbar_size}x{c.xbar_size} crossbars; "
                     "first run with this configuration and RTL, reused afterwards): "
                     "converting the MCU, the core and the tile to Verilog, once each and "
                     "at the same time", total, f"then the {self.simulator} compile, about "
                     f"{format_seconds(expected_seconds(self.simulator, c))}")

        def announce_convert(what, name, step):
            return lambda: announce(f"converting the {what} ({name}) to Verilog",
                                    expected_seconds(step, c))

        hold = write_text(hold_verilog(), name=HOLD_MODULE, build_root=root)
        unit, units = self.unit_config, self.units
        # The core needs only the MCU's module name and the tile only the core's: the three
        # convert at the same time (cosim.verilog.write_verilogs). Debug field wires only for
        # a waveform build.
        fields, enables = self.waves, enabled_registers(self.simulator)
        # (builds picklable: write_verilogs sends them to fresh processes)
        jobs = [dict(build=partial(mcu_unit, unit), name=units["mcu"],
                     sources=UNIT_SOURCES["mcu"], build_root=root,
                     on_convert=announce_convert("MCU", units["mcu"], "convert_mcu"),
                     debug_fields=fields, enables=enables),
                dict(build=partial(core_unit, unit, mcu_module=units["mcu"]),
                     name=units["core"], sources=UNIT_SOURCES["core"], build_root=root,
                     on_convert=announce_convert("core", units["core"], "convert_core"),
                     debug_fields=fields, enables=enables),
                dict(build=partial(hierarchical_tile, c, core_module=units["core"],
                                   tile_id=self.tile_id, latencies=self.latencies),
                     name=self.top, sources=UNIT_SOURCES["tile"], build_root=root,
                     on_convert=announce_convert("tile", self.top, "convert_top"),
                     debug_fields=fields, enables=enables)]
        return [hold, *write_verilogs(jobs, on_convert=announce_build)]

    def build(self):
        """Convert and compile (once; an up-to-date build is reused). Returns self."""
        if self._runner is not None:
            return self
        traced = " with waveform tracing" if self.waves else ""
        c = self.config

        def announce_compile():
            announce(f"compiling the tile model {self.top} with {self.simulator}{traced}",
                     expected_seconds(self.simulator, c), f"into {self.build_root}")

        # One build at a time per top (pytest-xdist workers and scripts share build/cosim).
        with build_lock(self.top, self.build_root):
            sources = self.sources()
            try:
                self._runner = _build(self.simulator, sources, self.top, self.build_root,
                                      self.waves, on_compile=announce_compile)
            except (SystemExit, RuntimeError) as error:      # the runner's compiler errors
                raise SimulationError(
                    f"building the tile for {self.simulator} failed ({error}); see "
                    f"{self.build_root / self.top / self.simulator / 'build.log'}") from None
        return self

    @property
    def period_ps(self):
        """The simulated clock period: the configuration's (:func:`cosim.clock.period_ps`)."""
        return period_ps(self.config)

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
            begin = time.time()
            entries = []
            for k, image in enumerate(images):
                image_dir = image.save(job_dir / f"image{k:05d}")
                entries.append({"image": str(image_dir), "result": str(job_dir / f"result{k:05d}.json")})
            job = {"config": self.config.to_dict(), "ports": self.ports, "max_cycles": max_cycles,
                   "simulator": self.simulator, "paths": self.paths,
                   "period_ps": self.period_ps, "runs": entries,
                   "progress": str(job_dir / "progress.json"),
                   "timing": str(job_dir / "timing.json")}
            job_file = job_dir / "job.json"
            job_file.write_text(json.dumps(job, indent=1))
            launched = time.time()
            with RunProgress(job["progress"], f"RTL ({self.simulator})"):
                log = _test(self._runner, self.top, job_file, job_dir.name, waves)
            returned = time.time()
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
            self.timing = _timing(job["timing"], results, begin, launched, returned)
            return results
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)


def _timing(path, results, begin, launched, returned):
    """Where the wall time of a batch went (seconds), from the testbench's timing file
    (:func:`cosim.tile_tb.run_job`) and the dumps' ``wall_s``; None without the file."""
    try:
        tb = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    phases = {k: sum(r.get("wall_s", {}).get(k, 0.0) for r in results)
              for k in ("load", "run", "bridge", "bridge_rows", "dump")}
    return {"write_images": launched - begin,
            "start_up": tb["started"] - launched,       # process, imports, cocotb
            "read_images": tb["image_files"], **phases,
            "shut_down": returned - tb["ended"],
            "read_results": time.time() - returned,
            "total": time.time() - begin}


_SIMULATIONS = {}


def get_simulation(config, *, simulator="verilator", waves=False):
    """A built :class:`TileSimulation`, shared per (configuration, simulator, waves) in this
    process."""
    key = (config.to_json(), simulator, bool(waves))
    sim = _SIMULATIONS.get(key)
    if sim is None:
        sim = _SIMULATIONS[key] = TileSimulation(config, simulator=simulator,
                                                 waves=waves).build()
    return sim


def _mkdir(path):
    Path(path).mkdir(parents=True, exist_ok=True)
    return path


def _build(simulator, sources, top, build_root, waves, on_compile=None):
    """Compile the tile into ``build_root/top/simulator`` with :func:`cosim.simulators.build`
    (reused when up to date). Verilator warnings are reported but not fatal here: lint is
    ``panther verilog``'s job (``hdl.synth.lint``), and a warning in one unit must not stop
    every program run."""
    extra = []
    if simulator == "verilator":
        extra = ["-Wno-fatal"] + (["--trace-structs"] if waves else [])   # cocotb adds --trace
    return simulators.build(simulator, sources, top, build_root=build_root, extra_args=extra,
                            waves=waves, public_vars=BACKDOOR_VARS, on_compile=on_compile)


def _test(runner, top, job_file, name, waves, module="panther.cosim.tile_tb"):
    """Run the cocotb ``module`` (:mod:`cosim.tile_tb`) on ``job_file``, recording into the
    waveform file ``waves`` unless it is None; returns the log path. The testbenches have no
    ``assert``: no pytest assertion rewriting (:func:`cosim.simulators.rewrite_files`)."""
    env = {JOB_ENV: str(job_file)}
    log = runner.build_dir / "run" / f"{name}.log"
    try:
        simulators.run(runner, top, module, extra_env=env, results_name=name, waves=waves,
                       rewrite_assertions=False)
    except (SystemExit, Exception) as error:     # cocotb raises when its test failed
        if not isinstance(error, (SystemExit, AssertionError, RuntimeError)) and \
                type(error).__name__ not in ("SimFailure", "TestFailure"):
            raise
    return log


