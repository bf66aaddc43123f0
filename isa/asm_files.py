"""Directives of the assembler that bring numpy arrays and a reference check into a program:
``.data_file``, ``.smem_file``, ``.weights_file`` and ``.check``.

File names are double-quoted strings, relative to the folder of the source file (the
current folder for text without a file). The conversion rules are those of
:mod:`isa.arrays`: floating-point arrays are real values, integer arrays raw words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .arrays import ArrayError, data_words, read_array, weight_words
from .asm_values import DIRECTIVES, fail_at, span_text, suggest
from .table import BY_MNEMONIC

__all__ = ["FileDataMixin"]


class FileDataMixin:
    """``_dir_data_file``, ``_dir_smem_file``, ``_dir_weights_file`` and ``_dir_check``
    (builds on :class:`isa.asm_values.ValueMixin` and :class:`isa.asm_data.DataMixin`; needs
    ``base_dir`` and ``check`` of :class:`isa.assembler._Assembler`)."""

    def _string(self, tokens, what):
        if len(tokens) != 1 or tokens[0].kind != "string":
            fail_at(tokens[0], f"expected {what} as a double-quoted string, not "
                               f"{span_text(tokens)!r}")
        return tokens[0]

    def _array_operand(self, ops):
        """The array named by a file operand and an optional key operand."""
        file_tok = self._string(ops[0], "a .npy or .npz file name")
        key = self._string(ops[1], "the name of an array in the .npz file").value \
            if len(ops) > 1 else None
        path = Path(file_tok.value)
        if not path.is_absolute():
            path = self.base_dir / path
        try:
            return read_array(path, key), f"{file_tok.value}" + (f"[{key!r}]" if key else "")
        except ArrayError as error:
            fail_at(file_tok, str(error))

    def _words(self, tok, convert, *args, **kwargs):
        try:
            return convert(*args, **kwargs)
        except ArrayError as error:
            fail_at(tok, str(error))

    def _dir_data_file(self, stmt, core):
        ops = self._operands(stmt, DIRECTIVES[".data_file"], 2, 3)
        array, where = self._array_operand(ops[1:])
        raw = self._words(ops[1][0], data_words, array, self.config, where=where)
        addr = self._address(ops[0], ".data_file", max(1, raw.size))
        c = self.config
        for i, value in enumerate(raw.tolist()):
            a = addr + i
            prev = self.core_init_lines.get((core, a))
            if prev is not None:
                fail_at(ops[1][0], f"{self.who(core)} address {a} already initialised at line {prev}")
            self.core_init_lines[(core, a)] = ops[1][0].line
            if a < c.rf_depth:
                self.rf[core][a] = value
            else:
                m, offset = divmod(a - c.rf_depth, 2 * c.xbar_size)
                if offset < c.xbar_size:
                    self.xin[core][m, offset] = value
                else:
                    self.xout[core][m, offset - c.xbar_size] = value

    def _dir_smem_file(self, stmt, core):
        ops = self._operands(stmt, DIRECTIVES[".smem_file"], 3, 4)
        array, where = self._array_operand(ops[2:])
        raw = self._words(ops[2][0], data_words, array, self.config, where=where)
        saddr = self._address(ops[0], ".smem_file", max(1, raw.size), shared=True)
        _, high = BY_MNEMONIC["st"].field("count").value_range
        count = self._int(ops[1], "consumer count", 0, high, hint=" (0 = persistent)")
        span = slice(saddr, saddr + raw.size)
        tile = core // self.config.cores_per_tile
        smem = self.tile_smem[tile]
        where = f" of tile {tile}" if tile else ""
        for a in range(span.start, span.stop):
            prev = smem.lines.get(a)
            if prev is not None:
                fail_at(ops[2][0], f"shared address {a}{where} already initialised at line {prev}")
            smem.lines[a] = ops[2][0].line
        smem.values[span] = raw
        smem.count[span] = count
        smem.valid[span] = True

    def _dir_weights_file(self, stmt, core):
        ops = self._operands(stmt, DIRECTIVES[".weights_file"], 2, 3)
        c = self.config
        m = self._mcu_index(ops[0])
        array, where = self._array_operand(ops[1:])
        raw = self._words(ops[1][0], weight_words, array, c, where=where)
        rows, cols = raw.shape
        w = self.weights.setdefault((core, m), np.zeros((c.xbar_size, c.xbar_size), np.int64))
        lines = self.weight_lines.setdefault((core, m), np.zeros((c.xbar_size, c.xbar_size),
                                                                  np.int64))
        taken = np.argwhere(lines[:rows, :cols] != 0)
        if taken.size:
            i, j = (int(v) for v in taken[0])
            fail_at(ops[1][0], f"weight [{i}, {j}] of MCU {m} on core {core} already set at "
                               f"line {lines[i, j]}")
        lines[:rows, :cols] = ops[1][0].line
        w[:rows, :cols] = raw

    def _dir_check(self, stmt, core):
        from .golden.reference import CHECKS

        (op,) = self._operands(stmt, DIRECTIVES[".check"], 1)
        if len(op) != 1 or op[0].kind != "ident":
            fail_at(op[0], f"expected the name of a reference check, not {span_text(op)!r}")
        name = op[0].text
        if name not in CHECKS:
            fail_at(op[0], f"unknown reference check {name!r}{suggest(name, CHECKS)} "
                           f"(checks: {', '.join(sorted(CHECKS))})")
        if self.check is not None and self.check != name:
            fail_at(op[0], f"a second reference check {name!r}; the program already names "
                           f"{self.check!r}")
        self.check = name
