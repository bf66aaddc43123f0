"""The network path of the execute stage: ``send`` and ``recv`` (semantics §4, docs/node.md),
one word per handshake with the tile's network interface (:class:`hdl.node.TileNoc`)."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.node.noc_port import CHANNEL_LEAD, CoreNocSignature, noc_widths

from .data_space import DataPortSignature
from .layouts import DecodeLayout
from .staging import MAX_VW

__all__ = ["NetworkTransfer"]


class NetworkTransfer(wiring.Component):
    """Moves one ``send`` or ``recv`` vector between the operand space and the core's NoC port.

    ``start`` (one cycle, a flip-flop: the execute stage sets it at the dispatch) runs the
    instruction that ``instr`` held in the cycle before it (netstart): while idle, the unit
    loads the instruction's channel, length and first address into its registers in every
    cycle, and does its first cycle's work in the cycle of ``start``, so that neither the
    dispatch decode nor ``start`` reaches its counters' and addresses' data inputs. A
    ``send`` reads its first two words in two cycles into two registers used in turn, presents
    the first on ``noc.tx`` from the next cycle until ``tx_ready``, then each next word from
    the second cycle after the previous handshake; the word after the next is read in the
    cycle after a handshake, so no ``tx_ready`` reaches the operand space's port (nocpipe). It
    is done a cycle after its last word left (issue 20: ``tx_ready`` reaches no retire); a
    ``recv`` presents its channel and ``vw`` (``rx_words``) for ``CHANNEL_LEAD`` cycles
    (``RECV_LOOKUP``: the tile registers it, then looks it up,
    :class:`~hdl.node.noc_port.CoreNocSignature`; ``rx_req`` rises in the last of them, as
    the tile registers it too), then writes each word
    into the operand space in the cycle after it is acknowledged (from a register: the word
    comes from the network's FIFO block RAM), and is done with the last word's write, a
    cycle after its handshake (issue 20: ``rx_ack`` reaches no retire). The channel comes from this unit's
    registers, loaded while it is idle, not from the execute stage's instruction register. The
    tile and core of the instruction and its operand range are checked before the start
    (:class:`~hdl.core.dispatch_check.DispatchCheck`).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    instr : In(DecodeLayout)
    start : In(1)
        From a flip-flop; the unit's first cycle (a ``send``'s first read, a ``recv``'s first
        cycle of ``CHANNEL_LEAD``).
    done : Out(1)
        One-cycle pulse: a cycle after the last word was sent or received.
    data : Out(DataPortSignature(config))
    noc : Out(CoreNocSignature(config))
    busy : Out(1)
        An instruction is in progress (it drives ``data``).
    done_next : Out(1)
        ``done`` rises at this clock edge (the flip-flop's input).
    sent, flit, received : Out(1)
        Events of this cycle: a ``send`` word leaves (``flit``: it starts a flit of
        ``noc_words_per_flit`` words); a ``recv`` word arrives.
    hops : Out
        Links the flit starting this cycle will cross (0 without one).
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        hop_bits = noc_widths(config)[3]
        super().__init__({
            "instr": In(DecodeLayout()), "start": In(1), "done": Out(1),
            "data": Out(DataPortSignature(config)), "noc": Out(CoreNocSignature(config)),
            "busy": Out(1), "done_next": Out(1), "sent": Out(1), "flit": Out(1),
            "received": Out(1),
            "hops": Out(hop_bits),
        })

    def elaborate(self, platform):
        c = self.config
        m = Module()
        ins, dp, nc = self.instr, self.data, self.noc
        vw = ins.vw

        # The data registers are reset_less (the reset's fan-out reached `addr`'s LSR): all of
        # them are loaded in every idle cycle; the control bits (state, `pend`, `tx_valid`,
        # `rx_req`, `shook`, `landing`, `done`) keep their reset.
        i = Signal(range(MAX_VW + 2), name="i", reset_less=True)
        # recv: the word of the previous cycle's handshake, loaded in every cycle (no enable:
        # the FIFO block RAM's output meets no decode), written while `pend`.
        rx_word = Signal(signed(c.data_bits), name="rx_word", reset_less=True)
        pend = Signal(name="pend")
        m.d.sync += rx_word.eq(nc.rx_data)
        # The operand-space address in every state, counted up (recv: the word's; send: the
        # next word to read): one register, no state decode or multiplexer between it and the
        # XBar buffers' read select (issue 20).
        addr = Signal(c.ADDR_BITS, name="addr", reset_less=True)
        # `i == vw - 1` as a register, updated with `i`: the comparator's carry chain no
        # longer reaches `done`, the execute stage's retire and the front end's enables
        # (issue 20). It is `left == 2` before a handshake (`left`: the words not yet
        # handed over, `vw - i`), a compare with a constant rather than `i + 2 == vw`'s adder
        # and comparator (netstart).
        last = Signal(name="last", reset_less=True)
        left = Signal(range(MAX_VW + 1), name="left", reset_less=True)
        # `done` is a flip-flop set on the way into SEND_LAST / RECV_LAST (high exactly in
        # those states): no decode of the state register reaches the execute stage's retire
        # and the front end's enables (issue 20).
        done = Signal(name="done")
        m.d.sync += done.eq(self.done_next)
        m.d.comb += self.done.eq(done)
        # The channel, registered at the start (noc): the tile's channel-table lookups start
        # at this unit's registers, not at the execute stage's instruction register.
        tile = Signal.like(nc.tx_tile, name="tile", reset_less=True)
        core = Signal.like(nc.tx_core, name="core", reset_less=True)
        words = Signal.like(nc.rx_words, name="words", reset_less=True)
        m.d.comb += [
            nc.tx_tile.eq(tile), nc.tx_core.eq(core),
            nc.tx_last.eq(last), nc.rx_tile.eq(tile), nc.rx_core.eq(core), nc.rx_words.eq(words),
            dp.addr.eq(addr), dp.wdata.eq(rx_word),
            self.hops.eq(Mux(self.flit, nc.tx_hops, 0)),
        ]

        # send (nocpipe): words go through two registers used in turn (`buf`), each loaded
        # straight from the operand space's read data in the cycle after its read. A word is
        # read in the cycle of `start` and in SEND_READ2 (the first two), then in the cycle
        # after each handshake (`shook`), while `to_read` words remain: every read enable and
        # address comes from registers, not from `tx_ready`. `tx_valid` is low the cycle after a
        # handshake, so the next word (read two cycles before) is in its register when shown.
        buf = [Signal(signed(c.data_bits), name=f"buf{b}", reset_less=True) for b in range(2)]
        fill = Signal(name="fill", reset_less=True)     # the register the next read lands in
        show = Signal(name="show", reset_less=True)     # the register shown on tx_data
        landing = Signal(name="landing")            # a read was made last cycle
        to_read = Signal(range(MAX_VW + 1), name="to_read", reset_less=True)
        unread = Signal(name="unread", reset_less=True)     # to_read != 0, as a register
        is_send = Signal(name="is_send", reset_less=True)   # the instruction is a send
        shook = Signal(name="shook")
        tx_valid = Signal(name="tx_valid")
        rx_req = Signal(name="rx_req")
        read = Signal(name="read")
        m.d.comb += [nc.tx_data.eq(Mux(show, buf[1], buf[0])), dp.re.eq(read),
                     nc.tx_valid.eq(tx_valid & ~shook), nc.rx_req.eq(rx_req)]
        m.d.sync += [landing.eq(read), shook.eq(0)]
        with m.If(landing):
            m.d.sync += fill.eq(~fill)
            for b in range(2):
                with m.If(fill == b):
                    m.d.sync += buf[b].eq(dp.rdata)
        with m.If(read):
            m.d.sync += [addr.eq(addr + 1), to_read.eq(to_read - 1), unread.eq(to_read != 1)]
        assert CHANNEL_LEAD == 2, "the channel is shown in the start cycle and RECV_LOOKUP1"

        with m.FSM(name="fsm") as fsm:
            with m.State("IDLE"):
                # netstart: the instruction's fields are loaded in every idle cycle but that
                # of `start` (no enable from the dispatch decode); `start` (a flip-flop) is the
                # first cycle: a send's first read (SEND_READ), a recv's first channel cycle.
                with m.If(~self.start):
                    m.d.sync += [i.eq(0), last.eq(vw == 1), left.eq(vw),
                                 tile.eq(ins.tile), core.eq(ins.core),
                                 words.eq(vw), is_send.eq(ins.op.send),
                                 addr.eq(Mux(ins.op.send, ins.src, ins.dst)),
                                 to_read.eq(vw), unread.eq(1), fill.eq(0), show.eq(0)]
                with m.Elif(is_send):
                    m.d.comb += read.eq(1)
                    m.next = "SEND_READ2"
                with m.Else():
                    # The channel is on rx_tile/rx_core (first of CHANNEL_LEAD cycles); rx_req
                    # rises in the last of them (the tile registers it).
                    m.d.sync += rx_req.eq(1)
                    m.next = "RECV_LOOKUP1"
            with m.State("RECV_LOOKUP1"):
                # The channel's second cycle (the tile registers it, then looks it up), with
                # rx_req.
                m.next = "RECV"
            with m.State("SEND_READ2"):
                m.d.comb += read.eq(unread)
                m.d.sync += tx_valid.eq(1)
                m.next = "SEND"
            with m.State("SEND"):
                m.d.comb += read.eq(shook & unread)
                with m.If(nc.tx_valid & nc.tx_ready):
                    m.d.sync += [i.eq(i + 1), left.eq(left - 1), last.eq(left == 2),
                                 shook.eq(1), show.eq(~show)]
                    m.d.comb += [self.sent.eq(1), self.flit.eq(i % c.noc_words_per_flit == 0)]
                    with m.If(last):
                        m.d.comb += self.done_next.eq(1)
                        m.d.sync += tx_valid.eq(0)
                        m.next = "SEND_LAST"
            with m.State("SEND_LAST"):
                # `done` from a register: the network interface's credit check (`tx_ready`)
                # would otherwise reach the execute stage's retire (issue 20).
                m.next = "IDLE"
            with m.State("RECV"):
                # Each word is written in the cycle after its handshake (`pend`), the last
                # one in RECV_LAST.
                m.d.comb += dp.we.eq(pend)
                m.d.sync += pend.eq(nc.rx_ack)
                with m.If(pend):
                    m.d.sync += addr.eq(addr + 1)
                with m.If(nc.rx_ack):
                    m.d.comb += self.received.eq(1)
                    m.d.sync += [i.eq(i + 1), left.eq(left - 1), last.eq(left == 2)]
                    with m.If(last):
                        m.d.comb += self.done_next.eq(1)
                        m.d.sync += rx_req.eq(0)
                        m.next = "RECV_LAST"
            with m.State("RECV_LAST"):
                m.d.comb += dp.we.eq(1)
                m.d.sync += pend.eq(0)
                m.next = "IDLE"
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE") | self.start)
        return m
