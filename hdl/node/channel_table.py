"""Per-channel state of a tile's network interface, kept in a memory (docs/node.md).

A tile of the paper node serves 8832 channels (8 cores x 1104 cores of the node). Keeping a
counter per channel in flip-flops, indexed by ``Array``, made the Verilog conversion grow
beyond 12 GB; a memory converts to one array whatever its depth. A :class:`ChannelTable` is
one such memory with one writer and a few asynchronous readers, and a written-since-reset bit
per entry (flip-flops the reset clears at once), so that every entry reads 0 after a reset as
the registers it replaces did, without a clearing sweep of thousands of cycles.
"""

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["ChannelTable"]


def _positive(name, value):
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return value


class ChannelTable(wiring.Component):
    """``depth`` entries of ``width`` bits: one synchronous write port, ``reads``
    asynchronous read ports; an entry not written since the last reset reads 0.

    Parameters
    ----------
    width : int
        Bits per entry.
    depth : int
        Entries (channels).
    reads : int
        Read ports.

    Members
    -------
    read_addr : In(range(depth)).array(reads)
    read_data : Out(width).array(reads)
        The entry at ``read_addr`` in the same cycle (0 if not written since reset).
    write_addr : In(range(depth))
    write_data : In(width)
    write_en : In(1)
        Writes ``write_data`` at ``write_addr`` at the end of the cycle.
    """

    def __init__(self, *, width, depth, reads):
        self.width = _positive("width", width)
        self.depth = _positive("depth", depth)
        self.reads = _positive("reads", reads)
        super().__init__({
            "read_addr": In(range(depth)).array(reads),
            "read_data": Out(width).array(reads),
            "write_addr": In(range(depth)),
            "write_data": In(width),
            "write_en": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.entries = entries = memory.Memory(shape=self.width, depth=self.depth,
                                                       init=[])
        # The written bits in rows of about sqrt(depth) bits: one bit set per write, by row
        # and column, converts in time linear in the depth (a shift of the whole vector did
        # not: 8832 bits took minutes).
        col_bits = ((self.depth - 1).bit_length() + 1) // 2
        row_width = 1 << col_bits
        rows = Array(Signal(row_width, name=f"written{i}")
                     for i in range(-(-self.depth // row_width)))

        def row(addr):
            return rows[addr[col_bits:]]

        write = entries.write_port()
        m.d.comb += [write.addr.eq(self.write_addr), write.data.eq(self.write_data),
                     write.en.eq(self.write_en)]
        with m.If(self.write_en):
            m.d.sync += row(self.write_addr).eq(
                row(self.write_addr) | (Const(1, row_width) << self.write_addr[:col_bits]))
        for i in range(self.reads):
            read = entries.read_port(domain="comb")
            addr = self.read_addr[i]
            written = row(addr).bit_select(addr[:col_bits], 1)
            m.d.comb += [read.addr.eq(addr), self.read_data[i].eq(Mux(written, read.data, 0))]
        return m
