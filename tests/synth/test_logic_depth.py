"""Logic levels (Yosys ``ltp -noff`` before ABC) of tiny Amaranth designs whose depth is known
by construction, across a module boundary, and the parser's errors."""

import pytest
from amaranth.back import verilog
from amaranth.hdl import Cat, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.synth import ToolError, parse_ltp, synthesize


class XorChain(wiring.Component):
    """``y`` = the XOR of ``n`` registered inputs, written as a chain: ``n - 1`` gates deep."""

    def __init__(self, *, n):
        self.n = n
        super().__init__({"a": In(n), "y": Out(1)})

    def elaborate(self, platform):
        m = Module()
        r = Signal(self.n, name="r")
        m.d.sync += r.eq(self.a)
        acc = r[0]
        for i in range(1, self.n):
            acc = acc ^ r[i]
        m.d.sync += self.y.eq(acc)
        return m


class RippleAdder(wiring.Component):
    """A ``w``-bit ripple-carry adder from explicit full adders, carry in and operands from
    registers, sum and carry out into a register."""

    def __init__(self, *, w):
        self.w = w
        super().__init__({"a": In(w), "b": In(w), "ci": In(1), "s": Out(w + 1)})

    def elaborate(self, platform):
        m = Module()
        a, b, c = Signal(self.w, name="ra"), Signal(self.w, name="rb"), Signal(name="rc")
        m.d.sync += [a.eq(self.a), b.eq(self.b), c.eq(self.ci)]
        bits = []
        for i in range(self.w):
            p = a[i] ^ b[i]
            bits.append(p ^ c)
            c = (a[i] & b[i]) | (c & p)
        m.d.sync += self.s.eq(Cat(*bits, c))
        return m


def _levels(tmp_path, component, name="top"):
    (tmp_path / f"{name}.v").write_text(verilog.convert(component, name=name, emit_src=False))
    return synthesize(tmp_path, f"{name}.v", name)


@pytest.mark.parametrize("n", [2, 12])
def test_xor_chain_depth(tmp_path, n):
    stats = _levels(tmp_path, XorChain(n=n))
    # n inputs, one 2-input XOR each after the first: n - 1 gates, register to register.
    assert stats["logic_levels"] == n - 1
    assert stats["logic_path"]["from"].startswith("r[") and stats["logic_path"]["to"] == "y"
    assert stats["logic_loop"] is None


def test_ripple_adder_depth(tmp_path):
    w = 6
    stats = _levels(tmp_path, RippleAdder(w=w))
    # p0 = a0^b0 (1 level), c1 = g0 | (c0 & p0) (3); each further carry is one AND and one
    # OR after the previous one: c_w at 3 + 2 (w - 1) = 2w + 1 levels (the sums are shorter).
    assert stats["logic_levels"] == 2 * w + 1
    assert stats["logic_path"]["to"] == f"s[{w}]"


def test_levels_cross_module_boundaries(tmp_path):
    """A top whose unit is a module of another file: the design is flattened first."""
    k = 7
    (tmp_path / "sub.v").write_text(verilog.convert(XorChainComb(n=k), name="sub",
                                                    emit_src=False))
    (tmp_path / "top.v").write_text(verilog.convert(SubThenXor(k=k), name="top",
                                                    emit_src=False))
    stats = synthesize(tmp_path, ["top.v", "sub.v"], "top")
    assert stats["logic_levels"] == (k - 1) + 1      # the chain in sub, one XOR in top


class XorChainComb(wiring.Component):
    """Combinational: ``y`` = XOR chain of ``a`` (``n - 1`` gates)."""

    def __init__(self, *, n):
        self.n = n
        super().__init__({"a": In(n), "y": Out(1)})

    def elaborate(self, platform):
        m = Module()
        acc = self.a[0]
        for i in range(1, self.n):
            acc = acc ^ self.a[i]
        m.d.comb += self.y.eq(acc)
        return m


class SubThenXor(wiring.Component):
    """Registers ``k + 1`` inputs, XORs the first ``k`` in module ``sub``, then the last."""

    def __init__(self, *, k):
        self.k = k
        super().__init__({"a": In(k + 1), "y": Out(1)})

    def elaborate(self, platform):
        m = Module()
        r, t = Signal(self.k + 1, name="r"), Signal(name="t")
        m.d.sync += r.eq(self.a)
        m.submodules.sub = Instance("sub", i_a=r[:self.k], o_y=t)
        m.d.sync += self.y.eq(t ^ r[self.k])
        return m


# Yosys 0.70 ``ltp -noff`` of ``y = ~(~(a & y))`` (a combinational loop), verbatim.
LOOP = """
3. Executing LTP pass (find longest path).
Warning: Detected loop at \\y in lp

Longest topological path in lp (length=1):
    0: \\a
    1: \\y (via $auto$simplemap.cc:106:simplemap_bitop$75)"""


def test_parse_ltp_loop_and_errors():
    assert parse_ltp(LOOP, "lp") == {"logic_levels": None, "logic_path": None,
                                     "logic_loop": "y"}
    assert parse_ltp(LOOP.replace("Warning: Detected loop at \\y in lp\n", ""), "lp") == {
        "logic_levels": 1, "logic_path": {"from": "a", "to": "y"}, "logic_loop": None}
    with pytest.raises(ToolError, match=r"parse ltp.txt.*no 'Longest topological path in x'"):
        parse_ltp(LOOP, "x")
    with pytest.raises(ToolError, match=r"length=1 but 1 nodes"):
        parse_ltp(LOOP.rsplit("\n", 1)[0], "lp")
