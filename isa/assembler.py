"""The PANTHER assembler: assembly text -> :class:`isa.image.ProgramImage`.

The language is documented in ``docs/assembly.md``. In short::

    .equ   N, 4                  # constants (integers or reals)
    .mcu   L1, 0                 # a name for MCU 0
    .region act, 0, 16           # a named core-address region (base, length)
    .sregion buf, 0, 64          # a named shared-memory region
    .data  act, 0.5, -1.25       # initial core words (reals -> Q4.12, integers raw)
    .smem  buf, 1, 0.5, 0.25     # initial shared words with consumer count (0 = persistent)
    .weights L1, 0, 0.1, 0.2     # crossbar weights of MCU L1 from row 0 (reals -> Q8.24)
    .core  0                     # following code and data belong to core 0 (the default)
    loop:  cp    xin(L1), act, N
           mcu   L1:mvm
           alu   relu, act, xout(L1), N
           bne   act, act+1, loop
           hlt

Every error of the whole file (up to :data:`MAX_ERRORS`) is collected and reported together
as ``file:line:col: message`` lines in one :class:`AsmError`. Expressions have bounded depth
and size (:mod:`isa.asm_expr`) and literals bounded length (:mod:`isa.asm_lexer`), so no
source makes the assembler work without bound.
"""

from __future__ import annotations

import difflib
import math
import re

import numpy as np

from panther.errors import UserError
from panther.fixed_point import to_fixed

from .asm_expr import ExprError, evaluate
from .asm_expr import describe_value as _show
from .asm_lexer import iter_statements, statement_at
from .encoding import IllegalInstruction, Instruction, encode
from .image import ProgramImage
from .table import (
    ALU_BY_NAME, ALU_INT_BY_NAME, BY_MNEMONIC, COND_BY_NAME, MCU_OPS, SNA_SHIFT_BITS,
)

__all__ = ["AsmError", "assemble", "DIRECTIVES", "MNEMONICS", "MAX_ERRORS"]

#: Diagnostics reported at most; assembly stops at the next one (as a compiler does).
MAX_ERRORS = 100

#: Mnemonics of the assembly language (branches are spelled by condition).
MNEMONICS = tuple(sorted((set(BY_MNEMONIC) - {"br"}) | set(COND_BY_NAME)))

#: Directives and their operand syntax (for messages and docs).
DIRECTIVES = {
    ".core": "N",
    ".equ": "NAME, value",
    ".mcu": "NAME, index",
    ".region": "NAME, base, length",
    ".sregion": "NAME, base, length",
    ".data": "addr, v0, v1, ...",
    ".smem": "saddr, count, v0, v1, ...",
    ".weights": "mcu, row, v0, v1, ...",
    ".word": "value",
}

_MCU_OP_NAMES = dict(MCU_OPS)
_BUFFER_NAME = re.compile(r"x(?:in|out)[0-9]+")


class AsmError(UserError):
    """Assembly failed. ``errors`` lists every diagnostic as ``'file:line:col: message'``.

    Members
    -------
    errors : list of str
        All diagnostics, in source order.
    """

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class _TooManyErrors(Exception):
    """Internal: :data:`MAX_ERRORS` diagnostics collected; stop."""


class _Fail(Exception):
    """Internal: one diagnostic ``(line, col, message)`` that aborts the current statement."""


def _suggest(word, candidates):
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _fail_at(tok, message):
    raise _Fail(tok.line, tok.col, message)


def _span_text(tokens):
    return " ".join(t.text for t in tokens)


class _Symbol:
    __slots__ = ("kind", "value", "line", "core", "length")

    def __init__(self, kind, value, line, core=None, length=None):
        self.kind, self.value, self.line, self.core, self.length = kind, value, line, core, length


class _Assembler:
    def __init__(self, text, config, filename):
        self.text = text
        self.config = config
        self.filename = filename
        self.diags = []
        self.symbols = {}
        c = config
        self.builtins = {}
        for m in range(c.mcus_per_core):
            self.builtins[f"xin{m}"] = c.xbar_in_base(m)
            self.builtins[f"xout{m}"] = c.xbar_out_base(m)
        self.reserved = set(MNEMONICS) | {"br"} | set(_MCU_OP_NAMES) | {"xin", "xout"}
        self.functions = {"xin": self._fn_xin, "xout": self._fn_xout}
        n = c.cores_per_tile
        self.programs = [[] for _ in range(n)]
        self.rf = [np.zeros(c.rf_depth, np.int64) for _ in range(n)]
        self.xin = [np.zeros((c.mcus_per_core, c.xbar_size), np.int64) for _ in range(n)]
        self.xout = [np.zeros((c.mcus_per_core, c.xbar_size), np.int64) for _ in range(n)]
        self.smem = np.zeros(c.smem_depth, np.int64)
        self.smem_count = np.zeros(c.smem_depth, np.int64)
        self.smem_valid = np.zeros(c.smem_depth, bool)
        self.weights = {}
        self.core_init_lines = {}   # (core, addr) -> line
        self.smem_init_lines = {}   # saddr -> line
        self.weight_lines = {}      # (core, mcu) -> int array of defining lines (0 = none)

    # -- diagnostics ---------------------------------------------------------------------------

    def error(self, line, col, message):
        if len(self.diags) >= MAX_ERRORS:
            raise _TooManyErrors
        self.diags.append((line, col, message))

    def run(self):
        try:
            self._passes()
        except _TooManyErrors:
            line, col, _ = max(self.diags)
            self.diags.append((line, col + 1, f"too many errors ({MAX_ERRORS}); stopping here"))
        if self.diags:
            ordered = sorted(set(self.diags), key=lambda d: (d[0], d[1]))
            raise AsmError([f"{self.filename}:{line}:{col}: {msg}" for line, col, msg in ordered])
        symbols = {name: s.value for name, s in self.symbols.items()
                   if isinstance(s.value, int) and not isinstance(s.value, bool)}
        return ProgramImage(config=self.config, programs=self.programs, rf_init=self.rf,
                            xbar_in=self.xin, xbar_out=self.xout, smem_init=self.smem,
                            smem_count=self.smem_count, smem_valid=self.smem_valid,
                            weights=self.weights, symbols=symbols, source=self.text)

    def _passes(self):
        deferred = self._collect(iter_statements(self.text, self.error))
        for kind, span, core in deferred:
            stmt = statement_at(self.text, span)     # rebuilt: pass 1 kept only its span
            try:
                if stmt.broken:
                    word = 0 if kind in ("instr", ".word") else None
                elif kind == "instr":
                    word = self._instruction(stmt, core)
                elif kind == ".word":
                    word = self._word(stmt)
                else:
                    word = None
                    getattr(self, "_dir_" + kind[1:])(stmt, core)
            except _Fail as fail:
                self.error(*fail.args)
                word = 0 if kind in ("instr", ".word") else None
            except ExprError as fail:
                self.error(*fail.args)
                word = 0 if kind in ("instr", ".word") else None
            if word is not None:
                self.programs[core].append(word)

    # -- pass 1: labels, constants, sections -----------------------------------------------------

    def _collect(self, statements):
        core = 0
        counts = [0] * self.config.cores_per_tile
        reported_full = set()
        deferred = []
        for stmt in statements:
            for label in stmt.labels:
                self._define(label, "label", counts[core], core=core)
            head = stmt.head
            if head is None:
                continue
            name = head.text.lower()
            try:
                if head.kind == "directive":
                    if name not in DIRECTIVES:
                        _fail_at(head, f"unknown directive {head.text!r}{_suggest(name, DIRECTIVES)}"
                                       f" (directives: {', '.join(DIRECTIVES)})")
                    if stmt.broken and name != ".word":
                        continue
                    if name == ".core":
                        core = self._dir_core(stmt)
                    elif name in (".equ", ".mcu", ".region", ".sregion"):
                        getattr(self, "_dir_" + name[1:])(stmt)
                    else:
                        if name == ".word":
                            counts[core] = self._count(stmt, core, counts, reported_full)
                        if name != ".word" or counts[core] <= self.config.imem_depth:
                            deferred.append((name, stmt.span, core))
                else:
                    counts[core] = self._count(stmt, core, counts, reported_full)
                    if counts[core] <= self.config.imem_depth:   # past it: reported once
                        deferred.append(("instr", stmt.span, core))
            except _Fail as fail:
                self.error(*fail.args)
            except ExprError as fail:
                self.error(*fail.args)
        return deferred

    def _count(self, stmt, core, counts, reported_full):
        if counts[core] >= self.config.imem_depth and core not in reported_full:
            reported_full.add(core)
            self.error(stmt.head.line, stmt.head.col,
                       f"core {core} program exceeds the instruction memory "
                       f"({self.config.imem_depth} words, imem_depth)")
        return counts[core] + 1

    def _define(self, tok, kind, value, *, core=None, length=None):
        name = tok.text
        if name in self.reserved or name in self.builtins or _BUFFER_NAME.fullmatch(name):
            self.error(tok.line, tok.col, f"{name!r} is a reserved name (a mnemonic, an MCU "
                                          "operation or an XBar buffer) and cannot be redefined")
            return
        old = self.symbols.get(name)
        if old is not None:
            self.error(tok.line, tok.col, f"duplicate definition of {name!r} (first defined at "
                                          f"line {old.line})")
            return
        self.symbols[name] = _Symbol(kind, value, tok.line, core=core, length=length)

    def _operands(self, stmt, syntax, low, high=None):
        """Check the operand count against ``syntax`` (a list of operand names)."""
        high = low if high is None else high
        n = len(stmt.operands)
        if not low <= n <= high:
            want = f"{low}" if low == high else (f"{low} to {high}" if high < 10**6 else f"at least {low}")
            where = stmt.operands[high][0] if n > high else stmt.head
            col = where.col if n > high else stmt.end_col
            raise _Fail(where.line, col, f"{stmt.head.text} takes {want} operand"
                                         f"{'' if want == '1' else 's'} ({syntax}), not {n}")
        return stmt.operands

    def _name_operand(self, tokens):
        if len(tokens) != 1 or tokens[0].kind != "ident":
            _fail_at(tokens[0], f"expected a name, not {_span_text(tokens)!r}")
        return tokens[0]

    def _dir_core(self, stmt):
        (op,) = self._operands(stmt, DIRECTIVES[".core"], 1)
        return self._int(op, "core number", 0, self.config.cores_per_tile - 1,
                         hint=f" (cores_per_tile = {self.config.cores_per_tile})")

    def _dir_equ(self, stmt):
        name_ops, value_ops = self._operands(stmt, DIRECTIVES[".equ"], 2)
        name = self._name_operand(name_ops)
        value = self._value(value_ops)
        self._check_finite(value_ops[0], value)
        self._define(name, "const", value)

    def _dir_mcu(self, stmt):
        name_ops, index_ops = self._operands(stmt, DIRECTIVES[".mcu"], 2)
        name = self._name_operand(name_ops)
        index = self._mcu_index(index_ops)
        self._define(name, "mcu", index)

    def _region(self, stmt, kind, size, space):
        name_ops, base_ops, len_ops = self._operands(stmt, DIRECTIVES["." + kind], 3)
        name = self._name_operand(name_ops)
        base = self._int(base_ops, f"{space} base", 0, size - 1)
        length = self._int(len_ops, f"{space} length", 1, size)
        if base + length > size:
            _fail_at(len_ops[0], f"region {name.text!r} ({base} .. {base + length - 1}) exceeds the "
                                 f"{space} (0 .. {size - 1})")
        self._define(name, kind, base, length=length)

    def _dir_region(self, stmt):
        self._region(stmt, "region", self.config.addr_space, "core address space")

    def _dir_sregion(self, stmt):
        self._region(stmt, "sregion", self.config.smem_depth, "shared memory")

    # -- values --------------------------------------------------------------------------------

    def _lookup(self, used, extra_names=()):
        def lookup(tok):
            name = tok.text
            if name in self.builtins:
                return self.builtins[name]
            sym = self.symbols.get(name)
            if sym is None:
                known = list(self.symbols) + list(self.builtins) + list(extra_names)
                raise ExprError(tok.line, tok.col, f"undefined symbol {name!r}{_suggest(name, known)}")
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
            _fail_at(tok, f"value {value!r} is not a finite number")

    def _int(self, tokens, what, low, high, *, hint="", used=None):
        value = self._value(tokens, used)
        if not isinstance(value, int):
            _fail_at(tokens[0], f"{what} must be an integer, not {value!r}")
        if not low <= value <= high:
            _fail_at(tokens[0], f"{what} {_show(value)} outside {low} .. {high}{hint}")
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
                _fail_at(tok, f"{what} {value!r} does not fit Q{bits - frac}.{frac} "
                              f"({lo:g} .. {hi:g})")
            return raw
        low, high = -(1 << (bits - 1)), (1 << bits) - 1
        if not low <= value <= high:
            _fail_at(tok, f"{what} {_show(value)} does not fit a {bits}-bit word (raw integers {low} .. {high}; "
                          "write a real number such as 1.0 for a fixed-point value)")
        return value - (1 << bits) if value >= 1 << (bits - 1) else value

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
            _fail_at(tok, f"{what} address must be an integer, not {value!r}")
        size = self.config.smem_depth if shared else self.config.addr_space
        span = _show(value) if width == 1 or abs(value) > 1 << 64 else f"{value} .. {value + width - 1} (vw {width})"
        if value < 0 or value + width > size:
            where = (f"the shared memory 0 .. {size - 1} (smem_depth)" if shared
                     else f"the core address space 0 .. {size - 1} ({self._space_text()})")
            _fail_at(tok, f"{what} address {span} outside {where}")
        kind = "sregion" if shared else "region"
        regions = [(t, s) for t, s in used if s.kind in ("region", "sregion")]
        if len(regions) == 1:
            rtok, sym = regions[0]
            if sym.kind != kind:
                _fail_at(rtok, f"{rtok.text!r} is a {'shared-memory' if sym.kind == 'sregion' else 'core'} "
                               f"region; {what} needs a {'shared-memory' if shared else 'core'} address")
            end = sym.value + sym.length
            if value < sym.value or value + width > end:
                _fail_at(tok, f"{what} address {span} outside region {rtok.text!r} "
                              f"({sym.value} .. {end - 1})")
        return value

    # -- instructions --------------------------------------------------------------------------

    def _instruction(self, stmt, core):
        head = stmt.head
        name = head.text.lower()
        if name in COND_BY_NAME:
            return self._encode(head, "br", cond=COND_BY_NAME[name].code, **self._branch(stmt, core))
        if name not in BY_MNEMONIC or name == "br":
            if name == "br":
                hint = "; write the condition as the mnemonic: beq, bne, blt or bge"
            elif name in ALU_BY_NAME:
                hint = f"; did you mean 'alu {name}, ...' (or 'alui {name}, ...')?"
            elif name in ALU_INT_BY_NAME:
                hint = f"; did you mean 'alu_int {name}, ...'?"
            else:
                close = difflib.get_close_matches(name, list(MNEMONICS) + list(ALU_BY_NAME), n=1, cutoff=0.6)
                if close and close[0] not in MNEMONICS:
                    hint = f"; did you mean 'alu {close[0]}, ...'?"
                elif close:
                    hint = f"; did you mean {close[0]!r}?"
                else:
                    hint = f"; expected one of {', '.join(MNEMONICS)}"
            _fail_at(head, f"unknown mnemonic {head.text!r}{hint}")
        return self._encode(head, name, **getattr(self, "_op_" + name)(stmt, core))

    def _encode(self, head, mnemonic, **operands):
        try:
            return encode(Instruction(mnemonic, operands))
        except IllegalInstruction as error:  # pragma: no cover - operands are range-checked first
            _fail_at(head, str(error))

    def _op_nop(self, stmt, core):
        self._operands(stmt, "no operands", 0)
        return {}

    _op_hlt = _op_nop

    def _op_set(self, stmt, core):
        dst, imm = self._operands(stmt, "dst, value", 2)
        return {"dst": self._address(dst, "dst", 1), "imm": self._data(imm, "set value")}

    def _vw(self, tokens):
        return self._int(tokens, "vector width", 1, 1 << BY_MNEMONIC["cp"].field("vw").width)

    def _op_cp(self, stmt, core):
        dst, src, vw = self._operands(stmt, "dst, src, vw", 3)
        w = self._vw(vw)
        return {"dst": self._address(dst, "dst", w), "src": self._address(src, "src", w), "vw": w}

    def _op_ld(self, stmt, core):
        dst, saddr, vw = self._operands(stmt, "dst, saddr, vw", 3)
        w = self._vw(vw)
        return {"dst": self._address(dst, "dst", w), "saddr": self._address(saddr, "saddr", w, shared=True),
                "vw": w}

    def _op_st(self, stmt, core):
        ops = self._operands(stmt, "saddr, src, vw[, count]", 3, 4)
        w = self._vw(ops[2])
        count = 1
        if len(ops) == 4:
            low, high = BY_MNEMONIC["st"].field("count").value_range
            count = self._int(ops[3], "store count", low, high)
        return {"saddr": self._address(ops[0], "saddr", w, shared=True),
                "src": self._address(ops[1], "src", w), "vw": w, "count": count}

    def _fn_operands(self, stmt):
        """Operands of alu/alui/alu_int with the function split off (``alu add, ...`` or
        ``alu add ...``)."""
        ops = list(stmt.operands)
        if not ops:
            raise _Fail(stmt.head.line, stmt.end_col, f"{stmt.head.text} needs a function name first")
        first = ops[0]
        if len(first) > 1 and first[0].kind == "ident" and not (first[1].kind == "op" and first[1].text != "("):
            ops = [first[:1], first[1:]] + ops[1:]
        return ops[0], ops[1:]

    def _func(self, tokens, mnemonic):
        table = ALU_INT_BY_NAME if mnemonic == "alu_int" else ALU_BY_NAME
        if len(tokens) != 1 or tokens[0].kind != "ident":
            _fail_at(tokens[0], f"expected a {mnemonic} function name, not {_span_text(tokens)!r}")
        name = tokens[0].text.lower()
        spec = table.get(name)
        if spec is None:
            _fail_at(tokens[0], f"unknown {mnemonic} function {tokens[0].text!r}"
                                f"{_suggest(name, table) or '; expected one of ' + ', '.join(table)}")
        if spec.imm_only and mnemonic != "alui":
            _fail_at(tokens[0], f"function {name!r} exists only as 'alui {name}, dst, src, shift, vw'")
        return spec

    def _check_count(self, stmt, ops, syntax, low, high):
        n = len(ops)
        if not low <= n <= high:
            want = f"{low}" if low == high else f"{low} or {high}"
            where = ops[high][0] if n > high else None
            raise _Fail(where.line if where else stmt.head.line, where.col if where else stmt.end_col,
                        f"{stmt.head.text} takes {want} operands after the function ({syntax}), not {n}")

    def _op_alu(self, stmt, core):
        fn_tokens, ops = self._fn_operands(stmt)
        spec = self._func(fn_tokens, "alu")
        if spec.unary:
            self._check_count(stmt, ops, "dst, src1[, src2], vw", 3, 4)
        else:
            self._check_count(stmt, ops, "dst, src1, src2, vw", 4, 4)
        w = self._vw(ops[-1])
        src2 = self._address(ops[2], "src2", w) if len(ops) == 4 else 0
        return {"fn": spec.code, "dst": self._address(ops[0], "dst", w),
                "src1": self._address(ops[1], "src1", w), "src2": src2, "vw": w}

    def _op_alui(self, stmt, core):
        fn_tokens, ops = self._fn_operands(stmt)
        spec = self._func(fn_tokens, "alui")
        if spec.unary:
            self._check_count(stmt, ops, "dst, src1[, imm], vw", 3, 4)
        else:
            self._check_count(stmt, ops, "dst, src1, imm, vw", 4, 4)
        w = self._vw(ops[-1])
        imm = 0
        if len(ops) == 4:
            if spec.imm_only:
                half = 1 << (SNA_SHIFT_BITS - 1)
                imm = self._int(ops[2], f"{spec.name} shift", -half, half - 1)
            else:
                imm = self._data(ops[2], "immediate")
        return {"fn": spec.code, "dst": self._address(ops[0], "dst", w),
                "src1": self._address(ops[1], "src1", w), "imm": imm, "vw": w}

    def _op_alu_int(self, stmt, core):
        fn_tokens, ops = self._fn_operands(stmt)
        spec = self._func(fn_tokens, "alu_int")
        self._check_count(stmt, ops, "dst, src1, src2", 3, 3)
        return {"fn": spec.code, "dst": self._address(ops[0], "dst", 1),
                "src1": self._address(ops[1], "src1", 1), "src2": self._address(ops[2], "src2", 1)}

    def _target(self, tokens, core):
        used = []
        value = self._value(tokens, used)
        for tok, sym in used:
            if sym.kind == "label" and sym.core != core:
                _fail_at(tok, f"label {tok.text!r} belongs to core {sym.core}, not core {core}")
        if not isinstance(value, int):
            _fail_at(tokens[0], f"branch target must be an integer, not {value!r}")
        if not 0 <= value < self.config.imem_depth:
            _fail_at(tokens[0], f"branch target {_show(value)} outside the instruction memory "
                                f"0 .. {self.config.imem_depth - 1} (imem_depth)")
        return value

    def _branch(self, stmt, core):
        src1, src2, target = self._operands(stmt, "src1, src2, target", 3)
        return {"src1": self._address(src1, "src1", 1), "src2": self._address(src2, "src2", 1),
                "target": self._target(target, core)}

    def _op_jmp(self, stmt, core):
        (target,) = self._operands(stmt, "target", 1)
        return {"target": self._target(target, core)}

    def _op_mcu(self, stmt, core):
        ops = self._operands(stmt, "six masks m0, ..., m5, or MCU:ops|ops, ...", 0, 6)
        n_mcus = self.config.mcus_per_core
        masks = [0] * 6
        symbolic = [any(t.kind == "op" and t.text == ":" for t in op) for op in ops]
        if any(symbolic) and not all(symbolic):
            bad = ops[symbolic.index(False) if symbolic[0] else symbolic.index(True)]
            _fail_at(bad[0], "mcu operands must all be positional masks or all 'MCU:ops' pairs, "
                             "not a mix")
        if any(symbolic):
            seen = {}
            for op in ops:
                cut = next(i for i, t in enumerate(op) if t.kind == "op" and t.text == ":")
                if cut == 0 or cut == len(op) - 1:
                    _fail_at(op[min(cut, len(op) - 1)], "expected 'MCU:ops' such as '0:mvm|opa'")
                m = self._mcu_index(op[:cut])
                if m in seen:
                    _fail_at(op[0], f"MCU {m} named twice in one mcu instruction (first at column {seen[m]})")
                seen[m] = op[0].col
                masks[m] = self._mask_value(op[cut + 1:])
        else:
            for m, op in enumerate(ops):
                masks[m] = self._mask_value(op)
                if masks[m] and m >= n_mcus:
                    _fail_at(op[0], f"mask for MCU {m} must be 0: this configuration has "
                                    f"{n_mcus} MCU{'s' if n_mcus > 1 else ''} per core (mcus_per_core)")
        return {f"m{m}": masks[m] for m in range(6)}

    def _mask_value(self, tokens):
        value = self._value(tokens, extra=_MCU_OP_NAMES)
        if not isinstance(value, int) or not 0 <= value <= 7:
            _fail_at(tokens[0], f"mcu mask must be 0 .. 7 (bit 0 = mvm, bit 1 = mtvm, bit 2 = opa) "
                                f"or names like mvm|opa, not {_show(value)}")
        return value

    def _op_crs(self, stmt, core):
        (op,) = self._operands(stmt, "mask (bit m = MCU m)", 1)
        mask = self._int(op, "crs mask", 0, 63)
        n_mcus = self.config.mcus_per_core
        if mask >> n_mcus:
            _fail_at(op[0], f"crs mask {mask:#b} names an MCU >= {n_mcus} (mcus_per_core)")
        return {"mask": mask}

    def _word(self, stmt):
        (op,) = self._operands(stmt, DIRECTIVES[".word"], 1)
        return self._int(op, "instruction word", 0, (1 << 64) - 1)

    # -- data directives -----------------------------------------------------------------------

    def _dir_data(self, stmt, core):
        ops = self._operands(stmt, DIRECTIVES[".data"], 2, 10**9)
        values = ops[1:]
        addr = self._address(ops[0], ".data", len(values))
        c = self.config
        for i, tokens in enumerate(values):
            a = addr + i
            raw = self._data(tokens)
            prev = self.core_init_lines.get((core, a))
            if prev is not None:
                _fail_at(tokens[0], f"core {core} address {a} already initialised at line {prev}")
            self.core_init_lines[(core, a)] = tokens[0].line
            if a < c.rf_depth:
                self.rf[core][a] = raw
            else:
                m, offset = divmod(a - c.rf_depth, 2 * c.xbar_size)
                if offset < c.xbar_size:
                    self.xin[core][m, offset] = raw
                else:
                    self.xout[core][m, offset - c.xbar_size] = raw

    def _dir_smem(self, stmt, core):
        ops = self._operands(stmt, DIRECTIVES[".smem"], 3, 10**9)
        values = ops[2:]
        saddr = self._address(ops[0], ".smem", len(values), shared=True)
        low, high = BY_MNEMONIC["st"].field("count").value_range
        count = self._int(ops[1], "consumer count", 0, high, hint=" (0 = persistent)")
        for i, tokens in enumerate(values):
            a = saddr + i
            raw = self._data(tokens)
            prev = self.smem_init_lines.get(a)
            if prev is not None:
                _fail_at(tokens[0], f"shared address {a} already initialised at line {prev}")
            self.smem_init_lines[a] = tokens[0].line
            self.smem[a] = raw
            self.smem_count[a] = count
            self.smem_valid[a] = True

    def _dir_weights(self, stmt, core):
        ops = self._operands(stmt, DIRECTIVES[".weights"], 3, 10**9)
        c = self.config
        m = self._mcu_index(ops[0])
        row = self._int(ops[1], "crossbar row", 0, c.xbar_size - 1)
        values = ops[2:]
        room = (c.xbar_size - row) * c.xbar_size
        if len(values) > room:
            _fail_at(values[room][0], f"too many weights: {len(values)} values from row {row} exceed the "
                                      f"{c.xbar_size}x{c.xbar_size} crossbar ({room} cells left)")
        w = self.weights.setdefault((core, m), np.zeros((c.xbar_size, c.xbar_size), np.int64))
        lines = self.weight_lines.setdefault((core, m), np.zeros((c.xbar_size, c.xbar_size), np.int64))
        evaluated = [self._value(tokens) for tokens in values]
        reals = [k for k, v in enumerate(evaluated) if isinstance(v, float)]
        for k in reals:
            self._check_finite(values[k][0], evaluated[k])
            if abs(evaluated[k]) > 2.0 ** (c.weight_bits - c.weight_frac_bits + 1):
                self._fixed(values[k], evaluated[k], c.weight_bits, c.weight_frac_bits, "weight")
        if reals:
            # one vectorised conversion (the per-value path reports the first that does not fit)
            raw_reals, overflow = to_fixed(np.array([evaluated[k] for k in reals]), c.weight_frac_bits,
                                           c.weight_bits)
            bad = [k for k, o in zip(reals, overflow) if o]
            if bad:
                self._fixed(values[bad[0]], evaluated[bad[0]], c.weight_bits, c.weight_frac_bits, "weight")
            converted = dict(zip(reals, (int(v) for v in raw_reals)))
        else:
            converted = {}
        for k, tokens in enumerate(values):
            i, j = divmod(row * c.xbar_size + k, c.xbar_size)
            raw = converted[k] if k in converted else \
                self._fixed(tokens, evaluated[k], c.weight_bits, c.weight_frac_bits, "weight")
            if lines[i, j]:
                _fail_at(tokens[0], f"weight [{i}, {j}] of MCU {m} on core {core} already set at "
                                    f"line {lines[i, j]}")
            lines[i, j] = tokens[0].line
            w[i, j] = raw


def assemble(text, *, config, filename="<input>"):
    """Assemble ``text`` for ``config`` into a :class:`isa.image.ProgramImage`.

    Raises :class:`AsmError` listing every error as ``'filename:line:col: message'``.
    """
    return _Assembler(text, config, filename).run()
