"""Tile shared memory: words with a valid bit and a consumer counter (docs/semantics.md §6)."""

from amaranth.hdl import Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

from .smem_port import COUNT_BITS

__all__ = ["SharedMemory", "smem_word_layout"]


def smem_word_layout(config):
    """``StructLayout`` of one stored word: ``value`` (data word), ``valid``, ``count``."""
    return data.StructLayout({"value": config.data_bits, "valid": 1, "count": COUNT_BITS})


class SharedMemory(wiring.Component):
    """``config.smem_depth`` synchronised words with one access pipeline and a host port.

    An *attempt* starts with a one-cycle ``start`` strobe carrying ``write``, ``addr``,
    ``wdata`` and ``count``. In the next cycle the stored word has been read and the
    attempt finishes with exactly one of

    * ``ack``: ``st`` on an invalid word (written, valid set, counter := ``count``) or ``ld``
      on a valid word (``rdata`` = value; a counter above 0 decrements and valid clears
      when it reaches 0; counter 0 = persistent word, left unchanged);
    * ``reject``: the word is not ready (``st``: valid; ``ld``: invalid) or the host writes
      in this cycle. Nothing changes; the requester retries later.

    A new attempt may start in the cycle another finishes (the read port is transparent to
    the write port, so it sees the word just written): one attempt per cycle.

    Host port (for loading and dumping while the cores are stopped): ``host_we`` writes
    ``host_wvalue`` / ``host_wvalid`` / ``host_wcount`` to ``host_addr``; ``host_rvalue`` /
    ``host_rvalid`` / ``host_rcount`` show the word at the ``host_addr`` of the previous cycle.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    start, write : In(1)
    addr : In(config.SMEM_ADDR_BITS)
    wdata : In(config.data_bits)
    count : In(COUNT_BITS)
    ack, reject : Out(1)
    rdata : Out(config.data_bits)
    host_addr : In(config.SMEM_ADDR_BITS)
    host_we, host_wvalid : In(1)
    host_wvalue, host_rvalue : In / Out(config.data_bits)
    host_wcount, host_rcount : In / Out(COUNT_BITS)
    host_rvalid : Out(1)
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        a, d = config.SMEM_ADDR_BITS, config.data_bits
        super().__init__({
            "start": In(1), "write": In(1), "addr": In(a), "wdata": In(d), "count": In(COUNT_BITS),
            "ack": Out(1), "reject": Out(1), "rdata": Out(d),
            "host_addr": In(a), "host_we": In(1), "host_wvalue": In(d), "host_wvalid": In(1),
            "host_wcount": In(COUNT_BITS),
            "host_rvalue": Out(d), "host_rvalid": Out(1), "host_rcount": Out(COUNT_BITS),
        })

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
        m.d.comb += [
            hp.addr.eq(self.host_addr[:index_bits]),
            self.host_rvalue.eq(hp.data.value),
            self.host_rvalid.eq(hp.data.valid),
            self.host_rcount.eq(hp.data.count),
        ]

        # Attempt pipeline: stage 0 reads, stage 1 decides and writes back.
        busy = Signal()
        write = Signal()
        addr = Signal(index_bits)
        wdata = Signal(c.data_bits)
        count = Signal(COUNT_BITS)
        m.d.comb += rp.addr.eq(self.addr[:index_bits])
        m.d.sync += busy.eq(self.start)
        with m.If(self.start):
            m.d.sync += [write.eq(self.write), addr.eq(self.addr[:index_bits]),
                         wdata.eq(self.wdata), count.eq(self.count)]

        word = rp.data
        ready = Signal()
        m.d.comb += [
            ready.eq(word.valid ^ write),
            self.rdata.eq(word.value),
            self.ack.eq(busy & ready & ~self.host_we),
            self.reject.eq(busy & ~self.ack),
        ]
        with m.If(self.host_we):
            m.d.comb += [wp.en.eq(1), wp.addr.eq(self.host_addr[:index_bits]),
                         wp.data.value.eq(self.host_wvalue), wp.data.valid.eq(self.host_wvalid),
                         wp.data.count.eq(self.host_wcount)]
        with m.Elif(self.ack):
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
