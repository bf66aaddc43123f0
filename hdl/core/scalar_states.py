"""The execute stage's states of ``alu_int`` and ``br`` (``SCALAR_A`` .. ``SCALAR_R``).

Cycles (issue 20: every operand, the ALU's result and the branch decision end at a register
before they are used):

* ``DISPATCH`` loads the scalar address register with ``src1``;
* ``SCALAR_A`` reads ``src1``; ``SCALAR_B`` registers it (``a``) and reads ``src2``;
  ``SCALAR_X`` registers that (``b``), so the multiplier and the comparator start from
  registers, not from the operand space's read. Each operand is loaded into a copy per
  consumer (the ALU's other functions, its multiplier, the branch compare), and
  ``SCALAR_X`` sets ``br_w``, the flip-flop that marks a branch's ``SCALAR_W``;
* ``SCALAR_W``: the ALU registers its result (:class:`~hdl.core.alu_int.AluInt`, latency 1),
  which ``SCALAR_R`` writes to ``dst`` before it retires (``alu_int``: 6 cycles). A branch
  retires in ``SCALAR_W`` whatever it decides (5 cycles) and registers the decision
  (``taken``, loaded by the execute stage while ``br_w`` is set); a taken one redirects in
  the next cycle (the execute stage's ``DISPATCH``, which spends it), then the front end
  refills in 3 (9 in all).

The operand-space reads (``SCALAR_A``, ``SCALAR_B``) and the write of ``SCALAR_R`` are the
execute stage's own flip-flops (``x_rd_a``, ``x_rd_b``, ``x_wr_r``: docs/synthesis.md,
"dispreq"), not decodes of these states; here the address register and the operands.
"""

__all__ = ["scalar_states"]


def scalar_states(m, *, ins, rdata, s_addr, scalar, a_regs, b_regs, br_w, alu, ret_r, retire):
    """Add the scalar states to the execute stage's FSM (call it inside ``m.FSM``).

    Parameters
    ----------
    m : Module
    ins : DecodeLayout view
        The instruction register.
    rdata : Value
        The execute stage's operand-space read data (its address is ``s_addr`` while
        ``scalar`` is set).
    s_addr, scalar, ret_r : Signal
        The execute stage's registers (the scalar address and its flag, and the flag that
        the next state retires: set here on the way into the retiring state, ``SCALAR_W`` of
        a branch or ``SCALAR_R``).
    a_regs, b_regs : sequence of Signal
        The operand registers, every copy loaded alike.
    br_w : Signal
        Set here for one cycle, a branch's ``SCALAR_W`` (the execute stage clears it
        otherwise and loads its branch decision from the compare while it is set).
    alu : AluInt
        Its inputs are wired from the operand registers and the instruction register.
    retire : callable
        Goes back to ``DISPATCH`` (no arguments).
    """
    op = ins.op
    with m.State("SCALAR_A"):
        m.d.sync += s_addr.eq(ins.src2)
        m.next = "SCALAR_B"
    with m.State("SCALAR_B"):
        m.d.sync += [a.eq(rdata) for a in a_regs]
        m.d.sync += s_addr.eq(ins.dst)
        m.next = "SCALAR_X"
    with m.State("SCALAR_X"):
        m.d.sync += [b.eq(rdata) for b in b_regs]
        m.d.sync += [ret_r.eq(~op.alu_int), br_w.eq(~op.alu_int)]
        m.next = "SCALAR_W"
    with m.State("SCALAR_W"):
        with m.If(op.alu_int):
            m.d.sync += ret_r.eq(1)
            m.next = "SCALAR_R"
        with m.Else():
            m.d.sync += scalar.eq(0)
            retire()
    with m.State("SCALAR_R"):
        m.d.sync += scalar.eq(0)
        retire()
