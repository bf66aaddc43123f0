"""Data directives of the assembler: ``.data``, ``.smem`` and ``.weights``."""

from __future__ import annotations

import numpy as np

from panther.fixed_point import to_fixed

from .asm_values import DIRECTIVES, fail_at
from .table import BY_MNEMONIC

__all__ = ["DataMixin"]


class DataMixin:
    """``_dir_data``, ``_dir_smem`` and ``_dir_weights`` (builds on
    :class:`isa.asm_values.ValueMixin`; fills the initial memories of
    :class:`isa.assembler._Assembler`)."""

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
                fail_at(tokens[0], f"{self.who(core)} address {a} already initialised at line {prev}")
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
        tile = core // self.config.cores_per_tile
        smem = self.tile_smem[tile]
        where = f" of tile {tile}" if tile else ""
        for i, tokens in enumerate(values):
            a = saddr + i
            raw = self._data(tokens)
            prev = smem.lines.get(a)
            if prev is not None:
                fail_at(tokens[0], f"shared address {a}{where} already initialised at line {prev}")
            smem.lines[a] = tokens[0].line
            smem.values[a] = raw
            smem.count[a] = count
            smem.valid[a] = True

    def _dir_weights(self, stmt, core):
        ops = self._operands(stmt, DIRECTIVES[".weights"], 3, 10**9)
        c = self.config
        m = self._mcu_index(ops[0])
        row = self._int(ops[1], "crossbar row", 0, c.xbar_size - 1)
        values = ops[2:]
        room = (c.xbar_size - row) * c.xbar_size
        if len(values) > room:
            fail_at(values[room][0], f"too many weights: {len(values)} values from row {row} exceed the "
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
                fail_at(tokens[0], f"weight [{i}, {j}] of MCU {m} on {self.who(core)} already set at "
                                    f"line {lines[i, j]}")
            lines[i, j] = tokens[0].line
            w[i, j] = raw
