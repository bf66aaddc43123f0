"""cocotb side of :mod:`cosim.node_runner`: load, run and dump node images on the node RTL.

The job file named by ``$PANTHER_TILE_JOB`` lists node image directories and, per tile, the
port map of :func:`cosim.program_runner.port_map` with the node's names (``t<k>_...``). For
each image this test resets the node, serves every MCU of every tile with its analog model
(the bridges drive the node's analog ports) and loads every tile by direct access to its
memories (as :mod:`cosim.tile_tb` does for one tile), raises every core's ``run``, waits for the node's ``all_halted``,
``deadlock`` or the cycle limit, and dumps every tile. Tiles beyond the image's are idle.
"""

import json
import math
import os
from pathlib import Path

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, First, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

from .clock import start_clock
from .tile_host import as_int as _int
from .tile_tb import X_PROBE_CYCLES, TileBench, _gather

__all__ = ["NodeBench", "run_node_job"]


class NodeBench:
    """Drives a node through a job: one :class:`cosim.tile_tb.TileBench` per tile."""

    def __init__(self, dut, job):
        from panther.config import PantherConfig

        self.dut, self.job = dut, job
        self.config = PantherConfig.from_dict(job["config"])
        self.clock = dut.clk
        self.period_ps = job["period_ps"]
        self.tiles = [TileBench(dut, {**job, "ports": ports, "paths": paths}, prefix=f"t{k}_")
                      for k, (ports, paths) in enumerate(zip(job["tiles"], job["paths"]))]

    def _runs(self):
        return [getattr(self.dut, p["run"]) for tile in self.tiles for p in tile.ports]

    async def reset(self):
        await FallingEdge(self.clock)
        for run in self._runs():
            run.value = 0
        self.dut.rst.value = 1
        await ClockCycles(self.clock, 2)
        await FallingEdge(self.clock)
        self.dut.rst.value = 0

    async def load_tile(self, bench, image):
        bench.load_smem(image)
        await _gather(*(bench.load_core(i, image) for i in range(len(bench.ports))))

    async def run_image(self, node_image, max_cycles):
        from panther.isa.image import ProgramImage

        c, dut = self.config, self.dut
        images = list(node_image.tiles)
        images += [ProgramImage(config=c) for _ in range(len(self.tiles) - len(images))]
        await self.reset()
        for bench, image in zip(self.tiles, images):
            bench.start_analog(image)
        await _gather(*(self.load_tile(b, i) for b, i in zip(self.tiles, images)))
        await FallingEdge(self.clock)
        for run in self._runs():
            run.value = 1
        start = get_sim_time("ps")

        def cycles_since_start():
            return math.ceil((get_sim_time("ps") - start) / self.period_ps - 1e-9)

        probe = min(max_cycles, X_PROBE_CYCLES)
        await First(RisingEdge(dut.all_halted), RisingEdge(dut.deadlock),
                    Timer(probe * self.period_ps, "ps"))
        await ReadOnly()
        if cycles_since_start() >= probe and probe < max_cycles \
                and _int(dut.all_halted.value) is not None and _int(dut.deadlock.value) is not None \
                and not (_int(dut.all_halted.value) or _int(dut.deadlock.value)):
            await First(RisingEdge(dut.all_halted), RisingEdge(dut.deadlock),
                        Timer((max_cycles - probe) * self.period_ps, "ps"))
            await ReadOnly()
        cycles = cycles_since_start()
        halted, deadlock = _int(dut.all_halted.value), _int(dut.deadlock.value)
        waits = []
        if deadlock and not halted:
            for k in range(len(self.tiles)):
                stuck = _int(getattr(dut, f"t{k}_smem_stuck").value) or 0
                writes = _int(getattr(dut, f"t{k}_smem_write").value) or 0
                noc = _int(getattr(dut, f"t{k}_noc_waiting").value) or 0
                for i in range(c.cores_per_tile):
                    if stuck >> i & 1:
                        waits.append({"tile": k, "core": i, "op": "st" if writes >> i & 1 else "ld",
                                      "saddr": _int(getattr(dut, f"t{k}_c{i}_smem_addr_out").value)})
                    elif noc >> i & 1:
                        waits.append({"tile": k, "core": i, "op": "send/recv"})
        await FallingEdge(self.clock)
        for run in self._runs():
            run.value = 0
        await FallingEdge(self.clock)
        if halted is None or deadlock is None:
            stopped = "unknown (X on all_halted/deadlock: uninitialised state in the RTL)"
        else:
            stopped = "halted" if halted else "deadlock" if deadlock else "cycle_limit"
        tiles = await _gather(*(self.dump_tile(b, i) for b, i in zip(self.tiles, images)))
        return {"simulator": self.job["simulator"], "stopped": stopped, "cycles": cycles,
                "max_cycles": max_cycles, "clock_mhz": c.clock_mhz, "deadlock": waits,
                "tiles": tiles[:len(node_image.tiles)]}

    async def dump_tile(self, bench, image):
        cores = await _gather(*(bench.dump_core(i, image) for i in range(len(bench.ports))))
        smem = bench.dump_smem()
        summary = bench.summary(cores, smem, 0, 0, "", [])
        return {"cores": cores, "smem": smem, "events": summary["events"],
                "analog_transactions": summary["analog_transactions"]}


async def run_node_job(dut, job):
    """Run every node image of ``job`` and write each result file as soon as it is known."""
    from panther.isa.node_image import load_any_image

    start_clock(dut.clk, job["period_ps"])
    bench = NodeBench(dut, job)
    for entry in job["runs"]:
        image = load_any_image(entry["image"])
        if not hasattr(image, "tiles"):
            from panther.isa.node_image import NodeImage

            image = NodeImage(config=image.config, tiles=[image])
        result = await bench.run_image(image, job["max_cycles"])
        tmp = Path(entry["result"] + ".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(entry["result"])


@cocotb.test()
async def node_programs(dut):
    """Load, run and dump every node image of the job."""
    job = json.loads(Path(os.environ["PANTHER_TILE_JOB"]).read_text())
    await run_node_job(dut, job)
