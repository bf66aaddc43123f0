"""Local clean-ups of each core's operation sequence, before scheduling.

* :func:`elide_reloads`: a ``cp``, ``ld`` or ``set`` into an XBar buffer that already holds
  the same words is dropped. In SGD this removes the reload of a layer's input (and of its
  bias input 1.0) before its OPA (the XBarIn still holds it from the forward MVM). A buffer
  filled from a value holds it until the next write of that buffer or of the value (most
  values are defined once; a reduction's scratch vector is written piecewise); a second load
  of the same transfer into the same buffer is dropped too (one consumer fewer).
* :func:`retarget_defs`: a value (defined once) whose only use is to be copied into an XBar
  buffer is computed (or loaded) straight into that buffer, when no operation in between
  touches it.
"""

from __future__ import annotations

from .ir import Buf, Value

__all__ = ["elide_reloads", "retarget_defs"]


def _content_key(op):
    """What ``op`` leaves in its destination buffer, or None: ``(offset, length, source)``."""
    if op.dst is None or not isinstance(op.dst.base, Buf):
        return None
    if op.kind == "cp" and isinstance(op.srcs[0].base, Value):
        src = op.srcs[0]
        return (op.dst.offset, op.dst.length, ("v", src.base.id, src.offset, src.length))
    if op.kind == "ld":
        return (op.dst.offset, op.dst.length, ("t", op.transfer.id, op.soffset))
    if op.kind == "set":
        return (op.dst.offset, 1, ("set", op.imm))
    return None


def elide_reloads(ops):
    """``ops`` of one core in program order -> the list without redundant buffer loads.

    Each buffer's known content is a set of pieces ``(offset, length, source)``; a write with
    a known source replaces the pieces it overlaps, any other write forgets the buffer, and a
    write to a value forgets the pieces copied from it (a value written piecewise, as a
    reduction's scratch vector, is not the same value afterwards)."""
    content = {}
    out = []
    for op in ops:
        key = _content_key(op)
        loc = op.dst.loc if key is not None else None
        if key is not None and key in content.get(loc, ()):
            if op.kind == "ld":
                op.transfer.loads.remove(op)
            continue
        for written in op.writes():
            if written[0] == "v":
                for buf, pieces in content.items():
                    content[buf] = {p for p in pieces if p[2][:2] != written}
            elif key is None or written != loc:
                content.pop(written, None)
        if key is not None:
            start, end = key[0], key[0] + key[1]
            kept = {p for p in content.get(loc, ()) if p[0] + p[1] <= start or p[0] >= end}
            content[loc] = kept | {key}
        out.append(op)
    return out


def retarget_defs(ops):
    """``ops`` of one core in program order -> the list with copies into buffers folded."""
    uses, where, defs = {}, {}, {}
    for index, op in enumerate(ops):
        for src in op.srcs:
            if isinstance(src.base, Value):
                uses[src.base.id] = uses.get(src.base.id, 0) + 1
        if op.dst is not None and isinstance(op.dst.base, Value):
            where[op.dst.base.id] = index
            defs[op.dst.base.id] = defs.get(op.dst.base.id, 0) + 1
    drop = set()
    for index, op in enumerate(ops):
        if op.kind != "cp" or not isinstance(op.dst.base, Buf):
            continue
        src = op.srcs[0]
        if not (src.whole() and uses.get(src.base.id) == 1 and defs.get(src.base.id) == 1):
            continue
        d_index = where[src.base.id]
        definer = ops[d_index]
        if definer.kind not in ("alu", "alui", "cp", "ld", "recv") or d_index in drop:
            continue
        loc = op.dst.loc
        between = ops[d_index + 1:index]
        if any(loc in o.reads() or loc in o.writes() for o in between):
            continue
        definer.dst = op.dst
        if op.comment and not definer.comment:
            definer.comment = op.comment
        drop.add(index)
    return [op for index, op in enumerate(ops) if index not in drop]
