"""The assembler's stated limits, each an error at the right column (reproducers of issue 19),
and line numbers that count only ``\\n`` line ends."""

import time

import pytest

from panther.config import PRESETS
from panther.isa.asm_expr import MAX_DEPTH, MAX_INT_BITS
from panther.isa.asm_lexer import MAX_LITERAL_DIGITS, MAX_STATEMENT_TOKENS
from panther.isa.assembler import MAX_ERRORS, AsmError, assemble

SMALL = PRESETS["small"]


def errors(text):
    start = time.perf_counter()
    with pytest.raises(AsmError) as info:
        assemble(text, config=SMALL, filename="p.s")
    assert time.perf_counter() - start < 0.5 + len(text) / 1024      # the promised 1 s per KB
    return info.value.errors


def test_the_limits_are_the_documented_ones():
    assert (MAX_DEPTH, MAX_INT_BITS, MAX_LITERAL_DIGITS) == (32, 4096, 128)


def test_82_nested_parentheses():
    # 'set 0, ' is 7 characters: the first '(' is column 8, the 33rd (one too deep) column 40
    errs = errors("set 0, " + "(" * 82 + "1" + ")" * 82 + "\n")
    assert errs == ["p.s:1:40: expression nested deeper than 32 levels (parentheses, unary "
                    "operators and function calls)"]


def test_32_nested_parentheses_are_fine():
    image = assemble("set 0, " + "(" * 32 + "1" + ")" * 32 + "\nhlt\n", config=SMALL)
    assert image.programs[0][0] & 0xFFFF00 == 1 << 8       # imm field bits 23:8


def test_1000_unary_minus_signs():
    errs = errors("set 0, " + "-" * 1000 + "1\n")
    assert len(errs) == 1 and errs[0].startswith("p.s:1:40: expression nested deeper than 32")


def test_nested_function_calls_count_too():
    errs = errors("set 0, " + "xin(" * 40 + "0" + ")" * 40 + "\n")
    # the 33rd 'xin(' starts at column 8 + 32 * 4 = 136; its '(' is column 139
    assert errs[0].startswith("p.s:1:139: expression nested deeper")


def test_literal_of_5000_digits():
    assert errors("set 0, " + "7" * 5000 + "\n") == [
        "p.s:1:8: number literal of 5000 digits; at most 128 are allowed"]


def test_literal_digit_limit_counts_digits_not_underscores():
    ok = "0x" + "_".join(["ffff"] * 4)          # 16 digits and 3 underscores
    assert assemble(f".word {ok}\n", config=SMALL).programs[0] == [2 ** 64 - 1]
    errs = errors(".word 0x" + "1" * 129 + "\n")
    assert errs == ["p.s:1:7: number literal of 129 digits; at most 128 are allowed"]


def test_60_shifts_by_256_stop_at_the_16th():
    # after k shifts the value is 2**(256 k), 256 k + 1 bits: k = 16 gives 4097 > 4096.
    # '.equ BIG, 1' ends at column 11; the k-th '<<' is at column 12 + 5 (k - 1) = 87.
    errs = errors(".equ BIG, 1" + "<<256" * 60 + "\n")
    assert errs == ["p.s:1:87: integer value of 4097 bits exceeds the limit of 4096 bits"]


def test_the_same_value_as_an_operand():
    errs = errors("set 0, 1" + "<<256" * 60 + "\n")
    assert errs == ["p.s:1:84: integer value of 4097 bits exceeds the limit of 4096 bits"]


def test_real_times_a_huge_integer():
    # 1 << 1280 is within 4096 bits but not a float (beyond 2**1024): the '*' at column 11
    errs = errors("set 0, 1.0*(1<<256<<256<<256<<256<<256)\n")
    assert len(errs) == 1 and errs[0].startswith("p.s:1:11: real value of '*' overflows")


def test_real_overflow_of_finite_values_is_an_error_at_its_operator():
    errs = errors("set 0, 1e300 * 1e300\n")
    assert len(errs) == 1 and errs[0].startswith("p.s:1:14: real value of '*' overflows")


def test_squaring_chain_is_bounded_in_time_and_size():
    # A0 = 2**256; A_i = 2**(256 * 2**i) has 256 * 2**i + 1 bits: A4 has 4097, one too many.
    lines = [".equ A0, 1<<256"] + [f".equ A{i + 1}, A{i}*A{i}" for i in range(22)]
    errs = errors("\n".join(lines) + "\n")
    assert errs[0] == "p.s:5:12: integer value of 4097 bits exceeds the limit of 4096 bits"
    # A4 is never defined, so line 6 names it; each later line names its undefined input
    assert errs[1].startswith("p.s:6:10: undefined symbol 'A4'")
    assert len(errs) == 1 + 18


def test_big_value_messages_give_the_size_not_the_digits():
    errs = errors("set 0, 1<<250<<250<<250<<250\n")
    assert errs == ["p.s:1:8: set value <1001-bit integer> does not fit a 16-bit word (raw "
                    "integers -32768 .. 65535; write a real number such as 1.0 for a fixed-point "
                    "value)"]


def test_image_json_with_a_4096_bit_symbol_saves_and_loads(tmp_path):
    from panther.isa.image import ProgramImage

    image = assemble(".equ H, 1" + "<<255" * 16 + "<<15\n.equ BIG, H + (H - 1)\nhlt\n",
                     config=SMALL)
    assert image.symbols["BIG"].bit_length() == 4096
    assert ProgramImage.load(image.save(tmp_path / "img")).symbols["BIG"] == 2 ** 4096 - 1


def test_form_feed_and_line_separators_are_not_line_breaks():
    # in a comment: content; the error is on line 2 as every editor counts it
    assert errors("nop # a\fb\u2028c\u2029d\x85e\x1cf\vg\rh\nhltt\n") == [
        "p.s:2:1: unknown mnemonic 'hltt'; did you mean 'hlt'?"]
    # a form feed and a vertical tab are white space in code
    assert assemble("nop\f\v\nhlt\n", config=SMALL).programs[0] == [0, 1 << 58]
    # a line separator or a lone carriage return in code is an error at its column
    assert errors("nop\u2028hlt\n") == ["p.s:1:4: unexpected character '\\u2028' (U+2028)"]
    assert errors("nop\rhlt\n") == ["p.s:1:4: unexpected character '\\r' (U+000D)"]


def test_crlf_line_ends_are_line_ends():
    assert errors("nop\r\nnop\r\nhltt\r\n") == ["p.s:3:1: unknown mnemonic 'hltt'; did you mean 'hlt'?"]


def test_unicode_digits_are_not_numbers():
    # Python's int() accepts U+0663 ARABIC-INDIC DIGIT THREE; the assembler must not
    assert errors("set 0, \u0663\n") == ["p.s:1:8: unexpected character '\u0663' (U+0663)"]


def test_too_many_errors_stop_after_the_limit():
    errs = errors("bad\n" * 200)
    assert len(errs) == MAX_ERRORS + 1
    assert errs[-1] == f"p.s:{MAX_ERRORS + 1}:1: too many errors ({MAX_ERRORS}); stopping here"


def test_a_statement_of_too_many_tokens():
    text = ".weights 0, 0" + ", 0" * (MAX_STATEMENT_TOKENS // 2) + "\n"
    # tokens: '.weights' '0' ',' '0' then ', 0' pairs; token 100001 is a ',' or a '0'
    errs = errors(text)
    assert len(errs) == 1 and "statement of more than 100000 tokens" in errs[0]
    assert errs[0].startswith("p.s:1:")


def test_continuation_lines_keep_their_numbers_through_both_passes():
    text = ".data 0, 1, \\\n  2, \\\n  3\ncp 0, 1, \\\n  400\n"
    errs = errors(text)
    assert errs == ["p.s:5:3: vector width 400 outside 1 .. 256"]
