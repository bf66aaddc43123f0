"""The PANTHER assembler: assembly text -> :class:`isa.image.ProgramImage`.

The language is documented in ``docs/assembly.md``. In short::

    .equ   N, 4                  # constants (integers or reals)
    .mcu   L1, 0                 # a name for MCU 0
    .region act, 0, 16           # a named core-address region (base, length)
    .sregion buf, 0, 64          # a named shared-memory region
    .data  act, 0.5, -1.25       # initial core words (reals -> Q4.12, integers raw)
    .smem  buf, 1, 0.5, 0.25     # initial shared words with consumer count (0 = persistent)
    .weights L1, 0, 0.1, 0.2     # crossbar weights of MCU L1 from row 0 (reals -> Q8.24)
    .weights_file L1, "w1.npy"   # ... or from a numpy file (also .data_file, .smem_file)
    .check  mlp2_step            # the float reference check of this training step
    .core  0                     # following code and data belong to core 0 (the default)
    .tile  1                     # ... and to tile 1 of the node (core 0 of it; default tile 0)
    loop:  cp    xin(L1), act, N
           mcu   L1:mvm
           alu   relu, act, xout(L1), N
           bne   act, act+1, loop
           hlt

A source that puts code or data on a tile other than 0 assembles to a
:class:`isa.node_image.NodeImage` (tiles 0 .. the highest one named); otherwise to a
:class:`isa.image.ProgramImage` of one tile.

Every error of the whole file (up to :data:`MAX_ERRORS`) is collected and reported together
as ``file:line:col: message`` lines in one :class:`AsmError`. Expressions have bounded depth
and size (:mod:`isa.asm_expr`) and literals bounded length (:mod:`isa.asm_lexer`), so no
source makes the assembler work without bound.

The assembler is split along its seams: :mod:`isa.asm_lexer` (lines, tokens, statements),
:mod:`isa.asm_expr` (operand expressions), :mod:`isa.asm_values` (names, diagnostics,
checked operand values), :mod:`isa.asm_instructions` (one word per instruction),
:mod:`isa.asm_data` (``.data``, ``.smem``, ``.weights``), :mod:`isa.asm_files` (``.data_file``,
``.smem_file``, ``.weights_file``, ``.check``); this module holds the two passes, symbols,
sections and the other directives.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from panther.errors import UserError

from .asm_data import DataMixin
from .asm_expr import ExprError
from .asm_files import FileDataMixin
from .asm_instructions import InstructionMixin
from .asm_lexer import iter_statements, statement_at
from .asm_values import (
    DIRECTIVES,
    MCU_OP_NAMES,
    MNEMONICS,
    Fail,
    ValueMixin,
    fail_at,
    span_text,
    suggest,
)
from .image import ProgramImage
from .node_image import NodeImage

__all__ = ["AsmError", "assemble", "DIRECTIVES", "MNEMONICS", "MAX_ERRORS"]

#: Diagnostics reported at most; assembly stops at the next one (as a compiler does).
MAX_ERRORS = 100

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


class _Symbol:
    __slots__ = ("kind", "value", "line", "core", "length")

    def __init__(self, kind, value, line, core=None, length=None):
        self.kind, self.value, self.line, self.core, self.length = kind, value, line, core, length


class _TileMemory:
    """The shared-memory initialisation of one tile (values, counts, valid bits, lines)."""

    def __init__(self, depth):
        self.values = np.zeros(depth, np.int64)
        self.count = np.zeros(depth, np.int64)
        self.valid = np.zeros(depth, bool)
        self.lines = {}     # saddr -> line


class _PerKey(dict):
    """A dict that makes a missing entry with ``factory()`` (the per-core and per-tile state
    of a node is created only for the cores and tiles a source uses)."""

    def __init__(self, factory):
        super().__init__()
        self.factory = factory

    def __missing__(self, key):
        value = self[key] = self.factory()
        return value


class _Assembler(ValueMixin, InstructionMixin, DataMixin, FileDataMixin):
    def __init__(self, text, config, filename, base_dir=None):
        self.text = text
        self.config = config
        self.filename = filename
        self.base_dir = Path(base_dir) if base_dir is not None else \
            (Path(filename).parent if filename and not filename.startswith("<") else Path("."))
        self.check = None
        self.diags = []
        self.symbols = {}
        c = config
        self.builtins = {}
        for m in range(c.mcus_per_core):
            self.builtins[f"xin{m}"] = c.xbar_in_base(m)
            self.builtins[f"xout{m}"] = c.xbar_out_base(m)
        self.reserved = set(MNEMONICS) | {"br"} | set(MCU_OP_NAMES) | {"xin", "xout"}
        self.functions = {"xin": self._fn_xin, "xout": self._fn_xout}
        # Cores are numbered node-wide: core c of tile t is unit t * cores_per_tile + c.
        self.programs = _PerKey(list)
        self.rf = _PerKey(lambda: np.zeros(c.rf_depth, np.int64))
        self.xin = _PerKey(lambda: np.zeros((c.mcus_per_core, c.xbar_size), np.int64))
        self.xout = _PerKey(lambda: np.zeros((c.mcus_per_core, c.xbar_size), np.int64))
        self.tile_smem = _PerKey(lambda: _TileMemory(c.smem_depth))
        self.weights = {}           # (unit, mcu) -> raw weights
        self.core_init_lines = {}   # (unit, addr) -> line
        self.weight_lines = {}      # (unit, mcu) -> int array of defining lines (0 = none)
        self.max_tile = 0

    # -- diagnostics ---------------------------------------------------------------------------

    def error(self, line, col, message):
        if len(self.diags) >= MAX_ERRORS:
            raise _TooManyErrors(line, col)
        self.diags.append((line, col, message))

    def run(self):
        try:
            self._passes()
        except _TooManyErrors as stop:      # at the first diagnostic not reported
            self.diags.append((*stop.args, f"too many errors ({MAX_ERRORS}); stopping here"))
        if self.diags:
            ordered = sorted(set(self.diags), key=lambda d: (d[0], d[1]))
            raise AsmError([f"{self.filename}:{line}:{col}: {msg}" for line, col, msg in ordered])
        symbols = {name: s.value for name, s in self.symbols.items()
                   if isinstance(s.value, int) and not isinstance(s.value, bool)}
        regions = {name: {"space": "core" if s.kind == "region" else "shared", "base": s.value,
                          "length": s.length}
                   for name, s in self.symbols.items() if s.kind in ("region", "sregion")}
        mcus = {name: s.value for name, s in self.symbols.items() if s.kind == "mcu"}
        tiles = [self._tile_image(t, symbols, regions, mcus) for t in range(self.max_tile + 1)]
        if len(tiles) == 1:
            return tiles[0]
        return NodeImage(config=self.config, tiles=tiles, symbols=symbols, source=self.text)

    def _tile_image(self, tile, symbols, regions, mcus):
        n = self.config.cores_per_tile
        units = range(tile * n, (tile + 1) * n)
        smem = self.tile_smem[tile]
        weights = {(g - tile * n, m): w for (g, m), w in self.weights.items() if g // n == tile}
        return ProgramImage(config=self.config, programs=[self.programs[g] for g in units],
                            rf_init=[self.rf[g] for g in units], xbar_in=[self.xin[g] for g in units],
                            xbar_out=[self.xout[g] for g in units], smem_init=smem.values,
                            smem_count=smem.count, smem_valid=smem.valid, weights=weights,
                            symbols=symbols, source=self.text, regions=regions, mcu_names=mcus,
                            check=self.check)

    def who(self, unit):
        """``'core 3'`` on tile 0, ``'tile 1 core 3'`` elsewhere (for messages)."""
        tile, core = divmod(unit, self.config.cores_per_tile)
        return f"core {core}" if tile == 0 else f"tile {tile} core {core}"

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
            except Fail as fail:
                self.error(*fail.args)
                word = 0 if kind in ("instr", ".word") else None
            except ExprError as fail:
                self.error(*fail.args)
                word = 0 if kind in ("instr", ".word") else None
            if word is not None:
                self.programs[core].append(word)

    # -- pass 1: labels, constants, sections -----------------------------------------------------

    def _collect(self, statements):
        core = 0            # the unit: tile * cores_per_tile + core
        counts = _PerKey(int)
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
                        fail_at(head, f"unknown directive {head.text!r}{suggest(name, DIRECTIVES)}"
                                       f" (directives: {', '.join(DIRECTIVES)})")
                    if stmt.broken and name != ".word":
                        continue
                    if name == ".core":
                        tile = core // self.config.cores_per_tile
                        core = tile * self.config.cores_per_tile + self._dir_core(stmt)
                    elif name == ".tile":
                        tile = self._dir_tile(stmt)
                        self.max_tile = max(self.max_tile, tile)
                        core = tile * self.config.cores_per_tile
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
            except Fail as fail:
                self.error(*fail.args)
            except ExprError as fail:
                self.error(*fail.args)
        return deferred

    def _count(self, stmt, core, counts, reported_full):
        if counts[core] >= self.config.imem_depth and core not in reported_full:
            reported_full.add(core)
            self.error(stmt.head.line, stmt.head.col,
                       f"{self.who(core)} program exceeds the instruction memory "
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
            raise Fail(where.line, col, f"{stmt.head.text} takes {want} operand"
                                         f"{'' if want == '1' else 's'} ({syntax}), not {n}")
        return stmt.operands

    def _name_operand(self, tokens):
        if len(tokens) != 1 or tokens[0].kind != "ident":
            fail_at(tokens[0], f"expected a name, not {span_text(tokens)!r}")
        return tokens[0]

    def _dir_core(self, stmt):
        (op,) = self._operands(stmt, DIRECTIVES[".core"], 1)
        return self._int(op, "core number", 0, self.config.cores_per_tile - 1,
                         hint=f" (cores_per_tile = {self.config.cores_per_tile})")

    def _dir_tile(self, stmt):
        (op,) = self._operands(stmt, DIRECTIVES[".tile"], 1)
        return self._int(op, "tile number", 0, self.config.tiles_per_node - 1,
                         hint=f" (tiles_per_node = {self.config.tiles_per_node})")

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
            fail_at(len_ops[0], f"region {name.text!r} ({base} .. {base + length - 1}) exceeds the "
                                 f"{space} (0 .. {size - 1})")
        self._define(name, kind, base, length=length)

    def _dir_region(self, stmt):
        self._region(stmt, "region", self.config.addr_space, "core address space")

    def _dir_sregion(self, stmt):
        self._region(stmt, "sregion", self.config.smem_user_depth, "shared memory")

def assemble(text, *, config, filename="<input>", base_dir=None):
    """Assemble ``text`` for ``config`` into a :class:`isa.image.ProgramImage` (or a
    :class:`isa.node_image.NodeImage` when it uses tiles other than 0).

    ``base_dir`` is the folder that the file names of ``.data_file``, ``.smem_file`` and
    ``.weights_file`` are relative to (default: the folder of ``filename``, or the current
    folder when ``filename`` is not a path, such as ``'<input>'``).

    Raises :class:`AsmError` listing every error as ``'filename:line:col: message'``.
    """
    return _Assembler(text, config, filename, base_dir).run()
