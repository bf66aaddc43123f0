"""The ground package's word ranges, checked by enumerating every bit pattern."""

import itertools

import pytest

from panther.fixed_point import fixed_one, signed_range, wrap


def _twos_complement_values(bits):
    """Every value a ``bits``-wide word holds, decoded bit by bit (MSB weight -2**(bits-1))."""
    values = []
    for pattern in itertools.product((0, 1), repeat=bits):
        msb, rest = pattern[0], pattern[1:]
        values.append(-msb * 2 ** (bits - 1) + sum(b * 2 ** (len(rest) - 1 - i)
                                                  for i, b in enumerate(rest)))
    return values


@pytest.mark.parametrize("bits", [1, 2, 3, 8, 12])
def test_signed_range_is_the_smallest_and_largest_word(bits):
    values = _twos_complement_values(bits)
    assert signed_range(bits) == (min(values), max(values))


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_wrap_maps_every_raw_pattern_to_its_signed_value(bits):
    values = _twos_complement_values(bits)
    for unsigned in range(2 ** bits):
        # the pattern of ``unsigned`` read as two's complement
        pattern = [int(c) for c in format(unsigned, f"0{bits}b")]
        expected = values[int("".join(map(str, pattern)), 2)]
        assert wrap(unsigned, bits) == expected
        assert wrap(unsigned - 2 ** bits, bits) == expected


@pytest.mark.parametrize("frac_bits, bits, expected", [
    (8, 16, 256),        # 1.0 fits: 0x0100
    (6, 8, 64),          # Q1.6: 1.0 is 64, the largest word 127
    (7, 8, 127),         # Q0.7: 1.0 does not fit, the largest word 0.9921875
    (0, 4, 1),           # integers
    (3, 4, 7),           # Q0.3: 1.0 does not fit
])
def test_fixed_one_is_the_word_closest_to_one(frac_bits, bits, expected):
    assert fixed_one(frac_bits, bits) == expected
    words = _twos_complement_values(bits)
    closest = min(words, key=lambda w: abs(w / 2 ** frac_bits - 1.0))
    assert fixed_one(frac_bits, bits) == closest
