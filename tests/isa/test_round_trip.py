"""Round trip of every 64-bit word: ``disassemble`` then ``assemble`` gives back the same word
under the same configuration, whether the word is illegal, legal and printable as a mnemonic,
or legal but refused by the assembler in that configuration (then it is printed as .word)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panther.config import PRESETS, PantherConfig
from panther.isa.assembler import assemble
from panther.isa.disassembler import disassemble
from panther.isa.table import INSTRUCTIONS, OPCODE_LSB

SMALL = PRESETS["small"]
CONFIGS = {
    "small": SMALL,
    "paper": PRESETS["paper"],
    # 8-bit data words: an immediate outside -128 .. 127 cannot be written as a mnemonic
    "narrow": PantherConfig(xbar_size=8, mcus_per_core=1, data_bits=8, data_frac_bits=4,
                            slice_bits=(4, 4, 4, 4), weight_bits=16, weight_frac_bits=8,
                            adcs_per_xbar=2, rf_depth=64, smem_depth=512, imem_depth=64,
                            cores_per_tile=1),
    "six-mcus": PantherConfig(mcus_per_core=6, xbar_size=4, adcs_per_xbar=4, rf_depth=16,
                              smem_depth=256, imem_depth=32, cores_per_tile=1),
}


def round_trip(words, config, labels=True):
    text = "\n".join(disassemble(words, config=config, labels=labels))
    return assemble(text, config=config, filename="dis.s").programs[0]


def test_reproducers_from_the_issue_print_word_and_reassemble():
    # cp (opcode 3) with dst 13145 (beyond small's 320-word address space)
    assert round_trip([0x0c0d4646c9000000], SMALL) == [0x0c0d4646c9000000]
    line, = disassemble([0x0c0d4646c9000000], config=SMALL)
    assert line.strip().startswith(".word 0x0c0d4646c9000000") and "address space" in line
    # crs (opcode 12) with mask 0b000100: MCU 2 of a configuration with two MCUs
    line, = disassemble([0x3000000000000004], config=SMALL)
    assert line.strip().startswith(".word 0x3000000000000004") and "MCU >= 2" in line
    assert round_trip([0x3000000000000004], SMALL) == [0x3000000000000004]


def test_mnemonic_form_is_kept_when_the_configuration_has_room():
    # the same crs word is an ordinary instruction with six MCUs
    assert disassemble([0x3000000000000004], config=CONFIGS["six-mcus"]) == ["    crs 0b000100"]


def _word_in_bounds(words, config):
    return words[:config.imem_depth]


@pytest.mark.parametrize("name", sorted(CONFIGS))
@given(words=st.lists(st.integers(0, 2 ** 64 - 1), min_size=1, max_size=16))
@settings(max_examples=60, deadline=None)
def test_random_words_round_trip(name, words):
    config = CONFIGS[name]
    words = _word_in_bounds(words, config)
    assert round_trip(words, config) == words
    assert round_trip(words, config, labels=False) == words


@st.composite
def opcode_words(draw):
    """A word with a real opcode and every field drawn over its whole raw range, reserved
    bits usually zero: most are legal instructions, many refused by a small configuration."""
    spec = draw(st.sampled_from(INSTRUCTIONS))
    word = spec.opcode << OPCODE_LSB
    for f in spec.fields:
        raw = draw(st.one_of(st.integers(0, (1 << f.width) - 1),
                             st.sampled_from([0, 1, (1 << f.width) - 1, 1 << (f.width - 1)])))
        word |= raw << f.lsb
    if draw(st.integers(0, 9)) == 0:
        word |= draw(st.integers(0, 2 ** 64 - 1)) & spec.reserved_mask
    return word


@pytest.mark.parametrize("name", sorted(CONFIGS))
@given(words=st.lists(opcode_words(), min_size=1, max_size=16))
@settings(max_examples=120, deadline=None)
def test_every_opcode_and_field_round_trips(name, words):
    config = CONFIGS[name]
    words = _word_in_bounds(words, config)
    assert round_trip(words, config) == words


def test_every_opcode_with_extreme_fields_round_trips():
    """Exhaustive over opcodes x (all fields 0, all fields max, each field alone at max)."""
    words = []
    for spec in INSTRUCTIONS:
        base = spec.opcode << OPCODE_LSB
        words.append(base)
        words.append(base | sum(f.mask for f in spec.fields))
        words += [base | f.mask for f in spec.fields]
    for config in CONFIGS.values():
        for start in range(0, len(words), config.imem_depth):
            chunk = words[start:start + config.imem_depth]
            assert round_trip(chunk, config) == chunk
