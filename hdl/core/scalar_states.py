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
"""

__all__ = ["scalar_states"]


def scalar_states(m, *, ins, dp, s_addr, scalar, a_regs, b_regs, br_w, alu, ret_r, retire):
    """Add the scalar states to the execute stage's FSM (call it inside ``m.FSM``).

    Parameters
    ----------
    m : Module
    ins : DecodeLayout view
        The instruction register.
    dp : DataPortSignature interface
        The execute stage's own operand-space port; its address is ``s_addr`` while
        ``scalar`` is set.
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
        m.d.comb += dp.re.eq(1)
        m.d.sync += s_addr.eq(ins.src2)
        m.next = "SCALAR_B"
    with m.State("SCALAR_B"):
        m.d.sync += [a.eq(dp.rdata) for a in a_regs]
        m.d.comb += dp.re.eq(1)
        m.d.sync += s_addr.eq(ins.dst)
        m.next = "SCALAR_X"
    with m.State("SCALAR_X"):
        m.d.sync += [b.eq(dp.rdata) for b in b_regs]
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
        m.d.comb += [dp.we.eq(1), dp.wdata.eq(alu.result)]
        m.d.sync += scalar.eq(0)
        retire()
