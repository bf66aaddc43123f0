"""Random straight-line programs (vectors with overlapping operands, scalars, MCU operations,
ld/st) on the whole core, against the golden model."""

import numpy as np
import pytest

from panther.config import PRESETS
from panther.isa.assembler import assemble
from panther.isa.table import ALU_FUNCS, ALU_INT_FUNCS, SNA_SHIFT_BITS

from .core_harness import compare


def _program(rng, config, length):
    c = config
    n = c.xbar_size
    span = 48                                # operands mostly inside a small window: overlaps
    bases = [0, c.xbar_in_base(0), c.xbar_out_base(0), c.xbar_in_base(c.mcus_per_core - 1)]
    lines = [".data 0, " + ", ".join(f"{v:.4f}" for v in rng.uniform(-8, 7.9, span))]
    for m in range(c.mcus_per_core):
        for r in range(n):
            lines.append(f".weights {m}, {r}, " + ", ".join(f"{v:.4f}" for v in
                                                            rng.uniform(-1, 1, n)))
    lines.append(".data xin0, " + ", ".join(f"{v:.3f}" for v in rng.uniform(-2, 2, n)))
    saddr = 0

    def addr(vw):
        base = bases[int(rng.integers(0, len(bases)))]
        limit = c.addr_space - vw if base else span - vw
        return int(min(base + rng.integers(0, span - vw + 1), limit))

    for _ in range(length):
        kind = rng.choice(["alu", "alui", "cp", "alu_int", "set", "mcu", "ldst"],
                          p=[0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1])
        vw = int(rng.integers(1, 20))
        if kind == "alu":
            f = rng.choice([f for f in ALU_FUNCS if not f.imm_only and not f.unary])
            lines.append(f"alu {f.name}, {addr(vw)}, {addr(vw)}, {addr(vw)}, {vw}")
        elif kind == "alui":
            f = rng.choice(ALU_FUNCS)
            if f.imm_only:
                imm = int(rng.integers(-(1 << (SNA_SHIFT_BITS - 1)), 1 << (SNA_SHIFT_BITS - 1)))
            else:
                imm = int(rng.integers(-32768, 32768))
            lines.append(f"alui {f.name}, {addr(vw)}, {addr(vw)}, {imm}, {vw}")
        elif kind == "cp":
            lines.append(f"cp {addr(vw)}, {addr(vw)}, {vw}")
        elif kind == "alu_int":
            f = rng.choice(ALU_INT_FUNCS)
            lines.append(f"alu_int {f.name}, {addr(1)}, {addr(1)}, {addr(1)}")
        elif kind == "set":
            lines.append(f"set {addr(1)}, {int(rng.integers(-32768, 32768))}")
        elif kind == "mcu":
            masks = [int(rng.integers(0, 8)) for _ in range(c.mcus_per_core)]
            lines.append("mcu " + ", ".join(str(v) for v in masks))
        elif rng.random() < 0.5:
            lines.append(f"st {saddr}, {addr(vw)}, {vw}, 1")
            lines.append(f"ld {addr(vw)}, {saddr}, {vw}")
            saddr += vw
        else:       # through base registers inside the operand window (vectors may overwrite them)
            b1, b2 = int(rng.integers(0, span)), int(rng.integers(0, span))
            k1, k2 = int(rng.integers(0, saddr + 1)), int(rng.integers(0, saddr + 1))
            lines += [f"set {b1}, {k1}", f"stx {b1}, {saddr - k1}, {addr(vw)}, {vw}, 1",
                      f"set {b2}, {k2}", f"ldx {addr(vw)}, {b2}, {saddr - k2}, {vw}"]
            saddr += vw
    lines.append("hlt")
    return "\n".join(lines)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_program(seed):
    rng = np.random.default_rng(100 + seed)
    config = PRESETS["small"].replace(variant=1 + seed, deferred_depth=64, smem_depth=8192)
    rtl, gold = compare(assemble(_program(rng, config, 40), config=config))
    assert gold["status"] == "halted" and gold["instructions"] > 40


def test_random_program_odd_configuration():
    """Nothing assumes power-of-two register files, two MCUs or four lanes."""
    rng = np.random.default_rng(7)
    config = PRESETS["small"].replace(rf_depth=200, mcus_per_core=3, vfu_lanes=3,
                                      deferred_depth=64, imem_depth=100, smem_depth=8192)
    rtl, gold = compare(assemble(_program(rng, config, 30), config=config))
    assert gold["status"] == "halted"
