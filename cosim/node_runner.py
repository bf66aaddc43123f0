"""Run node images on the node RTL (:class:`hdl.node.node.Node`, Verilator or Icarus through
cocotb) and compare every tile with the golden node.

Like :class:`cosim.program_runner.TileSimulation` for a tile: the node is converted and
compiled once per (configuration, simulator), every image is loaded at run time through the
tiles' host ports, and the cocotb side is :mod:`cosim.node_tb`. Every tile of the node is RTL;
:mod:`cosim.tile_in_loop` runs one RTL tile among golden ones instead.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from panther.config import PantherConfig
from panther.errors import UserError

from .backdoor import memory_paths
from .clock import period_ps
from .compare import compare
from .tile_simulation import (
    DEFAULT_MAX_CYCLES,
    LOG,
    SimulationError,
    _build,
    _mkdir,
    _test,
    port_map,
)

__all__ = ["NodeSimulation", "NodeOutcome", "node_port_maps", "run_node_and_compare",
           "get_node_simulation"]


def node_port_maps(config):
    """Per tile of a node with ``config``, :func:`cosim.tile_simulation.port_map` with the
    node's flattened names (``t<k>_c0_run``, :func:`hdl.node.node.tile_port_name`)."""
    from panther.hdl.flatten import flat_ports
    from panther.hdl.node.node import tile_port_name
    from panther.hdl.tile import TileSignature

    signature = TileSignature(config)
    return [port_map(flat_ports(signature, prefix=tile_port_name(k, "")), config)
            for k in range(config.tiles_per_node)]


class NodeSimulation:
    """A compiled node for one configuration and simulator, reused for every image.

    Parameters
    ----------
    config : PantherConfig
    simulator : {'verilator', 'icarus'}
    build_root : path, optional
    """

    def __init__(self, config, *, simulator="verilator", build_root=None):
        from .simulators import SIMULATORS, availability
        from .verilog import default_build_root

        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if simulator not in SIMULATORS:
            raise UserError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
        ok, reason = availability(simulator)
        if not ok:
            raise SimulationError(f"--sim {simulator}: {reason}")
        self.config = config
        if config.analog_latency != "ideal":
            # the node's analog ports are answered by the Python bridge, in one cycle
            LOG.warning("the node co-simulation answers every analog transaction in one cycle: "
                        "analog_latency %r applies to the tile co-simulation only",
                        config.analog_latency)
        self.simulator = simulator
        self.build_root = Path(build_root) if build_root is not None else default_build_root()
        self._runner = None
        self.top = None
        self.tiles = None
        self.paths = None

    def build(self):
        """Convert and compile (once; an up-to-date build is reused). Returns self."""
        if self._runner is not None:
            return self
        from panther.hdl.flatten import FlatPorts
        from panther.hdl.node.node import Node

        from .verilog import build_lock, enabled_registers, module_name, write_verilog

        c = self.config
        self.tiles = node_port_maps(c)
        self.paths = [memory_paths(c, tile=f"inner.tile{k}", units=False, holds=False)
                      for k in range(c.tiles_per_node)]
        self.top = module_name("node", c)

        def make():
            return FlatPorts(Node(config=c))

        def announce():
            LOG.info("building the node model %s for %s (%d tiles of %d cores; first run with "
                     "this configuration and RTL, reused afterwards)", self.top, self.simulator,
                     c.tiles_per_node, c.cores_per_tile)

        with build_lock(self.top, self.build_root):
            source = write_verilog(make, name=self.top, sources=(Node.__module__, FlatPorts.__module__),
                                   build_root=self.build_root, on_convert=announce,
                                   enables=enabled_registers(self.simulator))
            try:
                self._runner = _build(self.simulator, [source], self.top, self.build_root, False)
            except (SystemExit, RuntimeError) as error:
                raise SimulationError(
                    f"building the node for {self.simulator} failed ({error}); see "
                    f"{self.build_root / self.top / self.simulator / 'build.log'}") from None
        return self

    def run(self, images, *, max_cycles=DEFAULT_MAX_CYCLES, name="node"):
        """Run every image (a :class:`isa.node_image.NodeImage`, or a tile image as tile 0)
        in one simulation; returns one dump per image (``tiles``: per tile ``cores``, ``smem``
        and ``events`` as :mod:`cosim.tile_tb` dumps a tile)."""
        images = list(images)
        for k, image in enumerate(images):
            if image.config != self.config:
                raise UserError(f"image {k} was assembled for another configuration than the "
                                "compiled node")
        self.build()
        run_dir = _mkdir(self._runner.build_dir / "run")
        job_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=run_dir))
        try:
            entries = []
            for k, image in enumerate(images):
                image_dir = image.save(job_dir / f"image{k:05d}")
                entries.append({"image": str(image_dir),
                                "result": str(job_dir / f"result{k:05d}.json")})
            job = {"config": self.config.to_dict(), "tiles": self.tiles, "max_cycles": max_cycles,
                   "simulator": self.simulator, "paths": self.paths,
                   "period_ps": period_ps(self.config), "runs": entries}
            job_file = job_dir / "job.json"
            job_file.write_text(json.dumps(job, indent=1))
            log = _test(self._runner, self.top, job_file, job_dir.name, None,
                        module="panther.cosim.node_tb")
            results = []
            for k, entry in enumerate(entries):
                path = Path(entry["result"])
                if not path.is_file():
                    raise SimulationError(f"the {self.simulator} simulation produced no result "
                                          f"for node image {k} of {len(entries)}; see {log}")
                results.append(json.loads(path.read_text()))
            for leftover in (log, log.with_suffix(".xml")):
                leftover.unlink(missing_ok=True)
            return results
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)


_SIMULATIONS = {}


def get_node_simulation(config, *, simulator="verilator"):
    """A built :class:`NodeSimulation`, shared per (configuration, simulator) in this process."""
    key = (config.to_json(), simulator)
    if key not in _SIMULATIONS:
        _SIMULATIONS[key] = NodeSimulation(config, simulator=simulator).build()
    return _SIMULATIONS[key]


@dataclass
class NodeOutcome:
    """One node image on the RTL, with the golden comparison.

    Members
    -------
    dump : dict
    golden : isa.golden.NodeReport
    golden_error : str
    diffs : list of str
        Per tile, :func:`cosim.compare.compare` prefixed ``tile k:``, and the channels when
        the golden model left words in one (the RTL's receive FIFOs are not dumped).
    """

    dump: dict
    golden: object
    golden_error: str
    diffs: list = field(default_factory=list)

    @property
    def stopped(self):
        return self.dump["stopped"]

    @property
    def ok(self):
        return self.stopped == "halted" and not self.golden_error and not self.diffs

    def format(self):
        d = self.dump
        lines = [f"node RTL ({d['simulator']}): {self.stopped} after {d['cycles']} cycles"]
        if d.get("deadlock"):
            lines.append("RTL deadlock: " + "; ".join(
                f"tile {w['tile']} core {w['core']} waits ({w['op']}"
                + (f" shared-memory word {w['saddr']})" if "saddr" in w else ")")
                for w in d["deadlock"]))
        if self.golden_error:
            lines.append(self.golden_error)
        if self.diffs:
            lines.append("comparison with the golden node: MISMATCH; " + "; ".join(self.diffs[:8]))
        else:
            lines.append(f"comparison with the golden node: identical state and event counts on "
                         f"all {len(d['tiles'])} tiles")
        return "\n".join(lines)


def _golden(image, max_rounds=None):
    from panther.isa.golden import run_image
    from panther.isa.golden.errors import GoldenError
    from panther.isa.golden.node import Node
    from panther.isa.golden.tile import DEFAULT_MAX_ROUNDS

    try:
        node = Node.from_image(image)
        return node.run(max_rounds=max_rounds or DEFAULT_MAX_ROUNDS), ""
    except GoldenError as error:
        if error.report is None:
            raise
        report = error.report
        if not hasattr(report, "tiles"):         # cannot happen for a Node; keep run_image's
            report = run_image(image)
        return report, str(error)


def compare_node(golden, dump):
    """Differences between a golden :class:`isa.golden.NodeReport` and a node RTL dump."""
    diffs = []
    g = golden.to_dict()
    for k, (gt, rt) in enumerate(zip(g["tiles"], dump["tiles"])):
        diffs += [f"tile {k}: {d}" for d in compare(gt, rt)]
    if len(g["tiles"]) != len(dump["tiles"]):
        diffs.append(f"tiles: golden {len(g['tiles'])}, RTL {len(dump['tiles'])}")
    if g["noc"]["channels"]:
        diffs.append(f"the golden node left words in {len(g['noc']['channels'])} channel(s); "
                     "the RTL's receive buffers are not compared")
    return diffs


def run_node_and_compare(images, *, simulator="verilator", max_cycles=DEFAULT_MAX_CYCLES,
                         simulation=None, max_rounds=None):
    """Run node images on the node RTL in one simulation and compare each with the golden
    node. Returns a list of :class:`NodeOutcome`."""
    images = list(images)
    if not images:
        return []
    sim = simulation or get_node_simulation(images[0].config, simulator=simulator)
    dumps = sim.run(images, max_cycles=max_cycles)
    outcomes = []
    for image, dump in zip(images, dumps):
        golden, error = _golden(image, max_rounds)
        outcome = NodeOutcome(dump=dump, golden=golden, golden_error=error)
        outcome.diffs = compare_node(golden, dump)
        outcomes.append(outcome)
    return outcomes
