"""cocotb side of :mod:`cosim.tile_simulation`: load, run and dump program images on the tile.

The job file named by ``$PANTHER_TILE_JOB`` (written by
:meth:`cosim.tile_simulation.TileSimulation.run`) lists image directories; for each one this
test

1. resets the tile (registers only: memories keep their contents) with every core stopped;
2. creates fresh analog models (:class:`analog_models.AnalogMCU`, one seeded stream per
   (core, MCU) as in :func:`isa.golden.analog_mcu.analog_mcu_factory`), programs the image's
   weights and serves every MCU analog port with :func:`cosim.mcu_bridge.start_mcu_bridge`
   (the answers go into the hold registers of the top level, see
   :mod:`cosim.analog_answer`);
3. loads the programs, register files and shared memory (value, valid, count) by direct
   access to the memories (the job's ``paths``; no clock cycle, only the words that differ
   from what the last dump read), the XBar buffers the same way (one register each, written
   whole after the reset), and ``PROG_LEN`` through each core's host/debug port (all cores
   in parallel);
4. raises every core's ``run`` and waits for ``all_halted``, the ``deadlock`` output or the
   cycle limit, whichever comes first (no Python runs per cycle meanwhile: it wakes every
   :data:`PROGRESS_CYCLES` cycles to write the progress file, :mod:`cosim.progress`);
5. stops the cores and dumps the state (memories and XBar buffers read directly, status and
   event counters through the debug port) and counters to the result JSON.

The same bench drives a plain tile (``panther verilog --top tile``, :meth:`TileBench.for_tile`)
and each tile of a node (:mod:`cosim.node_tb`): there the analog ports are top-level ports
that the bridges drive (the job's paths have no hold registers).

A core with an empty program is idle (as in the golden model): it gets a single ``hlt`` so it
halts at once, and that ``hlt`` is not counted.
"""

import gc
import json
import math
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, First, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

from panther.analog_models import AnalogMCU
from panther.config import PantherConfig
from panther.hdl.core.constants import EVENT_REGS, STATUS_LAYOUT, DebugSpace, StatusReg
from panther.hdl.tile.shared_memory import smem_word_layout
from panther.isa.encoding import encode, make
from panther.isa.events import DIGITAL_EVENTS
from panther.isa.faults import CoreFault
from panther.isa.image import ProgramImage

from .analog_port import pack_signed, unpack_signed
from .backdoor import Backdoor, memory_paths, raw_int, resolve
from .clock import period_ps, start_clock
from .mcu_bridge import start_mcu_bridge
from .tile_host import HostPort, as_int, as_signed

__all__ = ["run_job", "X_PROBE_CYCLES", "PROGRESS_CYCLES", "TileBench"]

#: Cycles after ``run`` at which the tile's stop outputs are first checked for X.
X_PROBE_CYCLES = 64
#: Cycles between two progress reports of a running program (one Python wake-up each).
PROGRESS_CYCLES = 20_000
#: Wall seconds between two writes of the progress file (the parent polls it every 0.5 s and
#: shows nothing for the first few seconds); replacing a file costs milliseconds on ext4.
PROGRESS_SECONDS = 0.5


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
        self.settle = job["simulator"] == "icarus"
        self.hosts = [HostPort(dut, self.clock, p["dbg"], period_ps=job["period_ps"])
                      for p in self.ports]
        paths = job["paths"]
        self.smem = Backdoor(resolve(dut, paths["smem"]), c.smem_depth)
        self.layout = smem_word_layout(c)
        self.cores = []
        for p in paths["cores"]:
            self.cores.append({
                "imem": Backdoor(resolve(dut, p["imem"]), c.imem_depth),
                "rf": Backdoor(resolve(dut, p["rf"]), c.rf_depth),
                "xbar_in": [resolve(dut, path) for path in p["xbar_in"]],
                "xbar_out": [resolve(dut, path) for path in p["xbar_out"]],
                "hold": [None] * c.mcus_per_core if p["hold"] is None else
                        [{name: resolve(dut, path) for name, path in mcu.items()}
                         for mcu in p["hold"]],
            })
        self.bridges = []
        self.hlt = encode(make("hlt"))
        self.image_index = 0
        self.reported = time.monotonic()     # when the progress file was last written
        dut_smem = prefix + "host_smem_"
        if hasattr(dut, dut_smem + "we"):         # the host port is idle: loads go by backdoor
            getattr(dut, dut_smem + "we").value = 0
            getattr(dut, dut_smem + "addr").value = 0
        for p in self.ports:
            getattr(dut, p["run"]).value = 0
        if not prefix and hasattr(dut, "noc_rx_valid"):   # a tile alone: nothing comes or goes
            dut.noc_rx_valid.value = 0
            dut.noc_rx_flit.value = 0
            dut.noc_tx_ready.value = 0

    def progress(self, cycles, max_cycles):
        """Tell the parent process how far the current program got (``job['progress']``)."""
        path = self.job.get("progress")
        now = time.monotonic()
        if path and now - self.reported >= PROGRESS_SECONDS:
            self.reported = now
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
               "paths": memory_paths(config, tile="inner", units=False, holds=False),
               "period_ps": period_ps(config), "runs": []}
        start_clock(dut.clk, job["period_ps"])
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
                    holds=self.cores[core]["hold"][m], settle=self.settle))
                row.append(amcu)
            self.amcus.append(row)

    async def load_core(self, core, image):
        """Program, register file and XBar buffers by direct access (a buffer is one
        register, written whole: the reset has just cleared it); ``PROG_LEN`` through the
        debug port."""
        c, host, mem = self.config, self.hosts[core], self.cores[core]
        mask = (1 << c.data_bits) - 1
        program = image.programs[core] or [self.hlt]
        mem["imem"].load(program)
        mem["rf"].load((np.asarray(image.rf_init[core], dtype=np.int64) & mask).tolist())
        for m in range(c.mcus_per_core):
            for handle, values in ((mem["xbar_in"][m], image.xbar_in[core][m]),
                                   (mem["xbar_out"][m], image.xbar_out[core][m])):
                # raises on a word outside data_bits: images hold them in range
                # (isa.image_load, the assembler, data_words), so one would be a bug
                handle.value = pack_signed(values, c.data_bits)
        await host.write(DebugSpace.STATUS.value, StatusReg.PROG_LEN.value, len(program))

    def load_smem(self, image):
        c, lay = self.config, self.layout
        value = np.asarray(image.smem_init, np.int64) & ((1 << c.data_bits) - 1)
        valid = np.asarray(image.smem_valid, bool).astype(np.int64)
        count = np.asarray(image.smem_count, np.int64)
        self.smem.load((value << lay["value"].offset | valid << lay["valid"].offset
                        | count << lay["count"].offset).tolist())

    def dump_smem(self):
        c, lay = self.config, self.layout
        raws = self.smem.dump()
        if None not in raws:                  # every word known: whole arrays at once
            raw = np.array(raws, dtype=object if lay.size > 63 else np.int64)
            value = (raw >> lay["value"].offset) & ((1 << c.data_bits) - 1)
            value = value - ((value >> (c.data_bits - 1)) << c.data_bits)
            count = (raw >> lay["count"].offset) & ((1 << lay["count"].width) - 1)
            return {"values": value.astype(np.int64).tolist(),
                    "valid": ((raw >> lay["valid"].offset) & 1).astype(bool).tolist(),
                    "count": count.astype(np.int64).tolist()}
        values, valid, count = [], [], []
        for raw in raws:
            if raw is None:
                values.append(None), valid.append(None), count.append(None)
                continue
            values.append(as_signed(raw >> lay["value"].offset, c.data_bits))
            valid.append(bool(raw >> lay["valid"].offset & 1))
            count.append(raw >> lay["count"].offset & ((1 << lay["count"].width) - 1))
        return {"values": values, "valid": valid, "count": count}

    async def run_image(self, image, max_cycles):
        dut = self.dut
        begin = get_sim_time("ps")
        wall = [time.perf_counter()]
        await self.reset()
        self.start_analog(image)
        self.load_smem(image)
        await _gather(*(self.load_core(i, image) for i in range(len(self.ports))))
        await FallingEdge(self.clock)
        wall.append(time.perf_counter())
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
        wall.append(time.perf_counter())
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
        smem = self.dump_smem()
        if halted is None or deadlock is None:
            stopped = "unknown (X on all_halted/deadlock: uninitialised state in the RTL)"
        else:
            stopped = "halted" if halted else "deadlock" if deadlock else "cycle_limit"
        result = self.summary(cores, smem, cycles, max_cycles, stopped, waits)
        # every cycle this image cost, loading and dumping included
        result["sim_cycles"] = round((get_sim_time("ps") - begin) / self.period_ps)
        wall.append(time.perf_counter())
        spent = [getattr(port, "bridge_s", {}) for _, port in self.bridges]
        # wall seconds of this process: loading, running (the bridges' Python included,
        # ``bridge``, of it ``bridge_rows`` serving serial rows), dumping (the state read and
        # the result assembled)
        result["wall_s"] = {"load": wall[1] - wall[0], "run": wall[2] - wall[1],
                            "bridge": sum(sum(s.values()) for s in spent),
                            "bridge_rows": sum(s.get("rows", 0.0) for s in spent),
                            "dump": wall[3] - wall[2]}
        return result

    async def dump_core(self, core, image):
        c, host, mem = self.config, self.hosts[core], self.cores[core]
        status_regs = (StatusReg.STATUS, StatusReg.PC, StatusReg.INSTRET, StatusReg.CYCLES,
                       StatusReg.DEFERRED, *EVENT_REGS.values())
        values = await host.read_many(DebugSpace.STATUS.value, (r.value for r in status_regs))
        regs = {reg.name: value for reg, value in zip(status_regs, values)}
        events = {name: regs[reg.name] for name, reg in EVENT_REGS.items()}
        rf = [None if v is None else as_signed(v, c.data_bits) for v in mem["rf"].dump()]
        buffers = {}
        for name in ("xbar_in", "xbar_out"):
            buffers[name] = []
            for handle in mem[name]:
                raw = raw_int(handle)
                buffers[name].append([None] * c.xbar_size if raw is None else
                                     unpack_signed(raw, c.xbar_size, c.data_bits).tolist())
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
            "rf": rf,
            "xbar_in": buffers["xbar_in"],
            "xbar_out": buffers["xbar_out"],
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
                # Python wake-ups of the analog bridges (per transaction: 1 on Verilator)
                "bridge_wakeups": sum(port.wakeups for _, port in self.bridges)}


async def run_job(dut, job):
    """Run every image of ``job`` and write each result file as soon as it is known; then
    the job's ``timing`` file (when named): the wall-clock times (``time.time()``) at which
    the first image began and the last result was written, and the seconds spent loading
    image files."""
    started = time.time()
    gc.freeze()     # the imported modules live for ever: out of every collection's walk
    start_clock(dut.clk, job["period_ps"])
    bench = TileBench(dut, job)
    reading = 0.0
    for k, entry in enumerate(job["runs"]):
        bench.image_index = k
        t0 = time.perf_counter()
        image = ProgramImage.load(entry["image"])
        reading += time.perf_counter() - t0
        result = await bench.run_image(image, job["max_cycles"])
        tmp = Path(entry["result"] + ".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(entry["result"])
    if job.get("timing"):
        Path(job["timing"]).write_text(json.dumps({"started": started, "ended": time.time(),
                                                   "image_files": reading}))


@cocotb.test()
async def tile_programs(dut):
    """Load, run and dump every program image of the job."""
    job = json.loads(Path(os.environ["PANTHER_TILE_JOB"]).read_text())
    await run_job(dut, job)
