"""The one table of the PANTHER instruction set.

Everything that knows about instructions (the encoder/decoder in :mod:`isa.encoding`, the
assembler, the disassembler, the golden model, the RTL decoder and ``docs/ISA.md``) reads
this module. Nothing else may repeat an opcode, a field position or a function code.

Word format
-----------
Every instruction is one ``INSTR_BITS`` = 64-bit word. The opcode is in bits
``[OPCODE_LSB + OPCODE_WIDTH - 1 : OPCODE_LSB]`` = ``[63:58]``. The other fields sit at
fixed *slots* shared by all instructions that have them, so the decoder needs no
per-instruction multiplexing of register addresses::

    63    58 57  52 51        38 37        24 23         8 7      0
    [opcode][ fn  ][    dst     ][    src1    ][ imm / saddr][  vw   ]
                                               [--][ src2  ]            src2 = bits 21:8
            [c ][    target      ]                                      br / jmp
            [base ]                                                     ldx / stx (bits 57:52)
    mcu:                                 m5..m0 = bits 17:0 (3 bits each)
    crs:                                 mask   = bits 5:0
    send/recv:                                 [ tile ][core]           tile = bits 23:14,
                                                                        core = bits 13:8

Bits that no field of an instruction covers are *reserved* and must be zero (a decoder
raises :class:`isa.encoding.IllegalInstruction` otherwise).

Operand values
--------------
``Instruction.operands`` hold *architectural* values, not raw bit patterns:

* ``addr`` (14 bits): a core operand address, ``0 .. 2**14-1`` (the assembler also checks
  ``< config.addr_space`` and that a vector fits);
* ``saddr`` (16 bits): a shared-memory word address (for ``ldx``/``stx`` the offset added to
  the base register);
* ``base`` (6 bits): the core operand address ``0 .. 63`` of the base register of
  ``ldx``/``stx`` (the assembler also checks ``< config.addr_space``);
* ``vw`` (8 bits): vector width ``1 .. 256``, encoded as ``vw - 1``;
* ``imm`` (16 bits): a signed 16-bit raw data word ``-32768 .. 32767`` (two's complement in
  the word);
* ``count`` (8 bits): consumer count of a store, ``1 .. 255``;
* ``fn`` / ``cond``: the ``code`` of an entry of ``ALU_FUNCS``/``ALU_INT_FUNCS`` /
  ``BRANCH_CONDS``;
* ``target`` (16 bits): an absolute instruction index ``0 .. 65535``;
* ``mask``: an unsigned bit mask of the field's width;
* ``tile`` (10 bits) / ``core`` (6 bits): the peer of a ``send``/``recv``, a tile of the node
  and a core of that tile (the assembler checks ``< config.tiles_per_node`` and ``<
  config.cores_per_tile``).

Notation of the semantics below
-------------------------------
``B = config.data_bits``, ``F = config.data_frac_bits`` (Q4.12: ``B = 16``, ``F = 12``),
``ONE = min(2**F, 2**(B-1) - 1)`` (the data word closest to 1.0). ``sat(v)`` clamps ``v`` to
``[-2**(B-1), 2**(B-1)-1]`` and sets the core's sticky overflow flag when it clamps.
``rs(v, s)`` is ``panther.fixed_point.round_shift``: for ``s > 0`` an arithmetic right shift
by ``s`` rounding half up (``(v + 2**(s-1)) >> s``), for ``s <= 0`` a left shift by ``-s``.
``wrap(v)`` is two's complement wrap-around to ``B`` bits. Every intermediate value is an
exact (unbounded) integer; only the final result is saturated (or wrapped).
"""

from __future__ import annotations

from .table_records import (
    FIELD_KINDS,
    INSTR_BITS,
    OPCODE_LSB,
    OPCODE_WIDTH,
    Field,
    FuncSpec,
    InstrSpec,
)

__all__ = [
    "INSTR_BITS", "OPCODE_LSB", "OPCODE_WIDTH", "FIELD_KINDS",
    "Field", "FuncSpec", "InstrSpec",
    "ALU_FUNCS", "ALU_INT_FUNCS", "BRANCH_CONDS", "MCU_OPS",
    "ALU_BY_NAME", "ALU_BY_CODE", "ALU_INT_BY_NAME", "ALU_INT_BY_CODE",
    "COND_BY_NAME", "COND_BY_CODE",
    "INSTRUCTIONS", "BY_MNEMONIC", "BY_OPCODE",
    "func_table", "SNA_SHIFT_BITS", "NOTATION",
]

# -- field slots --------------------------------------------------------------------------

ADDR_W = 14   # == PantherConfig.ADDR_BITS (checked in tests)
SADDR_W = 16  # == PantherConfig.SMEM_ADDR_BITS (checked in tests)

F_FN = Field("fn", 52, 6, "fn")
F_COND = Field("cond", 56, 2, "cond")
F_TARGET = Field("target", 40, 16, "target")
F_DST = Field("dst", 38, ADDR_W, "addr")
F_COUNT = Field("count", 38, 8, "count")
F_SRC1 = Field("src1", 24, ADDR_W, "addr")
F_SRC = Field("src", 24, ADDR_W, "addr")
F_IMM = Field("imm", 8, 16, "imm")
F_SADDR = Field("saddr", 8, SADDR_W, "saddr")
F_SRC2 = Field("src2", 8, ADDR_W, "addr")
F_VW = Field("vw", 0, 8, "vw")
F_MCU = tuple(Field(f"m{m}", 3 * m, 3, "mask") for m in range(6))
TILE_W = 10   # == PantherConfig.TILE_BITS (checked in tests)
CORE_W = 6    # == PantherConfig.CORE_BITS (checked in tests)
F_TILE = Field("tile", 8 + CORE_W, TILE_W, "tile")
F_CORE = Field("core", 8, CORE_W, "core")
F_CRS = Field("mask", 0, 6, "mask")
#: Base register of ldx/stx: a 6-bit operand address in the slot that ``fn`` has in alu/alui
#: (ld/st need every other slot: dst or src and count, saddr, vw), so 0 .. 63.
F_BASE = Field("base", 52, 6, "base")

#: Bits of one ``mcu`` mask, by operation name (paper §5.2: MVM, MTVM, OPA).
MCU_OPS = (("mvm", 1), ("mtvm", 2), ("opa", 4))

#: The notation used by every ``summary`` of this table (also printed in docs/ISA.md).
NOTATION = (
    "B = config.data_bits, F = config.data_frac_bits (Q4.12: B = 16, F = 12). "
    "a = the src1 element, b = the src2 element or the alui immediate, both signed B-bit words. "
    "ONE = min(2**F, 2**(B-1) - 1), the data word closest to 1.0. "
    "sat(v) clamps v to [-2**(B-1), 2**(B-1) - 1] and sets the core's sticky overflow flag when it clamps. "
    "rs(v, s) = panther.fixed_point.round_shift(v, s): for s > 0 an arithmetic right shift by s "
    "rounding half up ((v + 2**(s-1)) >> s), for s <= 0 a left shift by -s. "
    "wrap(v) is two's complement wrap-around to B bits. "
    "Every intermediate value is an exact (unbounded) integer; only the final result is saturated "
    "(or wrapped). M[x] is the word at core operand address x (register file or XBar buffer, "
    "docs/semantics.md §4); SMEM is the tile's shared memory. CH(a -> b) is the FIFO channel of "
    "the node's network from core a to core b (a core is named by its tile and its core number "
    "in the tile; docs/semantics.md §7): it holds at most config.noc_fifo_depth words."
)

#: Width of the signed shift taken from the immediate by ``alui sna``.
SNA_SHIFT_BITS = 5

# -- VFU functions (alu / alui) ----------------------------------------------------------

_SIG = ("S(a): the integer PLAN approximation of the logistic function, |a| = A, "
        "thresholds and offsets rounded from reals with rs(): "
        "A >= 5*2**F -> 2**F; A >= rs(19*2**F, 3) (2.375) -> rs(A, 5) + rs(27*2**F, 5) (0.84375); "
        "A >= 2**F -> rs(A, 3) + rs(5*2**F, 3) (0.625); else rs(A, 2) + rs(2**F, 1) (0.5); "
        "for a < 0 the value is 2**F minus that")

_EXP = ("E(a): with G = F + 4 guard bits, L = rnd(log2(e) * 2**G) and C1, C2, C3 = rnd(c * 2**G) "
        "for c = 0.6954244, 0.2263077, 0.0782680 (a cubic of 2**f on [0, 1) exact at 0 and 1, "
        "relative error 1.15e-4 with the rounded coefficients), rnd(x) = floor(x + 1/2): u = rs(a * L, F) (a * log2(e) in units "
        "of 2**-G), k = u >> G (floor), f = u - k * 2**G, h = C2 + rs(f * C3, G), "
        "h = C1 + rs(f * h, G), p = 2**G + rs(f * h, G) (2**(f/2**G) in units of 2**-G), "
        "E(a) = rs(p, G - F - k)")

ALU_FUNCS = (
    FuncSpec("add", 0, "sat(a + b)"),
    FuncSpec("sub", 1, "sat(a - b)"),
    FuncSpec("mul", 2, "sat(rs(a * b, F)): fixed-point product, rounded once"),
    FuncSpec("sna", 3, "shift-and-add into the destination, alui only: with s = imm as a signed "
                       f"{SNA_SHIFT_BITS}-bit number (-16 .. 15; the assembler rejects other immediates "
                       "and the upper imm bits are ignored), dst := sat(dst_old + rs(a, s)); "
                       "s > 0 scales a by 2**-s with rounding (e.g. a learning rate), s <= 0 multiplies a by 2**-s exactly. "
                       "Reads dst instead of a second source",
             imm_only=True),
    FuncSpec("min", 4, "sat(min(a, b))"),
    FuncSpec("max", 5, "sat(max(a, b))"),
    FuncSpec("relu", 6, "max(a, 0)", unary=True),
    FuncSpec("relu_d", 7, "ReLU derivative from the input: ONE if a > 0 else 0", unary=True),
    FuncSpec("sigmoid", 8, "sat(S(a)) where " + _SIG, unary=True),
    FuncSpec("sigmoid_d", 9, "sigmoid derivative from the activation y = a: sat(rs(a * (2**F - a), F))",
             unary=True),
    FuncSpec("tanh", 10, "sat(2 * S(2 * a) - 2**F) with S as for sigmoid and 2*a not saturated "
                         "(tanh(x) = 2 sigmoid(2x) - 1)", unary=True),
    FuncSpec("tanh_d", 11, "tanh derivative from the activation y = a: sat(2**F - rs(a * a, F))",
             unary=True),
    FuncSpec("neg", 12, "sat(-a)", unary=True),
    FuncSpec("abs", 13, "sat(|a|)", unary=True),
    FuncSpec("exp", 14, "sat(E(a)), e**a where " + _EXP, unary=True),
    FuncSpec("recip", 15, "1/a: sat(sign(a) * floor((2**(2F+1) + |a|) / (2 |a|))), i.e. 2**(2F) / a "
                          "rounded to nearest with halves away from zero; a = 0 gives 2**(B-1) - 1 "
                          "and sets the overflow flag", unary=True),
    FuncSpec("eq", 24, "ONE if a == b else 0 (a compare mask; the compiler routes a max-pool "
                       "error to the first maximum of its window with it); never overflows"),
)

# -- scalar integer functions (alu_int) ----------------------------------------------------

ALU_INT_FUNCS = (
    FuncSpec("add", 0, "wrap(a + b)"),
    FuncSpec("sub", 1, "wrap(a - b)"),
    FuncSpec("and", 2, "a & b (bitwise on the two's complement words)"),
    FuncSpec("or", 3, "a | b"),
    FuncSpec("xor", 4, "a ^ b"),
    FuncSpec("shl", 5, "wrap(a << (b & 15)): shift amount = low 4 bits of b"),
    FuncSpec("shr", 6, "a >> (b & 15): arithmetic (sign-filling) right shift, amount = low 4 bits of b"),
    FuncSpec("mul", 7, "wrap(a * b): low B bits of the product"),
)

# -- branch conditions (br) ----------------------------------------------------------------

BRANCH_CONDS = (
    FuncSpec("beq", 0, "taken if a == b"),
    FuncSpec("bne", 1, "taken if a != b"),
    FuncSpec("blt", 2, "taken if a < b (signed)"),
    FuncSpec("bge", 3, "taken if a >= b (signed)"),
)


def func_table(kind):
    """``(by_name, by_code)`` dicts of the sub-table for field kind ``'fn'`` of an
    instruction mnemonic (``'alu'``, ``'alui'``, ``'alu_int'``) or ``'br'``."""
    if kind in ("alu", "alui"):
        return ALU_BY_NAME, ALU_BY_CODE
    if kind == "alu_int":
        return ALU_INT_BY_NAME, ALU_INT_BY_CODE
    if kind == "br":
        return COND_BY_NAME, COND_BY_CODE
    raise KeyError(f"no function table for {kind!r}")


# -- instructions --------------------------------------------------------------------------

_VEC = ("Vector: element i (0 <= i < vw) reads address src+i and writes dst+i, in increasing i; "
        "all elements are read before any is written")

_EA = ("the effective shared-memory address is ea = (M[base] mod 2**B) + saddr (the base word "
       "read as an unsigned B-bit number, once, before any word moves; PUMA's register + offset); "
       "a vector ea .. ea+vw-1 past smem_user_depth - 1 is an SMEM_ADDRESS_RANGE fault;")

INSTRUCTIONS = (
    InstrSpec("nop", 0, (), "No operation.", "nop"),
    InstrSpec("hlt", 1, (), "Halt the core. Deferred weight updates (OPA, CRS) are applied now, in "
                            "program order (docs/semantics.md §5).", "hlt"),
    InstrSpec("set", 2, (F_DST, F_IMM), "M[dst] := imm (raw data word).",
              "set dst, value"),
    InstrSpec("cp", 3, (F_DST, F_SRC, F_VW), "M[dst+i] := M[src+i] for i < vw. " + _VEC + ".",
              "cp dst, src, vw"),
    InstrSpec("ld", 4, (F_DST, F_SADDR, F_VW),
              "M[dst+i] := SMEM[saddr+i] for i < vw, word by word in address order; each word waits "
              "until valid, then its counter decrements and the word becomes invalid at 0 "
              "(persistent words, count 0 in the image, stay valid).",
              "ld dst, saddr, vw"),
    InstrSpec("st", 5, (F_SADDR, F_SRC, F_VW, F_COUNT),
              "SMEM[saddr+i] := M[src+i] for i < vw, word by word; each word waits until invalid, "
              "is written, becomes valid and its counter := count (1 .. 255).",
              "st saddr, src, vw[, count=1]"),
    InstrSpec("alu", 6, (F_FN, F_DST, F_SRC1, F_SRC2, F_VW),
              "M[dst+i] := fn(M[src1+i], M[src2+i]) for i < vw (VFU, see ALU functions). " + _VEC + ".",
              "alu fn, dst, src1, src2, vw   (unary fn: src2 may be omitted, encoded 0)"),
    InstrSpec("alui", 7, (F_FN, F_DST, F_SRC1, F_IMM, F_VW),
              "M[dst+i] := fn(M[src1+i], imm) for i < vw (VFU; imm is a raw data word). " + _VEC + ".",
              "alui fn, dst, src1, imm, vw   (unary fn: imm may be omitted, encoded 0)"),
    InstrSpec("alu_int", 8, (F_FN, F_DST, F_SRC1, F_SRC2),
              "M[dst] := fn(M[src1], M[src2]): scalar B-bit wrapping integer operation "
              "(see ALU_INT functions); never sets the overflow flag.",
              "alu_int fn, dst, src1, src2"),
    InstrSpec("br", 9, (F_COND, F_SRC1, F_SRC2, F_TARGET),
              "If cond(M[src1], M[src2]) (signed B-bit words) then PC := target else PC := PC + 1. "
              "Assembly: beq/bne/blt/bge src1, src2, target.",
              "beq|bne|blt|bge src1, src2, target"),
    InstrSpec("jmp", 10, (F_TARGET,), "PC := target.", "jmp target"),
    InstrSpec("mcu", 11, F_MCU,
              "For every MCU m with a non-zero mask m<m>: bit 0 = MVM (XBarOut := W^T XBarIn), "
              "bit 1 = MTVM (XBarIn := W XBarOut), bit 2 = OPA (deferred W += XBarIn XBarOut^T). "
              "All operations read their operands before any writes. A bit set for "
              "m >= mcus_per_core is an error.",
              "mcu m0, m1, m2, m3, m4, m5   or   mcu MCU:op|op, ...   (op in mvm, mtvm, opa)"),
    InstrSpec("crs", 12, (F_CRS,),
              "Carry resolution step (deferred to hlt, in program order with OPAs) on every MCU m "
              "whose bit m of mask is set. A bit set for m >= mcus_per_core is an error.",
              "crs mask"),
    InstrSpec("send", 13, (F_TILE, F_CORE, F_SRC, F_VW),
              "For i < vw, word by word in address order: wait while CH(this core -> core `core` "
              "of tile `tile`) is full, then append M[src+i] to it. Blocks, never drops. A tile "
              ">= tiles_per_node or a core >= cores_per_tile is an error (NO_SUCH_TILE).",
              "send tile, core, src, vw"),
    InstrSpec("recv", 14, (F_DST, F_TILE, F_CORE, F_VW),
              "For i < vw, word by word in address order: wait while CH(core `core` of tile "
              "`tile` -> this core) is empty, then M[dst+i] := its oldest word, removed. A tile "
              ">= tiles_per_node or a core >= cores_per_tile is an error (NO_SUCH_TILE).",
              "recv dst, tile, core, vw"),
    InstrSpec("ldx", 15, (F_DST, F_BASE, F_SADDR, F_VW),
              "Register-indirect ld: " + _EA + " then as ld from ea: M[dst+i] := SMEM[ea+i] for i < vw.",
              "ldx dst, base, saddr, vw"),
    InstrSpec("stx", 16, (F_BASE, F_SADDR, F_SRC, F_VW, F_COUNT),
              "Register-indirect st: " + _EA + " then as st to ea: SMEM[ea+i] := M[src+i] for i < vw, "
              "counter := count.",
              "stx base, saddr, src, vw[, count=1]"),
)


def _index(entries, key):
    out = {}
    for e in entries:
        k = getattr(e, key)
        if k in out:
            raise ValueError(f"duplicate {key} {k!r} in the ISA table")
        out[k] = e
    return out


BY_MNEMONIC = _index(INSTRUCTIONS, "mnemonic")
BY_OPCODE = _index(INSTRUCTIONS, "opcode")
ALU_BY_NAME = _index(ALU_FUNCS, "name")
ALU_BY_CODE = _index(ALU_FUNCS, "code")
ALU_INT_BY_NAME = _index(ALU_INT_FUNCS, "name")
ALU_INT_BY_CODE = _index(ALU_INT_FUNCS, "code")
COND_BY_NAME = _index(BRANCH_CONDS, "name")
COND_BY_CODE = _index(BRANCH_CONDS, "code")
