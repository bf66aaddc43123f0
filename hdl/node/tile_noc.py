"""A tile's network interface: the cores' ``send``/``recv`` ports on one side, the tile's link
to its router on the other (docs/node.md).

* **Sending.** Each core has a packer: words of a ``send`` go into a flit of up to
  ``noc_words_per_flit`` words (a flit closes when full or on the vector's last word). A word
  is taken only against a credit of its channel: one credit counter per (core of this tile,
  destination core of the node), starting at ``noc_fifo_depth``. Full flits and credit flits
  share the tile's output, round robin.
* **Receiving.** One FIFO of ``noc_fifo_depth`` words per channel into a core of this tile (one
  per sending core of the node), all in one memory; a data flit is written a word per cycle
  (credits guarantee the room). A core's ``recv`` takes one word per grant, round robin over
  the cores, one grant per cycle, the word one cycle later. Every word taken owes its sender a
  credit: channels owing credits queue up, and a credit flit returns all a channel owes.
* **Credit flits** go back over the same network and are always accepted, so flits never wait
  for each other in the routers.
"""

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

from .noc_port import CoreNocSignature, FlitKind, FlitLayout, NocPortSignature, noc_widths

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
        A flit waits here to leave, a received flit is being written, or credits are owed.
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
        layout = FlitLayout(c)
        tx, rx = self.port.tx, self.port.rx

        hops = Array(Const(c.noc_hops(self.tile_id, t), hop_bits) for t in range(T))

        # -- credits: one counter per (core of this tile, destination core of the node) --------
        credits = Array(Signal(range(D + 1), init=D, name=f"credit{j}") for j in range(n_ch))
        credit_in = Signal(range(n_ch))                 # the counter a credit flit refills
        credit_add = Signal(count_bits)

        # -- packers (one per core) -----------------------------------------------------------
        pend = Signal(C)
        tx_waits = []
        packers = []
        accepts, accept_idx = [], []
        for k in range(C):
            port = self.cores[k]
            words = Array(Signal(c.data_bits, name=f"p{k}_w{w}") for w in range(W))
            nbuf = Signal(range(W + 1), name=f"p{k}_n")
            dst_tile = Signal(tile_bits, name=f"p{k}_tile")
            dst_core = Signal(core_bits, name=f"p{k}_core")
            idx = Signal(range(n_ch), name=f"p{k}_idx")
            accept = Signal(name=f"p{k}_accept")
            m.d.comb += [idx.eq(k * per_core + port.tx_tile * C + port.tx_core),
                         port.tx_hops.eq(hops[port.tx_tile])]
            m.d.comb += accept.eq(port.tx_valid & ~pend[k] & (credits[idx] != 0))
            m.d.comb += port.tx_ready.eq(accept)
            with m.If(accept):
                m.d.sync += [words[nbuf].eq(port.tx_data), nbuf.eq(nbuf + 1),
                             dst_tile.eq(port.tx_tile), dst_core.eq(port.tx_core)]
                with m.If((nbuf == W - 1) | port.tx_last):
                    m.d.sync += pend[k].eq(1)
            packers.append((words, nbuf, dst_tile, dst_core))
            accepts.append(accept)
            accept_idx.append(idx)
            tx_waits.append(port.tx_valid & ~pend[k] & (credits[idx] == 0))

        for j in range(n_ch):
            k = j // per_core
            dec = accepts[k] & (accept_idx[k] == j)
            inc = Mux(credit_in == j, credit_add, 0)
            with m.If(dec | (credit_add != 0)):
                m.d.sync += credits[j].eq(credits[j] + inc - dec)

        # -- receive FIFOs -------------------------------------------------------------------------
        m.submodules.fifos = fifos = memory.Memory(shape=c.data_bits, depth=n_ch * D, init=[])
        wport = fifos.write_port()
        rport = fifos.read_port()
        heads = Array(Signal(range(D), name=f"head{j}") for j in range(n_ch))
        tails = Array(Signal(range(D), name=f"tail{j}") for j in range(n_ch))
        fills = Array(Signal(range(D + 1), name=f"fill{j}") for j in range(n_ch))
        owed = Array(Signal(range(D + 1), name=f"owed{j}") for j in range(n_ch))

        def bump(pointer):
            return Mux(pointer == D - 1, 0, pointer + 1)

        # incoming flits: credits at once, data words one per cycle from a holding register
        hold = Signal(layout)
        holding = Signal()
        widx = Signal(range(W + 1))
        w_ch = Signal(range(n_ch))
        m.d.comb += rx.ready.eq(~holding | (rx.flit.kind == FlitKind.CREDIT))
        with m.If(rx.valid & rx.ready):
            with m.If(rx.flit.kind == FlitKind.CREDIT):
                m.d.comb += [credit_in.eq(rx.flit.dst_core * per_core + rx.flit.src_tile * C
                                          + rx.flit.src_core),
                             credit_add.eq(rx.flit.count)]
            with m.Else():
                m.d.sync += [hold.eq(rx.flit), holding.eq(1), widx.eq(0)]
        write = Signal()
        m.d.comb += [w_ch.eq(hold.dst_core * per_core + hold.src_tile * C + hold.src_core),
                     write.eq(holding)]
        m.d.comb += [wport.addr.eq(w_ch * D + tails[w_ch]), wport.data.eq(hold.words[widx]),
                     wport.en.eq(write)]
        with m.If(write):
            m.d.sync += [tails[w_ch].eq(bump(tails[w_ch])), widx.eq(widx + 1)]
            with m.If(widx + 1 == hold.count):
                m.d.sync += holding.eq(0)

        # reads for the cores' recv: one grant per cycle, round robin, data a cycle later
        inflight = Signal(C)
        grant = Signal(range(C))
        granted = Signal()
        pointer = Signal(range(C))
        ready = []
        for k in range(C):
            port = self.cores[k]
            ch = Signal(range(n_ch), name=f"r{k}_ch")
            m.d.comb += ch.eq(k * per_core + port.rx_tile * C + port.rx_core)
            ok = Signal(name=f"r{k}_ok")
            m.d.comb += ok.eq(port.rx_req & ~inflight[k] & (fills[ch] != 0))
            ready.append((ok, ch))
            m.d.comb += self.waiting[k].eq(tx_waits[k]
                                           | (port.rx_req & ~inflight[k] & (fills[ch] == 0)))
        for shift in reversed(range(C)):
            for k in range(C):
                with m.If((pointer == (k - shift) % C) & ready[k][0]):
                    m.d.comb += [grant.eq(k), granted.eq(1)]
        r_ch = Signal(range(n_ch))
        m.d.comb += r_ch.eq(Array(ch for _, ch in ready)[grant])
        m.d.comb += [rport.addr.eq(r_ch * D + heads[r_ch]), rport.en.eq(1)]
        m.d.sync += inflight.eq(0)
        with m.If(granted):
            m.d.sync += [heads[r_ch].eq(bump(heads[r_ch])), inflight.bit_select(grant, 1).eq(1),
                         pointer.eq(Mux(grant == C - 1, 0, grant + 1))]
        for k in range(C):
            m.d.comb += [self.cores[k].rx_ack.eq(inflight[k]), self.cores[k].rx_data.eq(rport.data)]

        for j in range(n_ch):
            add = write & (w_ch == j)
            sub = granted & (r_ch == j)
            with m.If(add | sub):
                m.d.sync += fills[j].eq(fills[j] + add - sub)

        # -- credits owed: a queue of the channels that owe some ----------------------------------
        m.submodules.owing = owing = SyncFIFO(width=max(1, (n_ch - 1).bit_length()),
                                              depth=max(2, n_ch))
        head_ch = Signal(range(n_ch))
        m.d.comb += head_ch.eq(owing.r_data)
        sending_credit = Signal()
        for j in range(n_ch):
            popped = granted & (r_ch == j)
            returned = sending_credit & (head_ch == j)
            with m.If(popped | returned):
                m.d.sync += owed[j].eq(Mux(returned, 0, owed[j]) + popped)
        # a channel joins the queue when it starts to owe (or owes again as it is paid)
        m.d.comb += [owing.w_data.eq(r_ch),
                     owing.w_en.eq(granted & ((owed[r_ch] == 0)
                                              | (sending_credit & (head_ch == r_ch))))]

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
            m.d.comb += [tx.flit.kind.eq(FlitKind.CREDIT), tx.flit.count.eq(owed[head_ch]),
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
        m.d.comb += self.busy.eq(pend.any() | holding | owing.r_rdy)
        return m
