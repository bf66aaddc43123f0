"""The vector functional unit: ``vfu_lanes`` pipelined lanes of every ``alu``/``alui`` function.

Bit-exact with :mod:`isa.vfu_math`: every intermediate is computed at full width, rounded
once (round half up) and saturated; a lane reports overflow where it saturated. Each lane
(:mod:`.vfu_lane`) is a pipeline of :func:`vfu_latency` register stages, one row of operands
accepted per cycle; every function takes the same number of cycles. The
piecewise-linear sigmoid/tanh is generated from :data:`isa.vfu_math.SIGMOID_PWL`: one
comparator chain, one rounding shifter per segment and one adder, shared by sigmoid
(``S(|a|)``) and tanh (``2 S(|2a|) - 2**F``). One signed multiplier per lane is shared by
``mul`` (``a*b``), ``sigmoid_d`` (``a*(2**F - a)``) and ``tanh_d`` (``a*a``). ``exp`` has four
constant-or-fraction multipliers of its own (``a * log2(e)`` and the cubic of
:func:`isa.vfu_math.exp_raw`, constants from :func:`isa.vfu_math.exp_constants`) and one
variable rounding shift; ``recip`` one pipelined restoring divider
(``(2**(2F+1) + |a|) // (2|a|)``, :mod:`.vfu_recip`).
"""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.mcu.replica import REPLICA
from panther.isa.table import BY_MNEMONIC

from .vfu_lane import VfuLane, lane_stages

__all__ = ["VFU", "VFU_IMPLEMENTED", "FN_BITS", "B_BITS", "vfu_latency"]

def B_BITS(config):
    """Width of the VFU's ``b`` operand: a data word or the whole ``alui`` immediate."""
    return max(config.data_bits, BY_MNEMONIC["alui"].field("imm").width)


#: Width of the ``fn`` field (from the ISA table).
FN_BITS = BY_MNEMONIC["alu"].field("fn").width

#: The functions this VFU implements (a test checks it equals the ISA table).
VFU_IMPLEMENTED = ("add", "sub", "mul", "sna", "min", "max", "relu", "relu_d", "sigmoid",
                   "sigmoid_d", "tanh", "tanh_d", "neg", "abs", "exp", "recip", "eq")


def vfu_latency(config):
    """Cycles from a row entering the VFU (``i_valid``) to its results (``o_valid``): the
    input register and the lane's stages (:func:`.vfu_lane.lane_stages`, output register
    included). What every ``alu``/``alui`` costs beyond the old one-stage VFU is
    ``vfu_latency - 1`` cycles (once per instruction: the rows stream)."""
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    return 1 + lane_stages(config)


class VFU(wiring.Component):
    """``config.vfu_lanes`` pipelined lanes of the VFU.

    Inputs are sampled every cycle; a row sampled with ``i_valid`` high comes out
    ``latency`` cycles later with ``o_valid`` (one row per cycle, back to back). ``b`` carries the ``alui`` immediate on every lane (``sna`` takes its
    shift from it) and ``d`` the destination's old words (read only by ``sna``).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    i_valid : In(1)
    i_fn : In(6)
        ``fn`` code of :data:`isa.table.ALU_FUNCS`.
    i_a, i_d : In(ArrayLayout(signed(data_bits), vfu_lanes))
    i_b : In(ArrayLayout(signed(max(data_bits, imm width)), vfu_lanes))
        Wide enough for the whole ``alui`` immediate (it is not saturated first).
    o_valid : Out(1)
    o_result : Out(ArrayLayout(signed(data_bits), vfu_lanes))
    o_overflow : Out(vfu_lanes)
        Per lane: the result saturated.
    busy : Out(1)
        A row is in the pipeline (sampled and not yet out).
    latency : int
        Cycles from ``i_valid`` to ``o_valid``: :func:`vfu_latency`.
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.latency = vfu_latency(config)
        lanes = config.vfu_lanes
        word = signed(config.data_bits)
        vec = data.ArrayLayout(word, lanes)
        super().__init__({
            "i_valid": In(1), "i_fn": In(FN_BITS),
            "i_a": In(vec), "i_b": In(data.ArrayLayout(signed(B_BITS(config)), lanes)),
            "i_d": In(vec),
            "o_valid": Out(1), "o_result": Out(vec), "o_overflow": Out(lanes), "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.config
        valid = Signal(self.latency, name="valid")      # bit k: a row k + 1 cycles in
        m.d.sync += valid.eq((valid << 1) | self.i_valid)
        m.d.comb += [self.o_valid.eq(valid[-1]), self.busy.eq(valid[:-1].any())]
        # Only ``valid`` is reset: the data registers (here and in the lanes) are qualified
        # by it, and a reset of thousands of flip-flops is a slow net on the FPGA.
        fn = Signal.like(self.i_fn, name="fn_s0", reset_less=True)
        m.d.sync += fn.eq(self.i_fn)
        for i in range(cfg.vfu_lanes):
            a = Signal(signed(cfg.data_bits), name=f"l{i}_a_s0", reset_less=True)
            b = Signal(signed(B_BITS(cfg)), name=f"l{i}_b_s0", reset_less=True)
            d = Signal(signed(cfg.data_bits), name=f"l{i}_d_s0", reset_less=True)
            # a replica of ``a`` for ``exp``'s DSP (kept apart by the FPGA build's script)
            a_mul = Signal(signed(cfg.data_bits), name=f"l{i}_a_mul_s0", reset_less=True,
                           attrs=REPLICA)
            m.d.sync += [a.eq(self.i_a[i]), a_mul.eq(self.i_a[i]), b.eq(self.i_b[i]),
                         d.eq(self.i_d[i])]
            lane = VfuLane(m, cfg, fn, a, b, d, i, a_mul=a_mul)
            m.d.comb += [self.o_result[i].eq(lane.result), self.o_overflow[i].eq(lane.overflow)]
        return m

