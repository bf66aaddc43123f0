"""The divider steps of :mod:`.vfu_recip`: a radix-2 restoring step, and a radix-4 one whose
three subtractors work side by side and whose remainder select is one 4:1 mux.

On an ECP5 platform (the board build) the mux of each remainder bit is two ``LUT4`` 2:1 muxes
and the slice's ``PFUMX`` between them (:class:`Radix4Select`): Yosys' mapping of the same
function as a 7-input one took 2-4 times the LUTs (docs/synthesis.md, "recip2").
"""

from amaranth.hdl import Cat, Instance, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .pipelined_mul import is_ecp5

__all__ = ["Radix4Select", "radix2_step", "radix4_step", "mux_lut4_init"]


def mux_lut4_init():
    """``INIT`` of an ECP5 ``LUT4`` (``Z = INIT[{D, C, B, A}]``) that is ``A ? C : B``."""
    return sum(1 << i for i in range(16) if (i >> (2 if i & 1 else 1)) & 1)


class Radix4Select(wiring.Component):
    """``r = n2 ? (n1 ? c0 : c1) : (n3 ? c2 : c3)``, bit by bit: with the signs ``nk`` of
    ``t - k d`` (``n1 <= n2 <= n3``), the remainder of the largest ``k`` not negative.

    Parameters
    ----------
    width : int
        Width of the candidates and of ``r``.

    Members
    -------
    c0, c1, c2, c3 : In(width)
        The candidates (``c0 = t``, ``ck = t - k d``).
    n1, n2, n3 : In(1)
        The signs (1: negative).
    r : Out(width)
        The selected candidate. On an ECP5 platform each bit is a ``LUT4`` for ``n3``, one
        for ``n1`` (the signs on the LUTs' fastest input, ``A``) and the ``PFUMX`` of their
        slice for ``n2``; elsewhere ``Mux`` es.
    """

    def __init__(self, *, width):
        self.width = width
        super().__init__({"c0": In(width), "c1": In(width), "c2": In(width), "c3": In(width),
                          "n1": In(1), "n2": In(1), "n3": In(1), "r": Out(width)})

    def elaborate(self, platform):
        m = Module()
        if not is_ecp5(platform):
            m.d.comb += self.r.eq(Mux(self.n2, Mux(self.n1, self.c0, self.c1),
                                      Mux(self.n3, self.c2, self.c3)))
            return m
        init = mux_lut4_init()
        for j in range(self.width):
            lo, hi = Signal(name=f"lo{j}"), Signal(name=f"hi{j}")
            m.submodules[f"lo{j}"] = Instance("LUT4", p_INIT=init, i_A=self.n1, i_B=self.c1[j],
                                              i_C=self.c0[j], i_D=0, o_Z=lo)
            m.submodules[f"hi{j}"] = Instance("LUT4", p_INIT=init, i_A=self.n3, i_B=self.c3[j],
                                              i_C=self.c2[j], i_D=0, o_Z=hi)
            m.submodules[f"mux{j}"] = Instance("PFUMX", i_ALUT=lo, i_BLUT=hi, i_C0=self.n2,
                                               o_Z=self.r[j])
        return m


def _difference(m, name, t, sub):
    """``t - sub`` (both unsigned) as a signed signal one bit wider than the wider of them:
    one carry chain whose sign is the comparison."""
    out = Signal(signed(max(len(t), len(sub)) + 1), name=name)
    m.d.comb += out.eq(t - sub)
    return out


def radix2_step(m, name, t, mag):
    """One restoring step on ``t = 2 r + bit`` (``B + 1`` bits), divisor ``d = 2 mag``
    (``d``'s low bit is 0: ``t``'s passes through). Returns the next remainder (``B`` bits)
    and the quotient bit."""
    diff = _difference(m, name + "_d1", t[1:], mag)
    ge = Signal(name=name + "_ge1")
    m.d.comb += ge.eq(~diff[-1])
    nxt = Signal(unsigned(len(mag)), name=name + "_r")
    m.d.comb += nxt.eq(Mux(ge, Cat(t[0], diff), t))
    return nxt, ge


def radix4_step(m, name, t, mag, mag3):
    """One radix-4 restoring step on ``t = 4 r + 2 bits`` (``B + 2`` bits), divisor
    ``d = 2 mag``: ``t - k d`` for ``k`` = 1, 2, 3 side by side (``2d = 4 mag`` leaves ``t``'s
    two low bits, ``d`` and ``3d = 2 mag3`` one), then the largest ``k`` whose difference is
    not negative (:class:`Radix4Select`; the remainder's bit 0 is ``t``'s). Returns the next
    remainder (``B`` bits) and the two quotient bits, high first."""
    B = len(mag)
    d1 = _difference(m, name + "_d1", t[1:], mag)
    d2 = _difference(m, name + "_d2", t[2:], mag)
    d3 = _difference(m, name + "_d3", t[1:], mag3)
    n1, n2, n3 = d1[-1], d2[-1], d3[-1]
    sel = m.submodules[name + "_sel"] = Radix4Select(width=B - 1)
    m.d.comb += [sel.c0.eq(t[1:B]), sel.c1.eq(d1), sel.c2.eq(Cat(t[1], d2)), sel.c3.eq(d3),
                 sel.n1.eq(n1), sel.n2.eq(n2), sel.n3.eq(n3)]
    nxt = Signal(unsigned(B), name=name + "_r")
    m.d.comb += nxt.eq(Cat(t[0], sel.r))
    return nxt, [~n2, ~n3 | (~n1 & n2)]
