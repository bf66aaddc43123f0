"""Shared parts of the assembler: the language's names, diagnostics, and operand values.

:class:`ValueMixin` evaluates operands (:mod:`isa.asm_expr`) and checks them as integers,
fixed-point data words and core or shared-memory addresses; :mod:`isa.asm_instructions`
and :mod:`isa.asm_data` build on it, :mod:`isa.assembler` puts them together.
"""

from __future__ import annotations

import difflib
import math

from panther.fixed_point import to_fixed, wrap

from .asm_expr import ExprError, evaluate
from .asm_expr import describe_value as _show
from .table import BY_MNEMONIC, COND_BY_NAME, MCU_OPS

__all__ = ["MNEMONICS", "DIRECTIVES", "MCU_OP_NAMES", "Fail", "fail_at", "suggest", "span_text",
           "ValueMixin"]

#: Mnemonics of the assembly language (branches are spelled by condition).
MNEMONICS = tuple(sorted((set(BY_MNEMONIC) - {"br"}) | set(COND_BY_NAME)))

#: Directives and their operand syntax (for messages and docs).
DIRECTIVES = {
    ".tile": "N",
    ".core": "N",
    ".equ": "NAME, value",
    ".mcu": "NAME, index",
    ".region": "NAME, base, length",
    ".sregion": "NAME, base, length",
    ".data": "addr, v0, v1, ...",
    ".smem": "saddr, count, v0, v1, ...",
    ".weights": "mcu, row, v0, v1, ...",
    ".data_file": "addr, \"FILE.npy\"[, \"KEY\" of a .npz]",
    ".smem_file": "saddr, count, \"FILE.npy\"[, \"KEY\" of a .npz]",
    ".weights_file": "mcu, \"FILE.npy\"[, \"KEY\" of a .npz]",
    ".check": "NAME (a reference check of isa.golden.reference)",
    ".word": "value",
}

#: MCU operation names of the ``mcu`` instruction and their mask bits.
MCU_OP_NAMES = dict(MCU_OPS)


class Fail(Exception):
    """One diagnostic ``(line, col, message)`` that aborts the current statement."""


def suggest(word, candidates):
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def fail_at(tok, message):
    """Raise :class:`Fail` at the position of ``tok``."""
    raise Fail(tok.line, tok.col, message)


def span_text(tokens):
    """The text of a token list, for messages."""
    return " ".join(t.text for t in tokens)


class ValueMixin:
    """Operand values of the assembler (needs ``config``, ``symbols``, ``builtins`` and
    ``functions`` of :class:`isa.assembler._Assembler`)."""

    # -- values --------------------------------------------------------------------------------

    def _lookup(self, used, extra_names=()):
        def lookup(tok):
            name = tok.text
            if name in self.builtins:
                return self.builtins[name]
            sym = self.symbols.get(name)
            if sym is None:
                known = list(self.symbols) + list(self.builtins) + list(extra_names)
                raise ExprError(tok.line, tok.col, f"undefined symbol {name!r}{suggest(name, known)}")
            if used is not None:
                used.append((tok, sym))
            return sym.value
        return lookup

    def _fn_xin(self, tok, args):
        return self.config.xbar_in_base(self._fn_mcu(tok, args))

    def _fn_xout(self, tok, args):
        return self.config.xbar_out_base(self._fn_mcu(tok, args))

    def _fn_mcu(self, tok, args):
        if len(args) != 1:
            raise ExprError(tok.line, tok.col, f"{tok.text}() takes one MCU number, not {len(args)} arguments")
        m = args[0]
        if not isinstance(m, int) or not 0 <= m < self.config.mcus_per_core:
            raise ExprError(tok.line, tok.col, f"{tok.text}({_show(m)}): MCU number outside 0 .. "
                                               f"{self.config.mcus_per_core - 1} (mcus_per_core = "
                                               f"{self.config.mcus_per_core})")
        return m

    def _value(self, tokens, used=None, extra=None):
        lookup = self._lookup(used, extra or ())
        if extra:
            base = lookup

            def lookup(tok):
                return extra[tok.text] if tok.text in extra else base(tok)
        return evaluate(tokens, lookup, self.functions)

    @staticmethod
    def _check_finite(tok, value):
        if isinstance(value, float) and not math.isfinite(value):
            fail_at(tok, f"value {value!r} is not a finite number")

    def _int(self, tokens, what, low, high, *, hint="", used=None):
        value = self._value(tokens, used)
        if not isinstance(value, int):
            fail_at(tokens[0], f"{what} must be an integer, not {value!r}")
        if not low <= value <= high:
            fail_at(tokens[0], f"{what} {_show(value)} outside {low} .. {high}{hint}")
        return value

    def _mcu_index(self, tokens):
        return self._int(tokens, "MCU number", 0, self.config.mcus_per_core - 1,
                         hint=f" (mcus_per_core = {self.config.mcus_per_core})")

    def _fixed(self, tokens, value, bits, frac, what):
        """A raw ``bits``-wide word of an operand value: reals -> fixed point, integers raw."""
        tok = tokens[0]
        if isinstance(value, float):
            self._check_finite(tok, value)
            # far out of range: report without scaling (which could overflow a float)
            raw, overflow = (0, True) if abs(value) > 2.0 ** (bits - frac + 1) else to_fixed(value, frac, bits)
            if overflow:
                lo = -(1 << (bits - 1)) / (1 << frac)
                hi = ((1 << (bits - 1)) - 1) / (1 << frac)
                fail_at(tok, f"{what} {value!r} does not fit Q{bits - frac}.{frac} "
                              f"({lo:g} .. {hi:g})")
            return raw
        low, high = -(1 << (bits - 1)), (1 << bits) - 1
        if not low <= value <= high:
            fail_at(tok, f"{what} {_show(value)} does not fit a {bits}-bit word (raw integers {low} .. {high}; "
                          "write a real number such as 1.0 for a fixed-point value)")
        return wrap(value, bits)

    def _data(self, tokens, what="data value"):
        c = self.config
        return self._fixed(tokens, self._value(tokens), c.data_bits, c.data_frac_bits, what)

    def _space_text(self):
        c = self.config
        parts = [f"register file 0 .. {c.rf_depth - 1}"]
        for m in range(c.mcus_per_core):
            parts.append(f"xin{m} {c.xbar_in_base(m)} .. {c.xbar_in_base(m) + c.xbar_size - 1}")
            parts.append(f"xout{m} {c.xbar_out_base(m)} .. {c.xbar_out_base(m) + c.xbar_size - 1}")
        return ", ".join(parts)

    def _address(self, tokens, what, width, *, shared=False):
        used = []
        value = self._value(tokens, used)
        tok = tokens[0]
        if not isinstance(value, int):
            fail_at(tok, f"{what} address must be an integer, not {value!r}")
        size = self.config.smem_user_depth if shared else self.config.addr_space
        span = _show(value) if width == 1 or abs(value) > 1 << 64 else f"{value} .. {value + width - 1} (vw {width})"
        if value < 0 or value + width > size:
            where = (f"the shared memory 0 .. {size - 1} (smem_user_depth)" if shared
                     else f"the core address space 0 .. {size - 1} ({self._space_text()})")
            fail_at(tok, f"{what} address {span} outside {where}")
        kind = "sregion" if shared else "region"
        regions = [(t, s) for t, s in used if s.kind in ("region", "sregion")]
        if len(regions) == 1:
            rtok, sym = regions[0]
            if sym.kind != kind:
                fail_at(rtok, f"{rtok.text!r} is a {'shared-memory' if sym.kind == 'sregion' else 'core'} "
                               f"region; {what} needs a {'shared-memory' if shared else 'core'} address")
            end = sym.value + sym.length
            if value < sym.value or value + width > end:
                fail_at(tok, f"{what} address {span} outside region {rtok.text!r} "
                              f"({sym.value} .. {end - 1})")
        return value
