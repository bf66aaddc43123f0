"""The scalar integer ALU of ``alu_int`` (loop counters): wrapping ``data_bits`` operations."""

from amaranth.hdl import Module, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import ALU_INT_BY_NAME, ALU_INT_FUNCS, BY_MNEMONIC
from panther.isa.vfu_math import INT_SHIFT_MASK

__all__ = ["AluInt", "ALU_INT_IMPLEMENTED"]

#: The functions implemented here (a test checks it equals the ISA table).
ALU_INT_IMPLEMENTED = ("add", "sub", "and", "or", "xor", "shl", "shr", "mul")


class AluInt(wiring.Component):
    """Combinational scalar ALU, bit-exact with :data:`isa.vfu_math.INT_FUNCTIONS`.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    fn : In(fn width)
        ``fn`` code of :data:`isa.table.ALU_INT_FUNCS`.
    a, b : In(signed(data_bits))
    result : Out(signed(data_bits))
        Wrapped to ``data_bits``; never saturates.
    latency : int
        0 (combinational).
    """

    latency = 0

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        word = signed(config.data_bits)
        super().__init__({"fn": In(BY_MNEMONIC["alu_int"].field("fn").width),
                          "a": In(word), "b": In(word), "result": Out(word)})

    def elaborate(self, platform):
        m = Module()
        a, b = self.a, self.b
        amount = b.as_unsigned()[:INT_SHIFT_MASK.bit_length()] & INT_SHIFT_MASK
        values = {
            "add": a + b, "sub": a - b, "and": a & b, "or": a | b, "xor": a ^ b,
            "shl": a << amount, "shr": a >> amount, "mul": a * b,
        }
        with m.Switch(self.fn):
            for f in ALU_INT_FUNCS:
                with m.Case(ALU_INT_BY_NAME[f.name].code):
                    m.d.comb += self.result.eq(values[f.name])
        return m
