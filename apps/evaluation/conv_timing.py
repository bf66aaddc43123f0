"""Timing of a conv kernel from the compiler's schedule, without running it.

The VGG-16 conv layer steps are too large for a golden run (:mod:`compiler.layer_steps`), so
their times come from the compiler's scheduled instructions (:class:`compiler.conv_kernel.Built`,
the same instructions the count model counts) under the latencies of
:mod:`apps.evaluation.latency`, by the rules of :mod:`apps.evaluation.timing`:

* each core runs its instructions in order, stalling on multi-cycle ones; cores run in
  parallel; MCU requests, deferred OPAs and CRSs at ``hlt``, variant-3 commits and the
  baselines' matrix operations are timed by the same :class:`~apps.evaluation.latency.McuTiming`;
* every shared-memory word (``ld``, ``st``, and on variants 1-2 the OPA operands saved at
  issue, the live buffers parked and restored at ``hlt`` and the operands loaded back for
  each replayed OPA) takes a slot of its tile's one port (a layer wider than a tile has
  cores numbered on past ``cores_per_tile``: core ``c`` is on tile ``c // cores_per_tile``).
  A port serves instructions first come, first served, in the order of the cores' clocks (an
  instruction's words back to back).

A ``ld`` of a word that another core stores waits for that store (the schedule names the
transfer and word of every access). What it leaves out (the difference to the trace's
timing, bounded in ``tests/evaluation``): a store does not wait for the loads that free the
word it overwrites (the allocator's reuse of words), a port does not interleave the words
of two instructions, and words between tiles cross no network. Samples run one after
another with the same code, so the time of a batch is affine in the batch like the counts
(:func:`compiler.counts.extrapolate`).
"""

from __future__ import annotations

import heapq

import numpy as np

from panther.isa import variants
from panther.isa.table import MCU_OPS

__all__ = ["built_time"]

_OPA = dict(MCU_OPS)["opa"]


class _Shim:
    """What :meth:`CoreTiming.instruction` reads of an instruction."""

    def __init__(self, mnemonic, vw):
        self.mnemonic = mnemonic
        self._vw = vw

    def __getitem__(self, field):
        if field != "vw":
            raise KeyError(field)
        return self._vw


def _words(op):
    if op.kind == "ld":
        return op.dst.length
    if op.kind == "st":
        return op.srcs[0].length
    return 0


def _span(op):
    """``(transfer id, first word, words)`` of a ``ld``/``st`` (None without a transfer)."""
    words = _words(op)
    if op.transfer is None or not words:
        return None
    return op.transfer.id, op.soffset, words


def _produced(built):
    """Per transfer, the words some core stores for another to load, as a boolean array (an
    accumulator ring is its owner's own: program order covers it)."""
    spans = [span for groups in built.scheduled for group in groups
             if group[0].kind == "st" and type(group[0].transfer).__name__ != "RingTransfer"
             and (span := _span(group[0])) is not None]
    sizes = {}
    for tid, lo, n in spans:
        sizes[tid] = max(sizes.get(tid, 0), lo + n)
    out = {tid: np.zeros(size, dtype=bool) for tid, size in sizes.items()}
    for tid, lo, n in spans:
        out[tid][lo:lo + n] = True
    return out


def built_time(built, config, core_timing, mcu_timing):
    """Time (``core_timing.unit``) until the last core of ``built`` halted on ``config``."""
    produced = _produced(built)
    stored = {tid: np.full(len(words), np.nan) for tid, words in produced.items()}
    waiting = {}                # transfer -> [(word, core, index, now)] of loads blocked on it
    eager = mcu_timing.eager if mcu_timing.eager is not None else variants.eager_updates(config)
    n = config.xbar_size
    mcu_bits = dict(MCU_OPS)
    slot = core_timing.port_word
    port_free = [0.0] * -(-len(built.scheduled) // config.cores_per_tile)     # one per tile
    queue = [(0.0, core, 0) for core, groups in enumerate(built.scheduled) if groups]
    heapq.heapify(queue)
    deferred = [[] for _ in built.scheduled]
    dirty = [set() for _ in built.scheduled]
    makespan = 0.0

    def through_port(now, words, per_word):
        if not words:
            return now
        tile = core // config.cores_per_tile
        start = max(now, port_free[tile]) if slot > 0 else now
        port_free[tile] = start + words * slot
        return start + words * per_word

    while queue:
        now, core, index = heapq.heappop(queue)
        groups = built.scheduled[core]
        group = groups[index]
        op = group[0]
        kind = op.kind
        if kind == "mcu":
            masks = {}
            for o in group:
                for part in o.parts:
                    masks[o.mcu] = masks.get(o.mcu, 0) | mcu_bits[part]
            now += core_timing.mcu_fixed + mcu_timing.request(masks)
            for m, mask in masks.items():
                if mask & _OPA:
                    if eager:
                        dirty[core].add(m)
                    else:
                        deferred[core].append(("opa", m))
                        now = through_port(now, 2 * n, core_timing.word_st)
        elif kind == "crs":
            mcus = [m for m in range(config.mcus_per_core) if (op.mask >> m) & 1]
            now += core_timing.crs_fixed
            if eager:
                now += mcu_timing.crs if mcus else 0.0
                dirty[core].update(mcus)
            else:
                deferred[core].extend(("crs", m) for m in mcus)
        elif kind == "hlt":
            if not eager:
                opas = [m for what, m in deferred[core] if what == "opa"]
                used = len(set(opas))
                now = through_port(now, 2 * n * used, core_timing.word_st)
                now = through_port(now, 2 * n * len(opas), core_timing.word_ld)
                now = through_port(now, 2 * n * used, core_timing.word_ld)
            now += core_timing.halt + mcu_timing.at_halt(deferred[core], dirty[core])
        elif kind == "ld" and (span := _span(op)) is not None and span[0] in produced:
            tid, lo, words = span
            need = produced[tid][lo:lo + words]
            times = stored[tid][lo:lo + words]
            missing = np.flatnonzero(need & np.isnan(times))
            if missing.size:                        # its producer has not stored it yet
                waiting.setdefault(tid, []).append((lo + int(missing[0]), core, index, now))
                continue
            if need.any():
                now = max(now, float(times[need].max()))
            now += core_timing.instruction(_Shim(kind, words))
            now = through_port(now, words, core_timing.word_ld)
        else:
            vw = op.dst.length if op.dst is not None else (op.srcs[0].length if op.srcs else 0)
            now += core_timing.instruction(_Shim(kind, vw))
            words = _words(op)
            now = through_port(now, words, core_timing.word_ld if kind == "ld" else core_timing.word_st)
            span = _span(op) if kind == "st" else None
            if span is not None and span[0] in produced:
                tid, lo, words = span
                stored[tid][lo:lo + words] = np.where(produced[tid][lo:lo + words], now, np.nan)
                blocked = waiting.get(tid, ())
                woken = [b for b in blocked if lo <= b[0] < lo + words]
                if woken:
                    waiting[tid] = [b for b in blocked if not lo <= b[0] < lo + words]
                    for _, c, i, t in woken:
                        heapq.heappush(queue, (max(t, now), c, i))
        if index + 1 < len(groups):
            heapq.heappush(queue, (now, core, index + 1))
        else:
            makespan = max(makespan, now)
    if any(waiting.values()):
        raise RuntimeError(f"{len(waiting)} shared-memory words are loaded but never stored: the "
                           "schedule cannot be timed")
    return makespan
