"""One pipelined lane of the VFU: every ``alu``/``alui`` function, bit-exact with
:mod:`isa.vfu_math` (full-width intermediates, one rounding, saturation).

Register stages (stage 0 is the VFU's input register; each later stage is the logic between
two register ranks: at most one adder chain, one shifter, or one radix-4 divider step; every
multiplier is a :class:`.pipelined_mul.PipelinedMul` of its own two stages, operands then
product, in the ``MULT18X18D``'s registers on the ECP5; docs/core.md has the table and the
cycles):

=====  ====================================================================================
stage  registered at its end
=====  ====================================================================================
1      add, sub, min, max, relu, relu_d, neg, abs, eq (not saturated); the multiplier's
       operands; the PWL input's sign (its magnitude is ``abs``); ``sna``'s operand shifted
       by a multiple of 8; ``recip``'s ``|a|`` and saturation tests (:mod:`.vfu_recip`);
       ``exp``: ``a`` and ``log2(e)`` in the DSP
2      the simple functions saturated; the PWL input ``|a|`` or ``|2a|``; ``sna``'s shift by
       the rest, rounded; ``exp``'s ``a log2(e)``; the shared multiplier's operands in the DSP
3      sna before saturation; the PWL value ``S``; the shared product; ``exp``'s ``u``
4      mul, sigmoid_d, tanh_d rounded; sigmoid, tanh before saturation (sna delayed)
5      mul, sigmoid_d, tanh_d, sna, sigmoid, tanh saturated
4, 5   ``exp``: operands, first Horner product
6-11   ``exp``: rounding add, multiply (2 stages), rounding add, multiply (2 stages)
12     ``exp``: ``2**G + rs(term, G)`` (the add alone: the DSP's output route precedes it)
13, 14 ``exp``: shifted by its integer part; rounded and saturated
2-9    ``recip``: :data:`~.vfu_recip.RECIP_STEPS_PER_STAGE` quotient bits per stage
last   the result of the function ``fn`` (the VFU's output register)
=====  ====================================================================================

Constant roundings fold into one adder: ``c + rs(x, G) = (x + c 2**G + 2**(G-1)) >> G`` and
``2**F - rs(x, F) = (2**(2F) + 2**(F-1) - 1 - x) >> F``. Rounding shifts by a variable amount
use ``rs(x, t) = ((2x >> t) + [t > 0]) >> 1`` (one shifter and one increment instead of a
decoder and an adder before the shifter).
"""

from amaranth.hdl import Cat, Const, Mux, Signal, signed, unsigned

from panther.isa import vfu_math
from panther.isa.table import ALU_BY_NAME, ALU_FUNCS, SNA_SHIFT_BITS

from .pipelined_mul import MUL_LATENCY, PipelinedMul
from .vfu_recip import RecipPipeline, recip_stages

__all__ = ["VfuLane", "lane_stages"]

#: The register stage where ``exp`` is final (see the module docstring): its product
#: ``a log2(e)``, ``u``, three Horner products with two rounding adds between them, the last
#: rounding add (alone after the DSP's output), the shift, the rounding.
_EXP_STAGE = MUL_LATENCY + 1 + 3 * MUL_LATENCY + 2 + 3
#: ``sna``'s shift amount: its low bits, shifted by in stage 2 (the rest in stage 1).
_SNA_FINE = 3
#: The register stage of ``mul``'s (and ``sigmoid_d``'s, ``tanh_d``'s) rounded product: the
#: operands (stage 1), the product, the rounding.
_PRE_STAGE = 1 + MUL_LATENCY + 1


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
    registers; ``a_mul`` (default ``a``) a copy of ``a``'s register for ``exp``'s first
    multiplier alone, so that the DSP column does not pull ``a``'s register away from the
    fabric logic it feeds; :attr:`result` and :attr:`overflow` are the lane's output
    registers, :func:`lane_stages` cycles later."""

    def __init__(self, m, cfg, fn, a, b, d, index, *, a_mul=None):
        B, F = cfg.data_bits, cfg.data_frac_bits
        lo, hi = -(1 << (B - 1)), (1 << (B - 1)) - 1
        two_f = 1 << F
        one = min(two_f, hi)
        p = f"l{index}_"
        code = {f.name: f.code for f in ALU_FUNCS}
        last = lane_stages(cfg) - 1               # the stage feeding the output register

        def reg(value, name, shape=None):
            # data only (``VFU.valid`` qualifies it): no reset, so the core's reset does not
            # fan out to every pipeline flip-flop (the tile's routed critical path)
            out = Signal(value.shape() if shape is None else shape, name=p + name,
                         reset_less=True)
            m.d.sync += out.eq(value)
            return out

        def delay(value, stages, name):
            for k in range(stages):
                value = reg(value, f"{name}_d{k}")
            return value

        def mul(x, y, name):
            """``x * y``, :data:`MUL_LATENCY` stages later (a :class:`PipelinedMul`)."""
            unit = m.submodules[p + name] = PipelinedMul(a_shape=x.shape(), b_shape=y.shape())
            m.d.comb += [unit.a.eq(x), unit.b.eq(y)]
            return unit.p

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

        def select(k, results, default, name):
            """``(value, overflow)`` of the entry of ``results`` named by ``fns[k]``: an
            AND-OR of the entries with one flag register per entry (``fns[k] == code``,
            decoded from ``fns[k - 1]`` a stage ahead; issue 20: no ``fn`` decode between a
            register and the select's fan-out), the default where no flag is set."""
            value = Signal(signed(B), name=p + name)
            ovf = Signal(name=p + name + "_ovf")
            flags = [reg(fns[k - 1] == ALU_BY_NAME[f].code, f"is_{f}_s{k}")
                     for f in results]
            words = [Signal(signed(B), name=f"{p}{name}_{f}") for f in results]
            m.d.comb += [w.eq(v) for w, (v, _) in zip(words, results.values())]
            codes = [ALU_BY_NAME[f].code for f in results]
            none = reg(~Cat(*(fns[k - 1] == c for c in codes)).any(), f"is_none_{name}_s{k}")
            v_or, o_or = Const(0, B), Const(0, 1)
            for flag, w, (_, o) in zip(flags, words, results.values()):
                v_or = v_or | (w.as_unsigned() & flag.replicate(B))
                o_or = o_or | (o & flag)
            d_word = Signal(signed(B), name=f"{p}{name}_default")
            m.d.comb += d_word.eq(default[0])
            m.d.comb += [value.eq(v_or | (d_word.as_unsigned() & none.replicate(B))),
                         ovf.eq(o_or | (default[1] & none))]
            return value, ovf

        fns = [fn]
        for k in range(last):
            fns.append(reg(fns[-1], f"fn_s{k + 1}"))

        # -- stage 1: operands of the wide units; the simple results before saturation ------
        neg_a = Signal(name=p + "neg_a")
        m.d.comb += neg_a.eq(a < 0)
        raw = {"add": reg(a + b, "add_s1"), "sub": reg(a - b, "sub_s1"),
               "min": reg(Mux(a < b, a, b), "min_s1"),        # b: a wider alui immediate
               "max": reg(Mux(a > b, a, b), "max_s1"),
               "relu": reg(Mux(a > 0, a, 0), "relu_s1", signed(B)),
               "relu_d": reg(Mux(a > 0, one, 0), "relu_d_s1", signed(B)),
               "neg": reg(-a, "neg_s1"), "abs": reg(Mux(neg_a, -a, a), "abs_s1"),
               "eq": reg(Mux(a == b, one, 0), "eq_s1", signed(B))}

        # Shared multiplier: mul a*b, sigmoid_d a*(2**F - a), tanh_d a*a (operands registered).
        my = Signal(signed(max(B + 2, len(b))), name=p + "mul_y")
        with m.Switch(fn):
            with m.Case(code["sigmoid_d"]):
                m.d.comb += my.eq(two_f - a)
            with m.Case(code["tanh_d"]):
                m.d.comb += my.eq(a)
            with m.Default():
                m.d.comb += my.eq(b)
        mul_x, mul_y = reg(a, "mul_x_s1"), reg(my, "mul_y_s1")

        # Sign-magnitude input of the PWL table: the sign and ``|a|`` (``abs_s1``) here, the
        # doubling for tanh (``|2a|``) a stage later, so that no multiplexer follows the
        # negation's carry chain from the (far-reaching) input register.
        is_tanh1 = reg(fn == code["tanh"], "is_tanh_s1")
        neg1 = reg(neg_a, "a_neg_s1")

        # sna: dst + rs(a, s), s = signed low SNA_SHIFT_BITS of the immediate, one shifter.
        half = 1 << (SNA_SHIFT_BITS - 1)
        s = Signal(signed(SNA_SHIFT_BITS), name=p + "sna_s")
        m.d.comb += s.eq(b[:SNA_SHIFT_BITS])
        k_sh = Signal(unsigned(SNA_SHIFT_BITS + 1), name=p + "sna_k")
        m.d.comb += k_sh.eq(s + half)
        x2 = Signal(signed(B + half + 2), name=p + "sna_x2")
        m.d.comb += x2.eq(a << (half + 1))
        # Stage 1 shifts by the multiple of 2**_SNA_FINE in k (after the input register's long
        # routes: a 4:1 multiplexer), stage 2 by the rest (docs/synthesis.md, "brcmp").
        coarse = Cat(Const(0, _SNA_FINE), k_sh[_SNA_FINE:])
        sna_y = reg(x2 >> coarse, "sna_y_s1", signed(B + half + 2))
        sna_fine = reg(k_sh[:_SNA_FINE], "sna_fine_s1")
        sna_inc = reg(k_sh != 0, "sna_inc_s1")
        d1 = reg(d, "d_s1")

        # exp: u = rs(a * L, F) = a * log2(e) in units of 2**-G.
        G, log2e, (c1, c2, c3) = vfu_math.exp_constants(cfg)
        prod_l = mul(a if a_mul is None else a_mul, Const(log2e, unsigned(log2e.bit_length())), "exp_prod")  # at MUL_LATENCY

        recip = RecipPipeline(m, cfg, a, prefix=p)

        # -- stage 2 ------------------------------------------------------------------------
        res2, ovf2 = select(1, {name: sat(v, name) for name, v in raw.items()
                                     if name not in ("relu", "relu_d", "eq")}
                            | {name: (raw[name], 0) for name in ("relu", "relu_d", "eq")},
                            (0, 0), "simple")
        res2, ovf2 = reg(res2, "res_s2"), reg(ovf2, "ovf_s2")
        prod = mul(mul_x, mul_y, "prod")           # at 1 + MUL_LATENCY
        mag = reg(Mux(is_tanh1, raw["abs"] << 1, raw["abs"]), "mag_s2", unsigned(B + 1))
        neg2 = reg(neg1, "a_neg_s2")
        # stage 3: the PWL value ``S`` (the sigmoid and tanh have a stage to spare)
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
        pwl = reg(pwl, "pwl_s3")
        neg3 = reg(neg2, "a_neg_s3")
        shifted = reg(((sna_y >> sna_fine) + sna_inc) >> 1, "sna_shifted_s2", signed(len(sna_y)))
        d2 = reg(d1, "d_s2")
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
        frac = reg(u[:G], f"exp_f_s{MUL_LATENCY + 1}", unsigned(G))
        t = reg(t, f"exp_t_s{MUL_LATENCY + 1}")

        # -- stage 3 (sna, sigmoid, tanh; delayed to _PRE_STAGE) and _PRE_STAGE (the product
        # rounded): the other results before saturation -------------------------------------
        prod_rs = _rs(m, prod, F, p + "prod_rs")
        tanh_d = Signal(signed(len(prod) + 2), name=p + "tanh_d_v")     # 2**F - rs(prod, F)
        m.d.comb += tanh_d.eq((((1 << (2 * F)) + (1 << (F - 1)) - 1) - prod) >> F)
        sig_v = Signal(signed(B + 4), name=p + "sig_v")
        tanh_v = Signal(signed(B + 5), name=p + "tanh_v")
        m.d.comb += sig_v.eq(Mux(neg3, two_f - pwl, pwl))
        m.d.comb += tanh_v.eq(Mux(neg3, two_f - (pwl << 1), (pwl << 1) - two_f))
        late = _PRE_STAGE - 3
        assert late >= 1                  # the PWL's extra stage (``mag_s2``) fits
        pre = {"prod": reg(prod_rs, "prod_rs_pre"), "tanh_d": reg(tanh_d, "tanh_d_pre"),
               "sna": delay(reg(d2 + shifted, "sna_s3"), late, "sna"),
               "sigmoid": delay(reg(sig_v, "sigmoid_s4"), late - 1, "sigmoid"),
               "tanh": delay(reg(tanh_v, "tanh_s4"), late - 1, "tanh")}
        res2, ovf2 = reg(res2, "res_s3"), reg(ovf2, "ovf_s3")
        res2, ovf2 = delay(res2, late, "res_s3"), delay(ovf2, late, "ovf_s3")

        # -- _PRE_STAGE + 1: their saturation -------------------------------------------------
        staged = {
            "mul": sat(pre["prod"], "mul"),
            "sigmoid_d": sat(pre["prod"], "sigmoid_d"),
            "tanh_d": sat(pre["tanh_d"], "tanh_d"),
            "sna": sat(pre["sna"], "sna"),
            "sigmoid": sat(pre["sigmoid"], "sigmoid"),
            "tanh": sat(pre["tanh"], "tanh"),
        }
        res4, ovf4 = select(_PRE_STAGE, staged, (res2, ovf2), "staged")
        res4, ovf4 = reg(res4, "res_staged"), reg(ovf4, "ovf_staged")

        # exp: 2**frac(u) by a cubic (Horner): multipliers (MUL_LATENCY stages each) and
        # between them a stage of one rounding add h = c + rs(term, G)
        # = (term + c 2**G + 2**(G-1)) >> G. ``stage``: where ``frac`` and ``t`` are.
        h = Const(c3, unsigned(c3.bit_length()))
        stage = MUL_LATENCY + 1
        term = None

        def follow(frac, t, stages):
            for k in range(stage + 1, stage + stages + 1):
                frac, t = reg(frac, f"exp_f_s{k}"), reg(t, f"exp_t_s{k}")
            return frac, t

        for n, coeff in enumerate((None, c2, c1)):
            if coeff is not None:
                hn = Signal(unsigned(max(coeff.bit_length(), len(h)) + 1),
                            name=f"{p}exp_h_s{stage + 1}")
                m.d.comb += hn.eq((term + ((coeff << G) + (1 << (G - 1)))) >> G)
                h = reg(hn, f"exp_h_s{stage + 1}")
                frac, t = follow(frac, t, 1)
                stage += 1
            term = mul(frac, h, f"exp_term{n}")
            frac, t = follow(frac, t, MUL_LATENCY)
            stage += MUL_LATENCY
        # p = 2**G + rs(term, G) in 2**G .. 2**(G+1) (registered: the add alone after the
        # DSP's output route), then (2 P) >> t.
        pw = Signal(unsigned(G + 2), name=p + "exp_p")
        m.d.comb += pw.eq((term + ((1 << (2 * G)) + (1 << (G - 1)))) >> G)
        pw = reg(pw, f"exp_p_s{stage + 1}")
        frac, t = follow(frac, t, 1)
        stage += 1
        p2 = Signal(unsigned(G + 2 + left + 1), name=p + "exp_p2")
        m.d.comb += p2.eq(pw << (left + 1))
        exp_y = reg(p2 >> t, "exp_y", unsigned(len(p2)))
        exp_inc = reg(t != 0, "exp_inc")
        # round and saturate.
        exp_v = Signal(signed(len(exp_y) + 1), name=p + "exp_v")
        m.d.comb += exp_v.eq((exp_y + exp_inc) >> 1)
        exp_res, exp_ovf = sat(exp_v, "exp")
        exp_res, exp_ovf = reg(exp_res, "exp_s"), reg(exp_ovf, "exp_ovf_s")
        assert stage + 2 == _EXP_STAGE

        # -- the output register ------------------------------------------------------------
        res4 = delay(res4, last - _PRE_STAGE - 1, "res")
        ovf4 = delay(ovf4, last - _PRE_STAGE - 1, "ovf")
        exp_res, exp_ovf = delay(exp_res, last - _EXP_STAGE, "exp"), \
            delay(exp_ovf, last - _EXP_STAGE, "exp_ovf")
        recip_res = recip.result(m, prefix=p)
        if recip.stages < last:
            recip_res = (delay(recip_res[0], last - recip.stages, "recip"),
                         delay(recip_res[1], last - recip.stages, "recip_ovf"))
        out, ovf = select(last, {"exp": (exp_res, exp_ovf), "recip": recip_res},
                          (res4, ovf4), "out")
        self.result = reg(out, "result")
        self.overflow = reg(ovf, "overflow")
