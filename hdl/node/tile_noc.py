"""A tile's network interface: the cores' ``send``/``recv`` ports on one side, the tile's link
to its router on the other (docs/node.md).

* **Sending.** Each core has a packer: words of a ``send`` go into a flit of up to
  ``noc_words_per_flit`` words (a flit closes when full or on the vector's last word). A word
  is taken only against a credit of its channel: one credit counter per (core of this tile,
  destination core of the node), starting at ``noc_fifo_depth``, checked from a register of
  the previous cycle's lookup. Full flits and credit flits share the tile's output, round
  robin.
* **Receiving.** One FIFO of ``noc_fifo_depth`` words per channel into a core of this tile (one
  per sending core of the node), all in one memory; a data flit is written a word per cycle
  (credits guarantee the room). A core's ``recv`` takes one word per grant, round robin over
  the cores, one grant per cycle from the channel's tail and head looked up the cycle before,
  the word one cycle later. Every word taken owes its sender a credit: channels owing credits
  queue up (a cycle after the grant of the word that makes them owe), and a credit flit
  returns all a channel owes.
* **Credit flits** go back over the same network and are always accepted, so flits never wait
  for each other in the routers.
* **Per-channel state in memories.** Every per-channel counter is a :class:`ChannelTable`
  (one writer, asynchronous readers, reads 0 after a reset): words sent and credits returned
  (their difference is the words in flight), a FIFO's tail, head and ``paid`` (the head when
  its last credit flit left; ``head - paid`` is owed). No counter has two writers, and the
  conversion grows linearly with the channels (8832 on a paper tile).
"""

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

from .channel_table import ChannelTable
from .noc_port import (
    MAX_RECV_WORDS,
    CoreNocSignature,
    FlitKind,
    FlitLayout,
    NocPortSignature,
    channel_widths,
    noc_widths,
)

__all__ = ["TileNoc"]


class TileNoc(wiring.Component):
    """The network interface of one tile.

    Parameters
    ----------
    config : PantherConfig
    tile_id : int
        The tile's number on the node (the ``src_tile`` of its flits).

    Members
    -------
    cores : In(CoreNocSignature(config)).array(cores_per_tile)
        The cores' ports (this side serves them).
    port : Out(NocPortSignature(config))
        The tile's link to its router.
    waiting : Out(cores_per_tile)
        Per core: its ``send`` waits for a credit, or its ``recv`` for a word of an empty
        channel (a node deadlock needs every running core waiting and the network idle).
    busy : Out(1)
        A flit waits here to leave, a received flit is being written (or its last word or a
        credit arrived last cycle), or credits are owed.
    """

    def __init__(self, *, config, tile_id):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if not (isinstance(tile_id, int) and not isinstance(tile_id, bool)
                and 0 <= tile_id < config.tiles_per_node):
            raise ValueError(f"tile_id must be an integer from 0 to {config.tiles_per_node - 1}, "
                             f"not {tile_id!r}")
        self.config = config
        self.tile_id = tile_id
        super().__init__({
            "cores": In(CoreNocSignature(config)).array(config.cores_per_tile),
            "port": Out(NocPortSignature(config)),
            "waiting": Out(config.cores_per_tile),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        c = self.config
        m = Module()
        C, T, D, W = c.cores_per_tile, c.tiles_per_node, c.noc_fifo_depth, c.noc_words_per_flit
        per_core = T * C                      # channels into (or credits of) one core
        n_ch = C * per_core
        tile_bits, core_bits, count_bits, hop_bits = noc_widths(c)
        credit_bits, pointer_bits = channel_widths(c)
        layout = FlitLayout(c)
        tx, rx = self.port.tx, self.port.rx

        hops = Array(Const(c.noc_hops(self.tile_id, t), hop_bits) for t in range(T))

        def ring(value):
            """``value`` (a difference of two pointers) modulo ``2 D``."""
            return Mux(value < 0, value + 2 * D, value)[:pointer_bits]

        # With D a power of two the pointers wrap by themselves (modulo 2 D = 2 ** bits): no
        # comparison and no constant on a multiplexer, which Yosys makes a register's
        # synchronous clear (its LSR pin, nocpipe).
        pow2 = D & (D - 1) == 0

        def bump(pointer):
            if pow2:
                return (pointer + 1)[:pointer_bits]
            return Mux(pointer == 2 * D - 1, 0, pointer + 1)

        def slot(pointer):
            if pow2:
                return pointer[:pointer_bits - 1]
            return Mux(pointer >= D, pointer - D, pointer)

        # -- credits: words sent and credits returned, per (core, destination core) ----------
        # A channel's words in flight are sent - returned (modulo 2 ** credit_bits > D); a word
        # leaves only while fewer than D are.
        m.submodules.returned = returned = ChannelTable(width=credit_bits, depth=n_ch,
                                                        reads=C + 1)
        credit_en = Signal()
        credit_in = Signal(range(n_ch))                 # the channel a credit flit pays
        credit_add = Signal(count_bits)
        m.d.comb += [returned.read_addr[C].eq(credit_in), returned.write_addr.eq(credit_in),
                     returned.write_data.eq(returned.read_data[C] + credit_add),
                     returned.write_en.eq(credit_en)]

        # -- packers (one per core) -----------------------------------------------------------
        pend = Signal(C)
        tx_waits = []
        packers = []
        for k in range(C):
            port = self.cores[k]
            m.submodules[f"sent{k}"] = sent = ChannelTable(width=credit_bits, depth=per_core,
                                                           reads=1)
            words = Array(Signal(c.data_bits, name=f"p{k}_w{w}") for w in range(W))
            nbuf = Signal(range(W + 1), name=f"p{k}_n")
            dst_tile = Signal(tile_bits, name=f"p{k}_tile")
            dst_core = Signal(core_bits, name=f"p{k}_core")
            dst = Signal(range(per_core), name=f"p{k}_dst", reset_less=True)
            accept = Signal(name=f"p{k}_accept")
            # The channel is registered here, next to the tables (nocpipe: the core's register
            # is a long route away), and the tables are read from that register into the
            # credit check and the incremented count, so no table read reaches ``tx_ready`` or
            # the table's write (CoreNocSignature: the channel is shown CHANNEL_LEAD cycles
            # ahead). ``room`` and ``sent_next`` are stale the cycle after an accept (``sent``
            # not yet counted): no accept then; credits only add room.
            room = Signal(name=f"p{k}_room")
            accepted = Signal(name=f"p{k}_accepted")
            sent_next = Signal(credit_bits, name=f"p{k}_sent_next", reset_less=True)
            hops_q = Signal(hop_bits, name=f"p{k}_hops", reset_less=True)
            m.d.sync += [dst.eq(port.tx_tile * C + port.tx_core), hops_q.eq(hops[port.tx_tile])]
            m.d.comb += [port.tx_hops.eq(hops_q),
                         sent.read_addr[0].eq(dst), returned.read_addr[k].eq(k * per_core + dst)]
            m.d.sync += [room.eq((sent.read_data[0] - returned.read_data[k])[:credit_bits] != D),
                         sent_next.eq(sent.read_data[0] + 1), accepted.eq(accept)]
            m.d.comb += accept.eq(port.tx_valid & ~pend[k] & room & ~accepted)
            m.d.comb += [port.tx_ready.eq(accept), sent.write_addr.eq(dst),
                         sent.write_data.eq(sent_next), sent.write_en.eq(accept)]
            with m.If(accept):
                m.d.sync += [words[nbuf].eq(port.tx_data), nbuf.eq(nbuf + 1),
                             dst_tile.eq(port.tx_tile), dst_core.eq(port.tx_core)]
                with m.If((nbuf == W - 1) | port.tx_last):
                    m.d.sync += pend[k].eq(1)
            packers.append((words, nbuf, dst_tile, dst_core))
            tx_waits.append(port.tx_valid & ~pend[k] & ~room & ~accepted)

        # -- receive FIFOs -------------------------------------------------------------------------
        # Per channel into a core: tail (words written), head (words taken) and paid (head when
        # the last credit flit left), pointers modulo 2 D; fill = tail - head, owed = head - paid.
        m.submodules.fifos = fifos = memory.Memory(shape=c.data_bits, depth=n_ch * D, init=[])
        wport = fifos.write_port()
        rport = fifos.read_port()
        m.submodules.tails = tails = ChannelTable(width=pointer_bits, depth=n_ch, reads=C + 1)
        m.submodules.heads = heads = ChannelTable(width=pointer_bits, depth=n_ch, reads=C + 1)
        m.submodules.paid = paid = ChannelTable(width=pointer_bits, depth=n_ch, reads=2)

        # incoming flits: credits at once, data words one per cycle from a holding register
        hold = Signal(layout)
        holding = Signal()
        widx = Signal(range(W + 1))
        w_ch = Signal(range(n_ch))
        m.d.comb += rx.ready.eq(~holding | (rx.flit.kind == FlitKind.CREDIT))
        with m.If(rx.valid & rx.ready):
            with m.If(rx.flit.kind == FlitKind.CREDIT):
                m.d.comb += [credit_en.eq(1),
                             credit_in.eq(rx.flit.dst_core * per_core + rx.flit.src_tile * C
                                          + rx.flit.src_core),
                             credit_add.eq(rx.flit.count)]
            with m.Else():
                m.d.sync += [hold.eq(rx.flit), holding.eq(1), widx.eq(0)]
        write = Signal()
        tail = tails.read_data[C]
        m.d.comb += [w_ch.eq(hold.dst_core * per_core + hold.src_tile * C + hold.src_core),
                     write.eq(holding), tails.read_addr[C].eq(w_ch)]
        m.d.comb += [wport.addr.eq(w_ch * D + slot(tail)), wport.data.eq(hold.words[widx]),
                     wport.en.eq(write),
                     tails.write_addr.eq(w_ch), tails.write_data.eq(bump(tail)),
                     tails.write_en.eq(write)]
        with m.If(write):
            m.d.sync += widx.eq(widx + 1)
            with m.If(widx + 1 == hold.count):
                m.d.sync += holding.eq(0)

        # reads for the cores' recv: one grant per cycle, round robin, data a cycle later.
        # Three steps (noc, nocpipe): every cycle each core's channel is registered here;
        # the next cycle it is looked up (tail, head) into registers; the next grants from
        # them and writes the head. The head read in a grant's cycle is the old one, but the
        # core is not granted the next cycle (``inflight``), when the lookup sees the new
        # head. A stale tail only delays a word.
        inflight = Signal(C)
        grant = Signal(range(C))
        granted = Signal()
        pointer = Signal(range(C))
        ready = []
        for k in range(C):
            port = self.cores[k]
            ch = Signal(range(n_ch), name=f"r{k}_ch", reset_less=True)
            m.d.sync += ch.eq(k * per_core + port.rx_tile * C + port.rx_core)
            m.d.comb += [tails.read_addr[k].eq(ch), heads.read_addr[k].eq(ch)]
            looked = heads.read_data[k]
            empty = Signal(name=f"r{k}_empty", init=1)
            ch_q = Signal(range(n_ch), name=f"r{k}_ch_q", reset_less=True)
            head_q = Signal(pointer_bits, name=f"r{k}_head", reset_less=True)
            next_q = Signal(pointer_bits, name=f"r{k}_next", reset_less=True)
            addr_q = Signal(range(n_ch * D), name=f"r{k}_addr", reset_less=True)
            m.d.sync += [empty.eq(tails.read_data[k] == looked), ch_q.eq(ch), head_q.eq(looked),
                         next_q.eq(bump(looked)), addr_q.eq(ch * D + slot(looked))]
            # The request is registered here too (nocpipe): ``req`` rises a cycle after
            # ``rx_req`` and falls a cycle after it, so the grants stop at the request's
            # ``rx_words`` (``more``), not at ``rx_req``'s fall.
            req = Signal(name=f"r{k}_req")
            left = Signal(range(MAX_RECV_WORDS + 1), name=f"r{k}_left", reset_less=True)
            more = Signal(name=f"r{k}_more")
            m.d.sync += req.eq(port.rx_req)
            with m.If(~req):
                m.d.sync += [left.eq(port.rx_words), more.eq(port.rx_words != 0)]
            with m.Elif(granted & (grant == k)):
                m.d.sync += [left.eq(left - 1), more.eq(left != 1)]
            ok = Signal(name=f"r{k}_ok")
            m.d.comb += ok.eq(req & more & ~inflight[k] & ~empty)
            ready.append((ok, ch_q, head_q, next_q, addr_q))
            m.d.comb += self.waiting[k].eq(tx_waits[k] | (req & more & ~inflight[k] & empty))
        for shift in reversed(range(C)):
            for k in range(C):
                with m.If((pointer == (k - shift) % C) & ready[k][0]):
                    m.d.comb += [grant.eq(k), granted.eq(1)]
        r_ch = Signal(range(n_ch))
        head = Signal(pointer_bits)
        m.d.comb += [r_ch.eq(Array(r[1] for r in ready)[grant]),
                     head.eq(Array(r[2] for r in ready)[grant])]
        m.d.comb += [rport.addr.eq(Array(r[4] for r in ready)[grant]), rport.en.eq(1),
                     heads.write_addr.eq(r_ch),
                     heads.write_data.eq(Array(r[3] for r in ready)[grant]),
                     heads.write_en.eq(granted)]
        m.d.sync += inflight.eq(0)
        with m.If(granted):
            m.d.sync += [inflight.bit_select(grant, 1).eq(1),
                         pointer.eq(Mux(grant == C - 1, 0, grant + 1))]
        for k in range(C):
            m.d.comb += [self.cores[k].rx_ack.eq(inflight[k]), self.cores[k].rx_data.eq(rport.data)]

        # -- credits owed: a queue of the channels that owe some ----------------------------------
        m.submodules.owing = owing = SyncFIFO(width=max(1, (n_ch - 1).bit_length()),
                                              depth=max(2, n_ch))
        head_ch = Signal(range(n_ch))
        sending_credit = Signal()
        owed = Signal(count_bits)
        m.d.comb += [head_ch.eq(owing.r_data), heads.read_addr[C].eq(head_ch),
                     paid.read_addr[1].eq(head_ch),
                     owed.eq(ring(heads.read_data[C] - paid.read_data[1])),
                     paid.write_addr.eq(head_ch), paid.write_data.eq(heads.read_data[C]),
                     paid.write_en.eq(sending_credit)]
        # A channel joins the queue when it starts to owe: a cycle after the grant, from the
        # registered channel and head (not from the grant's read path). ``paid`` then already
        # holds a credit flit sent for it in the grant's cycle (``paid`` = the old head, so it
        # owes again); a channel is granted at most every other cycle (``inflight``), so no
        # join of the same channel is pending then.
        join = Signal()
        join_ch = Signal(range(n_ch))
        join_head = Signal(pointer_bits)
        m.d.sync += [join.eq(granted), join_ch.eq(r_ch), join_head.eq(head)]
        m.d.comb += [paid.read_addr[0].eq(join_ch), owing.w_data.eq(join_ch),
                     owing.w_en.eq(join & (paid.read_data[0] == join_head))]

        # -- the tile's output: packers and the credit queue, round robin ------------------------
        n_src = C + 1                                   # source C: the credit queue
        out_ptr = Signal(range(n_src))
        out_sel = Signal(range(n_src))
        out_any = Signal()
        requests = [pend[k] for k in range(C)] + [owing.r_rdy]
        for shift in reversed(range(n_src)):
            for s in range(n_src):
                with m.If((out_ptr == (s - shift) % n_src) & requests[s]):
                    m.d.comb += [out_sel.eq(s), out_any.eq(1)]
        m.d.comb += tx.valid.eq(out_any)
        with m.If(out_sel == C):
            credit_ch = head_ch
            m.d.comb += [tx.flit.kind.eq(FlitKind.CREDIT), tx.flit.count.eq(owed),
                         tx.flit.src_tile.eq(self.tile_id),
                         tx.flit.src_core.eq(credit_ch // per_core),
                         tx.flit.dst_tile.eq((credit_ch % per_core) // C),
                         tx.flit.dst_core.eq(credit_ch % C)]
        for k in range(C):
            words, nbuf, dst_tile, dst_core = packers[k]
            with m.If(out_sel == k):
                m.d.comb += [tx.flit.kind.eq(FlitKind.DATA), tx.flit.count.eq(nbuf),
                             tx.flit.src_tile.eq(self.tile_id), tx.flit.src_core.eq(k),
                             tx.flit.dst_tile.eq(dst_tile), tx.flit.dst_core.eq(dst_core)]
                for w in range(W):
                    m.d.comb += tx.flit.words[w].eq(words[w])
        with m.If(out_any & tx.ready):
            m.d.sync += out_ptr.eq(Mux(out_sel == C, 0, out_sel + 1))
            with m.If(out_sel == C):
                m.d.comb += [sending_credit.eq(1), owing.r_en.eq(1)]
            for k in range(C):
                with m.If(out_sel == k):
                    m.d.sync += [pend[k].eq(0), packers[k][1].eq(0)]
        # A credit or word that arrived last cycle is not yet in the registered lookups.
        arrived = Signal()
        m.d.sync += arrived.eq(credit_en | write)
        m.d.comb += self.busy.eq(pend.any() | holding | owing.r_rdy | join | arrived)
        return m
