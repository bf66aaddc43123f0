"""The Python program builder: the shipped mlp2_step.s written with it gives the assembler's
image word for word, its assembly text assembles back to the same image, and mistakes are
clear errors."""

from pathlib import Path

import numpy as np
import pytest

from panther.apps.api import run
from panther.config import PRESETS
from panther.isa.assembler import assemble
from panther.isa.builder import BuildError, ProgramBuilder

ROOT = Path(__file__).resolve().parents[2]
SMALL = PRESETS["small"]


def mlp2_step(example):
    """examples/mlp2_step.s in Python, its numbers taken from the assembled example."""
    b = ProgramBuilder(config=SMALL)
    NI, NH, NO, LR_DIV = 8, 8, 4, 8
    for name, value in (("NI", NI), ("NH", NH), ("NO", NO), ("LR_DIV", LR_DIV)):
        b.equ(name, value)
    b.check("mlp2_step")
    L1, L2 = b.mcu("L1", 0), b.mcu("L2", 1)
    xs, ts = b.sregion("xs", NI), b.sregion("ts", NO, base=16)
    x, t = b.region("x", NI), b.region("t", NO, base=16)
    h, y, d2, s2 = (b.region(n, w, base=a) for n, w, a in
                    (("h", NH, 32), ("y", NO, 48), ("d2", NO, 64), ("s2", NO, 80)))
    d1, s1 = b.region("d1", NH, base=96), b.region("s1", NH, base=112)
    b.smem(xs, example.smem_init[0:8] / 4096.0)
    b.smem(ts, example.smem_init[16:20])                      # raw words
    b.weights(L1, example.weights[(0, 0)][:8, :8] / 2.0**24)
    b.weights(L2, example.weights[(0, 1)][:8, :4])
    b.ld(x, xs)
    b.ld(t, ts)
    b.cp(b.xin(L1)[:NI], x)
    b.mcu_ops({L1: "mvm"})
    b.alu("tanh", h, b.xout(L1)[:NH])
    b.cp(b.xin(L2)[:NH], h)
    b.mcu_ops({L2: "mvm"})
    b.alu("sigmoid", y, b.xout(L2)[:NO])
    b.alu("sub", d2, y, t)
    b.alu("sigmoid_d", s2, y)
    b.alu("mul", d2, d2, s2)
    b.cp(b.xout(L2)[:NO], d2)
    b.mcu_ops({L2: "mtvm"})
    b.alu("tanh_d", s1, h)
    b.alu("mul", d1, b.xin(L2)[:NH], s1)
    b.cp(b.xin(L2)[:NH], h)
    b.alui("mul", b.xout(L2), d2, -1.0 / LR_DIV, n=NO)
    b.alui("mul", b.xout(L1), d1, -1.0 / LR_DIV, n=NH)
    b.mcu_ops({L1: "opa", L2: "opa"})
    b.hlt()
    return b


def test_the_builder_writes_the_assemblers_image_of_mlp2_step():
    path = ROOT / "examples" / "mlp2_step.s"
    example = assemble(path.read_text(), config=SMALL, filename=str(path))
    b = mlp2_step(example)
    built = b.build()
    assert built.same_contents(example)
    assert built.programs[0] == example.programs[0]
    assert built.regions == example.regions and built.check == "mlp2_step"
    again = assemble(b.assembly(), config=SMALL, filename="built.s")
    assert again.same_contents(example)
    report = run(built, sim="golden")
    assert report.ok and report.check.ok


def test_labels_and_branches():
    b = ProgramBuilder(config=SMALL)
    i, one, end = b.region("i", 1), b.region("one", 1), b.region("end", 1)
    b.data(one, [1])
    b.data(end, [5])
    b.label("loop")
    b.alu("add", i, i, one, n=1)
    b.branch("bne", i, end, "loop")
    b.hlt()
    report = run(b.build(), sim="golden")
    assert report.ok and report.values("i")["cores"][0]["raw"] == [5]
    text = b.assembly()
    assert assemble(text, config=SMALL).same_contents(b.build())


@pytest.mark.parametrize("action, message", [
    (lambda b, r: b.cp(b.region("big", 20), r), "cp src: 20 words do not fit r of 8"),
    (lambda b, r: b.alu("tanhh", r, r), "unknown alu function 'tanhh'"),
    (lambda b, r: b.jmp("nowhere") or b.build(), "no label 'nowhere'"),
    (lambda b, r: b.region("r", 2), "'r' is already defined"),
    (lambda b, r: b.ld(r, r), "r is a core span; a shared address is needed"),
    (lambda b, r: b.data(r, np.full(9, 0.5)), "data: 9 words do not fit r of 8"),
    (lambda b, r: b.data(r, [100.0]), "does not fit Q4.12"),
    (lambda b, r: b.mcu_ops({0: "mvn"}), "unknown MCU operation 'mvn'"),
    (lambda b, r: b.cp(5, 6), "give the vector width n="),
])
def test_builder_mistakes_are_clear_errors(action, message):
    b = ProgramBuilder(config="small")
    r = b.region("r", 8)
    with pytest.raises(BuildError) as info:
        action(b, r)
    assert message in str(info.value)
