"""The execute stage's states of ``mcu`` and ``crs`` (``MCU_SCAN`` .. ``CRS_SCAN``).

``mcu`` scans its masks one MCU per cycle (``MCU_SCAN``) and records each OPA with
:class:`~hdl.core.deferred.DeferredUpdates` (variants 1-2: it waits in ``DEFER_WAIT`` while
the OPA's operands are copied to shared memory; variant 3: the OPA goes to the MCU and the
MCU is recorded for the commit), then starts every masked MCU in one cycle (``MCU_START``)
and waits for all of them (``MCU_WAIT``). ``crs`` scans its mask the same way
(``CRS_SCAN``); on variant 3 it then converts at once and waits like ``mcu``.
"""

from amaranth.hdl import Array, Cat

from panther.isa.table import MCU_OPS
from panther.isa.variants import eager_updates

from .constants import ErrorCode

__all__ = ["mcu_bits", "mcu_states"]

_OP = dict(MCU_OPS)


def mcu_bits(*, config, ins):
    """The MCUs an ``mcu`` starts and those a ``crs`` converts at once (variant 3).

    Parameters
    ----------
    config : PantherConfig
    ins : DecodeLayout view
        The instruction register.

    Returns
    -------
    eff_masks : list of Value
        Each MCU's start mask (variants 1-2: without the OPA bit, which is deferred).
    start_bits : Value
        One bit per MCU that ``mcu`` starts.
    crs_bits : Value
        One bit per MCU that ``crs`` names.
    """
    M = config.mcus_per_core
    masks = [ins[f"m{k}"] for k in range(M)]        # fields of the ISA table
    if eager_updates(config):       # variant 3: OPA and CRS go to the MCU at once
        eff_masks = masks
    else:
        eff_masks = [mask & (_OP["mvm"] | _OP["mtvm"]) for mask in masks]
    return eff_masks, Cat(eff != 0 for eff in eff_masks), ins.mask[:M]


def mcu_states(m, *, config, ins, dfr, transfer, m_idx, pending, pending_next, mcu_done,
               ret_r, no_start, crs_none, own_start, own_crs, own_masks, mcu_started, fault,
               retire):
    """Add the ``mcu`` and ``crs`` states to the execute stage's FSM (call it inside
    ``m.FSM``).

    Parameters
    ----------
    m : Module
    config : PantherConfig
    ins : DecodeLayout view
        The instruction register.
    dfr : DeferredUpdates
    transfer : SmemTransferRequest interface
        The transfer unit's request port (its ``done`` ends an OPA's operand copy).
    m_idx, pending, ret_r, no_start, crs_none : Signal
        The execute stage's registers: the scanned MCU, the MCUs still to answer (not 0
        exactly in ``MCU_WAIT``: the retire tests it), the flag that the next state retires,
        and the dispatch's
        registered "no MCU to start" and "no MCU to convert" (variant 3).
    pending_next : Signal
        ``pending``'s next value (combinational, ``pending`` unless a state assigns it): the
        execute stage registers it and decodes the MCUs' retire a cycle ahead from it.
    mcu_done : Value
        The MCUs' one-cycle ``done`` pulses.
    own_start, own_crs, own_masks, mcu_started : Signal
        This stage's MCU requests (combinational, 0 outside these states).
    fault : callable
        ``fault(code)``: raise the error and stop.
    retire : callable
        Goes back to ``DISPATCH`` (no arguments).
    """
    M = config.mcus_per_core
    v3 = eager_updates(config)
    mask_of = Array(ins[f"m{k}"] for k in range(M))
    eff_masks, start_bits, crs_bits = mcu_bits(config=config, ins=ins)

    def defer(mcu, *, crs):
        """Record an OPA/CRS of MCU ``mcu`` (an OPA waits while its operands are copied)."""
        if v3:
            m.d.comb += [dfr.defer.eq(1), dfr.defer_mcu.eq(mcu)]
            return
        with m.If(dfr.full):
            fault(ErrorCode.DEFERRED_OVERFLOW)
        with m.Else():
            m.d.comb += [dfr.defer.eq(1), dfr.defer_crs.eq(crs), dfr.defer_mcu.eq(mcu)]
            if not crs:
                m.next = "DEFER_WAIT"

    with m.State("MCU_SCAN"):
        with m.If(m_idx == M):
            m.d.sync += ret_r.eq(no_start)
            m.next = "MCU_START"
        with m.Else():
            m.d.sync += m_idx.eq(m_idx + 1)
            with m.If(mask_of[m_idx] & _OP["opa"]):
                defer(m_idx, crs=False)

    with m.State("DEFER_WAIT"):
        # The deferred-update unit has the OPA's operands copied to shared memory.
        with m.If(transfer.done):
            m.next = "MCU_SCAN"

    with m.State("MCU_START"):
        m.d.comb += [own_start.eq(start_bits), mcu_started.eq(start_bits != 0)]
        m.d.comb += [own_masks[k].eq(eff_masks[k]) for k in range(M)]
        m.d.comb += pending_next.eq(start_bits)
        with m.If(start_bits == 0):
            retire()
        with m.Else():
            m.next = "MCU_WAIT"

    with m.State("MCU_WAIT"):
        m.d.comb += pending_next.eq(pending & ~mcu_done)
        with m.If((pending & ~mcu_done) == 0):
            retire()

    with m.State("CRS_SCAN"):
        with m.If(m_idx == M):
            if v3:
                m.d.comb += own_crs.eq(crs_bits)
                m.d.comb += pending_next.eq(crs_bits)
                with m.If(crs_bits == 0):
                    retire()
                with m.Else():
                    m.next = "MCU_WAIT"
            else:
                retire()
        with m.Else():
            m.d.sync += [m_idx.eq(m_idx + 1), ret_r.eq((m_idx == M - 1) & crs_none)]
            with m.If(ins.mask.bit_select(m_idx, 1)):
                defer(m_idx, crs=True)
