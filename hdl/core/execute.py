"""The execute stage: dispatches each instruction to the unit that carries it out.

The execute stage holds the instruction in the fetch unit's ``x_instr`` register until it
retires; the front end stalls meanwhile (``ready`` low). :class:`~hdl.core.dispatch_check.
DispatchCheck` raises the faults an instruction has before it starts. Vector instructions
run on :class:`~hdl.core.vector.VectorPath`, ``ld``/``st`` on
:class:`~hdl.core.transfer.SmemTransfer` (one word per shared-memory handshake; ``ldx``/``stx``
first read their base register here and check and pass on the effective address), ``send``/``recv``
on :class:`~hdl.core.network.NetworkTransfer` (one word per handshake with the tile's network
interface); ``alu_int`` and ``br`` read their two scalars here (the states of
:mod:`~hdl.core.scalar_states`). ``mcu`` starts every masked MCU in the same cycle (each
MCU snapshots its own XBar buffers when it starts, so every operation reads its operands
before any writes) and waits for all of them (the states of :mod:`~hdl.core.mcu_states`). What an OPA or a CRS leaves for
``hlt`` (semantics §5) is the job of :class:`~hdl.core.deferred.DeferredUpdates`: on
variants 1-2 the stage records the operation there and waits while the OPA's operands are
copied to shared memory; on variant 3 it passes OPA and CRS to the MCU at once (its third
copy) and records the MCU for the commit. ``hlt`` hands over to the same unit and halts when
it is done.
"""

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.mcu.replica import REPLICA
from panther.hdl.node.noc_port import CoreNocSignature
from panther.hdl.ports import SharedMemoryPortSignature
from panther.isa.variants import eager_updates

from .alu_int import AluInt
from .branch import BranchCompare
from .constants import ErrorCode
from .data_space import DataPortSignature
from .deferred import DeferredUpdates
from .execute_events import execute_events
from .index_states import index_states
from .layouts import PC_BITS, DecodeLayout, EventLayout
from .mcu_states import mcu_bits, mcu_states
from .network import NetworkTransfer
from .operand_port import OperandPort
from .parameters import check_core_parameters
from .scalar_states import scalar_states
from .transfer import SmemTransfer
from .vector import VectorPath

__all__ = ["Execute"]


class Execute(wiring.Component):
    """Execute stage of the core.

    Parameters
    ----------
    config : PantherConfig
    core_id : int or Value
        Index of the core in its tile: which part of the shared-memory OPA region is its own.
        A ``Value`` (e.g. a core's ``core_id`` input) makes the region's base address a
        function of it, so one generated core serves every position of a tile.

    Members
    -------
    instr : In(DecodeLayout)
    valid : In(1)
    quick : In(1)
        The instruction register and its predecoded flag (from :class:`hdl.core.fetch.Fetch`;
        ``valid`` is low whenever the core is not running).
    ready : Out(1)
        The instruction register may be refilled at this clock edge.
    redirect : Out(1)
    redirect_pc : Out(PC_BITS)
        A ``jmp`` or a taken ``br`` retired in the cycle before (a flip-flop and the
        registered target).
    data : Out(DataPortSignature)
        Operand-space port.
    smem : Out(SharedMemoryPortSignature)
    noc : Out(CoreNocSignature)
        ``send``/``recv`` words, to the tile's network interface.
    mcu_start, mcu_crs, mcu_commit : Out(mcus_per_core)
        One-cycle request strobes per MCU.
    mcu_masks : Out(ArrayLayout(3, mcus_per_core))
        Start mask per MCU (valid with ``mcu_start``).
    mcu_done : In(mcus_per_core)
        The MCUs' one-cycle ``done`` pulses.
    mcu_done_next : In(mcus_per_core)
        The same pulses a cycle ahead (the MCUs' own ``done``, which the core registers into
        ``mcu_done``): the retire decodes its MCU term from them into a flip-flop.
    retire : Out(1)
        An instruction completed (one-cycle pulse; also for ``hlt``).
    halt : Out(1)
        ``hlt`` completed (every deferred update applied).
    fault : Out(1)
    fault_code : Out(ErrorCode)
        One-cycle pulse with the code of the error.
    pc : Out(PC_BITS)
        PC of the instruction in (or last through) this stage.
    x_reset : In(1)
        The core's registered reset of this stage (also its ``ResetInserter``'s): it alone
        clears ``pc`` (reset-less), with no LUT joining it with the domain reset.
    overflow : Out(1)
        Sticky VFU saturation flag.
    deferred : Out(range(deferred_depth + 1))
        Deferred OPA/CRS operations not yet applied.
    smem_waiting : Out(1)
    events : Out(EventLayout)
        What this cycle counts (see :class:`hdl.core.layouts.EventLayout`).

    The core holds this component in reset (``ResetInserter``) while it is not running.
    """

    def __init__(self, *, config, core_id=0):
        check_core_parameters(config, core_id)
        self.config = config
        self.core_id = core_id
        M = config.mcus_per_core
        super().__init__({
            "instr": In(DecodeLayout()), "valid": In(1), "quick": In(1),
            "ready": Out(1),
            "redirect": Out(1), "redirect_pc": Out(PC_BITS),
            "data": Out(DataPortSignature(config)),
            "smem": Out(SharedMemoryPortSignature(config)),
            "noc": Out(CoreNocSignature(config)),
            "mcu_start": Out(M), "mcu_crs": Out(M), "mcu_commit": Out(M),
            "mcu_masks": Out(data.ArrayLayout(3, M)), "mcu_done": In(M),
            "mcu_done_next": In(M),
            "retire": Out(1), "halt": Out(1), "fault": Out(1), "fault_code": Out(ErrorCode),
            "pc": Out(PC_BITS), "x_reset": In(1), "overflow": Out(1),
            "deferred": Out(range(config.deferred_depth + 1)), "smem_waiting": Out(1),
            "events": Out(EventLayout(config)),
        })

    def elaborate(self, platform):
        c = self.config
        m = Module()
        M = c.mcus_per_core
        v3 = eager_updates(c)              # variant 3: OPA and CRS go to the MCU at once
        ins = self.instr
        op, vw = ins.op, ins.vw

        m.submodules.vector = vec = VectorPath(config=c)
        m.submodules.transfer = xfer = SmemTransfer(config=c)
        m.submodules.network = net = NetworkTransfer(config=c)
        m.submodules.deferred = dfr = DeferredUpdates(config=c, core_id=self.core_id)
        m.submodules.alu_int = alu = AluInt(config=c, mul_operands=True)
        m.submodules.branch = br = BranchCompare(config=c)
        m.d.comb += [vec.instr.eq(ins), net.instr.eq(ins),
                     dfr.mcu_done.eq(self.mcu_done),
                     self.deferred.eq(dfr.deferred), self.smem_waiting.eq(xfer.smem_waiting)]

        # The operand-space port belongs to the transfer, the vector path or the network path
        # while they run, else to this stage (`dp`), by ownership flip-flops; the
        # shared-memory port to the transfers, the NoC port to the network path.
        m.submodules.port = port = OperandPort(config=c)
        dp = DataPortSignature(c).create(path=("x_dp",))
        transfer = xfer.request         # ld/st from here, the deferred updates' copies
        for unit, name in ((xfer.data, "transfer"), (vec.data, "vector"), (net.data, "network"),
                           (dp, "own")):
            wiring.connect(m, unit, getattr(port, name))
        wiring.connect(m, wiring.flipped(self.data), port.port)
        net_own = Signal(name="x_net_own")     # the network's port from its `start` cycle on
        m.d.comb += [port.start.eq(Cat(transfer.start, vec.start, net_own)),
                     port.end.eq(Cat(transfer.done, vec.done | vec.fault, net.done))]
        wiring.connect(m, wiring.flipped(self.smem), xfer.smem)
        wiring.connect(m, wiring.flipped(self.noc), net.noc)
        m.d.comb += dfr.copy.done.eq(transfer.done)
        # The units' starts are flip-flops (issue 20): `x_xfer_go` / `x_vec_go` are set by
        # the dispatch decision and start the transfer / vector unit in the next cycle (one
        # cycle per ld/st/ldx/stx and per cp/alu/alui). ld/st's fields come from the
        # instruction register (held until the retire) and `ea`; the deferred unit's copies,
        # whose requests are registered too (`dfr.copy.start` a flip-flop), override them.
        # `x_net_go` starts send/recv likewise, at no cost: the unit does its first cycle in it.
        xfer_go, vec_go = Signal(name="x_xfer_go"), Signal(name="x_vec_go")
        net_go = Signal(name="x_net_go")
        m.d.sync += [xfer_go.eq(0), vec_go.eq(0), net_go.eq(0)]
        m.d.comb += [transfer.start.eq(xfer_go), vec.start.eq(vec_go), net.start.eq(net_go)]
        ea = Signal(c.SMEM_ADDR_BITS + 1, name="x_ea", reset_less=True)  # ldx/stx, registered
        store = op.st | op.stx
        m.d.comb += [transfer.store.eq(store), transfer.words.eq(vw),
                     transfer.smem_addr.eq(Mux(op.ldx | op.stx, ea, ins.saddr)),
                     transfer.data_addr.eq(Mux(store, ins.src, ins.dst)),
                     transfer.count.eq(ins.count)]
        with m.If(dfr.copy.start):
            wiring.connect(m, dfr.copy, transfer)

        code = Signal(ErrorCode, name="x_code", reset_less=True)
        pending = Signal(M, name="x_pending")
        pending_next = Signal(M, name="x_pending_next")   # assigned by the MCU states
        m.d.comb += pending_next.eq(pending)
        m.d.sync += pending.eq(pending_next)
        # `retire` (the front end's enables: `ready`) from registers and the units' `done`
        # alone, no state or operation decode (issue 20): `at_dispatch` is the FSM's DISPATCH
        # as a flip-flop, `unit` marks a wait for the vector, transfer or network unit's
        # `done`, `ret_r` a state that retires whatever happens (set on the way into it),
        # `pending` (not 0) MCU_WAIT. The FSM's `retire()` only chooses the next state.
        at_dispatch = Signal(init=1, name="x_at_dispatch")
        unit, ret_r = Signal(name="x_unit"), Signal(name="x_ret_r")
        no_start = Signal(name="x_no_start", reset_less=True)
        crs_none = Signal(name="x_crs_none", reset_less=True)
        m.d.sync += ret_r.eq(0)

        # `halt` and `fault` are flip-flops set on the way into HALT / FAULT (high exactly in
        # those states): the core's stop reaches the front end's `running` and the instruction
        # memory's enable from registers, not from a decode of the state (retire).
        halt, faulted = Signal(name="x_halt"), Signal(name="x_fault")
        m.d.sync += [halt.eq(0), faulted.eq(0)]
        m.d.comb += [self.halt.eq(halt), self.fault.eq(faulted), dfr.clear.eq(halt)]
        with m.If(faulted):
            m.d.comb += self.fault_code.eq(code)

        def fault(what):
            m.d.sync += [code.eq(what), ret_r.eq(0), faulted.eq(1)]
            m.next = "FAULT"

        def retire():
            m.next = "DISPATCH"

        def start_transfer():
            """Start ld/st in the next cycle (ldx/stx: at the registered effective address)."""
            m.d.sync += [unit.eq(1), xfer_go.eq(1)]
            m.next = "TRANSFER"

        taken = Signal(name="x_taken")
        go = Signal(name="x_go")        # DISPATCH dispatches the instruction register
        # `valid` is low while the core is not running (the front end clears it at the edge
        # the core stops), so `running` is not a term here (issue 20: it added a level and a
        # long route before `retire`, `ready` and the front end's enables).
        # A unit's `done` is known a cycle ahead (its flip-flop's input, `done_next`), and so
        # is the MCUs' (`mcu_done_next`, the input of the core's `done` registers) with the
        # MCUs still to answer (`pending_next`; `pending` is not 0 exactly in MCU_WAIT), so
        # `x_wait_done` registers "a unit or every MCU this stage waits for is done" and
        # `retire` reads one flip-flop for them (the network and vector units are started by
        # this stage alone; the transfer's `done` also ends the deferred unit's copies:
        # `unit`). The core's `mcu*_done_r`, placed between the MCU and the core, reached
        # `retire` through a 4.4 ns route (docs/synthesis.md, "frontq").
        wait_done = Signal(name="x_wait_done")
        mcus_done = (pending_next != 0) & ((pending_next & ~self.mcu_done_next) == 0)
        m.d.sync += wait_done.eq(unit & xfer.done_next | net.done_next | vec.done_next
                                 | mcus_done)
        # Written as two LUTs into one for Yosys: `ready` (~valid | retire) is not a LUT after
        # `retire`, and `go` is not shared into them.
        ahead = Signal(name="x_ret_ahead")        # ret_r and wait_done: registers
        m.d.comb += [go.eq(at_dispatch & self.valid & ~taken),
                     ahead.eq(ret_r | wait_done),
                     self.retire.eq(at_dispatch & self.valid & ~taken & self.quick | ahead),
                     self.ready.eq(~self.valid | at_dispatch & ~taken & self.quick | ahead)]
        m.d.sync += at_dispatch.eq(self.retire & ~self.halt | at_dispatch & ~go)
        with m.If(transfer.done | net.done | vec.done | vec.fault):
            m.d.sync += unit.eq(0)
        _, start_bits, crs_bits = mcu_bits(config=c, ins=ins)
        vfu_ovf = Signal(name="x_vfu_ovf")
        pc = Signal(PC_BITS, name="x_pc", reset_less=True)
        m_idx = Signal(range(max(2, M + 1)), name="x_m_idx", reset_less=True)
        # alu_int/br operands: a copy per consumer (REPLICA: not merged), loaded alike by the
        # scalar states: the ALU's other functions (`a_reg`, also ldx/stx's base), its
        # multiplier in the DSP column (`_mul`), the branch compare (`_br`) ("brcmp").
        a_reg, b_reg, a_mul, b_mul, a_br, b_br = (
            Signal(signed(c.data_bits), name=f"x_{x}_{u}", reset_less=True, attrs=REPLICA)
            for u in ("reg", "mul", "br") for x in "ab")
        br_w = Signal(name="x_br_w")        # set in a branch's SCALAR_W only
        ea_limit = Signal(signed(c.SMEM_ADDR_BITS + 2), name="x_ea_limit",  # ldx/stx
                          reset_less=True)
        mcu_started = Signal(name="x_mcu_started")     # an mcu instruction starts its MCUs
        # This stage's MCU requests (mcu, crs) and the deferred unit's (hlt) are never made in
        # the same cycle: ORed, not selected by the state (issue 20).
        own_start, own_crs = Signal(M, name="x_own_start"), Signal(M, name="x_own_crs")
        own_masks = Signal.like(self.mcu_masks, name="x_own_masks")
        m.d.comb += [self.mcu_start.eq(own_start | dfr.mcu_start),
                     self.mcu_crs.eq(own_crs | dfr.mcu_crs), self.mcu_commit.eq(dfr.mcu_commit)]
        m.d.comb += [self.mcu_masks[k].eq(own_masks[k] | dfr.mcu_masks[k]) for k in range(M)]
        # This stage's operand address depends on registers alone, not on the dispatch
        # decisions (valid, the fault, the operations' priority) or the state: the XBar
        # buffers' read select takes it in the same cycle (issue 20). DISPATCH reads the base
        # of ldx/stx or writes the immediate of set (`dp_addr`, decoded: a register of its
        # own, not the fields' wide fan-out ones); alu_int and br read src1, src2 and write
        # dst from `s_addr`, loaded a state ahead (`scalar` marks those states).
        s_addr = Signal(c.ADDR_BITS, name="x_s_addr", reset_less=True)
        scalar = Signal(name="x_scalar")
        m.d.comb += dp.addr.eq(Mux(scalar, s_addr, ins.dp_addr))
        m.d.comb += [self.overflow.eq(vfu_ovf), self.pc.eq(pc),
                     alu.fn.eq(ins.fn), br.cond.eq(ins.cond),
                     alu.a.eq(a_reg), alu.b.eq(b_reg),     # not per state: no mux in front
                     alu.mul_a.eq(a_mul), alu.mul_b.eq(b_mul), br.a.eq(a_br), br.b.eq(b_br)]
        # A branch retires in SCALAR_W whatever it decides and registers the decision
        # (`taken`) and its target: a taken one redirects in the next cycle, which DISPATCH
        # spends on it (the instruction register then holds a wrong-path instruction), so the
        # comparator reaches no redirect, retire or front-end enable (issue 20). A `jmp`
        # does the same from DISPATCH: `redirect` and its PC are flip-flops, so the dispatch
        # decision reaches none of the front end's PC, valid bits or memory enable.
        target = Signal.like(ins.target, name="x_target", reset_less=True)
        m.d.sync += [taken.eq(0), target.eq(ins.target)]
        m.d.sync += br_w.eq(0)
        with m.If(br_w):        # a flip-flop, not the state decode, selects the compare
            m.d.sync += taken.eq(br.taken)
        m.d.comb += [self.redirect.eq(taken), self.redirect_pc.eq(target)]
        with m.If(vec.overflow):
            m.d.sync += vfu_ovf.eq(1)

        # The dispatch read of ldx/stx (their base) from the instruction register's
        # operation bits (one-hot: one opcode) and its fault, not the end of the priority
        # chain below: the operand space's read flags see a shallow `re` (section "dsport").
        dispatch_re = Signal(name="x_dispatch_re")
        no_fault = ins.fault == ErrorCode.NONE
        m.d.comb += dispatch_re.eq(go & no_fault & (op.ldx | op.stx))
        # The stage's other requests to the operand port likewise, from flip-flops and the
        # instruction register, not from the state or the priority chain (section "dispreq"):
        # set writes on `go & quick & set` (`quick`: no fault, retires in DISPATCH; a set
        # with its dst out of range is not quick), its word `sat(imm)` whenever `scalar` is
        # low; the scalar states' reads (SCALAR_A, SCALAR_B) and write (SCALAR_R) are marked
        # by flip-flops set on the way into them (`x_rd_a`, `x_rd_b`, `x_wr_r`); `net_own`
        # (the network takes the port) is the dispatch of send/recv without fault.
        set_we = Signal(name="x_set_we")
        rd_a, rd_b = Signal(name="x_rd_a"), Signal(name="x_rd_b")
        wr_r = Signal(name="x_wr_r")
        sat_imm = Signal.like(dp.wdata, name="x_sat_imm")
        m.d.comb += [set_we.eq(go & self.quick & op.set),
                     net_own.eq(go & no_fault & (op.send | op.recv)), sat_imm.eq(ins.imm)]
        m.d.sync += [rd_a.eq(go & no_fault & (op.alu_int | op.br)), rd_b.eq(rd_a)]
        if c.data_bits < len(ins.imm):              # sat(imm) as the golden model
            lo, hi = -(1 << (c.data_bits - 1)), (1 << (c.data_bits - 1)) - 1
            with m.If(ins.imm > hi):
                m.d.comb += sat_imm.eq(hi)
            with m.If(ins.imm < lo):
                m.d.comb += sat_imm.eq(lo)
        with m.FSM(name="x_fsm") as fsm:
            with m.State("DISPATCH"):
                with m.If(go):
                    m.d.sync += [pc.eq(ins.pc), m_idx.eq(0), no_start.eq(start_bits == 0),
                                 crs_none.eq(crs_bits == 0 if v3 else 1)]
                    with m.If(ins.fault != ErrorCode.NONE):
                        fault(ins.fault)
                    with m.Elif(op.nop):
                        retire()
                    with m.Elif(op.jmp):
                        m.d.sync += taken.eq(1)     # redirects in the next cycle
                        retire()
                    with m.Elif(op.set):                    # writes: `set_we` above
                        if c.data_bits < len(ins.imm):          # saturated
                            with m.If(sat_imm != ins.imm):
                                m.d.sync += vfu_ovf.eq(1)
                        retire()
                    with m.Elif(op.cp | op.alu | op.alui):
                        m.d.sync += [unit.eq(1), vec_go.eq(1)]
                        m.next = "VECTOR"
                    with m.Elif(op.ld | op.st):
                        start_transfer()
                    with m.Elif(op.ldx | op.stx):           # reads: `dispatch_re` above
                        m.d.sync += ea_limit.eq(c.smem_user_depth - ins.saddr - vw)
                        m.next = "INDEX_R"
                    with m.Elif(op.send | op.recv):         # the port: `net_own` above
                        m.d.sync += [unit.eq(1), net_go.eq(1)]
                        m.next = "NETWORK"
                    with m.Elif(op.alu_int | op.br):
                        m.d.sync += [s_addr.eq(ins.src1), scalar.eq(1)]
                        m.next = "SCALAR_A"
                    with m.Elif(op.mcu):
                        m.next = "MCU_SCAN"
                    with m.Elif(op.crs):
                        m.next = "CRS_SCAN"
                    with m.Elif(op.hlt):
                        m.d.comb += dfr.hlt.eq(1)
                        m.next = "HLT_WAIT"

            with m.State("VECTOR"):
                with m.If(vec.fault):
                    fault(ErrorCode.ADDRESS_RANGE)
                with m.Elif(vec.done):
                    retire()

            # -- ldx/stx: the base, the effective address (hdl/core/index_states.py) ------
            index_states(m, ins=ins, rdata=dp.rdata, base=a_reg, ea=ea, ea_limit=ea_limit,
                         fault=fault, start_transfer=start_transfer)

            with m.State("TRANSFER"):
                with m.If(transfer.done):
                    retire()

            with m.State("NETWORK"):
                with m.If(net.done):
                    retire()

            # -- scalar: alu_int and branches (hdl/core/scalar_states.py) -----------------
            scalar_states(m, ins=ins, rdata=dp.rdata, s_addr=s_addr, scalar=scalar,
                          a_regs=(a_reg, a_mul, a_br), b_regs=(b_reg, b_mul, b_br), br_w=br_w,
                          alu=alu, ret_r=ret_r, retire=retire)

            # -- mcu and crs ------------------------------------------------------------------
            mcu_states(m, config=c, ins=ins, dfr=dfr, transfer=transfer, m_idx=m_idx,
                       pending=pending, pending_next=pending_next,
                       mcu_done=self.mcu_done, ret_r=ret_r,
                       no_start=no_start, crs_none=crs_none, own_start=own_start,
                       own_crs=own_crs, own_masks=own_masks, mcu_started=mcu_started,
                       fault=fault, retire=retire)

            # -- hlt ----------------------------------------------------------------------
            with m.State("HLT_WAIT"):
                # The deferred-update unit applies every update, with the MCU requests it
                # takes (it makes them only after `hlt`: they are ORed in below).
                with m.If(dfr.done):
                    m.d.sync += [ret_r.eq(1), halt.eq(1)]
                    m.next = "HALT"

            with m.State("HALT"):               # `halt` is high
                m.next = "STOPPED"

            with m.State("FAULT"):              # `fault` is high
                m.next = "STOPPED"

            with m.State("STOPPED"):
                pass

        with m.If(self.x_reset):        # last: it overrides the dispatch's load
            m.d.sync += pc.eq(0)
        # SCALAR_W of an alu_int always goes to SCALAR_R for one cycle, DISPATCH of
        # alu_int/br to SCALAR_A, then B.
        m.d.sync += wr_r.eq(fsm.ongoing("SCALAR_W") & op.alu_int)
        m.d.comb += [dp.re.eq(dispatch_re | rd_a | rd_b), dp.we.eq(set_we | wr_r),
                     dp.wdata.eq(Mux(scalar, alu.result, sat_imm))]

        # -- events (counted by the core) ----------------------------------------------------
        execute_events(m, config=c, ev=self.events, ins=ins, retire=self.retire,
                       data_port=self.data, smem=self.smem, net=net, silent=dfr.silent,
                       mcu_masks=self.mcu_masks, mcu_started=mcu_started)
        return m
