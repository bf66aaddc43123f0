"""One pipelined lane of the VFU: every ``alu``/``alui`` function, bit-exact with
:mod:`isa.vfu_math` (full-width intermediates, one rounding, saturation).

Register stages (stage 0 is the VFU's input register; each later stage is the logic between
two register ranks, at most one adder chain and one multiplier or one shifter deep):

=====  ====================================================================================
stage  registered at its end
=====  ====================================================================================
1      add, sub, min, max, relu, relu_d, neg, abs, eq (saturated); the shared product
       (``mul``: ``a b``, ``sigmoid_d``: ``a (2**F - a)``, ``tanh_d``: ``a a``); the PWL table
       value ``S`` of sigmoid/tanh; ``sna``'s shifted operand; ``exp``'s ``a log2(e)``;
       ``recip``'s ``|a|`` and saturation tests (:mod:`.vfu_recip`)
2      mul, sigmoid_d, tanh_d, sna, sigmoid, tanh (rounded, saturated); ``exp``: ``u``, its
       integer part and the first Horner product
3, 4   ``exp``: one Horner step each (round, add, multiply)
5      ``exp``: ``2**frac(u)`` shifted by the integer part
6      ``exp`` rounded and saturated
2..    ``recip``: :data:`~.vfu_recip.RECIP_STEPS_PER_STAGE` division steps per stage
last   the result of the function ``fn`` (the VFU's output register)
=====  ====================================================================================

Rounding shifts by a variable amount use ``rs(x, t) = ((2x >> t) + [t > 0]) >> 1`` (one
shifter and one increment instead of a decoder and an adder before the shifter).
"""

from amaranth.hdl import Const, Mux, Signal, signed, unsigned

from panther.isa import vfu_math
from panther.isa.table import ALU_BY_NAME, ALU_FUNCS, SNA_SHIFT_BITS

from .vfu_recip import RecipPipeline, recip_stages

__all__ = ["VfuLane", "lane_stages"]

#: The register stage where ``exp`` is final (see the module docstring).
_EXP_STAGE = 6


def lane_stages(config):
    """Register stages of a lane after its input register, the output register included."""
    return max(_EXP_STAGE, 1 + recip_stages(config)) + 1


def _rs(m, value, shift, name):
    """``round_shift`` by a constant ``shift`` (round half up; left shift if <= 0)."""
    if shift <= 0:
        return value << -shift
    out = Signal(signed(len(value) + 1 - shift + 1), name=name)
    m.d.comb += out.eq((value + (1 << (shift - 1))) >> shift)
    return out


class VfuLane:
    """Builds one lane into module ``m``: ``a``, ``b``, ``d``, ``fn`` are the VFU's stage-0
    registers; :attr:`result` and :attr:`overflow` are the lane's output registers,
    :func:`lane_stages` cycles later."""

    def __init__(self, m, cfg, fn, a, b, d, index):
        B, F = cfg.data_bits, cfg.data_frac_bits
        lo, hi = -(1 << (B - 1)), (1 << (B - 1)) - 1
        two_f = 1 << F
        one = min(two_f, hi)
        p = f"l{index}_"
        code = {f.name: f.code for f in ALU_FUNCS}
        last = lane_stages(cfg) - 1               # the stage feeding the output register

        def reg(value, name, shape=None):
            out = Signal(value.shape() if shape is None else shape, name=p + name)
            m.d.sync += out.eq(value)
            return out

        def delay(value, stages, name):
            for k in range(stages):
                value = reg(value, f"{name}_d{k}")
            return value

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

        def select(fn_now, results, default, name):
            """``(value, overflow)`` of the entry of ``results`` named by ``fn_now``."""
            value = Signal(signed(B), name=p + name)
            ovf = Signal(name=p + name + "_ovf")
            m.d.comb += [value.eq(default[0]), ovf.eq(default[1])]
            with m.Switch(fn_now):
                for fname, (v, o) in results.items():
                    with m.Case(ALU_BY_NAME[fname].code):
                        m.d.comb += [value.eq(v), ovf.eq(o)]
            return value, ovf

        fns = [fn]
        for k in range(last):
            fns.append(reg(fns[-1], f"fn_s{k + 1}"))

        # -- stage 1 ------------------------------------------------------------------------
        neg_a = Signal(name=p + "neg_a")
        m.d.comb += neg_a.eq(a < 0)
        abs_a = Signal(unsigned(B), name=p + "abs_a")
        m.d.comb += abs_a.eq(Mux(neg_a, -a, a))
        simple = {
            "add": sat(a + b, "add"),
            "sub": sat(a - b, "sub"),
            "min": sat(Mux(a < b, a, b), "min"),      # b: a wider alui immediate
            "max": sat(Mux(a > b, a, b), "max"),
            "relu": (Mux(a > 0, a, 0), 0),
            "relu_d": (Mux(a > 0, one, 0), 0),
            "neg": sat(-a, "neg"),
            "abs": sat(Mux(neg_a, -a, a), "abs"),
            "eq": (Mux(a == b, one, 0), 0),              # b: a wider alui immediate
        }
        res1, ovf1 = select(fn, simple, (0, 0), "simple")
        res1, ovf1 = reg(res1, "res_s1"), reg(ovf1, "ovf_s1")

        # Shared multiplier: mul a*b, sigmoid_d a*(2**F - a), tanh_d a*a.
        my = Signal(signed(max(B + 2, len(b))), name=p + "mul_y")
        with m.Switch(fn):
            with m.Case(code["sigmoid_d"]):
                m.d.comb += my.eq(two_f - a)
            with m.Case(code["tanh_d"]):
                m.d.comb += my.eq(a)
            with m.Default():
                m.d.comb += my.eq(b)
        prod = reg(a * my, "prod_s1", signed(B + len(my)))

        # Sign-magnitude input of the PWL table: |a| for sigmoid, |2a| for tanh.
        mag = Signal(unsigned(B + 1), name=p + "mag")
        m.d.comb += mag.eq(Mux(fn == code["tanh"], abs_a << 1, abs_a))
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
        pwl = reg(pwl, "pwl_s1")
        neg1 = reg(neg_a, "neg_s1")

        # sna: dst + rs(a, s), s = signed low SNA_SHIFT_BITS of the immediate, one shifter.
        half = 1 << (SNA_SHIFT_BITS - 1)
        s = Signal(signed(SNA_SHIFT_BITS), name=p + "sna_s")
        m.d.comb += s.eq(b[:SNA_SHIFT_BITS])
        k_sh = Signal(unsigned(SNA_SHIFT_BITS + 1), name=p + "sna_k")
        m.d.comb += k_sh.eq(s + half)
        x2 = Signal(signed(B + half + 2), name=p + "sna_x2")
        m.d.comb += x2.eq(a << (half + 1))
        sna_y = reg(x2 >> k_sh, "sna_y_s1", signed(B + half + 2))
        sna_inc = reg(k_sh != 0, "sna_inc_s1")
        d1 = reg(d, "d_s1")

        # exp: u = rs(a * L, F) = a * log2(e) in units of 2**-G.
        G, log2e, (c1, c2, c3) = vfu_math.exp_constants(cfg)
        prod_l = reg(a * log2e, "exp_prod_s1", signed(B + log2e.bit_length() + 1))

        recip = RecipPipeline(m, cfg, a, prefix=p)

        # -- stage 2 ------------------------------------------------------------------------
        prod_rs = _rs(m, prod, F, p + "prod_rs")
        sig_v = Signal(signed(B + 4), name=p + "sig_v")
        tanh_v = Signal(signed(B + 5), name=p + "tanh_v")
        m.d.comb += sig_v.eq(Mux(neg1, two_f - pwl, pwl))
        m.d.comb += tanh_v.eq(Mux(neg1, two_f - (pwl << 1), (pwl << 1) - two_f))
        shifted = Signal(signed(len(sna_y)), name=p + "sna_shifted")
        m.d.comb += shifted.eq((sna_y + sna_inc) >> 1)
        staged = {
            "mul": sat(prod_rs, "mul"),
            "sigmoid_d": sat(prod_rs, "sigmoid_d"),
            "tanh_d": sat(two_f - prod_rs, "tanh_d"),
            "sna": sat(d1 + shifted, "sna"),
            "sigmoid": sat(sig_v, "sigmoid"),
            "tanh": sat(tanh_v, "tanh"),
        }
        res2, ovf2 = select(fns[1], staged, (res1, ovf1), "staged")
        res2, ovf2 = reg(res2, "res_s2"), reg(ovf2, "ovf_s2")

        # exp: 2**frac(u) by a cubic (Horner, three multipliers, one per stage 2..4).
        u = _rs(m, prod_l, F, p + "exp_u")
        k = Signal(signed(len(u) - G + 1), name=p + "exp_k")
        m.d.comb += k.eq(u >> G)
        # rs(p, G - F - k) for every k a data word can give: with P = p << LEFT and
        # t = G - F - k + LEFT >= 0, rs(p, s) = rs(P, t).
        k_lo = ((-(1 << (B - 1)) * log2e) >> (F + G)) - 1         # one below: rs() rounding
        k_hi = ((1 << (B - 1)) * log2e) >> (F + G)
        left = max(0, k_hi - (G - F))
        t_hi = G - F - k_lo + left
        t = Signal(unsigned(max(1, t_hi).bit_length()), name=p + "exp_t")
        m.d.comb += t.eq(G - F + left - k)
        frac = reg(u[:G], "exp_f_s2", unsigned(G))
        t = reg(t, "exp_t_s2")
        h = Const(c3, unsigned(c3.bit_length()))
        term = reg(u[:G] * h, "exp_t0_s2", unsigned(G + len(h)))
        for step, coeff in enumerate((c2, c1)):            # stages 3 and 4
            hn = Signal(unsigned(max(coeff.bit_length(), len(h)) + 1), name=f"{p}exp_h{step}")
            m.d.comb += hn.eq(coeff + ((term + (1 << (G - 1))) >> G))
            h = hn
            term = reg(frac * h, f"exp_t{step + 1}_s{step + 3}", unsigned(G + len(h)))
            frac = reg(frac, f"exp_f_s{step + 3}")
            t = reg(t, f"exp_t_s{step + 3}")
        # stage 5: p = 2**G + rs(term, G) in 2**G .. 2**(G+1), then (2 P) >> t.
        pw = Signal(unsigned(G + 2), name=p + "exp_p")
        m.d.comb += pw.eq((1 << G) + ((term + (1 << (G - 1))) >> G))
        p2 = Signal(unsigned(G + 2 + left + 1), name=p + "exp_p2")
        m.d.comb += p2.eq(pw << (left + 1))
        exp_y = reg(p2 >> t, "exp_y_s5", unsigned(len(p2)))
        exp_inc = reg(t != 0, "exp_inc_s5")
        # stage 6: round and saturate.
        exp_v = Signal(signed(len(exp_y) + 1), name=p + "exp_v")
        m.d.comb += exp_v.eq((exp_y + exp_inc) >> 1)
        exp_res, exp_ovf = sat(exp_v, "exp")
        exp_res, exp_ovf = reg(exp_res, "exp_s6"), reg(exp_ovf, "exp_ovf_s6")

        # -- the output register ------------------------------------------------------------
        res2, ovf2 = delay(res2, last - 2, "res"), delay(ovf2, last - 2, "ovf")
        exp_res, exp_ovf = delay(exp_res, last - _EXP_STAGE, "exp"), \
            delay(exp_ovf, last - _EXP_STAGE, "exp_ovf")
        recip_res = recip.result(m, prefix=p)
        if recip.stages < last:
            recip_res = (delay(recip_res[0], last - recip.stages, "recip"),
                         delay(recip_res[1], last - recip.stages, "recip_ovf"))
        out, ovf = select(fns[last], {"exp": (exp_res, exp_ovf), "recip": recip_res},
                          (res2, ovf2), "out")
        self.result = reg(out, "result")
        self.overflow = reg(ovf, "overflow")
