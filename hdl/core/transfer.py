"""Word-by-word transfers between a core's operand space and the shared memory: the ``ld``
and ``st`` instructions, and the copies of the deferred weight updates."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.ports import COUNT_BITS, SharedMemoryPortSignature

from .data_space import DataPortSignature
from .staging import MAX_VW

__all__ = ["TransferSignature", "SmemTransfer"]


def _max_words(config):
    """The longest transfer: a vector operand or a deferred entry (``2 xbar_size`` words)."""
    return max(MAX_VW, 2 * config.xbar_size)


class TransferSignature(wiring.Signature):
    """A transfer request, from the requester's side.

    A one-cycle ``start`` carries the transfer; ``done`` pulses in the cycle its last word is
    handed over (a load's last word written, a store's last word acknowledged).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    start : Out(1)
    store : Out(1)
        1: operand space -> shared memory (``st``); 0: shared memory -> operand space (``ld``).
    smem_addr : Out(SMEM_ADDR_BITS)
    data_addr : Out(ADDR_BITS)
        First word on each side.
    words : Out(range(max(MAX_VW, 2 * xbar_size) + 1))
        Words to move (at least 1).
    count : Out(COUNT_BITS)
        Consumer count of every stored word.
    done : In(1)
    """

    def __init__(self, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({
            "start": Out(1), "store": Out(1), "smem_addr": Out(config.SMEM_ADDR_BITS),
            "data_addr": Out(config.ADDR_BITS), "words": Out(range(_max_words(config) + 1)),
            "count": Out(COUNT_BITS), "done": In(1),
        })


class SmemTransfer(wiring.Component):
    """Moves words between the operand space and the shared memory, one per handshake.

    A load waits for each shared-memory word, registers it in the cycle it is acknowledged
    and writes it into the operand space in the next cycle (while the next word is
    requested): the shared memory's read data and its valid bit (the acknowledge) reach only
    registers here, not the operand space's address decode and write enables (issue 20; the
    load's last word is written a cycle after its acknowledge, one cycle per ``ld``). A
    store reads its first word (one cycle), latches it (one cycle) and holds the request
    until it is acknowledged, reading the next word in that same cycle; ``done`` follows its
    last acknowledge by a cycle (state ``ST_LAST``, one cycle per ``st``), so that the
    acknowledge does not reach the execute stage's retire. The operand-space address is one
    register in every state (``w_addr``: a load's word being written, a store's next word
    to read), so that no state decode or multiplexer sits between it and the XBar buffers'
    read select (issue 20).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    request : In(TransferSignature(config))
    data : Out(DataPortSignature(config))
    smem : Out(SharedMemoryPortSignature(config))
    busy : Out(1)
        A transfer is in progress (it drives ``data`` and ``smem``).
    done_next : Out(1)
        ``request.done`` rises at this clock edge (the flip-flop's input), so that a
        requester can register what follows from it a cycle ahead.
    smem_waiting : Out(1)
        A shared-memory request is not acknowledged in this cycle.
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({
            "request": In(TransferSignature(config)),
            "data": Out(DataPortSignature(config)),
            "smem": Out(SharedMemoryPortSignature(config)),
            "busy": Out(1), "smem_waiting": Out(1), "done_next": Out(1),
        })

    def elaborate(self, platform):
        c = self.config
        m = Module()
        req, dp, sm = self.request, self.data, self.smem

        i = Signal(range(_max_words(c) + 2), name="i", reset_less=True)
        # The current word's addresses on each side (counted up with each handshake, so that
        # no adder sits between them and the memories' address inputs).
        smem_addr = Signal(c.SMEM_ADDR_BITS, name="smem_addr", reset_less=True)
        data_addr = Signal(c.ADDR_BITS, name="data_addr", reset_less=True)
        words = Signal.like(req.words, name="words", reset_less=True)
        count = Signal(COUNT_BITS, name="count", reset_less=True)
        # A load's word (the shared memory's read data of every cycle: a write in cycle T
        # takes the word acknowledged in T - 1) and a store's (the operand space's read
        # data, taken in ST_LATCH under the flip-flop `latch`): each register's D input is
        # its memory's read data alone, no multiplexer between the two (section "opread").
        ld_word = Signal(signed(c.data_bits), name="ld_word", reset_less=True)
        st_word = Signal(signed(c.data_bits), name="st_word", reset_less=True)
        latch = Signal(name="latch")
        m.d.sync += [ld_word.eq(sm.rdata), latch.eq(0)]
        with m.If(latch):
            m.d.sync += st_word.eq(dp.rdata)
        # The operand-space address in every state: a load's word written in this cycle, a
        # store's next word to read (a store counts it up instead of `data_addr`).
        w_addr = Signal(c.ADDR_BITS, name="w_addr", reset_less=True)
        w_pend = Signal(name="w_pend")
        # `i == words - 1` as a register updated with `i`: the compare's carry chain no
        # longer meets the acknowledge on its way to the state (issue 20).
        last = Signal(name="last", reset_less=True)
        # `done` is a flip-flop set on the way into LD_LAST / ST_LAST (high exactly in those
        # states), so that no decode of the state register reaches the execute stage's
        # retire and the front end's enables (issue 20).
        done = Signal(name="done")
        m.d.sync += done.eq(self.done_next)
        m.d.comb += [dp.addr.eq(w_addr), dp.wdata.eq(ld_word), req.done.eq(done)]

        with m.FSM(name="fsm") as fsm:
            with m.State("IDLE"):
                # The request's fields are taken in every idle cycle (the start cycle's
                # stay): `start` reaches the state alone, not these registers' enables.
                m.d.sync += [i.eq(0), smem_addr.eq(req.smem_addr), last.eq(req.words == 1),
                             data_addr.eq(req.data_addr), w_addr.eq(req.data_addr),
                             words.eq(req.words), count.eq(req.count)]
                with m.If(req.start):
                    with m.If(req.store):
                        m.next = "ST_READ"
                    with m.Else():
                        m.next = "LD"
            with m.State("LD"):
                m.d.comb += [sm.req.eq(1), sm.write.eq(0), sm.addr.eq(smem_addr),
                             self.smem_waiting.eq(~sm.ack), dp.we.eq(w_pend)]
                # The word and its address are taken every cycle; only the write's pending
                # bit depends on the acknowledge.
                m.d.sync += [w_addr.eq(data_addr), w_pend.eq(sm.ack & ~last)]
                with m.If(sm.ack):
                    m.d.sync += [i.eq(i + 1), last.eq(i + 2 == words),
                                 smem_addr.eq(smem_addr + 1), data_addr.eq(data_addr + 1)]
                    with m.If(last):
                        m.d.comb += self.done_next.eq(1)
                        m.next = "LD_LAST"
            with m.State("LD_LAST"):
                m.d.comb += dp.we.eq(1)
                m.next = "IDLE"
            with m.State("ST_READ"):
                m.d.comb += dp.re.eq(1)
                m.d.sync += [w_addr.eq(w_addr + 1), latch.eq(1)]   # a store's next word
                m.next = "ST_LATCH"
            with m.State("ST_LATCH"):                     # `latch` is high
                m.next = "ST"
            with m.State("ST"):
                # The next word's address is driven whether or not the handshake completes,
                # so that the acknowledge reaches the read enable only, from a register (no
                # adder before the operand space, issue 20).
                m.d.comb += [sm.req.eq(1), sm.write.eq(1), sm.addr.eq(smem_addr),
                             sm.wdata.eq(st_word), sm.count.eq(count),
                             self.smem_waiting.eq(~sm.ack)]
                with m.If(sm.ack):
                    m.d.sync += [i.eq(i + 1), last.eq(i + 2 == words),
                                 smem_addr.eq(smem_addr + 1), w_addr.eq(w_addr + 1)]
                    with m.If(last):
                        m.d.comb += self.done_next.eq(1)
                        m.next = "ST_LAST"
                    with m.Else():
                        # Read the next word while this handshake completes.
                        m.d.comb += dp.re.eq(1)
                        m.d.sync += latch.eq(1)
                        m.next = "ST_LATCH"
            with m.State("ST_LAST"):
                m.next = "IDLE"                    # `done` is high (from a register)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m
