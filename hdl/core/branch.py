"""Branch condition evaluation of ``br`` (beq / bne / blt / bge on signed words)."""

from amaranth.hdl import Module, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import BRANCH_CONDS, BY_MNEMONIC

__all__ = ["BranchCompare"]

_COMPARE = {
    "beq": lambda a, b: a == b, "bne": lambda a, b: a != b,
    "blt": lambda a, b: a < b, "bge": lambda a, b: a >= b,
}


class BranchCompare(wiring.Component):
    """Combinational: ``taken`` = cond(a, b) for the ``cond`` codes of the ISA table.

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
        with m.Switch(self.cond):
            for c in BRANCH_CONDS:
                with m.Case(c.code):
                    m.d.comb += self.taken.eq(_COMPARE[c.name](self.a, self.b))
        return m
