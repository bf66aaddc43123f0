"""Assembler: every directive and instruction form checked against independently computed
values (hand-packed words, hand-rounded fixed point, the configuration's buffer bases)."""

import numpy as np
import pytest

from panther.config import PRESETS, PantherConfig
from panther.isa.assembler import AsmError, assemble
from panther.isa.encoding import decode, encode, make

SMALL = PRESETS["small"]


def asm(text, config=SMALL):
    return assemble(text, config=config, filename="t.s")


def words(text, core=0, config=SMALL):
    return asm(text, config).programs[core]


def q412(x):
    """Q4.12 raw value by hand: nearest multiple of 2**-12, ties up."""
    return int(np.floor(x * 4096.0 + 0.5))


def q824(x):
    return int(np.floor(x * 16777216.0 + 0.5))


def test_hand_packed_words():
    # opcode 63:58, fn 57:52, dst 51:38, src1 37:24, imm/saddr 23:8 (src2 21:8), vw 7:0
    prog = words("""
        nop
        hlt
        set 3, 1.0
        cp 10, 20, 16
        ld 1, 800, 2
        st 800, 1, 2, 3
        alu sub, 1, 2, 3, 4
        alui mul, 1, 2, -0.5, 4
        alu_int xor, 5, 6, 7
        blt 5, 6, 0
        jmp 0
        mcu 0:mvm, 1:opa|mtvm
        crs 0b10
    """)
    expected = [
        0,
        1 << 58,
        (2 << 58) | (3 << 38) | (4096 << 8),
        (3 << 58) | (10 << 38) | (20 << 24) | 15,
        (4 << 58) | (1 << 38) | (800 << 8) | 1,
        (5 << 58) | (3 << 38) | (1 << 24) | (800 << 8) | 1,
        (6 << 58) | (1 << 52) | (1 << 38) | (2 << 24) | (3 << 8) | 3,
        (7 << 58) | (2 << 52) | (1 << 38) | (2 << 24) | ((65536 - 2048) << 8) | 3,
        (8 << 58) | (4 << 52) | (5 << 38) | (6 << 24) | (7 << 8),
        (9 << 58) | (2 << 56) | (0 << 40) | (5 << 24) | (6 << 8),
        10 << 58,
        (11 << 58) | 1 | (6 << 3),
        (12 << 58) | 2,
    ]
    assert prog == expected


@pytest.mark.parametrize("config", [SMALL, PRESETS["paper"]], ids=["small", "paper"])
def test_xbar_buffer_names_resolve_to_the_configuration(config):
    prog = words("""
        .mcu L1, 1
        cp xin0, 0, 1
        cp xout0+3, 0, 1
        cp xin(1), 0, 1
        cp xout(L1)+2, 0, 1
        cp xin1 - 1, 0, 1
    """, config=config)
    dsts = [decode(w)["dst"] for w in prog]
    assert dsts == [config.rf_depth, config.rf_depth + config.xbar_size + 3,
                    config.rf_depth + 2 * config.xbar_size,
                    config.rf_depth + 3 * config.xbar_size + 2,
                    config.rf_depth + 2 * config.xbar_size - 1]
    assert dsts[0] == config.xbar_in_base(0) and dsts[2] == config.xbar_in_base(1)


def test_real_literals_become_q412_and_integers_stay_raw():
    prog = words("""
        set 0, 0.5
        set 0, -1.25
        set 0, 0.0001
        set 0, 7.9997
        set 0, -8.0
        set 0, 1
        set 0, 0xFFFF
        set 0, -32768
        set 0, 1e-3
        set 0, .25
    """)
    imms = [decode(w)["imm"] for w in prog]
    assert imms == [2048, -5120, q412(0.0001), q412(7.9997), -32768, 1, -1, -32768,
                    q412(1e-3), 1024]
    assert imms[2] == 0 and imms[3] == 32767 and imms[8] == 4


def test_equ_constants_and_expressions():
    prog = words("""
        .equ N, 4
        .equ BASE, 2 + 3 * 4       ; precedence: 14
        .equ LR, 0.125
        .equ HALF, LR * 4
        .equ MASK, (1 << 4) | 1
        cp BASE, BASE + N * 2, N
        set MASK, HALF
        set -(-7), LR
        cp 100 / 3, (7 - 2) * 2, N - 3
    """)
    assert decode(prog[0]).operands == {"dst": 14, "src": 22, "vw": 4}
    assert decode(prog[1]).operands == {"dst": 17, "imm": 2048}
    assert decode(prog[2]).operands == {"dst": 7, "imm": 512}
    assert decode(prog[3]).operands == {"dst": 33, "src": 10, "vw": 1}


def test_labels_forward_backward_and_per_core():
    img = asm("""
        start:              # label on its own line
        top:  nop
              beq 0, 1, end
              jmp top
        end:  hlt
        .core 1
        c1:   jmp c1
              bne 2, 3, back
        back: hlt
        .core 0
              jmp start     ; back in core 0: appended after 'end'
    """)
    p0, p1 = img.programs
    assert [decode(w).name for w in p0] == ["nop", "beq", "jmp", "hlt", "jmp"]
    assert decode(p0[1])["target"] == 3 and decode(p0[2])["target"] == 0
    assert decode(p0[4])["target"] == 0
    assert decode(p1[0])["target"] == 0 and decode(p1[1])["target"] == 2
    assert img.symbols["end"] == 3 and img.symbols["back"] == 2 and img.symbols["start"] == 0


def test_alu_forms():
    prog = words("""
        alu add, 1, 2, 3, 4
        alu add 1, 2, 3, 4          # the comma after the function is optional
        alu relu, 1, 2, 4           # unary: src2 omitted (encoded 0)
        alu relu, 1, 2, 0, 4
        alui relu 1, 2, 4
        alui sna, 1, 2, -16, 4
        alui sna, 1, 2, 15, 4
        ALU_INT MUL, 1, 2, 3        # mnemonics and function names ignore case
    """)
    d = [decode(w) for w in prog]
    assert prog[0] == prog[1]
    assert prog[2] == prog[3]
    assert d[2].func.name == "relu" and d[2]["src2"] == 0
    assert d[4].mnemonic == "alui" and d[4]["imm"] == 0
    assert d[5]["imm"] == -16 and d[6]["imm"] == 15
    assert d[7].mnemonic == "alu_int" and d[7].func.name == "mul"


def test_store_count_defaults_to_one_and_mcu_forms_agree():
    prog = words("""
        st 5, 6, 2
        st 5, 6, 2, 1
        mcu 0b101, 0b010
        mcu 0:mvm|opa, 1:mtvm
        mcu 1:2, 0:5
        mcu 0, 0, 0, 0, 0, 0
        mcu
    """)
    assert prog[0] == prog[1]
    assert prog[2] == prog[3] == prog[4] == encode(make("mcu", m0=5, m1=2, m2=0, m3=0, m4=0, m5=0))
    assert prog[5] == prog[6] == 11 << 58


def test_data_directive_fills_register_file_and_xbar_buffers():
    c = SMALL
    img = asm("""
        .data 0, 0.5, -0.25, 3
        .data 250, 1.0
        .data xin1+1, 2.0, -2.0
        .data xout0, 0x7fff
        .core 1
        .data 7, -1
    """)
    rf0 = np.zeros(c.rf_depth, np.int64)
    rf0[:3] = [2048, -1024, 3]
    rf0[250] = 4096
    assert np.array_equal(img.rf_init[0], rf0)
    xin = np.zeros((c.mcus_per_core, c.xbar_size), np.int64)
    xin[1, 1:3] = [8192, -8192]
    assert np.array_equal(img.xbar_in[0], xin)
    xout = np.zeros_like(xin)
    xout[0, 0] = 32767
    assert np.array_equal(img.xbar_out[0], xout)
    assert img.rf_init[1][7] == -1 and img.rf_init[1].sum() == -1
    assert not img.xbar_in[1].any()


def test_data_crossing_from_register_file_into_buffers():
    c = SMALL
    img = asm(f".data {c.rf_depth - 1}, 1, 2, 3")
    assert img.rf_init[0][-1] == 1
    assert list(img.xbar_in[0][0][:2]) == [2, 3]


def test_smem_directive_sets_values_counts_and_valid_bits():
    img = asm("""
        .sregion buf, 100, 8
        .smem buf, 2, 0.5, 1.5
        .smem buf+4, 0, -1.0          # persistent
        .smem 895, 255, 7             # the last word below the OPA region
    """)
    expected = np.zeros(SMALL.smem_depth, np.int64)
    expected[[100, 101, 104, 895]] = [2048, 6144, -4096, 7]
    assert np.array_equal(img.smem_init, expected)
    assert list(np.flatnonzero(img.smem_valid)) == [100, 101, 104, 895]
    assert img.smem_count[100] == 2 and img.smem_count[101] == 2
    assert img.smem_count[104] == 0 and img.smem_count[895] == 255
    assert img.symbols["buf"] == 100


def test_weights_rows_and_whole_matrix_in_q824():
    c = SMALL
    n = c.xbar_size
    rng = np.random.default_rng(3)
    matrix = np.round(rng.uniform(-2, 2, (n, n)), 5)
    rows = ", \\\n   ".join(", ".join(repr(float(v)) for v in row) for row in matrix)
    img = asm(f"""
        .mcu L, 1
        .weights 0, 2, 0.1, -0.1, 1, -1
        .weights L, 0, {rows}
        .core 1
        .weights 0, 15, 127.99999994
    """)
    w0 = np.zeros((n, n), np.int64)
    w0[2, :4] = [q824(0.1), q824(-0.1), 1, -1]
    assert w0[2, 0] == 1677722
    assert np.array_equal(img.weights[(0, 0)], w0)
    expected = np.floor(matrix * 2.0 ** 24 + 0.5).astype(np.int64)
    assert np.array_equal(img.weights[(0, 1)], expected)
    assert img.weights[(1, 0)][15, 0] == 2 ** 31 - 1
    assert (1, 1) not in img.weights


def test_regions_name_bases_and_bound_vectors():
    img = asm("""
        .region act, 32, 8
        .sregion out, 500, 4
        cp act, act+4, 4
        st out, act, 4
    """)
    d = [decode(w) for w in img.programs[0]]
    assert d[0].operands == {"dst": 32, "src": 36, "vw": 4}
    assert d[1]["saddr"] == 500 and d[1]["src"] == 32
    assert img.symbols["act"] == 32 and img.symbols["out"] == 500


def test_word_directive_comments_continuations_and_source():
    text = ("# header comment\n"
            ".word 0x0400000000000000   ; a raw hlt\n"
            "set 1, \\\n  2   # continued\n"
            ".word 0xFFFFFFFFFFFFFFFF\n")
    img = asm(text)
    assert img.programs[0] == [1 << 58, (2 << 58) | (1 << 38) | (2 << 8), 2 ** 64 - 1]
    assert img.source == text


def test_image_shapes_follow_the_configuration():
    config = PantherConfig(cores_per_tile=3, mcus_per_core=3, xbar_size=8, rf_depth=64, smem_depth=1024)
    img = asm(".core 2\n.data xout2+7, 1\nhlt", config)
    assert len(img.programs) == 3 and img.programs[2] == [1 << 58] and img.programs[0] == []
    assert img.xbar_out[2].shape == (3, 8) and img.xbar_out[2][2, 7] == 1
    assert config.xbar_out_base(2) + 7 == config.addr_space - 1
    with pytest.raises(AsmError):
        asm(".data xout2+8, 1", config)


def test_indexed_ld_st():
    img = asm("""
        .equ PTR, 7
        .sregion rec, 300, 16
        ldx 16, PTR, rec+4, 8
        stx PTR, rec, xout1, 16, 3
        stx 0, 0, 0, 1
    """)
    d = [decode(w) for w in img.programs[0]]
    assert d[0].mnemonic == "ldx" and d[0].operands == {"dst": 16, "base": 7, "saddr": 304, "vw": 8}
    assert d[1].operands == {"base": 7, "saddr": 300, "src": SMALL.xbar_out_base(1), "vw": 16,
                             "count": 3}
    assert d[2].operands == {"base": 0, "saddr": 0, "src": 0, "vw": 1, "count": 1}
