"""Binary encoding of PANTHER instructions: :class:`Instruction` <-> 64-bit words.

Driven entirely by :mod:`isa.table`. ``encode`` and ``decode`` are inverse bijections between
valid :class:`Instruction` values and legal words: ``decode(encode(i)) == i`` and
``encode(decode(w)) == w``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .table import (
    BY_MNEMONIC,
    BY_OPCODE,
    COND_BY_CODE,
    COND_BY_NAME,
    INSTR_BITS,
    OPCODE_LSB,
    OPCODE_WIDTH,
    func_table,
)

__all__ = ["Instruction", "IllegalInstruction", "encode", "decode", "make", "opcode_of"]


class IllegalInstruction(ValueError):
    """A word that is no legal instruction, or an Instruction that cannot be encoded."""


@dataclass(frozen=True)
class Instruction:
    """One decoded instruction.

    Members
    -------
    mnemonic : str
        A key of ``isa.table.BY_MNEMONIC`` (branches are ``'br'`` with a ``cond`` operand).
    operands : dict of str to int
        One architectural value per field of the instruction, keyed by field name (see
        ``isa.table`` for the meaning of each field kind; ``fn``/``cond`` hold codes).
    """

    mnemonic: str
    operands: dict

    def __post_init__(self):
        spec = BY_MNEMONIC.get(self.mnemonic)
        if spec is None:
            raise IllegalInstruction(f"unknown mnemonic {self.mnemonic!r}; expected one of "
                                     f"{sorted(BY_MNEMONIC)}")
        operands = dict(self.operands)
        if set(operands) != set(spec.field_names):
            raise IllegalInstruction(f"{self.mnemonic} takes operands {list(spec.field_names)}, "
                                     f"not {sorted(operands)}")
        object.__setattr__(self, "operands", operands)

    def __hash__(self):
        return hash((self.mnemonic, tuple(sorted(self.operands.items()))))

    @property
    def spec(self):
        """The :class:`isa.table.InstrSpec` of this instruction."""
        return BY_MNEMONIC[self.mnemonic]

    @property
    def name(self):
        """Assembly name: the mnemonic, or ``beq``/``bne``/... for a branch."""
        if self.mnemonic == "br":
            entry = COND_BY_CODE.get(self.operands["cond"])
            return entry.name if entry else "br"
        return self.mnemonic

    @property
    def func(self):
        """The :class:`isa.table.FuncSpec` of the ``fn``/``cond`` operand, or None."""
        if "fn" in self.operands:
            return func_table(self.mnemonic)[1].get(self.operands["fn"])
        if "cond" in self.operands:
            return COND_BY_CODE.get(self.operands["cond"])
        return None

    def __getitem__(self, name):
        return self.operands[name]


def make(mnemonic, **operands):
    """Build an :class:`Instruction`, accepting names for ``fn``/``cond`` and branch names.

    ``make('alu', fn='add', dst=0, src1=1, src2=2, vw=4)``, ``make('beq', src1=0, src2=1,
    target=7)``.
    """
    if mnemonic in COND_BY_NAME:
        operands["cond"] = COND_BY_NAME[mnemonic].code
        mnemonic = "br"
    if isinstance(operands.get("fn"), str):
        by_name = func_table(mnemonic)[0]
        if operands["fn"] not in by_name:
            raise IllegalInstruction(f"unknown {mnemonic} function {operands['fn']!r}; expected one "
                                     f"of {sorted(by_name)}")
        operands["fn"] = by_name[operands["fn"]].code
    return Instruction(mnemonic, operands)


def _check_func(mnemonic, field_name, value):
    if field_name == "fn":
        entry = func_table(mnemonic)[1].get(value)
        if entry is None:
            raise IllegalInstruction(f"{mnemonic}: unknown function code {value}")
        if entry.imm_only and mnemonic != "alui":
            raise IllegalInstruction(f"{mnemonic}: function {entry.name!r} exists only in alui")
    elif field_name == "cond" and value not in COND_BY_CODE:
        raise IllegalInstruction(f"br: unknown condition code {value}")


def encode(instr):
    """The 64-bit word (a non-negative int) of ``instr``.

    Raises :class:`IllegalInstruction` when an operand is out of its field's range or names
    an unknown function/condition.
    """
    spec = instr.spec
    word = spec.opcode << OPCODE_LSB
    for f in spec.fields:
        value = instr.operands[f.name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise IllegalInstruction(f"{instr.mnemonic}: operand {f.name} must be an int, not {value!r}")
        low, high = f.value_range
        if not low <= value <= high:
            raise IllegalInstruction(f"{instr.mnemonic}: operand {f.name} = {value} outside "
                                     f"{low} .. {high}")
        _check_func(instr.mnemonic, f.name, value)
        word |= f.to_raw(value) << f.lsb
    return word


def opcode_of(word):
    """The opcode field of a word."""
    return (word >> OPCODE_LSB) & ((1 << OPCODE_WIDTH) - 1)


def decode(word):
    """The :class:`Instruction` of a 64-bit word.

    Raises :class:`IllegalInstruction` for an unknown opcode, function or condition, a
    non-zero reserved bit, or a field value outside its range (e.g. a store count of 0).
    """
    word = int(word)
    if not 0 <= word < 1 << INSTR_BITS:
        raise IllegalInstruction(f"word {word:#x} is not a {INSTR_BITS}-bit value")
    spec = BY_OPCODE.get(opcode_of(word))
    if spec is None:
        raise IllegalInstruction(f"word {word:016x}: unknown opcode {opcode_of(word)}")
    if word & spec.reserved_mask:
        raise IllegalInstruction(f"word {word:016x}: {spec.mnemonic} has non-zero reserved bits "
                                 f"{word & spec.reserved_mask:#018x}")
    operands = {}
    for f in spec.fields:
        value = f.from_raw((word >> f.lsb) & ((1 << f.width) - 1))
        low, high = f.value_range
        if not low <= value <= high:
            raise IllegalInstruction(f"word {word:016x}: {spec.mnemonic} operand {f.name} = {value} "
                                     f"outside {low} .. {high}")
        try:
            _check_func(spec.mnemonic, f.name, value)
        except IllegalInstruction as error:
            raise IllegalInstruction(f"word {word:016x}: {error}") from None
        operands[f.name] = value
    return Instruction(spec.mnemonic, operands)

