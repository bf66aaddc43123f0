"""Tile shared memory: words with a valid bit and a consumer counter (docs/semantics.md §6)."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In

from panther.config import PantherConfig
from panther.hdl.ports import COUNT_BITS, SmemAccessSignature, SmemHostSignature

__all__ = ["SharedMemory", "smem_word_layout"]


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
    * ``reject``: the word is not ready (``st``: valid; ``ld``: invalid) or the host writes
      in this cycle. Nothing changes; the requester retries later.

    The pipeline: the block RAM is read in the start cycle; the next cycle registers the word
    (the block RAM's output goes straight into a register: its clock-to-output delay leaves
    no room for logic behind it), with the word written in that same cycle forwarded; the
    cycle after decides, answers and writes back. An attempt may start in every cycle and
    sees every write decided before its own (the read port is transparent to the write port
    in its start cycle, the forward covers the cycle after).

    The host port loads and dumps words while the cores are stopped.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    access : In(SmemAccessSignature(config))
    host : In(SmemHostSignature(config))
    """

    #: Cycles from an attempt's ``start`` to its ``ack`` or ``reject``.
    latency = 2

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({"access": In(SmemAccessSignature(config)),
                          "host": In(SmemHostSignature(config))})

    def elaborate(self, platform):
        c = self.config
        m = Module()
        layout = smem_word_layout(c)
        m.submodules.mem = mem = Memory(shape=layout, depth=c.smem_depth, init=[])
        wp = mem.write_port()
        rp = mem.read_port(transparent_for=(wp,))
        hp = mem.read_port()
        index_bits = max(1, (c.smem_depth - 1).bit_length())

        # Host port.
        host, access = self.host, self.access
        m.d.comb += [
            hp.addr.eq(host.addr[:index_bits]),
            host.rvalue.eq(hp.data.value),
            host.rvalid.eq(hp.data.valid),
            host.rcount.eq(hp.data.count),
        ]

        # Attempt pipeline: stage 0 reads, stage 1 registers the word, stage 2 decides.
        m.d.comb += rp.addr.eq(access.addr[:index_bits])
        s1_busy, s1_write = Signal(name="s1_busy"), Signal(name="s1_write")
        s1_addr = Signal(index_bits, name="s1_addr")
        s1_wdata = Signal(c.data_bits, name="s1_wdata", reset_less=True)
        s1_count = Signal(COUNT_BITS, name="s1_count", reset_less=True)
        m.d.sync += s1_busy.eq(access.start)
        with m.If(access.start):
            m.d.sync += [s1_write.eq(access.write), s1_addr.eq(access.addr[:index_bits]),
                         s1_wdata.eq(access.wdata), s1_count.eq(access.count)]

        s2_busy, s2_write = Signal(name="s2_busy"), Signal(name="s2_write")
        s2_addr = Signal(index_bits, name="s2_addr")
        s2_wdata = Signal(c.data_bits, name="s2_wdata", reset_less=True)
        s2_count = Signal(COUNT_BITS, name="s2_count", reset_less=True)
        word = Signal(layout, name="s2_word", reset_less=True)
        forward = Signal(name="s1_forward")
        m.d.comb += forward.eq(wp.en & (wp.addr == s1_addr))
        m.d.sync += [
            s2_busy.eq(s1_busy), s2_write.eq(s1_write), s2_addr.eq(s1_addr),
            s2_wdata.eq(s1_wdata), s2_count.eq(s1_count),
            word.eq(Mux(forward, wp.data.as_value(), rp.data.as_value())),
        ]

        ready = Signal()
        m.d.comb += [
            ready.eq(word.valid ^ s2_write),
            access.rdata.eq(word.value),
            access.ack.eq(s2_busy & ready & ~host.we),
            access.reject.eq(s2_busy & ~access.ack),
        ]
        with m.If(host.we):
            m.d.comb += [wp.en.eq(1), wp.addr.eq(host.addr[:index_bits]),
                         wp.data.value.eq(host.wvalue), wp.data.valid.eq(host.wvalid),
                         wp.data.count.eq(host.wcount)]
        with m.Elif(access.ack):
            m.d.comb += [wp.en.eq(1), wp.addr.eq(s2_addr)]
            with m.If(s2_write):
                m.d.comb += [wp.data.value.eq(s2_wdata), wp.data.valid.eq(1),
                             wp.data.count.eq(s2_count)]
            with m.Else():
                m.d.comb += wp.data.value.eq(word.value)
                with m.If(word.count == 0):
                    m.d.comb += [wp.data.valid.eq(1), wp.data.count.eq(0)]
                with m.Else():
                    m.d.comb += [wp.data.count.eq(word.count - 1),
                                 wp.data.valid.eq(word.count != 1)]
        return m
