"""The PANTHER core: the top component a tile instantiates."""

import operator
from functools import reduce

from amaranth.hdl import Cat, Module, Mux, ResetInserter, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.mcu import MCU
from panther.hdl.node.noc_port import CoreNocSignature
from panther.hdl.ports import (
    DBG_DATA_BITS,
    DebugPortSignature,
    DebugSpace,
    McuAnalogSignature,
    SharedMemoryPortSignature,
)

from .constants import EVENT_REGS, STATUS_LAYOUT, ErrorCode, StatusReg
from .data_space import DataSpace
from .event_counters import EventCounters
from .execute import Execute
from .fetch import Fetch
from .imem import InstructionMemory
from .layouts import PC_BITS
from .parameters import check_core_parameters

__all__ = ["CoreSignature", "Core", "STATUS_GROUP"]

#: Status registers per group register of the STATUS read (docs/synthesis.md, "status").
STATUS_GROUP = 4


def core_id_shape(config):
    """Shape of a core's ``core_id`` input (at least one bit)."""
    return range(max(2, config.cores_per_tile))


class CoreSignature(wiring.Signature):
    """The ports of a :class:`Core` (see its Members).

    Parameters
    ----------
    config : PantherConfig
    core_id_port : bool
        Add the ``core_id`` input of a core built with ``core_id=None`` (keyword only).
    """

    def __init__(self, config, *, core_id_port=False):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if not isinstance(core_id_port, bool):
            raise TypeError(f"core_id_port must be a bool, not {core_id_port!r}")
        self.config = config
        self.core_id_port = core_id_port
        members = {
            "smem": Out(SharedMemoryPortSignature(config)),
            "noc": Out(CoreNocSignature(config)),
            "dbg": In(DebugPortSignature()),
            "run": In(1),
            "running": Out(1), "halted": Out(1), "error": Out(1),
            "error_code": Out(ErrorCode), "overflow": Out(1), "pc": Out(PC_BITS),
            "smem_waiting": Out(1),
            "analog": Out(McuAnalogSignature(config)).array(config.mcus_per_core),
        }
        if core_id_port:
            members["core_id"] = In(core_id_shape(config))
        super().__init__(members)


class Core(wiring.Component):
    """One PANTHER core: instruction memory, fetch/decode/execute pipeline, register file,
    VFU, scalar ALU, load/store unit, deferred-update buffer and ``mcus_per_core`` MCUs.

    Pipeline and timing: ``docs/core.md``.

    Running a program: with ``run = 0`` the host loads the instruction memory, the register
    file and the XBar buffers (``DATA`` space) and writes ``PROG_LEN`` through ``dbg``. At
    the edge that ends the cycle ``run`` rises in, ``running`` rises and ``halted``,
    ``error`` and ``error_code`` clear; in the next cycle the core clears its counts (``PC``,
    ``INSTRET``, ``CYCLES``, ``DEFERRED``, ``overflow``, the event counters: a read taken in
    it still sees the previous run's) and starts at PC 0 (it reads that word in that cycle,
    so the instruction memory must not be written in it). It stops with
    ``halted`` (after ``hlt`` applied every deferred weight update) or ``error`` (with
    ``error_code``, the golden model's :class:`isa.faults.CoreFault`); it never hangs
    except waiting on shared memory (``smem_waiting``). Status stays readable until the next
    rising edge of ``run``. Dropping ``run`` while running aborts the program a cycle later
    (the execute stage's reset is registered; an MCU operation in flight still completes).

    MCU hookup: the core instantiates its MCUs (``self.mcus[m]``, :class:`hdl.mcu.MCU`): their
    XBar buffers form the operand space above the register file (semantics §4) and their
    analog ports are brought out unchanged as ``analog[m]`` (serve them with
    ``cosim.amaranth_bridge.add_analog_bridge(sim, core.analog[m], amcu)`` or the cocotb
    bridge). ``mcu`` starts every masked MCU in the same cycle; variants 1-2 snapshot the OPA
    operands into the deferred buffer and strip the OPA bit (replayed at ``hlt``), variant 3
    passes the OPA to the MCU (third copy) and sends ``commit`` at ``hlt``
    (:class:`~panther.hdl.core.deferred.DeferredUpdates`).

    Parameters
    ----------
    config : PantherConfig
    core_id : int or None
        Index of the core in its tile, ``0 .. cores_per_tile - 1`` (readable as ``CORE_ID``).
        None: the index is the ``core_id`` input instead, so that one generated core (one
        Verilog module) serves every position of a tile.
    mcu_factory : callable, optional
        ``f(config=...)`` returning each MCU (keyword only; default :class:`hdl.mcu.MCU`),
        e.g. a :class:`panther.hdl.hierarchy.ModuleInstance` of an MCU converted on its own.

    Members
    -------
    smem : Out(SharedMemoryPortSignature(config))
        Shared-memory port (core <-> tile contract).
    noc : Out(CoreNocSignature(config))
        ``send``/``recv`` port to the tile's network interface (:class:`hdl.node.TileNoc`).
    dbg : In(DebugPortSignature())
        Host/debug port (:class:`panther.hdl.ports.DebugPortSignature`): ``ack`` exactly
        ``DebugPortSignature.latency`` (2) cycles after the request is taken, ``rdata`` from
        registers loaded straight off the memories.
    run : In(1)
    running, halted, error : Out(1)
    error_code : Out(ErrorCode)
    overflow : Out(1)
        Sticky saturation flag (VFU, MVM, MTVM) of the current/last run.
    pc : Out(PC_BITS)
    smem_waiting : Out(1)
        ``smem.req`` high and not acknowledged this cycle.
    analog : Out(McuAnalogSignature(config)).array(mcus_per_core)
    core_id : In(range(max(2, cores_per_tile)))
        Only with ``core_id=None``: the index of the core in its tile.
    mcus : list of hdl.mcu.MCU (or what ``mcu_factory`` returned)
    """

    #: Cycles from the execute stage's (or the deferred unit's) MCU request to the MCU: the
    #: core registers ``start``, ``start_mask``, ``crs`` and ``commit`` at its edge.
    mcu_request_latency = 1
    #: Cycles from an MCU's ``done`` pulse to the execute stage and the deferred unit: the
    #: core registers ``done`` at its edge too.
    mcu_done_latency = 1

    def __init__(self, *, config, core_id, mcu_factory=None):
        if core_id is None:
            check_core_parameters(config, 0)
        else:
            check_core_parameters(config, core_id, value_ok=False)
        if mcu_factory is not None and not callable(mcu_factory):
            raise TypeError(f"mcu_factory must be callable, not {mcu_factory!r}")
        self.config = config
        self.mcus = [(mcu_factory or MCU)(config=config) for _ in range(config.mcus_per_core)]
        super().__init__(CoreSignature(config, core_id_port=core_id is None))
        if core_id is not None:
            self.core_id = core_id

    def elaborate(self, platform):
        c = self.config
        m = Module()

        run_prev = Signal()
        restart = Signal()
        m.d.sync += run_prev.eq(self.run)
        m.d.comb += restart.eq(self.run & ~run_prev)
        # The run starts a cycle after the rising edge of `run`, from a flip-flop (`clear`):
        # as a LUT of `run` and `run_prev`, `restart` reached the front end's PC and the
        # clears of the ~530 status and event-counter flip-flops (issue 20). Only the status
        # flags (`running`, `halted`, `error`, `error_code`) still take `restart` itself, so
        # that the host sees them cleared in the cycle after the edge as before; the counts
        # are cleared a cycle later, with the start (docs/core.md, "Run control").
        clear = Signal(name="run_clear")
        m.d.sync += clear.eq(restart)

        m.submodules.imem = imem = InstructionMemory(config=c)
        m.submodules.fetch = fetch = Fetch(config=c)
        execute = Execute(config=c, core_id=self.core_id)
        # The execute stage's reset comes from a flip-flop (issue 20: as a LUT of `run` and
        # `run_prev` it reached every control register of the stage through routing alone).
        # It holds a cycle longer at a start, when the stage has no instruction yet (the
        # first one reaches it four cycles after the start, `clear`), so no program's cycles
        # change; dropping `run` stops the stage a cycle later.
        x_reset = Signal(init=1)
        m.d.sync += x_reset.eq(~self.run | restart)
        m.submodules.execute = ResetInserter(x_reset)(execute)
        m.d.comb += execute.x_reset.eq(x_reset)
        m.submodules.data_space = ds = DataSpace(config=c)
        m.submodules.event_counters = counters = EventCounters(config=c)
        for k, mcu in enumerate(self.mcus):
            m.submodules[f"mcu{k}"] = mcu

        running = self.running
        prog_len = Signal(PC_BITS, init=c.imem_depth)
        # The status counts and copies have no reset of their own (a run start clears them):
        # with the clock domain's reset their clear was a LUT of it and `restart` before
        # every reset pin, reached by the tile's reset fan-out copies' long routes (issue 20).
        instret = Signal(32, reset_less=True)
        cycles = Signal(32, reset_less=True)
        overflow = Signal()
        pc = Signal(PC_BITS, reset_less=True)
        deferred = Signal.like(execute.deferred, reset_less=True)

        # -- run control and status ------------------------------------------------------
        with m.If(restart):
            m.d.sync += [running.eq(1), self.halted.eq(0), self.error.eq(0),
                         self.error_code.eq(ErrorCode.NONE)]
        with m.Elif(running):
            with m.If(~self.run):
                m.d.sync += running.eq(0)
            with m.If(execute.halt):
                m.d.sync += [running.eq(0), self.halted.eq(1)]
            with m.If(execute.fault):
                m.d.sync += [running.eq(0), self.error.eq(1),
                             self.error_code.eq(execute.fault_code)]
        with m.If(clear):
            m.d.sync += [instret.eq(0), cycles.eq(0), overflow.eq(0), pc.eq(0), deferred.eq(0)]
        with m.Elif(running):
            m.d.sync += [cycles.eq(cycles + 1), pc.eq(execute.pc),
                         deferred.eq(execute.deferred)]
            with m.If(execute.retire):
                m.d.sync += instret.eq(instret + 1)
            with m.If(execute.halt):
                m.d.sync += deferred.eq(0)
            mcu_ovf = 0
            for mcu in self.mcus:
                mcu_ovf = mcu_ovf | mcu.overflow
            with m.If(execute.overflow | mcu_ovf):
                m.d.sync += overflow.eq(1)
        m.d.comb += [self.overflow.eq(overflow), self.pc.eq(pc),
                     self.smem_waiting.eq(execute.smem_waiting)]
        m.d.comb += [counters.events.eq(execute.events), counters.addr.eq(execute.data.addr),
                     counters.enable.eq(running), counters.clear.eq(clear)]

        # -- front end and execute ---------------------------------------------------------
        m.d.comb += [
            imem.f_addr.eq(fetch.imem_addr), imem.f_en.eq(fetch.imem_en),
            fetch.imem_data.eq(imem.f_data),
            # the core runs in the next cycle (the execute stage's `valid` is cleared else)
            fetch.running.eq(running & self.run & ~execute.halt & ~execute.fault),
            fetch.restart.eq(clear), fetch.prog_len.eq(prog_len),
            fetch.redirect.eq(execute.redirect), fetch.redirect_pc.eq(execute.redirect_pc),
            fetch.x_ready.eq(execute.ready),
            execute.quick.eq(fetch.x_quick),
            execute.instr.eq(fetch.x_instr), execute.valid.eq(fetch.x_valid),
        ]
        wiring.connect(m, wiring.flipped(self.smem), execute.smem)
        wiring.connect(m, wiring.flipped(self.noc), execute.noc)

        # -- MCUs --------------------------------------------------------------------------
        # The MCU requests are registered at the core's edge (`mcu_request_latency`): each
        # MCU's controller sees flip-flops, not the execute stage's and the deferred unit's
        # decodes (issue 20). `done` is registered the same way (`mcu_done_latency`): the
        # MCU's controller is placed far from the core and its `done` reached the execute
        # stage's retire, `ready` and the instruction register's enables in one cycle. No
        # handshake reads a stale `done`: the core waits for every request's `done` pulse,
        # which comes after the request reached the MCU.
        for k, mcu in enumerate(self.mcus):
            wiring.connect(m, ds.xin[k], mcu.xin)
            wiring.connect(m, ds.xout[k], mcu.xout)
            wiring.connect(m, wiring.flipped(self.analog[k]), mcu.analog)
            start, crs, commit = (Signal(name=f"mcu{k}_{what}_r")
                                  for what in ("start", "crs", "commit"))
            start_mask = Signal(3, name=f"mcu{k}_start_mask_r")
            done = Signal(name=f"mcu{k}_done_r")
            m.d.sync += [start.eq(execute.mcu_start[k]), start_mask.eq(execute.mcu_masks[k]),
                         crs.eq(execute.mcu_crs[k]), commit.eq(execute.mcu_commit[k]),
                         done.eq(mcu.done)]
            m.d.comb += [
                mcu.start.eq(start), mcu.start_mask.eq(start_mask),
                mcu.crs.eq(crs), mcu.commit.eq(commit),
                execute.mcu_done[k].eq(done), execute.mcu_done_next[k].eq(mcu.done),
                mcu.overflow_clear.eq(clear),
            ]

        # -- host/debug port ---------------------------------------------------------------
        # A request is taken in cycle T (`take`); the memories read in T, their outputs are
        # registered in T + 1 with no logic after the block RAMs (issue 20: the register
        # file's output, a multiplexer and the way to the board did not fit a cycle), and
        # in T + latency `ack` rises with `rdata` an AND-OR of those registers.
        dbg = self.dbg
        latency = DebugPortSignature.latency
        if latency < 2:
            raise ValueError(f"the debug port's read registers need a latency of at least 2, "
                             f"not {latency!r}")
        in_flight = [Signal(name=f"dbg_stage{k}") for k in range(1, latency + 1)]
        ack = in_flight[-1]
        take = Signal()
        space_r = Signal(DebugSpace)
        data_served = Signal()
        m.d.comb += [take.eq(dbg.req & ~Cat(*in_flight).any()), dbg.ack.eq(ack)]
        m.d.sync += [stage.eq(prev) for prev, stage in zip([take, *in_flight], in_flight)]
        with m.If(take):
            m.d.sync += [space_r.eq(dbg.space), data_served.eq(~running)]
        m.d.comb += [imem.h_addr.eq(dbg.addr), imem.h_wdata.eq(dbg.wdata),
                     imem.h_we.eq(take & dbg.we & (dbg.space == DebugSpace.IMEM))]

        # The operand space takes the host's access while the core is not running (`running`
        # alone selects it, in `DataSpace`: issue 20). The address is the host's whether or
        # not it accesses (`take` and the space decode reach only the enables).
        wiring.connect(m, execute.data, ds.port)
        m.d.comb += [ds.host_sel.eq(~running), ds.host.addr.eq(dbg.addr)]
        with m.If(take & (dbg.space == DebugSpace.DATA)):
            m.d.comb += [ds.host.we.eq(dbg.we), ds.host.re.eq(~dbg.we),
                         ds.host.wdata.eq(dbg.wdata)]

        status_word = Signal(STATUS_LAYOUT)
        m.d.comb += [
            status_word.running.eq(running),
            status_word.halted.eq(self.halted),
            status_word.error.eq(self.error),
            status_word.overflow.eq(overflow),
            status_word.smem_waiting.eq(self.smem_waiting),
            status_word.error_code.eq(self.error_code),
        ]
        # STATUS reads in two levels, at no added cycle (issue 20: one 21-way multiplexer on
        # the whole address, with `take` and the space decode in its enable, did not fit a
        # cycle): in T each group register takes one of `STATUS_GROUP` registers by the
        # address's low bits, a flag per group says whether the register number's high bits
        # name it and one whether the address's bits above the number are 0; in T + 1
        # `status_r` takes the flagged group's word (0 for an address with no register).
        # They sample every cycle, without enable: T's values are the ones read.
        sources = {StatusReg.STATUS: status_word, StatusReg.PC: pc,
                   StatusReg.INSTRET: instret, StatusReg.CYCLES: cycles,
                   StatusReg.PROG_LEN: prog_len, StatusReg.DEFERRED: deferred,
                   StatusReg.CORE_ID: self.core_id,
                   **{reg: getattr(counters, name) for name, reg in EVENT_REGS.items()}}
        assert set(sources) == set(StatusReg), "every status register needs its source"
        low_bits = (STATUS_GROUP - 1).bit_length()
        reg_bits = StatusReg.as_shape().width
        status_r = Signal(DBG_DATA_BITS, name="dbg_status_q", reset_less=True)
        in_range = Signal(name="dbg_status_in_range", reset_less=True)
        m.d.sync += in_range.eq(dbg.addr[reg_bits:] == 0)
        picked = []
        for g in range(max(reg.value for reg in StatusReg) // STATUS_GROUP + 1):
            group_q = Signal(DBG_DATA_BITS, name=f"dbg_status_g{g}", reset_less=True)
            hit = Signal(name=f"dbg_status_hit{g}", reset_less=True)
            m.d.sync += [hit.eq(dbg.addr[low_bits:reg_bits] == g), group_q.eq(0)]
            with m.Switch(dbg.addr[:low_bits]):
                for reg in StatusReg:
                    if reg.value // STATUS_GROUP == g:
                        with m.Case(reg.value % STATUS_GROUP):
                            m.d.sync += group_q.eq(sources[reg])
            picked.append(Mux(hit, group_q, 0))
        m.d.sync += status_r.eq(Mux(in_range, reduce(operator.or_, picked), 0))
        # A PROG_LEN write lands in T + 1 from registered decodes and data (the address
        # compare, `take` and the space in one enable were 7 levels; the host reads it back
        # after `ack` at the earliest).
        pl_hit = Signal(name="dbg_prog_len_hit", reset_less=True)
        pl_we = Signal(name="dbg_status_we", reset_less=True)
        pl_data = Signal.like(prog_len, name="dbg_prog_len_wdata", reset_less=True)
        m.d.sync += [pl_hit.eq(dbg.addr == StatusReg.PROG_LEN.value),
                     pl_we.eq(dbg.we & (dbg.space == DebugSpace.STATUS)),
                     pl_data.eq(dbg.wdata)]
        with m.If(in_flight[0] & pl_hit & pl_we):
            m.d.sync += prog_len.eq(pl_data)

        # The read registers (no reset: they only move data) and one-hot selects, loaded
        # in T + 1 from the memories' outputs and the request's registered space.
        imem_q = Signal(DBG_DATA_BITS, name="dbg_imem_q", reset_less=True)
        rf_q = Signal.like(ds.rf_rdata, name="dbg_rf_q", reset_less=True)
        buf_q = Signal.like(ds.buf_rdata, name="dbg_buf_q", reset_less=True)
        sel = {name: Signal(name=f"dbg_sel_{name}") for name in ("imem", "rf", "buf", "status")}
        data = data_served & (space_r == DebugSpace.DATA)
        m.d.sync += [
            imem_q.eq(imem.h_rdata), rf_q.eq(ds.rf_rdata), buf_q.eq(ds.buf_rdata),
            sel["imem"].eq(space_r == DebugSpace.IMEM),
            sel["rf"].eq(data & ds.rf_read), sel["buf"].eq(data & ~ds.rf_read),
            sel["status"].eq(space_r == DebugSpace.STATUS),
        ]
        words = {"imem": imem_q, "rf": rf_q, "buf": buf_q, "status": status_r}
        m.d.comb += dbg.rdata.eq(reduce(operator.or_, (Mux(sel[n], words[n], 0) for n in sel)))
        return m

