"""The execute stage: one multi-cycle state machine per instruction class.

The execute stage holds the instruction in the fetch unit's ``x_instr`` register until it
retires; the front end stalls meanwhile (``ready`` low). Vector instructions gather every
source element into :class:`hdl.core.staging.VectorStaging` buffers before writing any
destination word (the ISA's read-before-write rule), run the VFU one row of ``vfu_lanes``
words per cycle and scatter the results word by word. ``ld``/``st`` move one word per
shared-memory handshake (``ldx``/``stx`` first read their base register and latch the effective
address), ``send``/``recv`` one word per handshake with the tile's network interface. ``mcu``
starts every masked MCU in the same cycle (each MCU snapshots
its own XBar buffers when it starts, so every operation reads its operands before any writes)
and waits for all of them. On variants 1-2 an OPA saves its XBarIn and XBarOut vectors into
the core's slot of the shared-memory OPA region through the load/store path, and ``hlt``
loads them back and replays the OPAs and CRSs in program order; variant 3 passes OPA and CRS
to the MCU at once (its third copy) and commits at ``hlt`` (semantics §5).
"""

from amaranth.hdl import Array, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.node.noc_port import CoreNocSignature
from panther.hdl.tile.smem_port import SharedMemoryPortSignature
from panther.isa.table import ALU_BY_NAME, MCU_OPS

from .alu_int import AluInt
from .branch import BranchCompare
from .constants import ErrorCode
from .data_space import DataPortSignature
from .layouts import PC_BITS, DecodeLayout, EventLayout
from .staging import MAX_VW, VectorStaging
from .vfu import VFU

__all__ = ["Execute"]

_OP = dict(MCU_OPS)


class Execute(wiring.Component):
    """Execute stage of the core.

    Parameters
    ----------
    config : PantherConfig
    core_id : int
        Index of the core in its tile: which part of the shared-memory OPA region is its own.

    Members
    -------
    instr : In(DecodeLayout)
    valid : In(1)
        The instruction register (from :class:`hdl.core.fetch.Fetch`).
    ready : Out(1)
        The instruction register may be refilled at this clock edge.
    running : In(1)
    redirect : Out(1)
    redirect_pc : Out(PC_BITS)
        A taken ``br`` or a ``jmp`` retires.
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
    retire : Out(1)
        An instruction completed (one-cycle pulse; also for ``hlt``).
    halt : Out(1)
        ``hlt`` completed (every deferred update applied).
    fault : Out(1)
    fault_code : Out(ErrorCode)
        One-cycle pulse with the code of the error.
    pc : Out(PC_BITS)
        PC of the instruction in (or last through) this stage.
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
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if not (isinstance(core_id, int) and not isinstance(core_id, bool)
                and 0 <= core_id < config.cores_per_tile):
            raise ValueError(f"core_id must be an integer from 0 to {config.cores_per_tile - 1}, "
                             f"not {core_id!r}")
        self.config = config
        self.core_id = core_id
        M = config.mcus_per_core
        super().__init__({
            "instr": In(DecodeLayout()), "valid": In(1), "ready": Out(1), "running": In(1),
            "redirect": Out(1), "redirect_pc": Out(PC_BITS),
            "data": Out(DataPortSignature(config)),
            "smem": Out(SharedMemoryPortSignature(config)),
            "noc": Out(CoreNocSignature(config)),
            "mcu_start": Out(M), "mcu_crs": Out(M), "mcu_commit": Out(M),
            "mcu_masks": Out(data.ArrayLayout(3, M)), "mcu_done": In(M),
            "retire": Out(1), "halt": Out(1), "fault": Out(1), "fault_code": Out(ErrorCode),
            "pc": Out(PC_BITS), "overflow": Out(1),
            "deferred": Out(range(config.deferred_depth + 1)), "smem_waiting": Out(1),
            "events": Out(EventLayout(config)),
        })

    def elaborate(self, platform):
        c = self.config
        m = Module()
        M, n, L = c.mcus_per_core, c.xbar_size, c.vfu_lanes
        depth = c.deferred_depth
        entry_log = (2 * n).bit_length() - 1          # 2n words per deferred entry
        v3 = c.variant == 3
        ins = self.instr
        op = ins.op
        vw = ins.vw

        m.submodules.vfu = vfu = VFU(config=c)
        m.submodules.alu_int = alu = AluInt(config=c)
        m.submodules.branch = br = BranchCompare(config=c)
        m.submodules.stage_a = sa = VectorStaging(config=c)
        m.submodules.stage_b = sb = VectorStaging(config=c)

        dp, sm = self.data, self.smem

        # -- helpers -----------------------------------------------------------------------
        def fits(addr, width):
            return (addr + width) <= c.addr_space

        def smem_fits(addr, width):
            return (addr + width) <= c.smem_user_depth

        code = Signal(ErrorCode, name="x_code")

        def fault(m_, what):
            m_.d.sync += code.eq(what)
            m_.next = "FAULT"

        def retire():
            m.d.comb += self.retire.eq(1)
            m.next = "DISPATCH"

        m.d.comb += self.ready.eq(~self.valid | self.retire)

        masks = [ins[f"m{k}"] for k in range(6)]        # fields of the ISA table
        missing = Const(0, 1)
        for k in range(M, 6):
            missing = missing | (masks[k] != 0)
        crs_missing = (ins.mask >> M) != 0 if M < 6 else Const(0, 1)

        # -- registers ---------------------------------------------------------------------
        i = Signal(range(MAX_VW + 2), name="x_i")      # element being issued
        row = Signal(range(sa.rows + 1), name="x_row")
        lane = Signal(range(L), name="x_lane")
        pend = Signal(name="x_pend")                   # an issued read returns this cycle
        p_i = Signal(range(MAX_VW + 2), name="x_p_i")
        p_row = Signal(range(sa.rows + 1), name="x_p_row")
        p_lane = Signal(range(L), name="x_p_lane")
        vfu_ovf = Signal(name="x_vfu_ovf")
        m.d.comb += self.overflow.eq(vfu_ovf)
        pc = Signal(PC_BITS, name="x_pc")
        m.d.comb += self.pc.eq(pc)

        dcount = Signal(range(depth + 1), name="x_dcount")
        m.d.comb += self.deferred.eq(dcount)
        tag_crs = Signal(depth, name="x_tag_crs")
        tag_mcu = Array(Signal(range(max(2, M)), name=f"x_tag_mcu{k}") for k in range(depth))
        opa_used = Signal(M, name="x_opa_used")
        dirty = Signal(M, name="x_dirty")
        m_idx = Signal(range(max(2, M + 1)), name="x_m_idx")
        e_idx = Signal(range(depth + 1), name="x_e_idx")
        pending = Signal(M, name="x_pending")
        a_reg = Signal(signed(c.data_bits), name="x_a_reg")
        st_word = Signal(signed(c.data_bits), name="x_st_word")

        # Copy engine (operand space <-> the core's shared-memory OPA region), run by the
        # LD/ST states with cp_mode set: 2n words, count 1 (loaded back exactly once).
        cp_mode = Signal(name="x_cp_mode")
        cp_data_base = Signal(c.ADDR_BITS, name="x_cp_data_base")
        cp_smem_base = Signal(c.SMEM_ADDR_BITS, name="x_cp_smem_base")
        cp_cont = Signal(2, name="x_cp_cont")          # 0 snapshot, 1 save, 2 replay, 3 restore
        CONT_SNAP, CONT_SAVE, CONT_REPLAY, CONT_RESTORE = range(4)
        region = c.opa_slot_base(self.core_id, 0) if not v3 else 0

        def slot_base(slot):
            return region + (slot << entry_log)

        def start_copy(m_, *, data, slot, cont, to_smem):
            m_.d.sync += [cp_mode.eq(1), cp_data_base.eq(data), cp_smem_base.eq(slot_base(slot)),
                          cp_cont.eq(cont), i.eq(0)]
            m_.next = "ST_READ" if to_smem else "LD"

        xfer_last = Signal(name="x_xfer_last")
        m.d.comb += xfer_last.eq(Mux(cp_mode, i == 2 * n - 1, i == vw - 1))
        # ldx/stx: the effective address (M[base] mod 2**B) + saddr, latched once.
        indexed = Signal(name="x_indexed")
        m.d.comb += indexed.eq(op.ldx | op.stx)
        ea = Signal(c.SMEM_ADDR_BITS + 1, name="x_ea")
        ld_saddr = Mux(cp_mode, cp_smem_base, Mux(indexed, ea, ins.saddr))
        ld_dst = Mux(cp_mode, cp_data_base, ins.dst)
        st_src = Mux(cp_mode, cp_data_base, ins.src)
        st_count = Mux(cp_mode, 1, ins.count)

        def copy_done(m_):
            m_.d.sync += cp_mode.eq(0)
            with m_.Switch(cp_cont):
                with m_.Case(CONT_SNAP):
                    m_.next = "MCU_SCAN"
                with m_.Case(CONT_SAVE):
                    m_.next = "HLT_SAVE"
                with m_.Case(CONT_REPLAY):
                    m_.next = "REPLAY_START"
                with m_.Case(CONT_RESTORE):
                    m_.next = "HLT_RESTORE"

        def transfer_done(m_):
            if v3:
                retire()
            else:
                with m_.If(cp_mode):
                    copy_done(m_)
                with m_.Else():
                    retire()

        def start_vector_loop(m_):
            m_.d.sync += [i.eq(0), row.eq(0), lane.eq(0), pend.eq(0)]

        def advance_index():
            m.d.sync += [i.eq(i + 1), p_i.eq(i), p_row.eq(row), p_lane.eq(lane), pend.eq(1)]
            with m.If(lane == L - 1):
                m.d.sync += [lane.eq(0), row.eq(row + 1)]
            with m.Else():
                m.d.sync += lane.eq(lane + 1)

        def data_base(mcu_index):
            return c.rf_depth + (mcu_index << entry_log)

        mask_of = Array(masks[:M])

        one_hot_lane = Signal(L, name="x_one_hot_lane")
        m.d.comb += one_hot_lane.eq(1 << p_lane)

        # Compute pipeline tags.
        c_base = Signal(range(MAX_VW + L + 1), name="x_c_base")  # element index of the row being read
        s1_valid = Signal(name="x_s1_valid")
        s1_base = Signal.like(c_base, name="x_s1_base")
        s1_row = Signal.like(row, name="x_s1_row")
        s2_base = Signal.like(c_base, name="x_s2_base")
        s2_row = Signal.like(row, name="x_s2_row")

        noc_sent = Signal(name="x_noc_sent")           # a send word leaves
        noc_flit = Signal(name="x_noc_flit")           # ... and starts a flit
        noc_received = Signal(name="x_noc_received")   # a recv word arrives
        hlt_copy = Signal(name="x_hlt_copy")           # a copy hlt makes: no operand event
        mcu_started = Signal(name="x_mcu_started")     # an mcu instruction starts its MCUs
        is_sna = Signal(name="x_is_sna")
        m.d.comb += is_sna.eq(op.alui & (ins.fn == ALU_BY_NAME["sna"].code))

        m.d.comb += [
            vfu.i_fn.eq(ins.fn),
            alu.fn.eq(ins.fn), br.cond.eq(ins.cond),
            self.redirect_pc.eq(ins.target),
        ]
        for k in range(L):
            m.d.comb += [vfu.i_a[k].eq(sa.r_data[k]), vfu.i_d[k].eq(sb.r_data[k]),
                         vfu.i_b[k].eq(sb.r_data[k])]
            with m.If(op.alui):
                m.d.comb += vfu.i_b[k].eq(ins.imm)
            m.d.comb += [sa.w_data[k].eq(dp.rdata), sb.w_data[k].eq(dp.rdata)]

        # -- the state machine -------------------------------------------------------------
        with m.FSM(name="x_fsm"):
            with m.State("DISPATCH"):
                with m.If(self.valid & self.running):
                    m.d.sync += pc.eq(ins.pc)
                    start_vector_loop(m)
                    m.d.sync += m_idx.eq(0)
                    with m.If(ins.fault != ErrorCode.NONE):
                        fault(m, ins.fault)
                    with m.Elif(op.nop):
                        retire()
                    with m.Elif(op.jmp):
                        m.d.comb += self.redirect.eq(1)
                        retire()
                    with m.Elif(op.set):
                        with m.If(~fits(ins.dst, 1)):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Else():
                            m.d.comb += [dp.addr.eq(ins.dst), dp.we.eq(1), dp.wdata.eq(ins.imm)]
                            if c.data_bits < len(ins.imm):      # sat(imm) as the golden model
                                lo, hi = -(1 << (c.data_bits - 1)), (1 << (c.data_bits - 1)) - 1
                                with m.If(ins.imm > hi):
                                    m.d.comb += dp.wdata.eq(hi)
                                    m.d.sync += vfu_ovf.eq(1)
                                with m.If(ins.imm < lo):
                                    m.d.comb += dp.wdata.eq(lo)
                                    m.d.sync += vfu_ovf.eq(1)
                            retire()
                    with m.Elif(op.cp):
                        with m.If(~fits(ins.src, vw) | ~fits(ins.dst, vw)):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Else():
                            m.next = "GATHER_A"
                    with m.Elif(op.alu | op.alui):
                        with m.If(~fits(ins.src1, vw) | (op.alu & ~fits(ins.src2, vw))
                                  | (is_sna & ~fits(ins.dst, vw))):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Else():
                            m.next = "GATHER_A"
                    with m.Elif(op.ld):
                        with m.If(~smem_fits(ins.saddr, vw)):
                            fault(m, ErrorCode.SMEM_ADDRESS_RANGE)
                        with m.Elif(~fits(ins.dst, vw)):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Else():
                            m.next = "LD"
                    with m.Elif(op.st):
                        with m.If(~smem_fits(ins.saddr, vw)):
                            fault(m, ErrorCode.SMEM_ADDRESS_RANGE)
                        with m.Elif(~fits(ins.src, vw)):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Else():
                            m.next = "ST_READ"
                    with m.Elif(indexed):
                        with m.If(~fits(ins.base, 1)):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Else():
                            m.d.comb += [dp.addr.eq(ins.base), dp.re.eq(1)]
                            m.next = "INDEX"
                    with m.Elif(op.send | op.recv):
                        with m.If((ins.tile >= c.tiles_per_node) | (ins.core >= c.cores_per_tile)):
                            fault(m, ErrorCode.NO_SUCH_TILE)
                        with m.Elif(~fits(Mux(op.send, ins.src, ins.dst), vw)):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Elif(op.send):
                            m.next = "SEND_READ"
                        with m.Else():
                            m.next = "RECV"
                    with m.Elif(op.alu_int | op.br):
                        with m.If(~fits(ins.src1, 1) | ~fits(ins.src2, 1)
                                  | (op.alu_int & ~fits(ins.dst, 1))):
                            fault(m, ErrorCode.ADDRESS_RANGE)
                        with m.Else():
                            m.next = "SCALAR_A"
                    with m.Elif(op.mcu):
                        with m.If(missing):
                            fault(m, ErrorCode.NO_SUCH_MCU)
                        with m.Else():
                            m.next = "MCU_SCAN"
                    with m.Elif(op.crs):
                        with m.If(crs_missing):
                            fault(m, ErrorCode.NO_SUCH_MCU)
                        with m.Else():
                            m.next = "CRS_SCAN"
                    with m.Elif(op.hlt):
                        m.next = "HLT_COMMIT" if v3 else "HLT_SAVE"
                    with m.Else():
                        fault(m, ErrorCode.ILLEGAL_INSTRUCTION)

            # -- vectors: gather, compute, scatter ------------------------------------------
            for name, stage in (("GATHER_A", sa), ("GATHER_B", sb)):
                with m.State(name):
                    if name == "GATHER_A":
                        src = Signal(c.ADDR_BITS, name="x_gather_a_src")
                        m.d.comb += src.eq(ins.src1)
                        with m.If(op.cp):
                            m.d.comb += src.eq(ins.src)
                    else:
                        src = Signal(c.ADDR_BITS, name="x_gather_b_src")
                        m.d.comb += src.eq(ins.src2)
                        with m.If(op.alui):
                            m.d.comb += src.eq(ins.dst)
                    with m.If(i < vw):
                        m.d.comb += [dp.addr.eq(src + i), dp.re.eq(1)]
                        advance_index()
                    with m.Else():
                        m.d.sync += pend.eq(0)
                    with m.If(pend):
                        m.d.comb += [stage.w_row.eq(p_row), stage.w_lanes.eq(one_hot_lane)]
                    with m.If((i >= vw) & ~pend):
                        start_vector_loop(m)
                        m.d.sync += [c_base.eq(0), s1_valid.eq(0)]
                        if name == "GATHER_A":
                            with m.If(op.cp):
                                m.next = "SCATTER"
                            with m.Elif(op.alu | is_sna):
                                m.next = "GATHER_B"
                            with m.Else():
                                m.next = "COMPUTE"
                        else:
                            m.next = "COMPUTE"

            with m.State("COMPUTE"):
                # Stage 0: read row; stage 1: VFU inputs; stage 2: VFU outputs -> staging A.
                with m.If(c_base < vw):
                    m.d.comb += [sa.r_en.eq(1), sb.r_en.eq(1), sa.r_row.eq(row),
                                 sb.r_row.eq(row)]
                    m.d.sync += [row.eq(row + 1), c_base.eq(c_base + L)]
                m.d.sync += [s1_valid.eq(c_base < vw), s1_base.eq(c_base), s1_row.eq(row),
                             s2_base.eq(s1_base), s2_row.eq(s1_row)]
                m.d.comb += vfu.i_valid.eq(s1_valid)
                with m.If(vfu.o_valid):
                    m.d.comb += [sa.w_row.eq(s2_row), sa.w_lanes.eq((1 << L) - 1)]
                    for k in range(L):
                        m.d.comb += sa.w_data[k].eq(vfu.o_result[k])
                        with m.If(vfu.o_overflow[k] & (s2_base + k < vw)):
                            m.d.sync += vfu_ovf.eq(1)
                with m.If((c_base >= vw) & ~s1_valid & ~vfu.o_valid):
                    start_vector_loop(m)
                    m.d.sync += row.eq(0)
                    m.next = "DST_CHECK"

            with m.State("DST_CHECK"):
                # After the results (and their overflow): as the golden model writes last.
                with m.If(~fits(ins.dst, vw)):
                    fault(m, ErrorCode.ADDRESS_RANGE)
                with m.Else():
                    m.next = "SCATTER"

            with m.State("SCATTER"):
                with m.If(i < vw):
                    m.d.comb += [sa.r_en.eq(1), sa.r_row.eq(row)]
                    advance_index()
                with m.Else():
                    m.d.sync += pend.eq(0)
                with m.If(pend):
                    m.d.comb += [dp.addr.eq(ins.dst + p_i), dp.we.eq(1),
                                 dp.wdata.eq(sa.r_data[p_lane])]
                with m.If((i >= vw) & ~pend):
                    retire()

            # -- shared memory -----------------------------------------------------------
            # (also the copy engine's transfers, with cp_mode set)
            with m.State("LD"):
                m.d.comb += [sm.req.eq(1), sm.write.eq(0), sm.addr.eq(ld_saddr + i),
                             self.smem_waiting.eq(~sm.ack)]
                with m.If(sm.ack):
                    m.d.comb += [dp.addr.eq(ld_dst + i), dp.we.eq(1), dp.wdata.eq(sm.rdata)]
                    m.d.sync += i.eq(i + 1)
                    with m.If(xfer_last):
                        transfer_done(m)

            with m.State("INDEX"):
                # The base word arrives: check and latch the effective address, in the golden
                # model's order (shared-memory range, then the core vector).
                ea_now = Signal.like(ea, name="x_ea_now")
                m.d.comb += ea_now.eq(dp.rdata.as_unsigned() + ins.saddr)
                m.d.sync += ea.eq(ea_now)
                with m.If(~smem_fits(ea_now, vw)):
                    fault(m, ErrorCode.SMEM_ADDRESS_RANGE)
                with m.Elif(~fits(Mux(op.ldx, ins.dst, ins.src), vw)):
                    fault(m, ErrorCode.ADDRESS_RANGE)
                with m.Elif(op.ldx):
                    m.next = "LD"
                with m.Else():
                    m.next = "ST_READ"

            with m.State("ST_READ"):
                m.d.comb += [dp.addr.eq(st_src + i), dp.re.eq(1)]
                m.next = "ST_LATCH"
            with m.State("ST_LATCH"):
                m.d.sync += st_word.eq(dp.rdata)
                m.next = "ST"
            with m.State("ST"):
                m.d.comb += [sm.req.eq(1), sm.write.eq(1), sm.addr.eq(ld_saddr + i),
                             sm.wdata.eq(st_word), sm.count.eq(st_count),
                             self.smem_waiting.eq(~sm.ack)]
                with m.If(sm.ack):
                    m.d.sync += i.eq(i + 1)
                    with m.If(xfer_last):
                        transfer_done(m)
                    with m.Else():
                        # Read the next word while this handshake completes.
                        m.d.comb += [dp.addr.eq(st_src + i + 1), dp.re.eq(1)]
                        m.next = "ST_LATCH"

            # -- the network: send and recv, a word per handshake -----------------------------
            nc = self.noc
            m.d.comb += [nc.tx_data.eq(st_word), nc.tx_tile.eq(ins.tile), nc.tx_core.eq(ins.core),
                         nc.tx_last.eq(i == vw - 1), nc.rx_tile.eq(ins.tile),
                         nc.rx_core.eq(ins.core)]
            with m.State("SEND_READ"):
                m.d.comb += [dp.addr.eq(ins.src + i), dp.re.eq(1)]
                m.next = "SEND_LATCH"
            with m.State("SEND_LATCH"):
                m.d.sync += st_word.eq(dp.rdata)
                m.next = "SEND"
            with m.State("SEND"):
                m.d.comb += nc.tx_valid.eq(1)
                with m.If(nc.tx_ready):
                    m.d.sync += i.eq(i + 1)
                    m.d.comb += [noc_sent.eq(1), noc_flit.eq(i % c.noc_words_per_flit == 0)]
                    with m.If(i == vw - 1):
                        retire()
                    with m.Else():
                        m.d.comb += [dp.addr.eq(ins.src + i + 1), dp.re.eq(1)]
                        m.next = "SEND_LATCH"
            with m.State("RECV"):
                m.d.comb += nc.rx_req.eq(1)
                with m.If(nc.rx_ack):
                    m.d.comb += [dp.addr.eq(ins.dst + i), dp.we.eq(1), dp.wdata.eq(nc.rx_data),
                                 noc_received.eq(1)]
                    m.d.sync += i.eq(i + 1)
                    with m.If(i == vw - 1):
                        retire()

            # -- scalar: alu_int and branches -----------------------------------------------
            with m.State("SCALAR_A"):
                m.d.comb += [dp.addr.eq(ins.src1), dp.re.eq(1)]
                m.next = "SCALAR_B"
            with m.State("SCALAR_B"):
                m.d.sync += a_reg.eq(dp.rdata)
                m.d.comb += [dp.addr.eq(ins.src2), dp.re.eq(1)]
                m.next = "SCALAR_X"
            with m.State("SCALAR_X"):
                m.d.comb += [alu.a.eq(a_reg), alu.b.eq(dp.rdata), br.a.eq(a_reg),
                             br.b.eq(dp.rdata)]
                with m.If(op.alu_int):
                    m.d.comb += [dp.addr.eq(ins.dst), dp.we.eq(1), dp.wdata.eq(alu.result)]
                with m.Else():
                    m.d.comb += self.redirect.eq(br.taken)
                retire()

            # -- mcu ----------------------------------------------------------------------
            with m.State("MCU_SCAN"):
                with m.If(m_idx == M):
                    m.next = "MCU_START"
                with m.Else():
                    m.d.sync += m_idx.eq(m_idx + 1)
                    with m.If(mask_of[m_idx] & _OP["opa"]):
                        if v3:
                            m.d.sync += dirty.bit_select(m_idx, 1).eq(1)
                        else:
                            with m.If(dcount == depth):
                                fault(m, ErrorCode.DEFERRED_OVERFLOW)
                            with m.Else():
                                m.d.sync += [
                                    dcount.eq(dcount + 1),
                                    opa_used.bit_select(m_idx, 1).eq(1),
                                    tag_crs.bit_select(dcount, 1).eq(0),
                                    tag_mcu[dcount].eq(m_idx),
                                ]
                                start_copy(m, data=data_base(m_idx), slot=dcount,
                                           cont=CONT_SNAP, to_smem=True)

            with m.State("MCU_START"):
                started = Signal(M, name="x_started")
                for k in range(M):
                    eff = masks[k] if v3 else masks[k] & (_OP["mvm"] | _OP["mtvm"])
                    m.d.comb += [self.mcu_masks[k].eq(eff), started[k].eq(eff != 0)]
                m.d.comb += [self.mcu_start.eq(started), mcu_started.eq(started != 0)]
                m.d.sync += pending.eq(started)
                with m.If(started == 0):
                    retire()
                with m.Else():
                    m.next = "MCU_WAIT"

            with m.State("MCU_WAIT"):
                m.d.sync += pending.eq(pending & ~self.mcu_done)
                with m.If((pending & ~self.mcu_done) == 0):
                    retire()

            with m.State("CRS_SCAN"):
                with m.If(m_idx == M):
                    if v3:
                        crs_bits = ins.mask[:M]
                        m.d.comb += self.mcu_crs.eq(crs_bits)
                        m.d.sync += pending.eq(crs_bits)
                        with m.If(crs_bits == 0):
                            retire()
                        with m.Else():
                            m.next = "MCU_WAIT"
                    else:
                        retire()
                with m.Else():
                    m.d.sync += m_idx.eq(m_idx + 1)
                    with m.If(ins.mask.bit_select(m_idx, 1)):
                        if v3:
                            m.d.sync += dirty.bit_select(m_idx, 1).eq(1)
                        else:
                            with m.If(dcount == depth):
                                fault(m, ErrorCode.DEFERRED_OVERFLOW)
                            with m.Else():
                                m.d.sync += [dcount.eq(dcount + 1),
                                             tag_crs.bit_select(dcount, 1).eq(1),
                                             tag_mcu[dcount].eq(m_idx)]

            # -- hlt: apply the deferred updates ------------------------------------------
            if v3:
                with m.State("HLT_COMMIT"):
                    m.d.comb += self.mcu_commit.eq(dirty)
                    m.d.sync += pending.eq(dirty)
                    with m.If(dirty == 0):
                        m.next = "HALT"
                    with m.Else():
                        m.next = "COMMIT_WAIT"
                with m.State("COMMIT_WAIT"):
                    m.d.sync += pending.eq(pending & ~self.mcu_done)
                    with m.If((pending & ~self.mcu_done) == 0):
                        m.next = "HALT"
            else:
                with m.State("HLT_SAVE"):
                    # Park the live XBar buffers of every MCU an OPA will be replayed on.
                    with m.If(m_idx == M):
                        m.d.sync += e_idx.eq(0)
                        m.next = "REPLAY"
                    with m.Else():
                        m.d.sync += m_idx.eq(m_idx + 1)
                        with m.If(opa_used.bit_select(m_idx, 1)):
                            start_copy(m, data=data_base(m_idx), slot=depth + m_idx,
                                       cont=CONT_SAVE, to_smem=True)
                with m.State("REPLAY"):
                    with m.If(e_idx == dcount):
                        m.d.sync += m_idx.eq(0)
                        m.next = "HLT_RESTORE"
                    with m.Elif(tag_crs.bit_select(e_idx, 1)):
                        m.next = "REPLAY_START"
                    with m.Else():
                        start_copy(m, data=data_base(tag_mcu[e_idx]), slot=e_idx,
                                   cont=CONT_REPLAY, to_smem=False)
                with m.State("REPLAY_START"):
                    target = Signal(M, name="x_target")
                    m.d.comb += target.eq(1 << tag_mcu[e_idx])
                    with m.If(tag_crs.bit_select(e_idx, 1)):
                        m.d.comb += self.mcu_crs.eq(target)
                    with m.Else():
                        m.d.comb += self.mcu_start.eq(target)
                        for k in range(M):
                            m.d.comb += self.mcu_masks[k].eq(_OP["opa"])
                    m.d.sync += pending.eq(target)
                    m.next = "REPLAY_WAIT"
                with m.State("REPLAY_WAIT"):
                    m.d.sync += pending.eq(pending & ~self.mcu_done)
                    with m.If((pending & ~self.mcu_done) == 0):
                        m.d.sync += e_idx.eq(e_idx + 1)
                        m.next = "REPLAY"
                with m.State("HLT_RESTORE"):
                    with m.If(m_idx == M):
                        m.next = "HALT"
                    with m.Else():
                        m.d.sync += m_idx.eq(m_idx + 1)
                        with m.If(opa_used.bit_select(m_idx, 1)):
                            start_copy(m, data=data_base(m_idx), slot=depth + m_idx,
                                       cont=CONT_RESTORE, to_smem=False)

            with m.State("HALT"):
                m.d.comb += [self.halt.eq(1), self.retire.eq(1)]
                m.d.sync += [dcount.eq(0), opa_used.eq(0), dirty.eq(0)]
                m.next = "STOPPED"

            with m.State("FAULT"):
                m.d.comb += [self.fault.eq(1), self.fault_code.eq(code)]
                m.next = "STOPPED"

            with m.State("STOPPED"):
                pass

        # -- events (counted by the core) ----------------------------------------------------
        ev = self.events
        m.d.comb += hlt_copy.eq(cp_mode & (cp_cont != CONT_SNAP))
        m.d.comb += [
            ev.dp_read.eq(dp.re & ~hlt_copy),
            ev.dp_write.eq(dp.we & ~hlt_copy),
            ev.vfu_ops.eq(Mux(self.retire & (op.alu | op.alui), vw, 0)),
            ev.alu_int_ops.eq(self.retire & op.alu_int),
            ev.smem_reads.eq(sm.req & sm.ack & ~sm.write),
            ev.smem_writes.eq(sm.req & sm.ack & sm.write),
            ev.noc_word_sent.eq(noc_sent), ev.noc_word_received.eq(noc_received),
            ev.noc_flit.eq(noc_flit), ev.noc_hops.eq(Mux(noc_flit, self.noc.tx_hops, 0)),
        ]

        def count(name):
            bit = _OP[name].bit_length() - 1
            return sum(self.mcu_masks[k][bit] for k in range(M))

        mvms, mtvms = count("mvm"), count("mtvm")
        opas = count("opa") if v3 else 0       # variants 1-2: the snapshot copy reads them
        with m.If(mcu_started):
            m.d.comb += [
                ev.xbar_in_reads.eq((mvms + opas) * n), ev.xbar_out_writes.eq(mvms * n),
                ev.xbar_out_reads.eq((mtvms + opas) * n), ev.xbar_in_writes.eq(mtvms * n),
            ]
        return m
