"""The VFU's reciprocal as a pipelined restoring divider (one lane).

``recip`` of :func:`isa.vfu_math.recip_raw` is ``q = (2**(2F+1) + m) // (2m)`` for
``m = |a|``, negated for ``a < 0``, then saturated. ``q`` decreases as ``m`` grows, so
whether it saturates is a comparison of ``m`` with two constants (:func:`recip_thresholds`)
and only the ``B - 1`` low quotient bits of a quotient that does not saturate need dividing,
:data:`RECIP_STEPS_PER_STAGE` bits per pipeline stage. When they do not divide evenly, the
first stage takes the remainder (one bit for ``B = 16``): it starts from ``|a|``'s register,
which also feeds the simple functions' saturation and sits farther from the divider.

The first stage does radix-2 restoring steps (a ``B + 1``-bit compare-and-subtract each) and,
beside them, ``3 |a|``. Every later stage is one radix-4 restoring step: with ``t`` the
remainder shifted in by two dividend bits and ``d = 2 |a|``, the three differences ``t - d``,
``t - 2d`` and ``t - 3d`` are three carry chains side by side (``3d`` from the register), and
their signs pick the new remainder (one 4:1 mux) and the two quotient bits. A stage is thus
one carry chain and one mux deep instead of two chains with a mux between them
(:mod:`.vfu_recip_radix4`).
"""

import numpy as np
from amaranth.hdl import Cat, Const, Mux, Signal, signed, unsigned

from panther.isa import vfu_math

from .vfu_recip_radix4 import radix2_step, radix4_step

__all__ = ["RECIP_STEPS_PER_STAGE", "recip_thresholds", "recip_stages", "recip_steps",
           "RecipPipeline"]

#: Quotient bits per pipeline stage: 2 is a radix-4 step (three carry chains side by side and
#: a 4:1 mux) in each stage after the first, 1 a radix-2 step (one chain and a 2:1 mux).
RECIP_STEPS_PER_STAGE = 2


def recip_thresholds(config):
    """``(m_over, m_half)`` for ``m = |a|``: ``q > 2**(B-1)`` exactly when ``m < m_over``
    (saturates whatever the sign; ``a = 0`` too), ``q >= 2**(B-1)`` exactly when
    ``m < m_half`` (a positive ``a`` saturates, a negative one gives ``-2**(B-1)``)."""
    B = config.data_bits
    m = np.arange(1, (1 << (B - 1)) + 1, dtype=np.int64)
    q = vfu_math.recip_raw(m, config)
    if np.any(np.diff(q) > 0):
        raise ValueError("recip_raw must not increase with |a| (the RTL compares |a| instead)")
    half = 1 << (B - 1)
    over = int(np.searchsorted(-q, -half, side="left"))      # how many m give q > half
    at_least = int(np.searchsorted(-q, -half, side="right"))  # how many give q >= half
    return over + 1, at_least + 1


def recip_stages(config):
    """Pipeline stages of the divider: ``ceil((B - 1) / RECIP_STEPS_PER_STAGE)``."""
    return -(-(config.data_bits - 1) // RECIP_STEPS_PER_STAGE)


def recip_steps(config):
    """Division steps of each divider stage, in order: the remainder of ``(B - 1) /
    RECIP_STEPS_PER_STAGE`` first (issue 20: the first stage's inputs come from farther),
    then :data:`RECIP_STEPS_PER_STAGE` each."""
    n, q = recip_stages(config), config.data_bits - 1
    return [q - (n - 1) * RECIP_STEPS_PER_STAGE] + [RECIP_STEPS_PER_STAGE] * (n - 1)


class RecipPipeline:
    """Builds the divider of one lane into module ``m`` (sync domain).

    ``a``'s magnitude is taken in the first stage; :func:`recip_stages` more stages divide;
    ``result(m, name)`` then gives, combinationally from the last stage's registers, the
    saturated result and its overflow bit. ``stages`` is the total number of register stages
    (``1 + recip_stages``).
    """

    def __init__(self, m, config, a, *, prefix):
        B, F = config.data_bits, config.data_frac_bits
        self.config = config
        Q = B - 1
        m_over, m_half = recip_thresholds(config)
        p = prefix + "recip_"

        def reg(value, name, shape):
            out = Signal(shape, name=p + name, reset_less=True)     # data: no reset
            m.d.sync += out.eq(value)
            return out

        # Stage 1: |a|, the sign, the two threshold comparisons (on a, in parallel).
        mag = reg(Mux(a < 0, -a, a), "mag", unsigned(B))
        neg = reg(a < 0, "neg", 1)
        over = reg((a < m_over) & (a > -m_over), "over", 1)
        half = reg((a < m_half) & (a > -m_half), "half", 1)
        # Dividend N = 2**(2F+1) + m, divisor D = 2m; remainder starts at N >> Q.
        n_bits = max(2 * F + 2, B + 1)
        dividend = Signal(unsigned(n_bits), name=p + "n")
        m.d.comb += dividend.eq(Const(1 << (2 * F + 1), unsigned(n_bits)) + mag)
        rem = Signal(unsigned(B), name=p + "r0")
        m.d.comb += rem.eq(dividend[Q:])
        low = dividend[:Q]
        quot = Const(0, unsigned(Q))
        self.stages = 1
        i = Q
        for stage, steps in enumerate(recip_steps(config)):
            if stage == 0 or steps == 1:    # radix 2: ``steps`` chains in a row; 3 |a| beside
                bits = []
                for _ in range(steps):
                    i -= 1
                    rem, ge = radix2_step(m, f"{p}{i}", Cat(low[i], rem), mag)
                    bits.append(ge)
                if stage == 0:
                    mag3 = mag + Cat(Const(0, 1), mag)
            else:                                 # radix 4: one step of three chains abreast
                i -= 2
                rem, bits = radix4_step(m, f"{p}{i}", Cat(low[i:i + 2], rem), mag, mag3)
            quot = Cat(*reversed(bits), quot)[:Q]        # the new bits enter at the bottom
            s = f"s{stage + 2}_"
            rem = reg(rem, s + "rem", unsigned(B))
            quot = reg(quot, s + "q", unsigned(Q))
            low = reg(low, s + "low", unsigned(Q))
            mag = reg(mag, s + "mag", unsigned(B))
            mag3 = reg(mag3, s + "mag3", unsigned(B + 1))
            neg = reg(neg, s + "neg", 1)
            over = reg(over, s + "over", 1)
            half = reg(half, s + "half", 1)
            self.stages += 1
        self._q, self._neg, self._over, self._half = quot, neg, over, half

    def result(self, m, *, prefix):
        """``(value, overflow)`` from the last stage's registers (combinational)."""
        B = self.config.data_bits
        lo, hi = -(1 << (B - 1)), (1 << (B - 1)) - 1
        value = Signal(signed(B), name=prefix + "recip_v")
        ovf = Signal(name=prefix + "recip_ovf")
        with m.If(self._half):
            m.d.comb += [value.eq(Mux(self._neg, lo, hi)), ovf.eq(~self._neg | self._over)]
        with m.Else():
            m.d.comb += value.eq(Mux(self._neg, -self._q, self._q))
        return value, ovf
