"""Event-driven timing of a recorded golden run (:mod:`apps.evaluation.trace`).

Each core executes its retired instructions in order, one at a time (the core stalls on a
multi-cycle instruction, as the RTL and PUMA's core do); cores run in parallel. A word of a
``ld`` waits for the store that produced it, a word of a ``st`` for the load that freed the
word it overwrites (the valid/count protocol of docs/semantics.md §6), and every word takes a
slot of the tile's one shared-memory port. Matrix operations take the times of a
:class:`~apps.evaluation.latency.McuTiming`: MVM and MTVM of one request together where the
architecture has two copies, OPAs deferred to ``hlt`` (variants 1-2: replayed one after the
other at the end of the batch, paper §7.5) or eager, CRS at ``hlt`` or at once, the variant-3
commit at ``hlt``.

The pass follows the golden model's global order of events, in which every dependence
points backwards, so it is a single linear pass; only the port reservation looks at times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from panther.isa import variants
from panther.isa.table import MCU_OPS

__all__ = ["Schedule", "schedule"]

_OPA = dict(MCU_OPS)["opa"]


@dataclass
class Schedule:
    """Times of one run under one latency profile.

    Members
    -------
    unit : str
        ``'ns'`` or ``'cycles'``.
    makespan : float
        Time until the last core halted.
    core_end : list of float
        Per core, the time its ``hlt`` completed.
    busy : dict
        Time per activity summed over cores (``mcu``, ``hlt``, ``smem``, ``smem_wait``,
        ``vfu``, ``other``): where the time goes, not a critical path.
    """

    unit: str
    makespan: float
    core_end: list
    busy: dict = field(default_factory=dict)


class _Port:
    """The shared memory's one access pipeline: one word per ``slot`` of time."""

    def __init__(self, slot):
        self.slot = slot
        self.taken = set()

    def reserve(self, ready):
        if self.slot <= 0:
            return ready
        k = math.ceil(ready / self.slot - 1e-9)
        while k in self.taken:
            k += 1
        self.taken.add(k)
        return max(ready, k * self.slot)


def schedule(trace, core_timing, mcu_timing):
    """Time ``trace`` with per-instruction latencies. Returns a :class:`Schedule`."""
    config = trace.config
    eager = mcu_timing.eager if mcu_timing.eager is not None else variants.eager_updates(config)
    n_cores = len(trace.instructions)
    now = [0.0] * n_cores
    deferred = [[] for _ in range(n_cores)]     # ('opa' | 'crs', mcu) in program order
    dirty = [set() for _ in range(n_cores)]     # MCUs an eager OPA or CRS changed
    done = {}
    port = _Port(core_timing.port_word)
    busy = dict.fromkeys(("mcu", "hlt", "smem", "smem_wait", "vfu", "other"), 0.0)
    end = [0.0] * n_cores
    for eid, event in enumerate(trace.events):
        if event[0] == "w":
            _, core, _, kind, dep = event
            ready = max(now[core], done.get(dep, 0.0))
            start = port.reserve(ready)
            busy["smem_wait"] += start - now[core]
            cost = core_timing.word_ld if kind == "ld" else core_timing.word_st
            now[core] = done[eid] = start + cost
            busy["smem"] += cost
            continue
        _, core, index = event
        instr = trace.instructions[core][index]
        name = instr.mnemonic
        if name == "mcu":
            masks = {m: instr[f"m{m}"] for m in range(config.mcus_per_core) if instr[f"m{m}"]}
            t = core_timing.mcu_fixed + mcu_timing.request(masks)
            for m, mask in masks.items():
                if mask & _OPA and eager:
                    dirty[core].add(m)
                elif mask & _OPA:
                    deferred[core].append(("opa", m))
                    t += core_timing.snapshot_fixed
            busy["mcu"] += t
        elif name == "crs":
            mcus = [m for m in range(config.mcus_per_core) if (instr["mask"] >> m) & 1]
            t = core_timing.crs_fixed
            if eager:
                t += mcu_timing.crs if mcus else 0.0
                dirty[core].update(mcus)
            else:
                deferred[core].extend(("crs", m) for m in mcus)
            busy["mcu"] += t
        elif name == "hlt":
            parked = {m for op, m in deferred[core] if op == "opa"}
            t = (core_timing.halt + len(parked) * core_timing.park_fixed
                 + mcu_timing.at_halt(deferred[core], dirty[core]))
            deferred[core], dirty[core] = [], set()
            busy["hlt"] += t
        else:
            t = core_timing.instruction(instr, taken=trace.taken[core][index])
            busy["vfu" if name in ("alu", "alui") else "other"] += t
        now[core] += t
        if name == "hlt":
            end[core] = now[core]
    return Schedule(unit=core_timing.unit, makespan=max(end, default=0.0), core_end=end, busy=busy)
