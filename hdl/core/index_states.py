"""The execute stage's states of ``ldx`` and ``stx`` (``INDEX_R`` .. ``INDEX_C``).

Cycles (issue 20: the base word, the effective address and its range check each end at a
register before they are used):

* ``DISPATCH`` reads the base register (``x_dispatch_re``) and registers the shared-memory
  limit ``smem_user_depth - saddr - vw``;
* ``INDEX_R`` registers the base word (the register file's block RAM output meets no adder
  or comparator);
* ``INDEX`` registers the effective address ``(M[base] mod 2**B) + saddr`` and whether the
  vector leaves the shared memory (``ea + vw > depth`` is ``M[base] > depth - saddr - vw``);
* ``INDEX_C`` raises the faults in the golden model's order (shared-memory range, then the
  dispatch check's operand-space range ``vec_out``) or starts the transfer.
"""

from amaranth.hdl import Signal

from .constants import ErrorCode

__all__ = ["index_states"]


def index_states(m, *, ins, rdata, base, ea, ea_limit, fault, start_transfer):
    """Add the ``ldx``/``stx`` states to the execute stage's FSM (call it inside ``m.FSM``).

    Parameters
    ----------
    m : Module
    ins : DecodeLayout view
        The instruction register.
    rdata : Value
        The execute stage's operand-space read data (the base word, read at dispatch).
    base : Signal
        The register the base word is loaded into.
    ea : Signal
        The effective address register (the transfer's shared-memory address for
        ``ldx``/``stx``).
    ea_limit : Signal
        The limit registered at dispatch.
    fault : callable
        Goes to ``FAULT`` with the given :class:`ErrorCode`.
    start_transfer : callable
        Starts the transfer in the next cycle (no arguments).
    """
    ea_out = Signal(name="x_ea_out", reset_less=True)
    with m.State("INDEX_R"):
        m.d.sync += base.eq(rdata)
        m.next = "INDEX"
    with m.State("INDEX"):
        m.d.sync += [ea.eq(base.as_unsigned() + ins.saddr),
                     ea_out.eq(base.as_unsigned() > ea_limit)]
        m.next = "INDEX_C"
    with m.State("INDEX_C"):
        with m.If(ea_out):
            fault(ErrorCode.SMEM_ADDRESS_RANGE)
        with m.Elif(ins.vec_out):       # the dispatch check's, registered
            fault(ErrorCode.ADDRESS_RANGE)
        with m.Else():
            start_transfer()
