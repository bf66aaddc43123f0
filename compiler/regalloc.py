"""Register allocation: each value gets ``length`` consecutive register-file words.

A linear scan over the scheduled instructions of one core: a value lives from the
instruction that defines it to its last use, and its words are free again *at* its last use
(every vector instruction reads all its operands before it writes, so a result may overlap
an operand that dies there). Placement is first fit. When the live values of some
instruction need more than ``config.rf_depth`` words the compile fails with a message that
says how many words were live there (spilling to shared memory is a later step).
"""

from __future__ import annotations

from .errors import CompileError
from .ir import Value

__all__ = ["allocate_registers"]


def _values(group):
    for op in group:
        for ref in op.srcs:
            if isinstance(ref.base, Value):
                yield "use", ref.base
        if op.dst is not None and isinstance(ref_base := op.dst.base, Value):
            yield "def", ref_base


def allocate_registers(groups, *, core, rf_depth):
    """Set ``Value.addr`` for every value of one core's schedule; returns the peak words."""
    first, last = {}, {}
    for pos, group in enumerate(groups):
        for kind, value in _values(group):
            first.setdefault(value.id, (pos, value))
            last[value.id] = pos
    starts = {}
    for vid, (pos, value) in first.items():
        starts.setdefault(pos, []).append(value)
    live = {}     # value id -> (addr, length, last)
    peak = 0
    for pos in range(len(groups)):
        for vid in [v for v, (_, _, end) in live.items() if end <= pos]:
            del live[vid]
        for value in starts.get(pos, ()):
            addr = 0
            for a, n, _ in sorted(live.values()):
                if addr + value.length <= a:
                    break
                addr = max(addr, a + n)
            if addr + value.length > rf_depth:
                used = sum(n for _, n, _ in live.values())
                raise CompileError(
                    f"core {core}: the register file overflows at instruction {pos}: "
                    f"{used} words are live and {value.name} needs {value.length} more, "
                    f"rf_depth is {rf_depth} (spilling to shared memory is not supported "
                    "yet; lower the batch)")
            value.addr = addr
            end = last[value.id]
            live[value.id] = (addr, value.length, end if end > pos else pos + 1)
            peak = max(peak, addr + value.length)
    return peak
