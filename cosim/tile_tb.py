"""cocotb side of :mod:`cosim.tile_simulation`: load, run and dump program images on the tile.

The job file named by ``$PANTHER_TILE_JOB`` (written by
:meth:`cosim.tile_simulation.TileSimulation.run`) lists image directories; for each one this
test

1. resets the tile (registers only: memories keep their contents) with every core stopped;
2. creates fresh analog models (:class:`analog_models.AnalogMCU`, one seeded stream per
   (core, MCU) as in :func:`isa.golden.analog_mcu.analog_mcu_factory`), programs the image's
   weights and serves every MCU analog port with :func:`cosim.mcu_bridge.start_mcu_bridge`;
3. loads the programs (``PROG_LEN`` too), register files and XBar buffers through each core's
   host/debug port (all cores in parallel) and the shared memory (value, valid, count)
   through the tile's host port (every word for the first image, then only the words that
   differ from what the last dump read);
4. raises every core's ``run`` and waits for ``all_halted``, the ``deadlock`` output or the
   cycle limit, whichever comes first (no Python runs per cycle meanwhile: it wakes every
   :data:`PROGRESS_CYCLES` cycles to write the progress file, :mod:`cosim.progress`);
5. stops the cores and dumps the state and counters to the result JSON.

When the job's ``wide_inputs`` is set, the top level is a
:class:`cosim.wide_input_loader.WideInputLoader` around the tile: the bridges drive the
inputs it keeps inside through :class:`cosim.wide_input_bus.WideInputBus` (in the low phase
of the clock, so the cycle counts do not change); every other port is the tile's own.

A core with an empty program is idle (as in the golden model): it gets a single ``hlt`` so it
halts at once, and that ``hlt`` is not counted.
"""

import json
import math
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, First, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

from panther.analog_models import AnalogMCU
from panther.config import PantherConfig
from panther.hdl.core.constants import EVENT_REGS, STATUS_LAYOUT, DebugSpace, StatusReg
from panther.isa.encoding import encode, make
from panther.isa.events import DIGITAL_EVENTS
from panther.isa.faults import CoreFault
from panther.isa.image import ProgramImage

from .clock import period_ps
from .mcu_bridge import start_mcu_bridge
from .tile_host import HostPort, SmemHost, as_int, as_signed
from .wide_input_bus import WideInputBus

__all__ = ["run_job", "X_PROBE_CYCLES", "PROGRESS_CYCLES"]

#: Cycles after ``run`` at which the tile's stop outputs are first checked for X.
X_PROBE_CYCLES = 64
#: Cycles between two progress reports of a running program (one Python wake-up each).
PROGRESS_CYCLES = 20_000


async def _gather(*coroutines):
    tasks = [cocotb.start_soon(c) for c in coroutines]
    return [await t for t in tasks]


class TileBench:
    """Drives one tile through a job (see the module docstring); with a ``prefix`` (``t1_``)
    it drives that tile of a node (the node's bench runs the program, :mod:`cosim.node_tb`)."""

    def __init__(self, dut, job, prefix=""):
        self.dut = dut
        self.job = job
        self.config = c = PantherConfig.from_dict(job["config"])
        self.ports = job["ports"]["cores"]
        self.clock = dut.clk
        self.period_ps = job["period_ps"]
        self.hosts = [HostPort(dut, self.clock, p["dbg"], period_ps=job["period_ps"])
                      for p in self.ports]
        self.smem = SmemHost(dut, self.clock, c.data_bits, prefix)
        self.known_smem = None    # unknown at first (Icarus starts memories at X): write all
        self.bridges = []
        self.bus = None
        if job.get("wide_inputs"):
            self.bus = WideInputBus(dut, self.clock, job["wide_inputs"]["chunk_map"],
                                    period_ps=int(self.period_ps))
        self.hlt = encode(make("hlt"))
        self.image_index = 0
        for p in self.ports:
            getattr(dut, p["run"]).value = 0
        if not prefix and hasattr(dut, "noc_rx_valid"):   # a tile alone: nothing comes or goes
            dut.noc_rx_valid.value = 0
            dut.noc_rx_flit.value = 0
            dut.noc_tx_ready.value = 0

    def progress(self, cycles, max_cycles):
        """Tell the parent process how far the current program got (``job['progress']``)."""
        path = self.job.get("progress")
        if path:
            tmp = Path(path + ".tmp")
            tmp.write_text(json.dumps({"image": self.image_index, "images": len(self.job["runs"]),
                                       "cycles": cycles, "max_cycles": max_cycles}))
            tmp.replace(path)

    @classmethod
    def for_tile(cls, dut, config, *, simulator="icarus"):
        """A bench for the plain tile of ``panther verilog --top tile`` (``panther_tile``),
        its ports found by the naming scheme of :mod:`hdl.flatten`, its clock started at the
        configuration's ``clock_mhz``: ``await bench.run_image(image, max_cycles)`` loads,
        runs and dumps a program (a user's own cocotb test, see docs/your_own_test.md)."""
        ports = {"cores": [{"run": f"c{i}_run", "halted": f"c{i}_halted", "dbg": f"c{i}_dbg_",
                            "mcus": [f"c{i}_analog_{k}_" for k in range(config.mcus_per_core)]}
                           for i in range(config.cores_per_tile)]}
        job = {"config": config.to_dict(), "ports": ports, "simulator": simulator,
               "wide_inputs": None, "period_ps": period_ps(config), "runs": []}
        Clock(dut.clk, job["period_ps"], unit="ps").start()
        return cls(dut, job)

    # -- per image ------------------------------------------------------------------------------

    async def reset(self):
        await FallingEdge(self.clock)
        for p in self.ports:
            getattr(self.dut, p["run"]).value = 0
        self.dut.rst.value = 1
        await ClockCycles(self.clock, 2)
        await FallingEdge(self.clock)
        self.dut.rst.value = 0

    def start_analog(self, image):
        for task, _ in self.bridges:
            task.cancel()
        self.bridges, self.amcus = [], []
        c = self.config
        for core, p in enumerate(self.ports):
            row = []
            for m, prefix in enumerate(p["mcus"]):
                amcu = AnalogMCU(c, rng=np.random.default_rng([c.noise.seed, core, m]))
                amcu.program(image.weight_matrix(core, m))
                if (core, m) in image.digits:       # a previous run's slice state
                    amcu.program_digits(image.digits[(core, m)])
                self.bridges.append(start_mcu_bridge(
                    self.dut, self.clock, amcu, c, prefix=prefix,
                    drive=self.bus.drive if self.bus is not None else None))
                row.append(amcu)
            self.amcus.append(row)

    async def load_core(self, core, image):
        c, host = self.config, self.hosts[core]
        program = image.programs[core] or [self.hlt]
        await host.write_many(DebugSpace.IMEM.value, enumerate(program))
        await host.write(DebugSpace.STATUS.value, StatusReg.PROG_LEN.value, len(program))
        words = np.zeros(c.addr_space, dtype=np.int64)
        words[:c.rf_depth] = image.rf_init[core]
        for m in range(c.mcus_per_core):
            words[c.xbar_in_base(m):c.xbar_in_base(m) + c.xbar_size] = image.xbar_in[core][m]
            words[c.xbar_out_base(m):c.xbar_out_base(m) + c.xbar_size] = image.xbar_out[core][m]
        mask = (1 << c.data_bits) - 1
        await host.write_many(DebugSpace.DATA.value,
                              ((addr, int(value) & mask) for addr, value in enumerate(words)))

    async def load_smem(self, image):
        new = (np.asarray(image.smem_init, np.int64), np.asarray(image.smem_valid, bool),
               np.asarray(image.smem_count, np.int64))
        if self.known_smem is None:
            differ = np.arange(self.config.smem_depth)
        else:
            values, valid, count = self.known_smem
            differ = np.flatnonzero((values != new[0]) | (valid != new[1]) | (count != new[2]))
        await self.smem.write((int(a), int(new[0][a]), bool(new[1][a]), int(new[2][a])) for a in differ)
        self.known_smem = tuple(x.copy() for x in new)

    async def run_image(self, image, max_cycles):
        c, dut = self.config, self.dut
        await self.reset()
        self.start_analog(image)
        await _gather(*(self.load_core(i, image) for i in range(len(self.ports))),
                      self.load_smem(image))
        await FallingEdge(self.clock)
        for p in self.ports:
            getattr(dut, p["run"]).value = 1
        start = get_sim_time("ps")

        def cycles_since_start():
            # The rising edge that raised all_halted ends cycle k at (k - 1/2) periods; a
            # Timer of k periods ends on the falling edge after cycle k.
            return math.ceil((get_sim_time("ps") - start) / self.period_ps - 1e-9)

        def running():
            halted, deadlock = as_int(dut.all_halted.value), as_int(dut.deadlock.value)
            return halted is not None and deadlock is not None and not (halted or deadlock)

        # Timers, not ClockCycles: no Python wake-up per cycle, one per PROGRESS_CYCLES (to
        # report progress). A first short wait: X on the stop outputs (state a simulator left
        # uninitialised) would otherwise burn the whole cycle limit.
        wait = min(max_cycles, X_PROBE_CYCLES)
        while True:
            await First(RisingEdge(dut.all_halted), RisingEdge(dut.deadlock),
                        Timer(wait * self.period_ps, "ps"))
            await ReadOnly()
            done = cycles_since_start()
            if done >= max_cycles or not running():
                break
            self.progress(done, max_cycles)
            wait = min(PROGRESS_CYCLES, max_cycles - done)
        cycles = cycles_since_start()
        halted, deadlock = as_int(dut.all_halted.value), as_int(dut.deadlock.value)
        waits = []
        if deadlock and not halted:
            stuck, writes = as_int(dut.smem_stuck.value) or 0, as_int(dut.smem_write.value) or 0
            for i in range(len(self.ports)):
                if stuck >> i & 1:
                    waits.append({"core": i, "op": "st" if writes >> i & 1 else "ld",
                                  "saddr": as_int(getattr(dut, f"c{i}_smem_addr_out").value)})
        await FallingEdge(self.clock)
        for p in self.ports:
            getattr(dut, p["run"]).value = 0
        await FallingEdge(self.clock)
        cores = await _gather(*(self.dump_core(i, image) for i in range(len(self.ports))))
        smem = await self.smem.dump(c.smem_depth)
        resolved = all(v is not None for field in smem.values() for v in field)
        self.known_smem = (np.asarray(smem["values"], np.int64), np.asarray(smem["valid"], bool),
                           np.asarray(smem["count"], np.int64)) if resolved else None
        if halted is None or deadlock is None:
            stopped = "unknown (X on all_halted/deadlock: uninitialised state in the RTL)"
        else:
            stopped = "halted" if halted else "deadlock" if deadlock else "cycle_limit"
        return self.summary(cores, smem, cycles, max_cycles, stopped, waits)

    async def dump_core(self, core, image):
        c, host = self.config, self.hosts[core]
        status_regs = (StatusReg.STATUS, StatusReg.PC, StatusReg.INSTRET, StatusReg.CYCLES,
                       StatusReg.DEFERRED, *EVENT_REGS.values())
        values = await host.read_many(DebugSpace.STATUS.value, (r.value for r in status_regs))
        regs = {reg.name: value for reg, value in zip(status_regs, values)}
        events = {name: regs[reg.name] for name, reg in EVENT_REGS.items()}
        words = [None if v is None else as_signed(v, c.data_bits)
                 for v in await host.read_many(DebugSpace.DATA.value, range(c.addr_space))]
        raw = regs["STATUS"] if regs["STATUS"] is not None else 0
        status = STATUS_LAYOUT.from_bits(raw & ((1 << STATUS_LAYOUT.size) - 1))
        regs = {k: (v if v is not None else -1) for k, v in regs.items()}
        code = status.error_code
        if status.error:
            state = "error"
        elif status.halted:
            state = "halted"
        else:
            state = "running"
        idle = not image.programs[core]
        try:
            fault = CoreFault(code).name
        except ValueError:
            fault = f"UNKNOWN_{code}"
        mcus = []
        for amcu in self.amcus[core]:
            digits = amcu.xbars[0].digits()
            mcus.append({"weights": amcu.weights(0).tolist(), "digits": digits.tolist()})
        return {
            "pc": 0 if idle else regs["PC"],
            "status": state,
            "fault": fault,
            "fault_code": code,
            "fault_message": f"core {core} pc {regs['PC']}: error code {code} ({fault})" if code else "",
            "overflow": bool(status.overflow),
            "rf": words[:c.rf_depth],
            "xbar_in": [words[c.xbar_in_base(m):c.xbar_in_base(m) + c.xbar_size]
                        for m in range(c.mcus_per_core)],
            "xbar_out": [words[c.xbar_out_base(m):c.xbar_out_base(m) + c.xbar_size]
                         for m in range(c.mcus_per_core)],
            "mcus": mcus,
            "pending_updates": regs["DEFERRED"],
            "instret": 0 if idle else regs["INSTRET"],
            "events": {name: (0 if idle or value is None else value)
                       for name, value in events.items()},
            "core_cycles": regs["CYCLES"],
        }

    def summary(self, cores, smem, cycles, max_cycles, stopped, waits):
        c = self.config
        steps = c.input_steps
        transactions = [port.transactions for _, port in self.bridges]
        energy = {}
        for row in self.amcus:
            for amcu in row:
                for key, value in amcu.energy_counts().items():
                    energy[key] = energy.get(key, 0) + int(value)
        kinds = ("mvm", "mtvm", "opa", "read", "write", "requests")
        total = {k: sum(t[k] for t in transactions) for k in kinds}
        per_mcu = []
        for core, p in enumerate(self.ports):
            for m in range(len(p["mcus"])):
                t = transactions[len(per_mcu)]
                per_mcu.append({"core": core, "mcu": m, "mvm": t["mvm"] // steps,
                                "mtvm": t["mtvm"] // steps, "opa_applied": t["opa"] // steps,
                                "requests": t["requests"], "serial_rows": t["read"]})
        events = {
            **{name: sum(core["events"][name] for core in cores) for name in DIGITAL_EVENTS},
            "instructions_total": sum(core["instret"] for core in cores),
            "mcu": per_mcu,
            "mcu_totals": {"mvm": total["mvm"] // steps, "mtvm": total["mtvm"] // steps,
                           "opa_applied": total["opa"] // steps},
            "adc_conversions": energy.get("adc_conversion", 0),
            "analog_transactions": total,
            "energy_events": energy,
        }
        return {"simulator": self.job["simulator"],
                "stopped": stopped, "cycles": cycles, "max_cycles": max_cycles,
                "clock_mhz": c.clock_mhz, "deadlock": waits, "cores": cores, "smem": smem,
                "events": events, "analog_transactions": total,
                # chunks written through the load bus so far (None: plain top-level inputs)
                "wide_input_writes": self.bus.writes if self.bus is not None else None}


async def run_job(dut, job):
    """Run every image of ``job`` and write each result file as soon as it is known."""
    clock = Clock(dut.clk, job["period_ps"], unit="ps")
    clock.start()
    bench = TileBench(dut, job)
    for k, entry in enumerate(job["runs"]):
        bench.image_index = k
        image = ProgramImage.load(entry["image"])
        result = await bench.run_image(image, job["max_cycles"])
        tmp = Path(entry["result"] + ".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(entry["result"])


@cocotb.test()
async def tile_programs(dut):
    """Load, run and dump every program image of the job."""
    job = json.loads(Path(os.environ["PANTHER_TILE_JOB"]).read_text())
    await run_job(dut, job)
