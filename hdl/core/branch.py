"""Branch condition evaluation of ``br`` (beq / bne / blt / bge on signed words)."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import BRANCH_CONDS, BY_MNEMONIC

__all__ = ["BranchCompare"]

#: Each condition from ``lt`` (a < b) and ``gt`` (b < a).
_DECIDE = {
    "beq": lambda lt, gt: ~lt & ~gt, "bne": lambda lt, gt: lt | gt,
    "blt": lambda lt, gt: lt, "bge": lambda lt, gt: ~lt,
}


class BranchCompare(wiring.Component):
    """Combinational: ``taken`` = cond(a, b) for the ``cond`` codes of the ISA table.

    Two subtractions one bit wider than the words, ``a - b`` and ``b - a``, whose sign bits
    are ``a < b`` and ``b < a``: on the ECP5 two carry chains of their own (not Yosys's
    ``a == b`` reduction, nor a subtractor shared with :class:`~hdl.core.alu_int.AluInt`'s
    ``sub``, whose operands are other registers), and ``taken`` is one LUT of their ends and
    ``cond`` (docs/synthesis.md, "brcmp").

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    cond : In(cond width)
    a, b : In(signed(data_bits))
    taken : Out(1)
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        word = signed(config.data_bits)
        super().__init__({"cond": In(BY_MNEMONIC["br"].field("cond").width),
                          "a": In(word), "b": In(word), "taken": Out(1)})

    def elaborate(self, platform):
        m = Module()
        wide = signed(len(self.a) + 1)          # a - b never overflows it
        a_b, b_a = Signal(wide, name="a_minus_b"), Signal(wide, name="b_minus_a")
        m.d.comb += [a_b.eq(self.a - self.b), b_a.eq(self.b - self.a)]
        lt, gt = a_b[-1], b_a[-1]
        with m.Switch(self.cond):
            for c in BRANCH_CONDS:
                with m.Case(c.code):
                    m.d.comb += self.taken.eq(_DECIDE[c.name](lt, gt))
        return m
