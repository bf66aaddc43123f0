"""The vector functional unit: ``vfu_lanes`` lanes of every ``alu``/``alui`` function.

Bit-exact with :mod:`isa.vfu_math`: every intermediate is computed at full width, rounded
once (round half up) and saturated; a lane reports overflow where it saturated. The
piecewise-linear sigmoid/tanh is generated from :data:`isa.vfu_math.SIGMOID_PWL`: one
comparator chain, one rounding shifter per segment and one adder, shared by sigmoid
(``S(|a|)``) and tanh (``2 S(|2a|) - 2**F``). One signed multiplier per lane is shared by
``mul`` (``a*b``), ``sigmoid_d`` (``a*(2**F - a)``) and ``tanh_d`` (``a*a``). ``exp`` has four
constant-or-fraction multipliers of its own (``a * log2(e)`` and the cubic of
:func:`isa.vfu_math.exp_raw`, constants from :func:`isa.vfu_math.exp_constants`) and one
variable rounding shift; ``recip`` one divider (``(2**(2F+1) + |a|) // (2|a|)``).
"""

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa import vfu_math
from panther.isa.table import ALU_BY_NAME, ALU_FUNCS, BY_MNEMONIC, SNA_SHIFT_BITS

__all__ = ["VFU", "VFU_IMPLEMENTED", "FN_BITS", "B_BITS"]

def B_BITS(config):
    """Width of the VFU's ``b`` operand: a data word or the whole ``alui`` immediate."""
    return max(config.data_bits, BY_MNEMONIC["alui"].field("imm").width)


#: Width of the ``fn`` field (from the ISA table).
FN_BITS = BY_MNEMONIC["alu"].field("fn").width

#: The functions this VFU implements (a test checks it equals the ISA table).
VFU_IMPLEMENTED = ("add", "sub", "mul", "sna", "min", "max", "relu", "relu_d", "sigmoid",
                   "sigmoid_d", "tanh", "tanh_d", "neg", "abs", "exp", "recip", "eq")


def _rs(m, value, shift, name):
    """``round_shift`` by a constant ``shift`` (round half up; left shift if <= 0)."""
    if shift <= 0:
        return value << -shift
    out = Signal(signed(len(value) + 1 - shift + 1), name=name)
    m.d.comb += out.eq((value + (1 << (shift - 1))) >> shift)
    return out


class _Lane:
    """Combinational datapath of one lane (built inside the VFU's elaborate)."""

    def __init__(self, m, cfg, fn, a, b, d, index):
        B, F = cfg.data_bits, cfg.data_frac_bits
        lo, hi = -(1 << (B - 1)), (1 << (B - 1)) - 1
        two_f = 1 << F
        one = min(two_f, hi)
        p = f"l{index}_"
        self.result = Signal(signed(B), name=p + "result")
        self.overflow = Signal(name=p + "overflow")

        def sat(value, name):
            wide = Signal(signed(max(len(value) + 1, B + 1)), name=p + name + "_wide")
            m.d.comb += wide.eq(value)
            out = Signal(signed(B), name=p + name)
            ovf = Signal(name=p + name + "_ovf")
            with m.If(wide > hi):
                m.d.comb += [out.eq(hi), ovf.eq(1)]
            with m.Elif(wide < lo):
                m.d.comb += [out.eq(lo), ovf.eq(1)]
            with m.Else():
                m.d.comb += out.eq(wide)
            return out, ovf

        code = {f.name: f.code for f in ALU_FUNCS}

        # Shared multiplier: mul a*b, sigmoid_d a*(2**F - a), tanh_d a*a.
        mx = Signal(signed(B), name=p + "mul_x")
        my = Signal(signed(max(B + 2, len(b))), name=p + "mul_y")
        m.d.comb += mx.eq(a)
        with m.Switch(fn):
            with m.Case(code["sigmoid_d"]):
                m.d.comb += my.eq(two_f - a)
            with m.Case(code["tanh_d"]):
                m.d.comb += my.eq(a)
            with m.Default():
                m.d.comb += my.eq(b)
        prod = Signal(signed(len(mx) + len(my)), name=p + "prod")
        m.d.comb += prod.eq(mx * my)
        prod_rs = _rs(m, prod, F, p + "prod_rs")

        # Sign-magnitude input of the PWL table: |a| for sigmoid, |2a| for tanh.
        is_tanh = Signal(name=p + "is_tanh")
        m.d.comb += is_tanh.eq(fn == code["tanh"])
        mag = Signal(unsigned(B + 1), name=p + "mag")
        abs_a = Signal(unsigned(B), name=p + "abs_a")
        m.d.comb += abs_a.eq(Mux(a < 0, -a, a))
        m.d.comb += mag.eq(Mux(is_tanh, abs_a << 1, abs_a))
        mag_s = Signal(signed(B + 2), name=p + "mag_s")
        m.d.comb += mag_s.eq(mag)
        pwl = Signal(signed(B + 3), name=p + "pwl")
        segments = []
        for k, seg in enumerate(vfu_math.SIGMOID_PWL):
            offset = vfu_math.raw_constant(seg.offset, cfg)
            if seg.shift is None:
                value = Const(offset, signed(B + 3))
            else:
                value = offset + _rs(m, mag_s, seg.shift, f"{p}seg{k}_rs")
            segments.append((vfu_math.raw_constant(seg.lower, cfg), value))
        for k, (lower, value) in enumerate(segments):
            with (m.If if k == 0 else m.Elif)(mag >= lower):
                m.d.comb += pwl.eq(value)

        # sigmoid: S or 2**F - S; tanh: 2S - 2**F or 2**F - 2S.
        neg_a = Signal(name=p + "neg_a")
        m.d.comb += neg_a.eq(a < 0)
        sig_v = Signal(signed(B + 4), name=p + "sig_v")
        tanh_v = Signal(signed(B + 5), name=p + "tanh_v")
        m.d.comb += sig_v.eq(Mux(neg_a, two_f - pwl, pwl))
        m.d.comb += tanh_v.eq(Mux(neg_a, two_f - (pwl << 1), (pwl << 1) - two_f))

        # sna: dst + rs(a, s), s = signed low SNA_SHIFT_BITS of the immediate, one shifter.
        half = 1 << (SNA_SHIFT_BITS - 1)
        s = Signal(signed(SNA_SHIFT_BITS), name=p + "sna_s")
        m.d.comb += s.eq(b[:SNA_SHIFT_BITS])
        k_sh = Signal(unsigned(SNA_SHIFT_BITS + 1), name=p + "sna_k")
        m.d.comb += k_sh.eq(s + half)
        x = Signal(signed(B + half + 1), name=p + "sna_x")
        m.d.comb += x.eq(a << half)
        bias = Signal(unsigned(2 * half), name=p + "sna_bias")
        m.d.comb += bias.eq(Const(1, unsigned(2 * half + 1)) << k_sh >> 1)
        xb = Signal(signed(B + half + 2 * half), name=p + "sna_xb")
        m.d.comb += xb.eq(x + bias)
        shifted = Signal(signed(B + half + 2), name=p + "sna_shifted")
        m.d.comb += shifted.eq(xb >> k_sh)

        # exp: u = rs(a * L, F) = a * log2(e) in units of 2**-G; 2**frac(u) by a cubic (Horner,
        # three multipliers); the integer part k is one variable rounding shift of the result.
        G, log2e, (c1, c2, c3) = vfu_math.exp_constants(cfg)
        prod_l = Signal(signed(B + log2e.bit_length() + 1), name=p + "exp_prod")
        m.d.comb += prod_l.eq(a * log2e)
        u = _rs(m, prod_l, F, p + "exp_u")
        k = Signal(signed(len(u) - G + 1), name=p + "exp_k")
        frac = Signal(unsigned(G), name=p + "exp_f")
        m.d.comb += [k.eq(u >> G), frac.eq(u[:G])]
        h = Const(c3, unsigned(c3.bit_length()))
        for step, coeff in enumerate((c2, c1)):
            term = Signal(unsigned(G + len(h)), name=f"{p}exp_t{step}")
            m.d.comb += term.eq(frac * h)
            hn = Signal(unsigned(max(coeff.bit_length(), len(h)) + 1), name=f"{p}exp_h{step}")
            m.d.comb += hn.eq(coeff + ((term + (1 << (G - 1))) >> G))
            h = hn
        last = Signal(unsigned(G + len(h)), name=p + "exp_t2")
        m.d.comb += last.eq(frac * h)
        pw = Signal(unsigned(G + 2), name=p + "exp_p")          # 2**G .. 2**(G+1)
        m.d.comb += pw.eq((1 << G) + ((last + (1 << (G - 1))) >> G))
        # rs(p, G - F - k) for every k a data word can give: with P = p << LEFT and
        # t = G - F - k + LEFT >= 0, rs(p, s) = (P + (2**(t-1) if t > 0 else 0)) >> t.
        k_lo = ((-(1 << (B - 1)) * log2e) >> (F + G)) - 1         # one below: rs() rounding
        k_hi = ((1 << (B - 1)) * log2e) >> (F + G)
        left = max(0, k_hi - (G - F))
        t_hi = G - F - k_lo + left
        t = Signal(unsigned(max(1, t_hi).bit_length()), name=p + "exp_t")
        m.d.comb += t.eq(G - F + left - k)
        big = Signal(unsigned(G + 2 + left + 1), name=p + "exp_big")
        t1 = Signal.like(t, name=p + "exp_t1")
        m.d.comb += t1.eq(t - 1)
        m.d.comb += big.eq((pw << left) + Mux(t > 0, Const(1, unsigned(len(big))) << t1, 0))
        exp_v = Signal(signed(len(big) + 1), name=p + "exp_v")
        m.d.comb += exp_v.eq(big >> t)

        # recip: 2**(2F) / a rounded to nearest (halves away from zero); 1/0 saturates.
        mag_r = Signal(unsigned(B), name=p + "recip_mag")
        m.d.comb += mag_r.eq(abs_a)
        quot = Signal(unsigned(2 * F + 2), name=p + "recip_q")
        m.d.comb += quot.eq(((1 << (2 * F + 1)) + mag_r) // (mag_r << 1))
        recip_v = Signal(signed(2 * F + 4), name=p + "recip_v")
        with m.If(a == 0):
            m.d.comb += recip_v.eq(hi + 1)
        with m.Elif(neg_a):
            m.d.comb += recip_v.eq(-quot)
        with m.Else():
            m.d.comb += recip_v.eq(quot)

        results = {
            "add": sat(a + b, "add"),
            "sub": sat(a - b, "sub"),
            "mul": sat(prod_rs, "mul"),
            "sna": sat(d + shifted, "sna"),
            "min": sat(Mux(a < b, a, b), "min"),      # b: a wider alui immediate
            "max": sat(Mux(a > b, a, b), "max"),
            "relu": (Mux(a > 0, a, 0), 0),
            "relu_d": (Mux(a > 0, one, 0), 0),
            "sigmoid": sat(sig_v, "sigmoid"),
            "sigmoid_d": sat(prod_rs, "sigmoid_d"),
            "tanh": sat(tanh_v, "tanh"),
            "tanh_d": sat(two_f - prod_rs, "tanh_d"),
            "neg": sat(-a, "neg"),
            "abs": sat(Mux(neg_a, -a, a), "abs"),
            "exp": sat(exp_v, "exp"),
            "recip": sat(recip_v, "recip"),
            "eq": (Mux(a == b, one, 0), 0),              # b: a wider alui immediate
        }
        with m.Switch(fn):
            for name, (value, ovf) in results.items():
                with m.Case(ALU_BY_NAME[name].code):
                    m.d.comb += [self.result.eq(value), self.overflow.eq(ovf)]


class VFU(wiring.Component):
    """``config.vfu_lanes`` lanes of the VFU with one output register stage.

    Inputs are sampled when ``i_valid`` is high; the results appear ``latency`` cycles later
    with ``o_valid``. ``b`` carries the ``alui`` immediate on every lane (``sna`` takes its
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
    latency : int
        Cycles from ``i_valid`` to ``o_valid`` (1).
    """

    latency = 1

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        lanes = config.vfu_lanes
        word = signed(config.data_bits)
        vec = data.ArrayLayout(word, lanes)
        super().__init__({
            "i_valid": In(1), "i_fn": In(FN_BITS),
            "i_a": In(vec), "i_b": In(data.ArrayLayout(signed(B_BITS(config)), lanes)),
            "i_d": In(vec),
            "o_valid": Out(1), "o_result": Out(vec), "o_overflow": Out(lanes),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.config
        m.d.sync += self.o_valid.eq(self.i_valid)
        for i in range(cfg.vfu_lanes):
            lane = _Lane(m, cfg, self.i_fn, self.i_a[i], self.i_b[i], self.i_d[i], i)
            with m.If(self.i_valid):
                m.d.sync += [self.o_result[i].eq(lane.result),
                             self.o_overflow[i].eq(lane.overflow)]
        return m

