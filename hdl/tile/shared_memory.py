"""Tile shared memory: words with a valid bit and a consumer counter (docs/semantics.md §6)."""

from amaranth.hdl import Module, Signal
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
    ``write``, ``addr``, ``wdata`` and ``count``. In the next cycle the stored word has been
    read and the attempt finishes with exactly one of

    * ``ack``: ``st`` on an invalid word (written, valid set, counter := ``count``) or ``ld``
      on a valid word (``rdata`` = value; a counter above 0 decrements and valid clears
      when it reaches 0; counter 0 = persistent word, left unchanged);
    * ``reject``: the word is not ready (``st``: valid; ``ld``: invalid) or the host writes
      in this cycle. Nothing changes; the requester retries later.

    A new attempt may start in the cycle another finishes (the read port is transparent to
    the write port, so it sees the word just written): one attempt per cycle.

    The host port loads and dumps words while the cores are stopped.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    access : In(SmemAccessSignature(config))
    host : In(SmemHostSignature(config))
    """

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

        # Attempt pipeline: stage 0 reads, stage 1 decides and writes back.
        busy = Signal()
        write = Signal()
        addr = Signal(index_bits)
        wdata = Signal(c.data_bits)
        count = Signal(COUNT_BITS)
        m.d.comb += rp.addr.eq(access.addr[:index_bits])
        m.d.sync += busy.eq(access.start)
        with m.If(access.start):
            m.d.sync += [write.eq(access.write), addr.eq(access.addr[:index_bits]),
                         wdata.eq(access.wdata), count.eq(access.count)]

        word = rp.data
        ready = Signal()
        m.d.comb += [
            ready.eq(word.valid ^ write),
            access.rdata.eq(word.value),
            access.ack.eq(busy & ready & ~host.we),
            access.reject.eq(busy & ~access.ack),
        ]
        with m.If(host.we):
            m.d.comb += [wp.en.eq(1), wp.addr.eq(host.addr[:index_bits]),
                         wp.data.value.eq(host.wvalue), wp.data.valid.eq(host.wvalid),
                         wp.data.count.eq(host.wcount)]
        with m.Elif(access.ack):
            m.d.comb += [wp.en.eq(1), wp.addr.eq(addr)]
            with m.If(write):
                m.d.comb += [wp.data.value.eq(wdata), wp.data.valid.eq(1), wp.data.count.eq(count)]
            with m.Else():
                m.d.comb += wp.data.value.eq(word.value)
                with m.If(word.count == 0):
                    m.d.comb += [wp.data.valid.eq(1), wp.data.count.eq(0)]
                with m.Else():
                    m.d.comb += [wp.data.count.eq(word.count - 1),
                                 wp.data.valid.eq(word.count != 1)]
        return m
