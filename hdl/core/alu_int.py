"""The scalar integer ALU of ``alu_int`` (loop counters): wrapping ``data_bits`` operations."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import ALU_INT_BY_NAME, ALU_INT_FUNCS, BY_MNEMONIC
from panther.isa.vfu_math import INT_SHIFT_MASK

from .pipelined_mul import DSP_WIDTH, fits_dsp, is_ecp5, mult18x18d

__all__ = ["AluInt", "ALU_INT_IMPLEMENTED"]

#: The functions implemented here (a test checks it equals the ISA table).
ALU_INT_IMPLEMENTED = ("add", "sub", "and", "or", "xor", "shl", "shr", "mul")


class AluInt(wiring.Component):
    """Scalar ALU with one cycle of latency, bit-exact with :data:`isa.vfu_math.INT_FUNCTIONS`.

    Every cycle it registers the product ``a * b`` (on its own: nothing but the multiplier
    between the operands and that register), the result of the other functions (their
    multiplexer ends at a register) and whether ``fn`` is ``mul``; ``result`` selects one of
    the two registers by the third, so the path from the registers to the operand space's
    write data is one 2-way multiplexer (issue 20). The registers have no reset: ``result``
    is read only a cycle after the operands were stable. On an ECP5 platform the product
    register is the ``MULT18X18D``'s own output register (``REG_OUTPUT``; no input
    register, so no cycle is added): the route from the operand registers into the DSP
    column then ends at the DSP, not after the multiplier (docs/synthesis.md, "frontq").

    With ``mul_operands`` the multiplier takes its operands from members of their own
    (``mul_a``, ``mul_b``), which the caller drives from copies of its operand registers
    placed by the DSP column, so the routes to the DSP do not stretch the registers that feed
    the other functions (docs/synthesis.md, "brcmp").

    Parameters
    ----------
    config : PantherConfig
    mul_operands : bool
        Add ``mul_a`` and ``mul_b`` (default False: the multiplier reads ``a`` and ``b``).

    Members
    -------
    fn : In(fn width)
        ``fn`` code of :data:`isa.table.ALU_INT_FUNCS`.
    a, b : In(signed(data_bits))
    mul_a, mul_b : In(signed(data_bits))
        Only with ``mul_operands``: the multiplier's operands, equal to ``a`` and ``b``.
    result : Out(signed(data_bits))
        ``fn(a, b)`` of the previous cycle's inputs, wrapped to ``data_bits``; never
        saturates.
    latency : int
        1 (cycles from the inputs to ``result``).
    """

    latency = 1

    def __init__(self, *, config, mul_operands=False):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.mul_operands = bool(mul_operands)
        word = signed(config.data_bits)
        members = {"fn": In(BY_MNEMONIC["alu_int"].field("fn").width),
                   "a": In(word), "b": In(word), "result": Out(word)}
        if self.mul_operands:
            members |= {"mul_a": In(word), "mul_b": In(word)}
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        a, b = self.a, self.b
        ma, mb = (self.mul_a, self.mul_b) if self.mul_operands else (a, b)
        amount = b.as_unsigned()[:INT_SHIFT_MASK.bit_length()] & INT_SHIFT_MASK
        values = {
            "add": a + b, "sub": a - b, "and": a & b, "or": a | b, "xor": a ^ b,
            "shl": a << amount, "shr": a >> amount,
        }
        product = Signal.like(self.result, reset_less=True, name="product")
        other = Signal.like(self.result, reset_less=True, name="other")
        is_mul = Signal(reset_less=True, name="is_mul")
        m.d.sync += is_mul.eq(self.fn == ALU_INT_BY_NAME["mul"].code)
        if is_ecp5(platform) and fits_dsp(ma.shape(), mb.shape()):
            p = Signal(signed(2 * DSP_WIDTH), name="dsp_p")
            mult18x18d(m, a=ma, b=mb, p=p, register_inputs=False)
            m.d.comb += product.eq(p)       # the DSP's output register, wrapped
        else:
            m.d.sync += product.eq(ma * mb)
        with m.Switch(self.fn):
            for f in ALU_INT_FUNCS:
                if f.name != "mul":
                    with m.Case(ALU_INT_BY_NAME[f.name].code):
                        m.d.sync += other.eq(values[f.name])
        m.d.comb += self.result.eq(Mux(is_mul, product, other))
        return m
