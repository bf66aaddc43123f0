"""Shared-memory allocation of the transfers, with reuse, below ``config.smem_user_depth``.

A transfer occupies its words from its ``st`` to its last ``ld`` in the global order of
:mod:`compiler.lower`. A word is given to a new transfer only when every load of the old one
comes earlier in that order. Each core keeps the relative order of its ``ld``/``st``
(:mod:`compiler.fusion` chains them), so every core meets its shared-memory operations in an
order consistent with one sequential execution, and the valid/count protocol cannot
deadlock: the earliest blocked operation would always be able to proceed.

Reuse must also keep a consumer from loading the *previous* value of a word that is still
valid, and two producers from racing for a word that just became free: words are therefore
reused only among transfers with the same producer core and all their loads on one and the
same consumer core (the producer stores, and the consumer loads, in program order, and each
``st`` waits until the previous value is consumed). A vector read by several cores gets
words of its own. In a rolled kernel every transfer of the loop body is reused by the same
transfer of the next iteration, so the lowering gives each consumer core its own transfer.
"""

from __future__ import annotations

from .errors import CompileError

__all__ = ["allocate"]

MAX_COUNT = 255


def allocate(transfers, layout, config, *, rolled=False):
    """Give every dynamic transfer an address; returns the words used (fixed and dynamic).

    ``rolled``: the transfers are the body of a loop and every iteration reuses their words,
    so each must have a single consumer core (the lowering splits the others)."""
    entries = []   # (addr, length, end, pool)
    top = layout.dynamic
    pending = []
    for t in transfers:
        if t.persistent or t.noc:
            continue
        if t.count > MAX_COUNT:
            raise CompileError(f"transfer {t.name} has {t.count} consumers; a store counts at "
                               f"most {MAX_COUNT}")
        if t.saddr is None:
            if t.store is None or not t.loads:
                raise AssertionError(f"transfer {t.name} without a store or loads")
            cores, producers = {op.core for op in t.loads}, t.producers
            pool = ((producers.pop(), cores.pop()) if t.reusable and len(cores) == 1
                    and len(producers) == 1 else None)
            if rolled and pool is None:
                raise AssertionError(f"transfer {t.name} of a loop body has several consumer cores")
            pending.append((t.store.gidx, max(op.gidx for op in t.loads), pool, t))
    for start, end, pool, t in sorted(pending, key=lambda e: e[0]):
        blocked = sorted((a, n) for a, n, e, p in entries
                         if e >= start or p is None or p != pool)
        addr = layout.dynamic
        for a, n in blocked:
            if addr + t.length <= a:
                break
            addr = max(addr, a + n)
        t.saddr = addr
        entries.append((addr, t.length, end, pool))
        top = max(top, addr + t.length)
    if top > config.smem_user_depth:
        raise CompileError(f"the kernel needs {top} shared-memory words (samples, targets, "
                           f"outputs: {layout.dynamic}; transfers at peak: {top - layout.dynamic}); "
                           f"smem_user_depth is {config.smem_user_depth} (smem_depth "
                           f"{config.smem_depth} minus the OPA region); lower the batch")
    return top
