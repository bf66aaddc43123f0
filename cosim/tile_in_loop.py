"""One tile in the loop: tile K of a node image on the RTL, the other tiles on the golden model,
joined at the tile's NoC port (:mod:`cosim.tile_in_loop_tb`), and the whole node checked
against the all-golden run.

This is how a node too large to co-simulate (the paper's 138 tiles) is checked on RTL, one tile
at a time: ``panther run DIR --sim verilator --rtl-tile K``. The RTL tile is
``hdl.tile.Tile(tile_id=K)``, a build of its own per K. The network is point-to-point FIFO
channels on both sides (a Kahn process network), so the mixed run ends in the same state as the
all-golden one whatever the timing; the comparison covers the RTL tile (state and every event
counter, as for a tile alone) and every golden tile (state and events) of the mixed run.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from panther.errors import UserError

from .compare import compare
from .node_runner import NodeOutcome, _golden
from .tile_simulation import (
    DEFAULT_MAX_CYCLES,
    SimulationError,
    TileSimulation,
    _mkdir,
    _test,
)

__all__ = ["LoopOutcome", "run_tile_in_loop", "compare_loop"]

_SIMULATIONS = {}


def _simulation(config, simulator, tile):
    key = (config.to_json(), simulator, tile)
    if key not in _SIMULATIONS:
        _SIMULATIONS[key] = TileSimulation(config, simulator=simulator, tile_id=tile).build()
    return _SIMULATIONS[key]


class LoopOutcome(NodeOutcome):
    """A node image with tile ``rtl_tile`` on the RTL.

    Members
    -------
    dump : dict
        ``rtl`` (the RTL tile's dump), ``golden_tiles`` (the golden tiles of the mixed run,
        tile K empty), ``stopped``, ``cycles`` ...
    golden : isa.golden.NodeReport
        The all-golden run of the image.
    golden_error : str
    diffs : list of str
    """

    def format(self):
        d = self.dump
        lines = [f"tile {d['rtl_tile']} on the RTL ({d['simulator']}), the other tiles golden: "
                 f"{self.stopped} after {d['cycles']} cycles"]
        if self.golden_error:
            lines.append(self.golden_error)
        if self.diffs:
            lines.append("comparison with the all-golden node: MISMATCH; " + "; ".join(self.diffs[:8]))
        else:
            lines.append(f"comparison with the all-golden node: identical; the RTL tile's state "
                         f"and event counters, and every golden tile's state and events "
                         f"({len(d['golden_tiles'])} tiles)")
        return "\n".join(lines)


def compare_loop(golden, dump):
    """Differences between the all-golden :class:`isa.golden.NodeReport` and a mixed run."""
    from panther.isa.golden import diff_states

    g = golden.to_dict()
    k = dump["rtl_tile"]
    diffs = [f"tile {k} (RTL): {d}" for d in compare(g["tiles"][k], dump["rtl"])]
    for t, (gt, mt) in enumerate(zip(g["tiles"], dump["golden_tiles"])):
        if t == k:
            continue
        diffs += [f"tile {t}: {d}" for d in diff_states({"cores": gt["cores"], "smem": gt["smem"]},
                                                        {"cores": mt["cores"], "smem": mt["smem"]})]
        if gt["events"] != mt["events"]:
            diffs.append(f"tile {t}: event counts differ from the all-golden run")
    if g["noc"]["channels"] or dump["channels"]:
        diffs.append("words were left in network channels (not compared)")
    return diffs


def run_tile_in_loop(image, rtl_tile, *, simulator="verilator", max_cycles=DEFAULT_MAX_CYCLES,
                     max_rounds=None):
    """Run ``image`` (a :class:`isa.node_image.NodeImage`) with tile ``rtl_tile`` on the RTL;
    returns a :class:`LoopOutcome`."""
    from panther.isa.node_image import NodeImage

    if not isinstance(image, NodeImage):
        image = NodeImage(config=image.config, tiles=[image])
    if not (isinstance(rtl_tile, int) and 0 <= rtl_tile < image.n_tiles):
        raise UserError(f"rtl_tile must be a tile of the image, 0 .. {image.n_tiles - 1}, not "
                        f"{rtl_tile!r}")
    sim = _simulation(image.config, simulator, rtl_tile)
    run_dir = _mkdir(sim.run_dir)
    job_dir = Path(tempfile.mkdtemp(prefix="loop-", dir=run_dir))
    try:
        image_dir = image.save(job_dir / "image")
        result = job_dir / "result.json"
        job = {"config": image.config.to_dict(), "ports": sim.ports, "rtl_tile": rtl_tile,
               "max_cycles": max_cycles, "simulator": simulator, "paths": sim.paths,
               "period_ps": sim.period_ps,
               "runs": [{"image": str(image_dir), "result": str(result)}]}
        job_file = job_dir / "job.json"
        job_file.write_text(json.dumps(job, indent=1))
        log = _test(sim._runner, sim.top, job_file, job_dir.name, None,
                    module="panther.cosim.tile_in_loop_tb")
        if not result.is_file():
            raise SimulationError(f"the {simulator} simulation with tile {rtl_tile} in the loop "
                                  f"produced no result; see {log}")
        dump = json.loads(result.read_text())
        for leftover in (log, log.with_suffix(".xml")):
            leftover.unlink(missing_ok=True)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    golden, error = _golden(image, max_rounds)
    outcome = LoopOutcome(dump=dump, golden=golden, golden_error=error)
    outcome.diffs = compare_loop(golden, dump)
    return outcome
