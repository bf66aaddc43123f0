"""A multiplier with its operands and its product registered: on the ECP5 the registers
inside a ``MULT18X18D`` (``REG_INPUTA``/``REG_INPUTB`` and ``REG_OUTPUT``), so the route into
the DSP column and the route out of it each have a cycle of their own (issue 20 item 1;
docs/synthesis.md, "vfudsp").

Without a platform (simulation, ``panther synth``, Verilog export), on other platforms, or
where an operand is wider than the DSP's 18-bit signed input, the same two register ranks are
fabric flip-flops around a ``*``: the same latency and the same results.
"""

from amaranth.hdl import ClockSignal, Const, Instance, Module, Shape, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["PipelinedMul", "MUL_LATENCY", "DSP_WIDTH", "is_ecp5", "fits_dsp", "mult18x18d"]

#: Register ranks from the operands to the product: the operand and the product registers.
MUL_LATENCY = 2

#: Width of a ``MULT18X18D`` operand (signed).
DSP_WIDTH = 18


def is_ecp5(platform):
    """The platform builds for a Lattice ECP5 (``amaranth.vendor.LatticePlatform``)."""
    return getattr(platform, "family", None) == "ecp5"


def fits_dsp(a_shape, b_shape):
    """Operands of these shapes are exactly 18-bit signed ``MULT18X18D`` inputs once
    extended (an unsigned one of at most 17 bits)."""
    return all(Shape.cast(s).width <= (DSP_WIDTH if Shape.cast(s).signed else DSP_WIDTH - 1)
               for s in (a_shape, b_shape))


def mult18x18d(m, *, a, b, p, register_inputs):
    """Add to ``m`` an ECP5 ``MULT18X18D`` of signed ``a`` and ``b`` (sign-extended to
    :data:`DSP_WIDTH` bits here) into ``p`` (``2 * DSP_WIDTH`` bits), its output register on
    and its input registers on when ``register_inputs``; clock ``sync``, no reset, no enable."""
    a_x, b_x = Signal(signed(DSP_WIDTH), name="dsp_a"), Signal(signed(DSP_WIDTH), name="dsp_b")
    m.d.comb += [a_x.eq(a), b_x.eq(b)]
    ports = {f"i_A{k}": a_x[k] for k in range(DSP_WIDTH)}
    ports |= {f"i_B{k}": b_x[k] for k in range(DSP_WIDTH)}
    ports |= {f"o_P{k}": p[k] for k in range(2 * DSP_WIDTH)}
    in_clk = "CLK0" if register_inputs else "NONE"
    m.submodules.dsp = Instance(
        "MULT18X18D",
        p_REG_INPUTA_CLK=in_clk, p_REG_INPUTB_CLK=in_clk, p_REG_OUTPUT_CLK="CLK0",
        p_REG_PIPELINE_CLK="NONE", p_REG_INPUTC_CLK="NONE", p_GSR="DISABLED",
        p_RESETMODE="SYNC",
        i_CLK0=ClockSignal("sync"), i_CE0=Const(1), i_RST0=Const(0),
        i_SIGNEDA=Const(1), i_SIGNEDB=Const(1), i_SOURCEA=Const(0),
        i_SOURCEB=Const(0), **ports)


class PipelinedMul(wiring.Component):
    """``p = a * b``, :attr:`latency` cycles after ``a`` and ``b``; one product per cycle.

    The registers have no reset and no enable (data moves every cycle; the user qualifies it).

    Parameters
    ----------
    a_shape, b_shape : ShapeLike
        Operand shapes; ``p`` has the shape of Amaranth's ``a * b``.

    Members
    -------
    a : In(a_shape)
    b : In(b_shape)
    p : Out(shape of a * b)
    latency : int
        :data:`MUL_LATENCY`.
    uses_dsp : bool
        Both operands fit a ``MULT18X18D``: on an ECP5 platform the product is one.
    """

    def __init__(self, *, a_shape, b_shape):
        a_shape, b_shape = Shape.cast(a_shape), Shape.cast(b_shape)
        p_shape = (Const(0, a_shape) * Const(0, b_shape)).shape()
        self.uses_dsp = fits_dsp(a_shape, b_shape)
        super().__init__({"a": In(a_shape), "b": In(b_shape), "p": Out(p_shape)})

    @property
    def latency(self):
        return MUL_LATENCY

    def elaborate(self, platform):
        m = Module()
        if self.uses_dsp and is_ecp5(platform):
            p = Signal(signed(2 * DSP_WIDTH), name="dsp_p")
            mult18x18d(m, a=self.a, b=self.b, p=p, register_inputs=True)
            m.d.comb += self.p.eq(p)
        else:
            a = Signal.like(self.a, name="a_r", reset_less=True)
            b = Signal.like(self.b, name="b_r", reset_less=True)
            p = Signal.like(self.p, name="p_r", reset_less=True)
            m.d.sync += [a.eq(self.a), b.eq(self.b), p.eq(a * b)]
            m.d.comb += self.p.eq(p)
        return m
