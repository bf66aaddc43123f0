"""Tile shared memory: words with a valid bit and a consumer counter (docs/semantics.md §6)."""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.mcu.replica import REPLICA
from panther.hdl.ports import COUNT_BITS, X_ON_COLLISION, SmemAccessSignature, SmemHostSignature

__all__ = ["SharedMemory", "smem_word_layout", "X_ON_COLLISION"]


def smem_word_layout(config):
    """``StructLayout`` of one stored word: ``value`` (data word), ``valid``, ``count``."""
    return data.StructLayout({"value": config.data_bits, "valid": 1, "count": COUNT_BITS})


class SharedMemory(wiring.Component):
    """``config.smem_depth`` synchronised words with one access pipeline and a host port.

    An *attempt* (the ``access`` port) starts with a one-cycle ``start`` strobe carrying
    ``write``, ``addr``, ``wdata`` and ``count``. :attr:`latency` cycles later it finishes with
    exactly one of

    * ``ack``: ``st`` on an invalid word (written, valid set, counter := ``count``) or ``ld``
      on a valid word (``rdata`` = value; a counter above 0 decrements and valid clears
      when it reaches 0; counter 0 = persistent word, left unchanged);
    * ``reject``: the word is not ready (``st``: valid; ``ld``: invalid) or a host write
      takes the write port in this cycle. Nothing changes; the requester retries later.

    The pipeline: the block RAM is read in the start cycle; the next cycle registers its
    output as it is (its clock-to-output delay leaves no room for logic behind it) and, beside
    it, the newest word written to that address in the start cycle or in this one, with the
    readiness for either value of the block RAM's valid bit (whether the write in this cycle
    hits the attempt's address comes from flags registered in the start cycle: each
    requester's address compared there with the host's and with stage 1's, selected by the
    attempt's ``who``; each registered word carries its ``count != 1``, a load's next
    ``valid``); the cycle after picks, answers and writes back. ``ack`` is then one 3-input
    function of registers, and an attempt still sees every write decided before its own (an
    attempt may start in every cycle).

    The host port loads and dumps words while the cores are stopped. Its write is registered
    here and lands in the write port a cycle after ``we`` (it rejects the attempt deciding in
    that cycle), so that no host signal reaches ``ack`` but through a register.

    Each attempt also names its requester (``who``, one-hot of ``n_requesters``); ``acks``
    is ``ack`` per requester, each one 3-input function of registers (the requester's
    readiness for either valid bit, registered in stage 1, and the block RAM's valid bit).

    Parameters
    ----------
    config : PantherConfig
    n_requesters : int
        Width of ``who`` and ``acks`` (default ``config.cores_per_tile``).

    Members
    -------
    access : In(SmemAccessSignature(config))
    who : In(n_requesters)
        One-hot requester of the attempt starting in this cycle.
    acks : Out(n_requesters)
        ``ack`` of the requester whose attempt finishes in this cycle.
    addrs : In(data.ArrayLayout(config.SMEM_ADDR_BITS, n_requesters))
        Each requester's address in this cycle (the one ``who`` names is ``access.addr``):
        compared here a cycle ahead with the host's and stage 1's addresses, so that the
        forward decision takes registered flags.
    host : In(SmemHostSignature(config))
    """

    #: Cycles from an attempt's ``start`` to its ``ack`` or ``reject``.
    latency = 2

    def __init__(self, *, config, n_requesters=None):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        n = config.cores_per_tile if n_requesters is None else n_requesters
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
            raise ValueError(f"n_requesters must be a positive integer, not {n!r}")
        self.config = config
        self.n_requesters = n
        super().__init__({"access": In(SmemAccessSignature(config)), "who": In(n),
                          "acks": Out(n), "host": In(SmemHostSignature(config)),
                          "addrs": In(data.ArrayLayout(config.SMEM_ADDR_BITS, n))})

    def elaborate(self, platform):
        c = self.config
        m = Module()
        layout = smem_word_layout(c)
        m.submodules.mem = mem = Memory(shape=layout, depth=c.smem_depth, init=[])
        wp = mem.write_port()
        rp = mem.read_port()
        hp = mem.read_port()
        index_bits = max(1, (c.smem_depth - 1).bit_length())
        host, access = self.host, self.access

        # Host port: reads straight from its own read port (not in the cycle a write lands
        # on the same word: the board reads the word addressed in the request's first cycle,
        # which no write lands in); a write is registered.
        hp_data = Signal(layout, name="hp_data", attrs={X_ON_COLLISION: 1})
        # REPLICA: not merged with the system's copy for the deadlock detector (`host_we_r`).
        h_we = Signal(name="h_we", attrs=REPLICA)
        # REPLICA: the board registers the same bus fields for the crossbars and the cores'
        # debug ports; kept, Yosys does not merge these into one far flip-flop.
        h_addr = Signal(index_bits, name="h_addr", reset_less=True, attrs=REPLICA)
        h_word = Signal(layout, name="h_word", reset_less=True, attrs=REPLICA)
        m.d.comb += [
            hp.addr.eq(host.addr[:index_bits]),
            hp_data.eq(hp.data),
            host.rvalue.eq(hp_data.value),
            host.rvalid.eq(hp_data.valid),
            host.rcount.eq(hp_data.count),
        ]
        m.d.sync += [h_we.eq(host.we), h_addr.eq(host.addr[:index_bits]),
                     h_word.value.eq(host.wvalue), h_word.valid.eq(host.wvalid),
                     h_word.count.eq(host.wcount)]
        # Beside each word in a register, whether its counter differs from 1 (what a load
        # leaves in `valid`), so that the next attempt's readiness does not compare counters.
        h_ne1 = Signal(name="h_ne1", reset_less=True)
        wp_ne1 = Signal()
        m.d.sync += h_ne1.eq(host.wcount != 1)

        # The last cycle's write (what the block RAM's read in that cycle does not show).
        lw_word = Signal(layout, name="lw_word", reset_less=True)
        lw_ne1 = Signal(name="lw_ne1", reset_less=True)
        m.d.sync += [lw_word.eq(wp.data), lw_ne1.eq(wp_ne1)]

        # Stage 0 reads the block RAM and registers the request.
        m.d.comb += rp.addr.eq(access.addr[:index_bits])
        s1_busy = Signal(name="s1_busy")
        s1_who = Signal(self.n_requesters, name="s1_who", reset_less=True)
        s1_write = Signal(name="s1_write", reset_less=True)
        s1_addr = Signal(index_bits, name="s1_addr", reset_less=True)
        s1_wdata = Signal(c.data_bits, name="s1_wdata", reset_less=True)
        s1_count = Signal(COUNT_BITS, name="s1_count", reset_less=True)
        m.d.sync += [s1_busy.eq(access.start), s1_write.eq(access.write),
                     s1_addr.eq(access.addr[:index_bits]), s1_wdata.eq(access.wdata),
                     s1_count.eq(access.count), s1_who.eq(self.who)]
        # Stage 1 registers the block RAM's word and, beside it, the newer word written in
        # stage 0's cycle (`lw_*`) or in this one (`wp`, newest), if any.
        raw = Signal(layout, name="s2_raw", reset_less=True)
        # (A collision's word is replaced by the forward: X_ON_COLLISION.)
        rp_data = Signal(layout, name="rp_data", attrs={X_ON_COLLISION: 1})
        m.d.comb += rp_data.eq(rp.data)
        s2_hit = Signal(name="s2_hit", reset_less=True)
        s2_fwd = Signal(layout, name="s2_fwd", reset_less=True)
        s2_fwd_ne1 = Signal(name="s2_fwd_ne1", reset_less=True)
        s2_count_ne1 = Signal(name="s2_count_ne1", reset_less=True)
        s2_busy = Signal(name="s2_busy")
        s2_write = Signal(name="s2_write", reset_less=True)
        s2_addr = Signal(index_bits, name="s2_addr", reset_less=True)
        s2_wdata = Signal(c.data_bits, name="s2_wdata", reset_less=True)
        s2_count = Signal(COUNT_BITS, name="s2_count", reset_less=True)
        # Readiness if the block RAM's valid bit is 1 / 0; 0 when a host write lands next.
        s2_ready1 = Signal(name="s2_ready1")
        s2_ready0 = Signal(name="s2_ready0")
        s2_ready1_who = Signal(self.n_requesters, name="s2_ready1_who")
        s2_ready0_who = Signal(self.n_requesters, name="s2_ready0_who")
        # Whether a write hits the attempt in stage 1 comes from flags registered in its start
        # cycle, each requester's address against the write port's sources there (the write
        # in that cycle, `lw_*`) and in the next one (the host write registered then, the
        # attempt in stage 1 then); stage 1 selects them by `s1_who`.
        eq_last = Signal(self.n_requesters, name="s1_eq_last", reset_less=True)
        eq_host = Signal(self.n_requesters, name="s1_eq_host", reset_less=True)
        eq_prev = Signal(self.n_requesters, name="s1_eq_prev", reset_less=True)
        for i in range(self.n_requesters):
            a = self.addrs[i][:index_bits]
            m.d.sync += [eq_last[i].eq(Mux(h_we, a == h_addr, access.ack & (a == s2_addr))),
                         eq_host[i].eq(a == host.addr[:index_bits]), eq_prev[i].eq(a == s1_addr)]
        hit_last = (s1_who & eq_last).any()
        live = s1_busy & ~host.we
        # The attempt's write-back (`aw`), the write port's data when no host write lands.
        aw = Signal(layout)
        aw_ne1 = Signal()

        def pick(hit_now, w, w_ne1):
            """Stage 1's word, its `!= 1`, hit and readiness if the write now is `w`."""
            fwd = Signal(layout)
            m.d.comb += fwd.eq(Mux(hit_now, w, lw_word))
            fwd_ready = fwd.valid ^ s1_write
            hit = hit_now | hit_last
            return (fwd, Mux(hit_now, w_ne1, lw_ne1), hit,
                    live & Mux(hit, fwd_ready, ~s1_write), live & Mux(hit, fwd_ready, s1_write))

        # Each term for either value of `h_we` (far, high fan-out), which picks last.
        fwd = Signal(layout)
        fwd_ne1, hit, ready1, ready0 = Signal(), Signal(), Signal(), Signal()
        by_host = pick((s1_who & eq_host).any(), h_word, h_ne1)
        by_attempt = pick(access.ack & (s1_who & eq_prev).any(), aw, aw_ne1)
        m.d.comb += [x.eq(Mux(h_we, h, a)) for x, h, a in
                     zip((fwd, fwd_ne1, hit, ready1, ready0), by_host, by_attempt)]
        for i in range(self.n_requesters):
            m.d.sync += [s2_ready1_who[i].eq(ready1 & s1_who[i]),
                         s2_ready0_who[i].eq(ready0 & s1_who[i])]
        m.d.sync += [
            raw.eq(rp_data), s2_hit.eq(hit), s2_fwd.eq(fwd),
            s2_busy.eq(s1_busy), s2_write.eq(s1_write), s2_addr.eq(s1_addr),
            s2_wdata.eq(s1_wdata), s2_count.eq(s1_count), s2_count_ne1.eq(s1_count != 1),
            s2_fwd_ne1.eq(fwd_ne1),
            s2_ready1.eq(ready1), s2_ready0.eq(ready0),
        ]

        # Stage 2 decides, answers and writes back.
        word = Signal(layout, name="s2_word")
        m.d.comb += [
            word.eq(Mux(s2_hit, s2_fwd, raw)),
            access.rdata.eq(word.value),
            access.ack.eq(Mux(raw.valid, s2_ready1, s2_ready0)),
            self.acks.eq(Mux(raw.valid, s2_ready1_who, s2_ready0_who)),
            access.reject.eq(s2_busy & ~access.ack),
        ]
        # The write port's address and data do not wait for `ack` (only its enable does).
        m.d.comb += [wp.en.eq(h_we | access.ack), wp.addr.eq(Mux(h_we, h_addr, s2_addr))]
        m.d.comb += [wp.data.eq(Mux(h_we, h_word, aw)), wp_ne1.eq(Mux(h_we, h_ne1, aw_ne1))]
        with m.If(s2_write):
            m.d.comb += [aw.value.eq(s2_wdata), aw.valid.eq(1), aw.count.eq(s2_count)]
        with m.Else():
            # A load's counter, from either source before the pick (no carry chain).
            m.d.comb += [aw.value.eq(word.value),
                         aw.count.eq(Mux(s2_hit, _count_down(s2_fwd.count),
                                         _count_down(raw.count))),
                         aw.valid.eq(Mux(s2_hit, s2_fwd_ne1, raw.count != 1))]
        # The written counter's `!= 1`: a load's new counter is 1 when the old one is 2.
        m.d.comb += aw_ne1.eq(Mux(s2_write, s2_count_ne1,
                                  Mux(s2_hit, s2_fwd.count != 2, raw.count != 2)))
        return m


def _count_down(count):
    """A load's new counter: ``count - 1``, 0 for 0 (persistent), as a borrow per bit."""
    bits = [count[k] ^ ~count[:k].any() if k else ~count[0] for k in range(len(count))]
    return Mux(count.any(), Cat(*bits), 0)
