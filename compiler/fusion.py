"""Scheduling and the fusion pass (paper §5.3): independent MCU operations -> one ``mcu``.

Each core's operations form a dependence graph over locations (values, XBar buffers, the
deferred weight updates of an MCU, and shared memory, which keeps every core's ``ld``/``st``
in their original order). A list scheduler emits them in original order where it can, but
holds an MCU operation back in an open group while independent non-MCU work is ready, and
adds to the group every ready MCU operation that

* is on another MCU, or is another operation type on the same MCU, and
* depends on the group's operations at most by a write-after-read (the ``mcu`` instruction
  reads all its operands before any operation writes, docs/semantics.md §4), never by a
  read-after-write or a write-after-write.

When no operation can be added or hoisted, the group is emitted as one ``mcu`` instruction.
Every fused group introduces new dependences (everything after waits for the whole group),
which is why the pass works iteratively, one group at a time, on the live graph.
"""

from __future__ import annotations

import heapq

__all__ = ["dependences", "schedule"]

RAW, WAR, WAW = "raw", "war", "waw"


def dependences(ops):
    """``preds[i] = {j: set of kinds}`` for ops of one core in program order."""
    preds = [dict() for _ in ops]
    last_write, readers = {}, {}
    for i, op in enumerate(ops):
        reads, writes = op.reads(), op.writes()
        if op.kind in ("hlt", "crs"):
            for j in range(i):
                preds[i].setdefault(j, set()).add(RAW)
            continue
        for loc in reads:
            if loc in last_write:
                preds[i].setdefault(last_write[loc], set()).add(RAW)
        for loc in writes:
            if loc in last_write:
                preds[i].setdefault(last_write[loc], set()).add(WAW)
            for j in readers.get(loc, ()):
                if j != i:
                    preds[i].setdefault(j, set()).add(WAR)
        for loc in reads:
            readers.setdefault(loc, []).append(i)
        for loc in writes:
            last_write[loc] = i
            readers[loc] = []
    return preds


def schedule(ops):
    """Per-core order with fusion: a list of groups (lists of ops); a group of several ops
    is one fused ``mcu`` instruction."""
    n = len(ops)
    preds = dependences(ops)
    succs = [[] for _ in ops]
    for i, p in enumerate(preds):
        for j in p:
            succs[j].append(i)
    unemitted = [len(p) for p in preds]   # predecessors not yet emitted
    blocking = list(unemitted)             # ... and not in the open group
    ready = [i for i in range(n) if not unemitted[i]]
    heapq.heapify(ready)
    joinable = set()                       # MCU ops whose only open predecessors are in the group
    group, in_group, slots = [], set(), set()
    done = [False] * n
    out = []

    def release(i):
        for s in succs[i]:
            unemitted[s] -= 1
            if not unemitted[s]:
                heapq.heappush(ready, s)

    def emit(i):
        done[i] = True
        for s in succs[i]:
            blocking[s] -= 1
            if not blocking[s] and group and ops[s].kind == "mcu":
                joinable.add(s)
        release(i)
        out.append([ops[i]])

    def flush():
        for i in group:
            done[i] = True
            release(i)
        out.append([ops[i] for i in sorted(group)])
        group.clear()
        in_group.clear()
        slots.clear()
        joinable.clear()

    def can_join(i):
        op = ops[i]
        if done[i] or i in in_group or op.kind != "mcu":
            return False
        if any((op.mcu, part) in slots for part in op.parts):
            return False
        return all(j in in_group and preds[i][j] == {WAR} for j in preds[i] if not done[j])

    def join(i):
        group.append(i)
        in_group.add(i)
        slots.update((ops[i].mcu, part) for part in ops[i].parts)
        joinable.discard(i)
        for s in succs[i]:
            blocking[s] -= 1
            if not blocking[s] and ops[s].kind == "mcu" and not done[s]:
                joinable.add(s)

    finished = 0
    while finished < n:
        while ready and (done[ready[0]] or ready[0] in in_group):
            heapq.heappop(ready)
        best = min((i for i in joinable if can_join(i)), default=None)
        if ready and (best is None or ready[0] < best):
            best = ready[0]
        if best is None:
            if not group:
                raise AssertionError("scheduler: no ready operation (cyclic dependences)")
            finished += len(group)
            flush()
            continue
        if ops[best].kind == "mcu":
            if not can_join(best):
                finished += len(group)
                flush()
                continue
            if ready and ready[0] == best:
                heapq.heappop(ready)
            join(best)
        else:
            heapq.heappop(ready)
            emit(best)
            finished += 1
        if group and finished + len(group) == n:
            finished += len(group)
            flush()
    return out
