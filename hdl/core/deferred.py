"""The deferred weight updates of a core (semantics §5): what ``mcu`` and ``crs`` leave for
``hlt``, and what ``hlt`` does with it.

Variants 1-2 (deferred buffer): an OPA is recorded and its operands (the MCU's XBarIn and
XBarOut vectors, ``2 xbar_size`` words) are copied into the next slot of the core's part of
the shared-memory OPA region; a CRS is recorded only. ``hlt`` parks the live XBar buffers of
every MCU an OPA was recorded on (in the slots above the entries), replays the entries in
program order (an OPA loads its operands back into the XBar buffers and starts the MCU with
the OPA mask; a CRS starts a carry resolution), and restores the parked buffers.

Variant 3 (eager updates on the third copy): an OPA or CRS only marks its MCU; ``hlt`` sends
``commit`` to every marked MCU and waits for them.

The copies are transfers of the execute stage's :class:`~panther.hdl.core.transfer.SmemTransfer`
(count 1: the replay loads each word back exactly once).
"""

from amaranth.hdl import Array, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.isa.table import MCU_OPS
from panther.isa.variants import eager_updates

from .parameters import check_core_parameters
from .transfer import TransferSignature

__all__ = ["DeferredUpdates"]

_OPA = dict(MCU_OPS)["opa"]


class DeferredUpdates(wiring.Component):
    """Records deferred OPA/CRS operations and applies them at ``hlt``.

    Parameters
    ----------
    config : PantherConfig
    core_id : int
        Index of the core in its tile: which part of the shared-memory OPA region is its own.

    Members
    -------
    defer : In(1)
        Record one operation (one-cycle strobe; never while :attr:`full`). On variants 1-2 an
        OPA starts the copy of its operands in the next cycle (``copy``); the requester waits
        for its ``done``.
    defer_crs : In(1)
        The recorded operation is a CRS (else an OPA).
    defer_mcu : In(range(mcus_per_core))
        Its MCU.
    full : Out(1)
        Variants 1-2: the buffer holds ``deferred_depth`` operations (another one is a
        ``DEFERRED_OVERFLOW`` fault). Always 0 on variant 3.
    hlt : In(1)
        Apply every recorded operation (one-cycle strobe).
    done : Out(1)
        One-cycle pulse: the ``hlt`` sequence is complete.
    clear : In(1)
        Forget every recorded operation (at the halt).
    deferred : Out(range(deferred_depth + 1))
        Operations recorded and not yet applied (variants 1-2; 0 on variant 3).
    copy : Out(TransferSignature(config))
        The operand copies.
    silent : Out(1)
        A copy of ``hlt`` is under way: its operand-space accesses are not operand events
        (the snapshot copies of ``defer`` are: an OPA reads both vectors).
    mcu_start, mcu_crs, mcu_commit : Out(mcus_per_core)
    mcu_masks : Out(ArrayLayout(3, mcus_per_core))
    mcu_done : In(mcus_per_core)
        MCU requests of the replay or the commit (as on :class:`~panther.hdl.core.execute.Execute`).
    """

    def __init__(self, *, config, core_id=0):
        check_core_parameters(config, core_id)
        self.config = config
        self.core_id = core_id
        M = config.mcus_per_core
        super().__init__({
            "defer": In(1), "defer_crs": In(1), "defer_mcu": In(range(max(2, M))),
            "full": Out(1), "hlt": In(1), "done": Out(1), "clear": In(1),
            "deferred": Out(range(config.deferred_depth + 1)),
            "copy": Out(TransferSignature(config)), "silent": Out(1),
            "mcu_start": Out(M), "mcu_crs": Out(M), "mcu_commit": Out(M),
            "mcu_masks": Out(data.ArrayLayout(3, M)), "mcu_done": In(M),
        })

    def elaborate(self, platform):
        m = Module()
        if eager_updates(self.config):
            self._commit_at_hlt(m)
        else:
            self._replay_at_hlt(m)
        return m

    def _commit_at_hlt(self, m):
        """Variant 3: mark MCUs, commit them at ``hlt``."""
        dirty = Signal(self.config.mcus_per_core, name="dirty")
        pending = Signal.like(dirty, name="pending")
        with m.If(self.defer):
            m.d.sync += dirty.bit_select(self.defer_mcu, 1).eq(1)
        with m.FSM(name="fsm"):
            with m.State("IDLE"):
                with m.If(self.hlt):
                    m.next = "HLT_COMMIT"
            with m.State("HLT_COMMIT"):
                m.d.comb += self.mcu_commit.eq(dirty)
                m.d.sync += pending.eq(dirty)
                with m.If(dirty == 0):
                    m.d.comb += self.done.eq(1)
                    m.next = "IDLE"
                with m.Else():
                    m.next = "COMMIT_WAIT"
            with m.State("COMMIT_WAIT"):
                m.d.sync += pending.eq(pending & ~self.mcu_done)
                with m.If((pending & ~self.mcu_done) == 0):
                    m.d.comb += self.done.eq(1)
                    m.next = "IDLE"
        with m.If(self.clear):
            m.d.sync += dirty.eq(0)

    def _replay_at_hlt(self, m):
        """Variants 1-2: the deferred buffer in shared memory, replayed at ``hlt``."""
        c = self.config
        M, n, depth = c.mcus_per_core, c.xbar_size, c.deferred_depth
        entry_log = (2 * n).bit_length() - 1          # 2n words per deferred entry
        region = c.opa_slot_base(self.core_id, 0)

        count = Signal(range(depth + 1), name="count")
        tag_crs = Signal(depth, name="tag_crs")
        tag_mcu = Array(Signal(range(max(2, M)), name=f"tag_mcu{k}") for k in range(depth))
        opa_used = Signal(M, name="opa_used")
        m_idx = Signal(range(max(2, M + 1)), name="m_idx")
        e_idx = Signal(range(depth + 1), name="e_idx")
        pending = Signal(M, name="pending")
        then = Signal(2, name="then")       # where a copy of hlt returns
        SAVE, REPLAY, RESTORE = range(3)
        m.d.comb += [self.deferred.eq(count), self.full.eq(count == depth)]
        # The replayed entry's kind and target MCU are registered in REPLAY, and `fire` is
        # set for the one cycle of REPLAY_START: the MCU requests come from flip-flops, not
        # from the entry's tags picked by `e_idx` and the state (issue 20; no cycles).
        r_crs = Signal(name="r_crs")
        r_target = Signal(M, name="r_target")
        fire = Signal(name="fire")
        m.d.sync += fire.eq(0)
        m.d.comb += [self.mcu_crs.eq(Mux(fire & r_crs, r_target, 0)),
                     self.mcu_start.eq(Mux(fire & ~r_crs, r_target, 0))]
        m.d.comb += [self.mcu_masks[k].eq(Mux(fire & ~r_crs, _OPA, 0)) for k in range(M)]

        # The copy requests come from flip-flops (issue 20): a copy decided in this cycle
        # starts in the next (one cycle per copy), so that neither the tags picked by
        # `e_idx` nor the execute stage's scan reach the transfer unit's state and registers.
        c_start = Signal(name="c_start")
        c_store = Signal(name="c_store", reset_less=True)
        c_data = Signal.like(self.copy.data_addr, name="c_data_addr", reset_less=True)
        c_smem = Signal.like(self.copy.smem_addr, name="c_smem_addr", reset_less=True)
        m.d.sync += c_start.eq(0)
        m.d.comb += [self.copy.start.eq(c_start), self.copy.store.eq(c_store),
                     self.copy.data_addr.eq(c_data), self.copy.smem_addr.eq(c_smem),
                     self.copy.words.eq(2 * n), self.copy.count.eq(1)]

        def copy(*, mcu, slot, store):
            """Start the copy of MCU ``mcu``'s XBar buffers to (``store``) or from ``slot``
            (in the next cycle)."""
            m.d.sync += [c_start.eq(1), c_store.eq(store),
                         c_data.eq(c.rf_depth + (mcu << entry_log)),
                         c_smem.eq(region + (slot << entry_log))]

        def copy_then(state, **kwargs):
            copy(**kwargs)
            m.d.sync += then.eq(state)
            m.next = "COPY_WAIT"

        with m.FSM(name="fsm"):
            with m.State("IDLE"):
                with m.If(self.defer):
                    m.d.sync += [count.eq(count + 1), tag_crs.bit_select(count, 1).eq(self.defer_crs),
                                 tag_mcu[count].eq(self.defer_mcu)]
                    with m.If(~self.defer_crs):
                        m.d.sync += opa_used.bit_select(self.defer_mcu, 1).eq(1)
                        copy(mcu=self.defer_mcu, slot=count, store=True)
                with m.If(self.hlt):
                    m.d.sync += m_idx.eq(0)
                    m.next = "HLT_SAVE"
            with m.State("COPY_WAIT"):
                m.d.comb += self.silent.eq(1)
                with m.If(self.copy.done):
                    with m.Switch(then):
                        with m.Case(SAVE):
                            m.next = "HLT_SAVE"
                        with m.Case(REPLAY):
                            # The load's last word lands in the XBar buffer in the next
                            # cycle (the operand space registers buffer writes), and the MCU
                            # sees the request a cycle after `fire` (the core's edge
                            # register): it snapshots its buffers with the word in.
                            m.d.sync += fire.eq(1)
                            m.next = "REPLAY_START"
                        with m.Case(RESTORE):
                            m.next = "HLT_RESTORE"
            with m.State("HLT_SAVE"):
                # Park the live XBar buffers of every MCU an OPA will be replayed on.
                with m.If(m_idx == M):
                    m.d.sync += e_idx.eq(0)
                    m.next = "REPLAY"
                with m.Else():
                    m.d.sync += m_idx.eq(m_idx + 1)
                    with m.If(opa_used.bit_select(m_idx, 1)):
                        copy_then(SAVE, mcu=m_idx, slot=depth + m_idx, store=True)
            with m.State("REPLAY"):
                m.d.sync += [r_crs.eq(tag_crs.bit_select(e_idx, 1)),
                             r_target.eq(1 << tag_mcu[e_idx])]
                with m.If(e_idx == count):
                    m.d.sync += m_idx.eq(0)
                    m.next = "HLT_RESTORE"
                with m.Elif(tag_crs.bit_select(e_idx, 1)):
                    m.d.sync += fire.eq(1)
                    m.next = "REPLAY_START"
                with m.Else():
                    copy_then(REPLAY, mcu=tag_mcu[e_idx], slot=e_idx, store=False)
            with m.State("REPLAY_START"):
                # The request (`fire`) goes out in this cycle, to the core's edge register.
                m.d.sync += pending.eq(r_target)
                m.next = "REPLAY_WAIT"
            with m.State("REPLAY_WAIT"):
                m.d.sync += pending.eq(pending & ~self.mcu_done)
                with m.If((pending & ~self.mcu_done) == 0):
                    m.d.sync += e_idx.eq(e_idx + 1)
                    m.next = "REPLAY"
            with m.State("HLT_RESTORE"):
                with m.If(m_idx == M):
                    m.d.comb += self.done.eq(1)
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += m_idx.eq(m_idx + 1)
                    with m.If(opa_used.bit_select(m_idx, 1)):
                        copy_then(RESTORE, mcu=m_idx, slot=depth + m_idx, store=False)
        with m.If(self.clear):
            m.d.sync += [count.eq(0), opa_used.eq(0)]
