"""The record types of the instruction table (:mod:`isa.table`): the word's opcode slot, the
bit fields of an instruction word and the entries of the instruction and function sub-tables.

The table itself (every opcode, field slot and function code) is in :mod:`isa.table`; this
module only says what an entry is.
"""

from __future__ import annotations

from dataclasses import dataclass

from panther.fixed_point import signed_range

__all__ = ["INSTR_BITS", "OPCODE_LSB", "OPCODE_WIDTH", "FIELD_KINDS", "Field", "FuncSpec",
           "InstrSpec"]

INSTR_BITS = 64
OPCODE_LSB = 58
OPCODE_WIDTH = 6

FIELD_KINDS = ("addr", "saddr", "vw", "imm", "count", "fn", "cond", "target", "mask", "base",
               "tile", "core")


@dataclass(frozen=True)
class Field:
    """One bit field of an instruction word.

    Members
    -------
    name : str
        Operand name (key of ``Instruction.operands``), e.g. ``'dst'``.
    lsb : int
        Least significant bit of the field in the 64-bit word.
    width : int
        Width in bits.
    kind : str
        One of ``FIELD_KINDS``; fixes how an operand value maps to the raw bits (see the
        module docstring) and which range is legal.
    """

    name: str
    lsb: int
    width: int
    kind: str

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"field kind must be one of {FIELD_KINDS}, not {self.kind!r}")
        if not (0 <= self.lsb and self.width >= 1 and self.lsb + self.width <= INSTR_BITS):
            raise ValueError(f"field {self.name!r} bits [{self.lsb}+{self.width}] outside the word")

    @property
    def msb(self):
        """Most significant bit of the field."""
        return self.lsb + self.width - 1

    @property
    def mask(self):
        """Mask of the field's bits in the word (already shifted to ``lsb``)."""
        return ((1 << self.width) - 1) << self.lsb

    @property
    def value_range(self):
        """Inclusive ``(low, high)`` range of the operand value (not the raw bits)."""
        if self.kind == "vw":
            return 1, 1 << self.width
        if self.kind == "imm":
            return signed_range(self.width)
        if self.kind == "count":
            return 1, (1 << self.width) - 1
        return 0, (1 << self.width) - 1

    def to_raw(self, value):
        """Raw field bits (unshifted) of an operand value. The caller checks the range."""
        if self.kind == "vw":
            return value - 1
        if self.kind == "imm":
            return value & ((1 << self.width) - 1)
        return value

    def from_raw(self, raw):
        """Operand value of raw (unshifted) field bits."""
        if self.kind == "vw":
            return raw + 1
        if self.kind == "imm" and raw >> (self.width - 1):
            return raw - (1 << self.width)
        return raw


@dataclass(frozen=True)
class FuncSpec:
    """One function of the ``alu``/``alui``, ``alu_int`` or branch-condition sub-tables.

    Members
    -------
    name : str
        Assembly name (``add``, ``sigmoid_d``, ``beq`` ...).
    code : int
        Value of the ``fn`` (or ``cond``) field.
    summary : str
        Exact semantics, per element, in the notation of the module docstring
        (``a`` = src1 element, ``b`` = src2 element or the ``alui`` immediate).
    unary : bool
        True when the function ignores its second operand ``b``.
    imm_only : bool
        True when the function exists only in the immediate form ``alui`` (an ``alu`` word
        with this ``fn`` is an illegal instruction).
    """

    name: str
    code: int
    summary: str
    unary: bool = False
    imm_only: bool = False


@dataclass(frozen=True)
class InstrSpec:
    """One instruction (one opcode).

    Members
    -------
    mnemonic : str
        Name used by ``Instruction.mnemonic`` (branches share the mnemonic ``br``; the
        assembler spells them ``beq``/``bne``/``blt``/``bge``).
    opcode : int
        Value of the opcode field.
    fields : tuple of Field
        Operand fields, in assembly operand order.
    summary : str
        Exact semantics.
    syntax : str
        Assembly syntax (``docs/assembly.md`` has the details).
    """

    mnemonic: str
    opcode: int
    fields: tuple
    summary: str
    syntax: str = ""

    def field(self, name):
        """The field called ``name`` (KeyError if the instruction has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.mnemonic} has no field {name!r}")

    @property
    def field_names(self):
        return tuple(f.name for f in self.fields)

    @property
    def used_mask(self):
        """Word bits covered by the opcode and the fields; all other bits are reserved."""
        m = ((1 << OPCODE_WIDTH) - 1) << OPCODE_LSB
        for f in self.fields:
            m |= f.mask
        return m

    @property
    def reserved_mask(self):
        """Word bits that must be zero."""
        return ((1 << INSTR_BITS) - 1) & ~self.used_mask
