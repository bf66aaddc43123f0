"""Instructions of the assembler: one statement -> the operands of one encoded word."""

from __future__ import annotations

import difflib

from .asm_expr import describe_value as _show
from .asm_values import DIRECTIVES, MCU_OP_NAMES, MNEMONICS, Fail, fail_at, span_text, suggest
from .encoding import IllegalInstruction, Instruction, encode
from .table import ALU_BY_NAME, ALU_INT_BY_NAME, BY_MNEMONIC, COND_BY_NAME, SNA_SHIFT_BITS

__all__ = ["InstructionMixin"]


class InstructionMixin:
    """``_instruction(stmt, core) -> word`` and one ``_op_<mnemonic>`` per instruction
    (builds on :class:`isa.asm_values.ValueMixin`)."""

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
            fail_at(head, f"unknown mnemonic {head.text!r}{hint}")
        return self._encode(head, name, **getattr(self, "_op_" + name)(stmt, core))

    def _encode(self, head, mnemonic, **operands):
        try:
            return encode(Instruction(mnemonic, operands))
        except IllegalInstruction as error:  # pragma: no cover - operands are range-checked first
            fail_at(head, str(error))

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
        return {"saddr": self._address(ops[0], "saddr", w, shared=True),
                "src": self._address(ops[1], "src", w), "vw": w,
                "count": self._store_count("st", ops, 3)}

    def _base(self, tokens):
        """The base register of ldx/stx: a core address that fits the 6-bit field."""
        value = self._address(tokens, "base", 1)
        high = BY_MNEMONIC["ldx"].field("base").value_range[1]
        if value > high:
            fail_at(tokens[0], f"base address {value} outside 0 .. {high}: the base register of "
                                "ldx/stx is one of the first 64 operand words")
        return value

    def _op_ldx(self, stmt, core):
        dst, base, saddr, vw = self._operands(stmt, "dst, base, saddr, vw", 4)
        w = self._vw(vw)
        return {"dst": self._address(dst, "dst", w), "base": self._base(base),
                "saddr": self._address(saddr, "saddr", w, shared=True), "vw": w}

    def _op_stx(self, stmt, core):
        ops = self._operands(stmt, "base, saddr, src, vw[, count]", 4, 5)
        w = self._vw(ops[3])
        return {"base": self._base(ops[0]), "saddr": self._address(ops[1], "saddr", w, shared=True),
                "src": self._address(ops[2], "src", w), "vw": w,
                "count": self._store_count("stx", ops, 4)}

    def _store_count(self, mnemonic, ops, index):
        """The optional store count of ``st``/``stx`` (operand ``index``; default 1)."""
        if len(ops) <= index:
            return 1
        low, high = BY_MNEMONIC[mnemonic].field("count").value_range
        return self._int(ops[index], "store count", low, high)

    def _fn_operands(self, stmt):
        """Operands of alu/alui/alu_int with the function split off (``alu add, ...`` or
        ``alu add ...``)."""
        ops = list(stmt.operands)
        if not ops:
            raise Fail(stmt.head.line, stmt.end_col, f"{stmt.head.text} needs a function name first")
        first = ops[0]
        if len(first) > 1 and first[0].kind == "ident" and not (first[1].kind == "op" and first[1].text != "("):
            ops = [first[:1], first[1:]] + ops[1:]
        return ops[0], ops[1:]

    def _func(self, tokens, mnemonic):
        table = ALU_INT_BY_NAME if mnemonic == "alu_int" else ALU_BY_NAME
        if len(tokens) != 1 or tokens[0].kind != "ident":
            fail_at(tokens[0], f"expected a {mnemonic} function name, not {span_text(tokens)!r}")
        name = tokens[0].text.lower()
        spec = table.get(name)
        if spec is None:
            fail_at(tokens[0], f"unknown {mnemonic} function {tokens[0].text!r}"
                                f"{suggest(name, table) or '; expected one of ' + ', '.join(table)}")
        if spec.imm_only and mnemonic != "alui":
            fail_at(tokens[0], f"function {name!r} exists only as 'alui {name}, dst, src, shift, vw'")
        return spec

    def _check_count(self, stmt, ops, syntax, low, high):
        n = len(ops)
        if not low <= n <= high:
            want = f"{low}" if low == high else f"{low} or {high}"
            where = ops[high][0] if n > high else None
            raise Fail(where.line if where else stmt.head.line, where.col if where else stmt.end_col,
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
                fail_at(tok, f"label {tok.text!r} belongs to {self.who(sym.core)}, not "
                             f"{self.who(core)}")
        if not isinstance(value, int):
            fail_at(tokens[0], f"branch target must be an integer, not {value!r}")
        if not 0 <= value < self.config.imem_depth:
            fail_at(tokens[0], f"branch target {_show(value)} outside the instruction memory "
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
            fail_at(bad[0], "mcu operands must all be positional masks or all 'MCU:ops' pairs, "
                             "not a mix")
        if any(symbolic):
            seen = {}
            for op in ops:
                cut = next(i for i, t in enumerate(op) if t.kind == "op" and t.text == ":")
                if cut == 0 or cut == len(op) - 1:
                    fail_at(op[min(cut, len(op) - 1)], "expected 'MCU:ops' such as '0:mvm|opa'")
                m = self._mcu_index(op[:cut])
                if m in seen:
                    fail_at(op[0], f"MCU {m} named twice in one mcu instruction (first at column {seen[m]})")
                seen[m] = op[0].col
                masks[m] = self._mask_value(op[cut + 1:])
        else:
            for m, op in enumerate(ops):
                masks[m] = self._mask_value(op)
                if masks[m] and m >= n_mcus:
                    fail_at(op[0], f"mask for MCU {m} must be 0: this configuration has "
                                    f"{n_mcus} MCU{'s' if n_mcus > 1 else ''} per core (mcus_per_core)")
        return {f"m{m}": masks[m] for m in range(6)}

    def _mask_value(self, tokens):
        value = self._value(tokens, extra=MCU_OP_NAMES)
        if not isinstance(value, int) or not 0 <= value <= 7:
            fail_at(tokens[0], f"mcu mask must be 0 .. 7 (bit 0 = mvm, bit 1 = mtvm, bit 2 = opa) "
                                f"or names like mvm|opa, not {_show(value)}")
        return value

    def _op_crs(self, stmt, core):
        (op,) = self._operands(stmt, "mask (bit m = MCU m)", 1)
        mask = self._int(op, "crs mask", 0, 63)
        n_mcus = self.config.mcus_per_core
        if mask >> n_mcus:
            fail_at(op[0], f"crs mask {mask:#b} names an MCU >= {n_mcus} (mcus_per_core)")
        return {"mask": mask}

    def _peer(self, tile_tokens, core_tokens):
        """The checked ``tile`` and ``core`` operands of ``send``/``recv``."""
        c = self.config
        return {"tile": self._int(tile_tokens, "tile", 0, c.tiles_per_node - 1,
                                  hint=f" (tiles_per_node = {c.tiles_per_node})"),
                "core": self._int(core_tokens, "core", 0, c.cores_per_tile - 1,
                                  hint=f" (cores_per_tile = {c.cores_per_tile})")}

    def _op_send(self, stmt, core):
        tile, peer, src, vw = self._operands(stmt, "tile, core, src, vw", 4)
        w = self._vw(vw)
        return {**self._peer(tile, peer), "src": self._address(src, "src", w), "vw": w}

    def _op_recv(self, stmt, core):
        dst, tile, peer, vw = self._operands(stmt, "dst, tile, core, vw", 4)
        w = self._vw(vw)
        return {"dst": self._address(dst, "dst", w), **self._peer(tile, peer), "vw": w}

    def _word(self, stmt):
        (op,) = self._operands(stmt, DIRECTIVES[".word"], 1)
        return self._int(op, "instruction word", 0, (1 << 64) - 1)
