"""Independent plain-Python references and small program factories for the golden-model tests.

The references are written from the summaries of isa/table.py and docs/semantics.md with
Python integers, without calling the code under test (isa.vfu_math, isa.golden).
"""

import numpy as np

from panther.config import PRESETS
from panther.isa.encoding import encode, make

__all__ = ["SMALL", "rs", "sat", "S", "E", "RECIP", "REF_VFU", "REF_INT", "words", "program", "tile_run"]

SMALL = PRESETS["small"]


def rs(v, s):
    """Round half up shift (s > 0) or exact left shift (s <= 0), on Python ints."""
    if s <= 0:
        return v * 2 ** (-s)
    return (v + 2 ** (s - 1)) // 2 ** s


def sat(v, bits=16):
    low, high = -2 ** (bits - 1), 2 ** (bits - 1) - 1
    return min(max(v, low), high), not low <= v <= high


def S(a, F=12):
    """PLAN sigmoid exactly as the table summary words it."""
    A = abs(a)
    if A >= 5 * 2 ** F:
        y = 2 ** F
    elif A >= rs(19 * 2 ** F, 3):
        y = rs(A, 5) + rs(27 * 2 ** F, 5)
    elif A >= 2 ** F:
        y = rs(A, 3) + rs(5 * 2 ** F, 3)
    else:
        y = rs(A, 2) + rs(2 ** F, 1)
    return 2 ** F - y if a < 0 else y


def _signed5(imm):
    s = imm & 31
    return s - 32 if s >= 16 else s


F = 12
ONE = 2 ** F
#: name -> (a, b, d) -> unsaturated Python int (the caller saturates)
REF_VFU = {
    "add": lambda a, b, d: a + b,
    "sub": lambda a, b, d: a - b,
    "mul": lambda a, b, d: rs(a * b, F),
    "sna": lambda a, b, d: d + rs(a, _signed5(b)),
    "min": lambda a, b, d: min(a, b),
    "max": lambda a, b, d: max(a, b),
    "relu": lambda a, b, d: max(a, 0),
    "relu_d": lambda a, b, d: ONE if a > 0 else 0,
    "sigmoid": lambda a, b, d: S(a),
    "sigmoid_d": lambda a, b, d: rs(a * (ONE - a), F),
    "tanh": lambda a, b, d: 2 * S(2 * a) - ONE,
    "tanh_d": lambda a, b, d: ONE - rs(a * a, F),
    "neg": lambda a, b, d: -a,
    "abs": lambda a, b, d: abs(a),
    "exp": lambda a, b, d: E(a),
    "recip": lambda a, b, d: RECIP(a),
    "eq": lambda a, b, d: ONE if a == b else 0,
}


def _rnd(x, bits):
    """floor(x * 2**bits + 1/2) of a real constant, as the table's rnd()."""
    import math
    return math.floor(x * 2 ** bits + 0.5)


def E(a, F=12):
    """e**a exactly as the table summary of exp words it (Python integers)."""
    import math
    G = F + 4
    L = _rnd(math.log2(math.e), G)
    C1, C2, C3 = (_rnd(c, G) for c in (0.6954244, 0.2263077, 0.0782680))
    u = rs(a * L, F)
    k = u // 2 ** G
    f = u - k * 2 ** G
    h = C2 + rs(f * C3, G)
    h = C1 + rs(f * h, G)
    p = 2 ** G + rs(f * h, G)
    return rs(p, G - F - k)


def RECIP(a, F=12, B=16):
    """1/a exactly as the table summary of recip words it."""
    if a == 0:
        return 2 ** (B - 1)          # saturates to 2**(B-1) - 1 with overflow
    q = (2 ** (2 * F + 1) + abs(a)) // (2 * abs(a))
    return q if a > 0 else -q


def _wrap16(v):
    return ((v + 2 ** 15) % 2 ** 16) - 2 ** 15


REF_INT = {
    "add": lambda a, b: _wrap16(a + b),
    "sub": lambda a, b: _wrap16(a - b),
    "and": lambda a, b: _wrap16(a & b),
    "or": lambda a, b: _wrap16(a | b),
    "xor": lambda a, b: _wrap16(a ^ b),
    "shl": lambda a, b: _wrap16(a * 2 ** (b % 16)),
    "shr": lambda a, b: a // 2 ** (b % 16),
    "mul": lambda a, b: _wrap16(a * b),
}

#: A spread of interesting 16-bit words: edges, small values, and seeded random ones.
EDGES = [-32768, -32767, -20480, -9728, -4097, -4096, -4095, -2048, -1, 0, 1, 2047, 2048,
         4095, 4096, 4097, 9727, 9728, 20479, 20480, 32766, 32767]


def words(n=64, seed=1):
    rng = np.random.default_rng(seed)
    return EDGES + [int(v) for v in rng.integers(-32768, 32768, n)]


def program(*instrs):
    """Encode ``(mnemonic, {operands})`` pairs (or bare mnemonics) into words."""
    out = []
    for item in instrs:
        if isinstance(item, str):
            out.append(encode(make(item)))
        else:
            mnemonic, operands = item
            out.append(encode(make(mnemonic, **operands)))
    return out


def tile_run(programs, *, config=SMALL, rf=None, weights=None, smem=None, max_rounds=10_000,
             mcu_factory=None):
    """Run ``programs`` (a list of word lists, or one list) on a golden Tile; returns
    ``(tile, report)``. ``rf`` is a list (per core) of dicts ``addr -> value``; ``smem`` is a
    dict ``addr -> (value, valid, count)``."""
    from panther.isa.golden import Tile
    if programs and isinstance(programs[0], int):
        programs = [programs]
    memories = []
    for index in range(len(programs)):
        memory = np.zeros(config.addr_space, dtype=np.int64)
        for addr, value in ((rf or [{}] * len(programs))[index] or {}).items():
            memory[addr] = value
        memories.append(memory)
    values = np.zeros(config.smem_depth, dtype=np.int64)
    valid = np.zeros(config.smem_depth, dtype=bool)
    count = np.zeros(config.smem_depth, dtype=np.int64)
    for addr, (value, is_valid, c) in (smem or {}).items():
        values[addr], valid[addr], count[addr] = value, is_valid, c
    tile = Tile(config=config, programs=programs, memories=memories, smem_values=values,
                smem_valid=valid, smem_count=count, weights=weights, mcu_factory=mcu_factory)
    return tile, tile.run(max_rounds=max_rounds)
