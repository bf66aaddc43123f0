"""Register allocation: each value gets ``length`` consecutive register-file words, with
spilling to shared memory when the register file is full.

A linear scan over the scheduled instructions of one core: a value lives from the
instruction that defines it to its last use, and its words are free again *at* its last use
(every vector instruction reads all its operands before it writes, so a result may overlap
an operand that dies there). Placement is first fit.

When a value does not fit, the live value (not used by the instruction at hand) whose next
use is farthest away is **spilled**: a ``st`` to a spill slot is inserted before the
instruction and a ``ld`` into a fresh value before its next use, whose later uses read the
reloaded value; then the scan starts again. Spill slots are transfers of the core to itself
(count 1), so they need no synchronisation with other cores; :func:`place_spills` gives
them shared-memory words above the kernel's other transfers. A value that cannot fit even
after every possible spill is a :class:`CompileError` naming the live words.
"""

from __future__ import annotations

from .errors import CompileError
from .ir import Op, Ref, Transfer, Value

__all__ = ["allocate_registers", "place_spills"]


def _uses(group):
    return [ref.base for op in group for ref in op.srcs if isinstance(ref.base, Value)]


def _defs(group):
    return [op.dst.base for op in group if op.dst is not None and isinstance(op.dst.base, Value)]


def _scan(groups, rf_depth, low):
    """Assign addresses; returns ``(peak, None)`` or ``(position, value)`` of a failure."""
    first, last = {}, {}
    for pos, group in enumerate(groups):
        for value in _defs(group) + _uses(group):
            first.setdefault(value.id, (pos, value))
            last[value.id] = pos
    starts = {}
    for pos, value in first.values():
        starts.setdefault(pos, []).append(value)
    live, peak = {}, low    # value id -> (addr, length, end, value)
    for pos in range(len(groups)):
        for vid in [v for v, e in live.items() if e[2] <= pos]:
            del live[vid]
        for value in starts.get(pos, ()):
            addr = low
            for a, n, _, _ in sorted(live.values(), key=lambda e: e[0]):
                if addr + value.length <= a:
                    break
                addr = max(addr, a + n)
            if addr + value.length > rf_depth:
                return pos, (value, live)
            value.addr = addr
            end = last[value.id]
            live[value.id] = (addr, value.length, end if end > pos else pos + 1, value)
            peak = max(peak, addr + value.length)
    return peak, None


def _spill(groups, pos, victim, core, spills):
    """Insert a store of ``victim`` before ``pos`` and a reload before its next use."""
    nxt = next(p for p in range(pos, len(groups)) if victim in _uses(groups[p]))
    slot = Transfer(victim.length, f"spill {victim.name}")
    spills.append(slot)
    reloaded = Value(core, victim.length, f"{victim.name}.r")
    whole = Ref(victim, 0, victim.length)
    store = Op("st", core, srcs=(whole,), transfer=slot, comment=f"spill {victim.name}")
    load = Op("ld", core, dst=Ref(reloaded, 0, victim.length), transfer=slot,
              comment=f"reload {victim.name}")
    slot.store, slot.loads = store, [load]
    for group in groups[nxt:]:
        for op in group:
            op.srcs = tuple(Ref(reloaded, r.offset, r.length) if r.base is victim else r
                            for r in op.srcs)
            if op.dst is not None and op.dst.base is victim:     # an in-place update
                op.dst = Ref(reloaded, op.dst.offset, op.dst.length)
    groups.insert(nxt, [load])
    groups.insert(pos, [store])


def allocate_registers(groups, *, core, rf_depth, spills=None, low=0):
    """Set ``Value.addr`` for every value of one core's schedule (``groups`` may gain spill
    stores and reloads); returns the peak words. Spill transfers are appended to ``spills``.
    Words below ``low`` are reserved (the loop registers of a rolled kernel)."""
    spills = [] if spills is None else spills
    for pos, group in enumerate(groups):
        needed = {id(v): v.length for v in _uses(group)}
        if sum(needed.values()) > rf_depth - low:
            raise CompileError(f"core {core}: instruction {pos} reads {sum(needed.values())} "
                               f"register words at once, rf_depth is {rf_depth}"
                               + (f" ({low} reserved for the loop)" if low else ""))
    for _ in range(4 * len(groups) + 16):
        result, failure = _scan(groups, rf_depth, low)
        if failure is None:
            return result
        value, live = failure
        pos = result
        used_here = set(id(v) for v in _uses(groups[pos]) + _defs(groups[pos]))
        candidates = []
        for _addr, length, end, v in live.values():
            if id(v) in used_here or end <= pos:
                continue
            if any(v in _defs(groups[p]) for p in range(pos, end + 1)):
                continue        # written again later (a reduction's scratch): not spillable
            nxt = next((p for p in range(pos, len(groups)) if v in _uses(groups[p])), None)
            if nxt is not None:
                candidates.append((nxt, length, v))
        if not candidates:
            used = sum(e[1] for e in live.values())
            raise CompileError(
                f"core {core}: the register file overflows at instruction {pos}: {used} words "
                f"are live there and {value.name} needs {value.length} more, rf_depth is "
                f"{rf_depth}, and no live value can be spilled (lower the batch)")
        _, _, victim = max(candidates, key=lambda c: (c[0], c[1]))
        _spill(groups, pos, victim, core, spills)
    raise CompileError(f"core {core}: register allocation did not converge: rf_depth "
                       f"{rf_depth} is too small for this kernel even with spilling")


def place_spills(spills_per_core, base, config):
    """Shared-memory words for the spill slots, above ``base``; returns the new top.

    Slots of one core reuse words once the previous slot's reload is done (the core stores
    and reloads in program order); cores get disjoint areas.
    """
    top = base
    for slots, groups in spills_per_core:
        position = {id(op): pos for pos, group in enumerate(groups) for op in group}
        live, area = [], top
        for slot in sorted(slots, key=lambda s: position[id(s.store)]):
            start, end = position[id(slot.store)], position[id(slot.loads[0])]
            live = [e for e in live if e[2] >= start]
            addr = area
            for a, n, _ in sorted(live):
                if addr + slot.length <= a:
                    break
                addr = max(addr, a + n)
            slot.saddr = addr
            live.append((addr, slot.length, end))
            top = max(top, addr + slot.length)
    if top > config.smem_user_depth:
        raise CompileError(f"the kernel needs {top} shared-memory words with its register "
                           f"spills; smem_user_depth is {config.smem_user_depth}")
    return top
