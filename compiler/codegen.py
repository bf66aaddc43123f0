"""Code generation: scheduled, allocated groups -> ISA instructions and commented assembly.

Instructions are built with :func:`isa.encoding.make` and encoded with
:func:`isa.encoding.encode` (which checks every field against the one ISA table). The same
instructions are also written as assembly text (``Instruction.text`` plus a comment), one
``.core`` section per core: that text assembles back to the same program words
(tests/compiler/test_codegen.py checks it).
"""

from __future__ import annotations

from panther.isa.disassembler import format_instruction
from panther.isa.encoding import encode, make

from .ir import MCU_OPS, Buf, Value

__all__ = ["address", "instruction", "emit_core"]


def address(ref, config):
    """Core operand address of a :class:`compiler.ir.Ref`."""
    base = ref.base
    if isinstance(base, Value):
        if base.addr is None:
            raise AssertionError(f"value {base!r} has no register")
        return base.addr + ref.offset
    if isinstance(base, Buf):
        start = config.xbar_in_base(base.mcu) if base.kind == "in" else config.xbar_out_base(base.mcu)
        return start + ref.offset
    raise TypeError(f"not a reference base: {base!r}")


def instruction(group, config, pointers=None):
    """The :class:`isa.encoding.Instruction` of one scheduled group. ``pointers`` maps the
    ``index`` of a rolled kernel's transfers to the address of its pointer register; a
    ``send``/``recv`` peer is a node-wide core number: ``tile * cores_per_tile + core``."""
    op = group[0]
    a = lambda ref: address(ref, config)   # noqa: E731
    if op.kind == "mcu":
        masks = {f"m{m}": 0 for m in range(6)}
        for o in group:
            for part in o.parts:
                masks[f"m{o.mcu}"] |= MCU_OPS[part]
        return make("mcu", **masks)
    if len(group) != 1:
        raise AssertionError("only mcu operations fuse")
    if op.kind in ("ld", "st") and op.transfer.index is not None:
        base = pointers[op.transfer.index]
        saddr = op.transfer.saddr + op.soffset
        if op.kind == "ld":
            return make("ldx", dst=a(op.dst), base=base, saddr=saddr, vw=op.dst.length)
        return make("stx", base=base, saddr=saddr, src=a(op.srcs[0]), vw=op.srcs[0].length,
                    count=op.transfer.count_for(op))
    if op.kind == "ld":
        return make("ld", dst=a(op.dst), saddr=op.transfer.saddr + op.soffset, vw=op.dst.length)
    if op.kind == "st":
        return make("st", saddr=op.transfer.saddr + op.soffset, src=a(op.srcs[0]),
                    vw=op.srcs[0].length, count=op.transfer.count_for(op))
    if op.kind in ("send", "recv"):
        tile, core = divmod(op.peer, config.cores_per_tile)
        if op.kind == "send":
            return make("send", tile=tile, core=core, src=a(op.srcs[0]), vw=op.srcs[0].length)
        return make("recv", dst=a(op.dst), tile=tile, core=core, vw=op.dst.length)
    if op.kind == "set":
        return make("set", dst=a(op.dst), imm=op.imm)
    if op.kind == "alu_int":
        return make("alu_int", fn=op.fn, dst=a(op.dst), src1=a(op.srcs[0]), src2=a(op.srcs[1]))
    if op.kind == "br":
        return make(op.fn, src1=a(op.srcs[0]), src2=a(op.srcs[1]), target=op.target)
    if op.kind == "cp":
        return make("cp", dst=a(op.dst), src=a(op.srcs[0]), vw=op.dst.length)
    if op.kind == "alu":
        src2 = a(op.srcs[1]) if len(op.srcs) > 1 else 0
        return make("alu", fn=op.fn, dst=a(op.dst), src1=a(op.srcs[0]), src2=src2, vw=op.dst.length)
    if op.kind == "alui":
        return make("alui", fn=op.fn, dst=a(op.dst), src1=a(op.srcs[0]), imm=op.imm, vw=op.dst.length)
    if op.kind == "crs":
        return make("crs", mask=op.mask)
    if op.kind == "hlt":
        return make("hlt")
    raise AssertionError(f"unknown op kind {op.kind!r}")


def _comment(group):
    parts = []
    for op in group:
        text = op.comment
        if op.kind in ("ld", "recv") and op.transfer is not None:
            text = f"{text} <- {op.transfer.name}" if text and op.transfer.name not in text \
                else (text or op.transfer.name)
        if op.kind in ("st", "send") and op.transfer is not None and not text:
            text = op.transfer.name
        if op.dst is not None and isinstance(op.dst.base, Value) and op.kind in ("alu", "alui", "cp"):
            text = f"{op.dst.base.name}" + (f": {text}" if text else "")
        if text:
            parts.append(text)
    if len(group) > 1:
        return f"fused {len(group)}: " + "; ".join(parts)
    return "; ".join(parts)


def emit_core(groups, config, pointers=None, labels=None):
    """``(words, lines)`` of one core: 64-bit instruction words and commented assembly.

    ``labels`` maps instruction indices to label names (written before the instruction and
    used for branch targets in the text)."""
    words, lines = [], []
    labels = labels or {}
    for index, group in enumerate(groups):
        instr = instruction(group, config, pointers)
        words.append(encode(instr))
        text = format_instruction(instr, config=config, target_names=labels).split("  #")[0]
        comment = _comment(group)
        if index in labels:
            lines.append(f"{labels[index]}:")
        lines.append(f"        {text:<36}# {index:4d}" + (f"  {comment}" if comment else ""))
    return words, lines
