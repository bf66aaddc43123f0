"""Vector staging buffer: a whole vector operand, ``vfu_lanes`` words per row.

Vector instructions read every element before writing any (``isa.table``), so operands are
gathered here word by word, processed by the VFU one row (``vfu_lanes`` words) per cycle and
scattered to the destination word by word.
"""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.ports import X_ON_COLLISION
from panther.isa.table import BY_MNEMONIC

__all__ = ["VectorStaging", "MAX_VW"]

#: Longest vector of an instruction (the ``vw`` field's value range).
MAX_VW = BY_MNEMONIC["alu"].field("vw").value_range[1]


class VectorStaging(wiring.Component):
    """``ceil(MAX_VW / vfu_lanes)`` rows of ``vfu_lanes`` data words, lane-writable.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    r_row : In(row_bits)
    r_en : In(1)
    r_data : Out(ArrayLayout(signed(data_bits), vfu_lanes))
        Read port, latency 1. Undefined on the FPGA for a row written in the cycle it is
        read (:data:`~hdl.ports.X_ON_COLLISION`): the vector path never reads the row it
        writes, so Yosys adds no bypass behind the block RAM's output.
    w_row : In(row_bits)
    w_lanes : In(vfu_lanes)
        Lane write enables.
    w_data : In(ArrayLayout(signed(data_bits), vfu_lanes))
    rows : int
    """

    latency = 1

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        lanes = config.vfu_lanes
        self.rows = -(-MAX_VW // lanes)
        bits = max(1, (self.rows - 1).bit_length())
        vec = data.ArrayLayout(signed(config.data_bits), lanes)
        super().__init__({"r_row": In(bits), "r_en": In(1), "r_data": Out(vec),
                          "w_row": In(bits), "w_lanes": In(lanes), "w_data": In(vec)})

    def elaborate(self, platform):
        m = Module()
        c = self.config
        width = c.data_bits * c.vfu_lanes
        m.submodules.mem = mem = memory.Memory(shape=width, depth=self.rows, init=[])
        rd = mem.read_port()
        wr = mem.write_port(granularity=c.data_bits)
        word = Signal.like(rd.data, name="r_word", attrs={X_ON_COLLISION: 1})
        m.d.comb += [rd.addr.eq(self.r_row), rd.en.eq(self.r_en), word.eq(rd.data),
                     self.r_data.as_value().eq(word),
                     wr.addr.eq(self.w_row), wr.en.eq(self.w_lanes),
                     wr.data.eq(self.w_data.as_value())]
        return m
