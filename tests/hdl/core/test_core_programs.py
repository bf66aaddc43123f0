"""Core-level programs in the Amaranth simulator, checked against the golden model."""

import pytest

from panther.config import PRESETS
from panther.isa.assembler import assemble

from .core_harness import compare

CFG = PRESETS["small"]


def _asm(text, config=CFG):
    return assemble(text, config=config)


def test_scalar_loop_and_vectors():
    image = _asm("""
        .data 0, 0, 5, 1            # counter, limit, one
        .data 10, 0.5, -1.25, 3.0, -7.5, 7.9, 0.001
        .data 20, 1.5, 2.0, -0.5, 7.99, 4.0, -8
    loop:
        alu_int add, 0, 0, 2
        alu add, 30, 10, 20, 6
        alu mul, 40, 10, 20, 6
        alui sigmoid, 50, 10, 0, 6
        alui tanh, 60, 10, 0, 6
        alui sna, 40, 10, 3, 6
        cp 11, 10, 6
        blt 0, 1, loop
        set 70, -3
        hlt
    """)
    rtl, gold = compare(image)
    assert gold["status"] == "halted" and rtl["cycles"] > 0


def test_every_alu_int_function_and_branch_condition():
    from panther.isa.table import ALU_INT_FUNCS, BRANCH_CONDS
    lines = [".data 0, 12345, -3, 7, -32768, 32767, 0"]
    dst = 20
    for f in ALU_INT_FUNCS:
        for a, b in ((1, 2), (3, 4), (4, 5), (1, 0)):
            lines.append(f"alu_int {f.name}, {dst}, {a}, {b}")
            dst += 1
    for _k, cond in enumerate(BRANCH_CONDS):
        for a, b in ((1, 2), (2, 1), (3, 3)):
            lines += [f"{cond.name} {a}, {b}, t{dst}", f"set {dst}, 1", f"t{dst}:", ]
            dst += 1
    lines.append("hlt")
    compare(_asm("\n".join(lines)))


def test_a_taken_branch_skips_its_wrong_path():
    """A branch retires before its registered decision redirects (issue 20), so the
    instruction register meanwhile holds the fall-through: a ``hlt``, a ``set`` or a fetch
    past the program's end there (a PC_RANGE fault if it ran) must leave no trace."""
    image = _asm("""
        .data 0, 0, 3, 1
        jmp loop
    end:
        beq 0, 0, over
        hlt
        set 5, 1
    over:
        set 6, 2
        hlt
    loop:
        alu_int add, 0, 0, 2
        beq 0, 1, end
        blt 0, 1, loop
    """)
    rtl, gold = compare(image)
    assert gold["status"] == "halted" and gold["rf"][5] == 0 and gold["rf"][6] != 0


def test_every_vfu_function_overlapping_vectors():
    """Each ALU function once with dst overlapping the sources (read before write)."""
    from panther.isa.table import ALU_FUNCS
    lines = [".data 0, " + ", ".join(str(v) for v in
             (0.5, -1.25, 3.0, -7.5, 7.99, 0.001, -8, 2.4, -2.375, 5.0, 1.0, -0.3, 6.5))]
    lines.append(".data 40, 1, 2, 3, 4, 5, 6, 7, 8, 9")
    base = 100
    for f in ALU_FUNCS:
        lines.append(f"cp {base}, 0, 13")
        if f.name == "sna":
            lines.append(f"alui sna, {base + 1}, {base}, -2, 9")
        elif f.unary:
            lines.append(f"alui {f.name}, {base + 1}, {base}, 0, 9")
        else:
            lines.append(f"alu {f.name}, {base + 1}, {base}, {base + 2}, 11")
        base += 14 if base < 200 else 0
    lines.append("hlt")
    compare(_asm("\n".join(lines)))


def test_load_store_shared_memory():
    image = _asm("""
        .smem 0, 2, 1.0, 2.0, 3.0      # two consumers
        .smem 10, 0, 0.25, -0.5        # persistent
        ld 0, 0, 3
        ld 3, 0, 3                     # second consumer: words become invalid
        ld 6, 10, 2
        ld 8, 10, 2
        alu add, 12, 0, 3, 3
        st 20, 12, 3, 1
        st 30, 6, 4, 7
        hlt
    """)
    compare(image)


def test_overflow_flag_from_vfu():
    compare(_asm("""
        .data 0, 7.5, 7.5
        alu add, 2, 0, 1, 1
        hlt
    """))


def _weights_lines(rng, mcu, scale=0.5):
    n = CFG.xbar_size
    lines = []
    for r in range(n):
        vals = ", ".join(f"{v:.5f}" for v in rng.uniform(-scale, scale, n))
        lines.append(f".weights {mcu}, {r}, {vals}")
    return lines


def _vector(rng, n, scale=1.0):
    return ", ".join(f"{v:.4f}" for v in rng.uniform(-scale, scale, n))


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_mcu_mvm_mtvm_opa_crs_deferred_to_hlt(variant):
    import numpy as np
    cfg = CFG.replace(variant=variant)
    rng = np.random.default_rng(variant)
    n = cfg.xbar_size
    lines = _weights_lines(rng, 0) + _weights_lines(rng, 1)
    lines += [f".data xin0, {_vector(rng, n)}", f".data xout0, {_vector(rng, n)}",
              f".data xin1, {_vector(rng, n)}", f".data xout1, {_vector(rng, n)}",
              f".data 0, {_vector(rng, n, 0.25)}"]
    lines += [
        "mcu 0:mvm|mtvm|opa, 1:opa",     # swap passes on MCU 0, snapshot both for OPA
        "cp 32, xin0, 16",
        "cp 48, xout0, 16",
        "mcu 0:mvm, 1:mvm|opa",          # still the original weights (OPA deferred)
        "crs 3",
        "cp xin1, 0, 16",
        "mcu 1:mtvm",
        "mcu 1:opa",
        "hlt",
    ]
    compare(assemble("\n".join(lines), config=cfg))


def test_mvm_saturates_sets_overflow():
    import numpy as np
    n = CFG.xbar_size
    lines = [f".weights 0, {r}, " + ", ".join(["7.9"] * n) for r in range(n)]
    lines += [".data xin0, " + ", ".join(["7.0"] * n), "mcu 0:mvm", "hlt"]
    rtl, gold = compare(_asm("\n".join(lines)))
    assert gold["overflow"] and rtl["overflow"]
    _ = np


def test_narrow_data_words_saturate_immediates():
    """8-bit data: set saturates its 16-bit immediate (and flags it), alui uses it whole
    (raw words: the assembler itself keeps immediates within a data word)."""
    from panther.isa.encoding import encode, make
    cfg = CFG.replace(data_bits=8, data_frac_bits=5, weight_frac_bits=10)

    def w(mnemonic, **operands):
        return f".word {encode(make(mnemonic, **operands))}"

    image = assemble("\n".join([
        ".data 0, 1, 2, 3",
        w("alui", fn="add", dst=4, src1=0, imm=-300, vw=3),
        w("alui", fn="mul", dst=8, src1=0, imm=40, vw=3),
        "set 12, 3",
        "hlt"]), config=cfg)
    rtl, gold = compare(image)
    assert gold["overflow"]
    rtl, gold = compare(assemble(w("set", dst=0, imm=1000) + "\nhlt", config=cfg))
    assert gold["overflow"] and gold["rf"][0] == 127
