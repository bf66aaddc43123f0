"""Disassembler: words -> text -> the same words (property-tested over the whole encoding),
buffer names, labels, illegal words, and whole-image round trips."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from panther.config import PRESETS, PantherConfig
from panther.isa.assembler import assemble
from panther.isa.disassembler import disassemble, disassemble_image, format_instruction
from panther.isa.encoding import Instruction, encode, make
from panther.isa.table import ALU_FUNCS, BRANCH_CONDS, INSTRUCTIONS, func_table

SMALL = PRESETS["small"]
# Every field value of the encoding is legal in this configuration (14-bit core addresses
# fully used, 16-bit shared addresses and targets, six MCUs, 1024 tiles of 64 cores for
# send/recv). Variant 3 reserves no shared-memory OPA region, so programs may address every
# shared word.
FULL = PantherConfig(mcus_per_core=6, xbar_size=16, rf_depth=2 ** 14 - 2 * 6 * 16,
                     smem_depth=2 ** 16, imem_depth=2 ** 16, variant=3, cores_per_tile=64,
                     tiles_per_node=1024)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def reassemble(lines, config):
    return assemble("\n".join(lines), config=config, filename="dis.s").programs[0]


@st.composite
def instructions(draw, config=FULL):
    spec = draw(st.sampled_from(INSTRUCTIONS))
    vw = draw(st.integers(1, 256)) if "vw" in spec.field_names else 1
    ops = {}
    for f in spec.fields:
        if f.kind == "vw":
            ops[f.name] = vw
        elif f.kind == "addr":
            ops[f.name] = draw(st.integers(0, config.addr_space - vw))
        elif f.kind == "saddr":
            ops[f.name] = draw(st.integers(0, config.smem_user_depth - vw))
        elif f.kind == "fn":
            codes = [c for c, e in func_table(spec.mnemonic)[1].items()
                     if spec.mnemonic == "alui" or not e.imm_only]
            ops[f.name] = draw(st.sampled_from(codes))
        elif f.kind == "cond":
            ops[f.name] = draw(st.sampled_from([c.code for c in BRANCH_CONDS]))
        else:
            ops[f.name] = draw(st.integers(*f.value_range))
    return Instruction(spec.mnemonic, ops)


@given(st.lists(instructions(), min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_words_disassemble_and_reassemble_identically(program):
    words = [encode(i) for i in program]
    assert reassemble(disassemble(words, config=FULL), FULL) == words
    assert reassemble(disassemble(words, labels=False), FULL) == words


@given(st.lists(st.integers(0, 2 ** 64 - 1), min_size=1, max_size=8))
@settings(max_examples=100, deadline=None)
def test_arbitrary_words_round_trip_through_word_directives(words):
    assert reassemble(disassemble(words, config=FULL), FULL) == words


def test_every_function_and_instruction_at_its_extremes():
    words = []
    for f in ALU_FUNCS:
        if f.imm_only:
            words += [encode(make("alui", fn=f.name, dst=1, src1=2, imm=s, vw=3)) for s in (-16, 15)]
            words.append(encode(make("alui", fn=f.name, dst=1, src1=2, imm=300, vw=3)))  # ignored bits
            continue
        words.append(encode(make("alu", fn=f.name, dst=16383, src1=0, src2=1, vw=1)))
        words.append(encode(make("alui", fn=f.name, dst=0, src1=16383, imm=-32768, vw=1)))
        words.append(encode(make("alui", fn=f.name, dst=0, src1=5, imm=0, vw=256)))
    words.append(encode(make("mcu", m0=7, m1=0, m2=1, m3=2, m4=4, m5=7)))
    words.append(encode(make("mcu", m0=0, m1=0, m2=0, m3=0, m4=0, m5=0)))
    words.append(encode(make("crs", mask=63)))
    words.append(encode(make("st", saddr=65535, src=16383, vw=1, count=255)))
    assert reassemble(disassemble(words, config=FULL), FULL) == words


def test_text_names_buffers_labels_and_real_values():
    c = SMALL
    words = assemble("""
        top: cp xin1+3, 0, 4
             set xout0, 0.5
             mcu 1:mvm|opa
             alui mul, 0, 0, -0.25, 4
             bne 0, 1, top
             jmp 200
             hlt
    """, config=c, filename="t.s").programs[0]
    lines = disassemble(words, config=c)
    assert lines == [
        "L0:",
        "    cp xin1+3, 0, 4",
        "    set xout0, 2048  # 0.5",
        "    mcu 1:mvm|opa",
        "    alui mul, 0, 0, -1024, 4  # -0.25",
        "    bne 0, 1, L0",
        "    jmp 200",
        "    hlt",
    ]
    assert disassemble(words)[1] == f"    cp {c.xbar_in_base(1) + 3}, 0, 4"
    assert reassemble(lines, c) == words


def test_illegal_words_become_commented_word_directives():
    lines = disassemble([63 << 58, (1 << 58) | 1])
    assert lines[0].startswith("    .word 0xfc00000000000000  # illegal: ") and "unknown opcode" in lines[0]
    assert "reserved" in lines[1]


def test_format_instruction_of_unary_function_with_operand():
    instr = make("alu", fn="relu", dst=1, src1=2, src2=3, vw=4)
    assert format_instruction(instr) == "alu relu, 1, 2, 3, 4"
    assert format_instruction(make("alu", fn="relu", dst=1, src1=2, src2=0, vw=4)) == "alu relu, 1, 2, 4"


def test_whole_image_round_trip_with_data():
    source = """
        .mcu L, 1
        .data 0, 0.5, -1.0, 3
        .data xin0+1, 0.25
        .data xout1, -0.125
        .smem 10, 2, 0.5, 0.75
        .smem 12, 0, 1.0
        .weights L, 0, 0.1, -0.2, 0.3
        .weights 0, 15, 1
        loop: cp xin(L), 0, 4
              mcu L:mvm
              bne 0, 1, loop
              hlt
        .core 1
        .data 5, 7
        x:    jmp x
    """
    img = assemble(source, config=SMALL, filename="t.s")
    text = disassemble_image(img)
    again = assemble(text, config=SMALL, filename="dis.s")
    assert again.same_contents(img)
    assert ".core 1" in text and "c1_L0:" in text


def test_examples_round_trip():
    for path in sorted(EXAMPLES.glob("*.s")):
        img = assemble(path.read_text(), config=SMALL, filename=str(path))
        again = assemble(disassemble_image(img), config=SMALL, filename="dis.s")
        assert again.same_contents(img), path
        assert sum(len(p) for p in img.programs) > 0
