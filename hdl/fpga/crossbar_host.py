"""The host's access to single cells of the FPGA digital crossbar (:class:`CellPortSignature`):
its registers at the boundary, its two-stage read pick and its states in the crossbar's FSM.

The host bus's decode and fields end at flip-flops here: ``req`` and every field are
registered at every cycle (they are stable while ``req`` is high; one copy per crossbar, not
merged), the access's registers follow those at every cycle (no clock enable from the FSM's
decode), and ``ack`` is a flip-flop set on the way into H_ACK.
"""

from types import SimpleNamespace

from amaranth.hdl import Cat, Mux, Signal, signed

from panther.hdl.mcu.replica import REPLICA

from .trees import one_hot_pick

__all__ = ["HOST_STATES", "host_request", "host_pick", "host_states"]

#: The host access's states after IDLE, in order.
HOST_STATES = ("H_READ", "HOST", "H_PICK", "H_ACK", "H_DROP")


def host_request(m, cells, widths):
    """Registers of a host access on ``cells`` (the crossbar's side of a
    :class:`CellPortSignature`).

    Every field and ``req`` are registered at every cycle (``f``, ``req``: a cycle behind the
    host, both together), so that the host bus's decode reaches no crossbar path but these
    registers. The access's registers (``ck``... ``col_ck``) follow ``f`` at every cycle, with
    no clock enable: IDLE takes the access in the cycle ``req`` is seen, so they hold its fields
    from H_READ on, and the fields are stable until ``ack`` (H_ACK). ``req`` is masked
    in H_ACK and H_DROP (``done``, a flip-flop set by :func:`host_states`): the host drops its
    ``req`` at the latest in the cycle after ``ack``.

    Returns a namespace: ``req``, ``done``, ``start`` (a pulse the crossbar sets on its way
    into H_READ: a flip-flop, high in H_READ), ``f`` (the registered fields: ``row``..., ``col``
    one-hot), ``ack`` (the flip-flop driving ``cells.ack``), ``ck`` (the cell's row as an index
    into the read rows, ordered copy, slice), ``wdata``, ``we``, ``row``, ``wen[c][k]`` (write
    copy ``c``'s slice ``k``), ``wdata_ck[c][k]`` and ``col_ck[c][k]`` (copies of ``wdata`` and
    of the one-hot column, one per copy and slice: each drives one RAM's write data and read
    pick only), ``sel_host[c][k]`` (the RAM's write data is the host's merge: ``start`` a cycle
    later, high in HOST; no reset).
    """
    w = widths
    n, S, C = w.n, w.slices, w.copies
    # REPLICA: every crossbar's boundary registers are equal functions of the bus (and
    # `h_wdata_b` of the shared memory's `h_word`); kept, each sits by its own crossbar.
    f = SimpleNamespace(**{name: Signal.like(getattr(cells, name), name=f"h_{name}_b",
                                             reset_less=True, attrs=REPLICA)
                           for name in ("we", "copy", "slice", "row", "wdata")})
    f.col = Signal(n, name="h_col_b", reset_less=True, attrs=REPLICA)      # one-hot
    q = SimpleNamespace(req=Signal(name="h_req_q"), done=Signal(name="h_done"), f=f,
                        start=Signal(name="h_start"),
                        ack=Signal(name="h_ack"),
                        ck=Signal(range(max(C * S, 2)), name="h_ck", reset_less=True),
                        wdata=Signal(signed(w.digit_bits), name="h_wdata", reset_less=True),
                        wdata_ck=[[Signal(signed(w.digit_bits), name=f"h_wdata_{c}_{k}",
                                          attrs=REPLICA, reset_less=True) for k in range(S)]
                                  for c in range(C)],
                        col_ck=[[Signal(n, name=f"h_col_{c}_{k}", attrs=REPLICA,
                                        reset_less=True) for k in range(S)] for c in range(C)],
                        we=Signal(name="h_we", reset_less=True),
                        row=Signal(w.index_bits, name="h_row", reset_less=True),
                        wen=[[Signal(name=f"h_wen_{c}_{k}", reset_less=True) for k in range(S)]
                             for c in range(C)],
                        sel_host=[[Signal(name=f"sel_host_{c}_{k}", attrs=REPLICA,
                                          reset_less=True) for k in range(S)] for c in range(C)])
    m.d.sync += [q.req.eq(cells.req & ~q.done), q.done.eq(0), q.start.eq(0)]
    m.d.sync += [s.eq(q.start) for ss in q.sel_host for s in ss]
    m.d.sync += [getattr(f, name).eq(getattr(cells, name)) for name in vars(f) if name != "col"]
    m.d.sync += f.col.eq(1 << cells.col)
    m.d.sync += q.ack.eq(0)
    m.d.comb += cells.ack.eq(q.ack)
    m.d.sync += [q.ck.eq(f.copy * S + f.slice), q.wdata.eq(f.wdata), q.we.eq(f.we),
                 q.row.eq(f.row)]
    m.d.sync += [q.wen[c][k].eq(f.we & (f.copy == c) & (f.slice == k))
                 for c in range(C) for k in range(S)]
    m.d.sync += [r.eq(f.wdata) for rs in q.wdata_ck for r in rs]
    m.d.sync += [r.eq(f.col) for rs in q.col_ck for r in rs]
    return q


def host_pick(m, q, cellx, widths):
    """The host read's first stage, at every cycle: the host column's cell of every copy and
    slice of ``cellx[c][k][j]`` (the read rows, sign-extended digits), by the one-hot column
    (an OR tree of ANDs, no index decode). Returns ``h_pick[c][k]``."""
    w = widths
    h_pick = [[Signal(signed(w.digit_bits), name=f"h_pick_{c}_{k}", reset_less=True)
               for k in range(w.slices)] for c in range(w.copies)]
    for c in range(w.copies):
        for k in range(w.slices):
            m.d.sync += h_pick[c][k].eq(one_hot_pick(q.col_ck[c][k], cellx[c][k]))
    return h_pick


def host_states(m, q, cells, h_pick, *, widths, go, wr_addr, wr_en):
    """The states :data:`HOST_STATES` (inside the crossbar's ``with m.FSM()``): H_READ (the
    RAMs read row ``q.row``, addressed by IDLE), HOST (the row is valid: ``h_pick`` takes it,
    or the changed row is written), H_PICK (the copy's and slice's cell to ``cells.rdata``;
    sets ``q.ack`` and ``q.done``), H_ACK (sets ``q.done``), H_DROP. ``go(state)`` moves on;
    ``wr_addr``, ``wr_en[c][k]``: the crossbar's write address and enables (comb)."""
    w = widths
    with m.State("H_READ"):
        go("HOST")
    with m.State("HOST"):
        m.d.comb += wr_addr.eq(q.row)
        m.d.comb += [wr_en[c][k].eq(q.wen[c][k]) for c in range(w.copies)
                     for k in range(w.slices)]
        go("H_PICK")
    with m.State("H_PICK"):
        picked = Cat(*(h_pick[c][k] for c in range(w.copies) for k in range(w.slices)))
        m.d.sync += [cells.rdata.eq(Mux(q.we, q.wdata, picked.word_select(q.ck, w.digit_bits))),
                     q.ack.eq(1), q.done.eq(1)]
        go("H_ACK")
    with m.State("H_ACK"):
        m.d.sync += q.done.eq(1)
        go("H_DROP")
    with m.State("H_DROP"):
        go("IDLE")
