"""Every assembler error path: the exact file:line:col and a message that says what is wrong."""

import pytest

from panther.config import PRESETS
from panther.errors import UserError
from panther.isa.assembler import AsmError, assemble

SMALL = PRESETS["small"]      # addr_space 320 (rf 256 + 2 MCUs x 2 x 16), smem 1024, imem 256

CASES = [
    # (id, source, "line:col", fragment of the message)
    ("unknown-mnemonic", "nop\n  hltt", "2:3", "unknown mnemonic 'hltt'; did you mean 'hlt'?"),
    ("alu-function-as-mnemonic", "add 1, 2, 3, 4", "1:1", "did you mean 'alu add, ...'"),
    ("int-function-as-mnemonic", "xor 1, 2, 3", "1:1", "did you mean 'alu_int xor, ...'"),
    ("br-mnemonic", "br 0, 1, 2", "1:1", "beq, bne, blt or bge"),
    ("line-starts-with-number", "5 nop", "1:1", "expected a mnemonic, a directive or a label"),
    ("unknown-alu-function", "alu addd, 0, 1, 2, 4", "1:5", "unknown alu function 'addd'; did you mean 'add'?"),
    ("unknown-int-function", "alu_int relu, 0, 1, 2", "1:9", "unknown alu_int function 'relu'"),
    ("alu-function-not-a-name", "alu 3, 0, 1, 2, 4", "1:5", "expected a alu function name"),
    ("alu-without-function", "alu", "1:4", "alu needs a function name first"),
    ("too-few-operands", "cp 0, 1", "1:3", "cp takes 3 operands (dst, src, vw), not 2"),
    ("too-many-operands", "hlt 1", "1:5", "hlt takes 0 operands (no operands), not 1"),
    ("alu-operand-count", "alu add, 0, 1, 4", "1:4", "takes 4 operands after the function"),
    ("alu-too-many", "alu relu, 0, 1, 2, 3, 4", "1:23", "takes 3 or 4 operands after the function"),
    ("branch-operand-count", "beq 0, 1", "1:4", "beq takes 3 operands (src1, src2, target), not 2"),
    ("undefined-label", "jmp nowhere", "1:5", "undefined symbol 'nowhere'"),
    ("undefined-with-suggestion", ".equ COUNT, 3\ncp 0, 0, COUNTT", "2:10", "did you mean 'COUNT'?"),
    ("duplicate-label", "x: nop\n\nx: hlt", "3:1", "duplicate definition of 'x' (first defined at line 1)"),
    ("duplicate-equ", ".equ N, 1\n.equ N, 2", "2:6", "duplicate definition of 'N'"),
    ("label-equals-constant", ".equ L, 1\nL: nop", "2:1", "duplicate definition of 'L'"),
    ("reserved-label", "hlt: nop", "1:1", "'hlt' is a reserved name"),
    ("reserved-buffer-name", ".equ xin0, 3", "1:6", "'xin0' is a reserved name"),
    ("reserved-buffer-name-of-other-configs", "xout5: nop", "1:1", "'xout5' is a reserved name"),
    ("address-out-of-space", "cp 400, 0, 1", "1:4", "dst address 400 outside the core address space 0 .. 319"),
    ("address-plus-vw", "cp 0, 310, 16", "1:7", "src address 310 .. 325 (vw 16) outside the core address space"),
    ("negative-address", "set -1, 0", "1:5", "dst address -1 outside"),
    ("smem-address", "ld 0, 892, 8", "1:7", "saddr address 892 .. 899 (vw 8) outside the shared memory 0 .. 895"),
    ("ldx-base-too-high", "ldx 0, 64, 0, 1", "1:8", "base address 64 outside 0 .. 63"),
    ("ldx-offset", "ldx 0, 1, 890, 8", "1:11", "saddr address 890 .. 897 (vw 8) outside the shared memory"),
    ("stx-operand-count", "stx 1, 2, 3", "1:4", "stx takes 4 to 5 operands (base, saddr, src, vw[, count]), not 3"),
    ("stx-count", "stx 1, 2, 3, 4, 0", "1:17", "store count 0 outside 1 .. 255"),
    ("real-address", "cp 1.5, 0, 1", "1:4", "dst address must be an integer, not 1.5"),
    ("vw-zero", "cp 0, 1, 0", "1:10", "vector width 0 outside 1 .. 256"),
    ("vw-too-big", "cp 0, 1, 257", "1:10", "vector width 257 outside 1 .. 256"),
    ("real-imm-overflow", "set 0, 8.0", "1:8", "set value 8.0 does not fit Q4.12 (-8 .. 7.99976)"),
    ("int-imm-overflow", "set 0, 65536", "1:8", "does not fit a 16-bit word"),
    ("alui-imm-overflow", "alui add, 0, 0, -8.5, 1", "1:17", "immediate -8.5 does not fit Q4.12"),
    ("infinite-real", "set 0, 1e400", "1:8", "is not a finite number"),
    ("store-count-zero", "st 0, 0, 4, 0", "1:13", "store count 0 outside 1 .. 255"),
    ("store-count-big", "st 0, 0, 4, 256", "1:13", "store count 256 outside 1 .. 255"),
    ("target-outside-imem", "jmp 256", "1:5", "branch target 256 outside the instruction memory 0 .. 255"),
    ("label-of-other-core", ".core 1\nfoo: nop\n.core 0\njmp foo", "4:5", "label 'foo' belongs to core 1, not core 0"),
    ("sna-in-alu", "alu sna, 0, 0, 0, 1", "1:5", "function 'sna' exists only as 'alui sna"),
    ("sna-shift-range", "alui sna, 0, 0, 16, 1", "1:17", "sna shift 16 outside -16 .. 15"),
    ("sna-real-shift", "alui sna, 0, 0, 0.5, 1", "1:17", "sna shift must be an integer"),
    ("mcu-number", "mcu 2:mvm", "1:5", "MCU number 2 outside 0 .. 1 (mcus_per_core = 2)"),
    ("mcu-mask-value", "mcu 0:8", "1:7", "mcu mask must be 0 .. 7"),
    ("mcu-unknown-op", "mcu 0:mvmm", "1:7", "undefined symbol 'mvmm'; did you mean 'mvm'?"),
    ("mcu-positional-beyond", "mcu 0, 0, 1", "1:11", "mask for MCU 2 must be 0"),
    ("mcu-duplicate", "mcu 0:mvm, 0:opa", "1:12", "MCU 0 named twice"),
    ("mcu-mix", "mcu 0:mvm, 1", "1:12", "not a mix"),
    ("mcu-empty-pair", "mcu 0:", "1:6", "expected 'MCU:ops'"),
    ("mcu-too-many", "mcu 0, 0, 0, 0, 0, 0, 0", "1:23", "mcu takes 0 to 6 operands"),
    ("crs-beyond", "crs 0b100", "1:5", "crs mask 0b100 names an MCU >= 2"),
    ("crs-range", "crs 64", "1:5", "crs mask 64 outside 0 .. 63"),
    ("xin-function-range", "cp xin(2), 0, 1", "1:4", "xin(2): MCU number outside 0 .. 1"),
    ("xin-function-args", "cp xin(0, 1), 0, 1", "1:4", "xin() takes one MCU number"),
    ("unknown-function", "cp foo(1), 0, 1", "1:4", "unknown function 'foo'"),
    ("unknown-directive", ".dat 0, 1", "1:1", "unknown directive '.dat'; did you mean '.data'?"),
    ("directive-count", ".equ N", "1:5", ".equ takes 2 operands (NAME, value), not 1"),
    ("equ-not-a-name", ".equ 3, 4", "1:6", "expected a name, not '3'"),
    ("core-range", ".core 2", "1:7", "core number 2 outside 0 .. 1 (cores_per_tile = 2)"),
    ("core-real", ".core 0.5", "1:7", "core number must be an integer"),
    ("mcu-directive-range", ".mcu M, 2", "1:9", "MCU number 2 outside 0 .. 1"),
    ("region-exceeds", ".region r, 300, 30", "1:17", "region 'r' (300 .. 329) exceeds the core address space (0 .. 319)"),
    ("sregion-exceeds", ".sregion s, 880, 30", "1:18", "exceeds the shared memory (0 .. 895)"),
    ("region-length", ".region r, 0, 0", "1:15", "core address space length 0 outside 1 .. 320"),
    ("outside-region", ".region r, 0, 4\ncp r+2, 0, 4", "2:4", "dst address 2 .. 5 (vw 4) outside region 'r' (0 .. 3)"),
    ("sregion-as-core-address", ".sregion s, 0, 4\ncp s, 0, 1", "2:4", "'s' is a shared-memory region"),
    ("region-as-shared-address", ".region r, 0, 4\nld 0, r, 1", "2:7", "'r' is a core region"),
    ("data-overlap", ".data 0, 1, 2\n.data 1, 3", "2:10", "core 0 address 1 already initialised at line 1"),
    ("data-value", ".data 0, 1, 9.5", "1:13", "data value 9.5 does not fit Q4.12"),
    ("data-no-values", ".data 0", "1:6", ".data takes at least 2 operands"),
    ("data-outside", ".data 318, 1, 2, 3", "1:7", ".data address 318 .. 320 (vw 3) outside the core address space"),
    ("smem-overlap", ".smem 5, 1, 1\n.smem 4, 1, 2, 3", "2:16", "shared address 5 already initialised at line 1"),
    ("smem-count", ".smem 5, 256, 1", "1:10", "consumer count 256 outside 0 .. 255 (0 = persistent)"),
    ("smem-outside", ".smem 895, 1, 1, 2", "1:7", ".smem address 895 .. 896 (vw 2) outside the shared memory"),
    ("weights-too-many", ".weights 0, 15, " + ", ".join(["1"] * 17), "1:65", "too many weights: 17 values from row 15"),
    ("weights-overlap", ".weights 0, 0, 1, 2\n.weights 0, 0, 3", "2:16", "weight [0, 0] of MCU 0 on core 0 already set at line 1"),
    ("weights-range", ".weights 0, 0, 128.0", "1:16", "weight 128.0 does not fit Q8.24"),
    ("weights-raw-range", ".weights 0, 0, 0x100000000", "1:16", "weight 4294967296 does not fit a 32-bit word"),
    ("weights-not-finite", ".weights 0, 0, 1.0, 1e400 - 1e400", "1:21", "is not a finite number"),
    ("weights-range-later", ".weights 0, 0, 1.0, -0.5, -128.5", "1:27", "weight -128.5 does not fit Q8.24"),
    ("weights-row", ".weights 0, 16, 1", "1:13", "crossbar row 16 outside 0 .. 15"),
    ("weights-mcu", ".weights 2, 0, 1", "1:10", "MCU number 2 outside 0 .. 1"),
    ("word-range", ".word -1", "1:7", "instruction word -1 outside 0 .. 18446744073709551615"),
    ("bad-character", "set 0, @", "1:8", "unexpected character '@'"),
    ("empty-operand", "cp 0,, 1", "1:6", "empty operand before ','"),
    ("trailing-comma", "set 0, 1,", "1:9", "empty operand after ','"),
    ("unclosed-paren", "set 0, (1", "1:10", "expected ')' to close the '(' at column 8"),
    ("trailing-junk", "set 0, 1 2", "1:10", "unexpected '2' in an operand"),
    ("division-by-zero", "set 0, 1/0", "1:9", "division by zero"),
    ("bit-op-on-real", "set 0, 1.5 | 1", "1:12", "operator '|' needs integers"),
    ("missing-value", "set 0, 1 +", "1:11", "expected a value after '+'"),
]


def _messages(source, config=SMALL):
    with pytest.raises(AsmError) as info:
        assemble(source, config=config, filename="prog.s")
    return info.value.errors


@pytest.mark.parametrize("name,source,where,fragment", CASES, ids=[c[0] for c in CASES])
def test_error_is_reported_at_its_position(name, source, where, fragment):
    errors = _messages(source)
    assert len(errors) == 1, errors
    prefix = f"prog.s:{where}: "
    assert errors[0].startswith(prefix), errors
    assert fragment in errors[0], errors


def test_program_longer_than_instruction_memory():
    config = SMALL.replace(imem_depth=2)
    errors = _messages("nop\nnop\n  nop\nnop\n.core 1\nnop", config)
    assert errors == ["prog.s:3:3: core 0 program exceeds the instruction memory (2 words, imem_depth)"]


def test_all_errors_are_reported_in_source_order():
    source = "\n".join([
        "jmp later",        # 1: forward reference resolved: fine
        "cp 0, 1",          # 2: operand count
        "set 0, 9.0",       # 3: range
        "later: hltt",      # 4: unknown mnemonic
        ".equ 5, 1",        # 5: not a name
        "x: x: nop",        # 6: duplicate label on one line
    ])
    errors = _messages(source)
    assert [e.split(": ")[0] for e in errors] == ["prog.s:2:3", "prog.s:3:8", "prog.s:4:8",
                                                  "prog.s:5:6", "prog.s:6:4"]


def test_asm_error_is_a_user_error_with_one_line_per_error():
    try:
        assemble("nop 1\nhlt 2", config=SMALL, filename="a.s")
    except UserError as error:
        assert isinstance(error, AsmError)
        assert str(error).splitlines() == error.errors
        assert len(error.errors) == 2
    else:
        pytest.fail("no error raised")


def test_continued_line_errors_point_at_the_continuation_line():
    errors = _messages(".data 0, 1, \\\n   2, 99.0")
    assert errors[0].startswith("prog.s:2:7: data value 99.0")
