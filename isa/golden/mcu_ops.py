"""``mcu`` and ``crs`` of a golden core (docs/semantics.md §4-5): the MCU half of
:class:`isa.golden.core.Core`, with the variant 1-2 deferred updates (their slots in the
core's shared-memory OPA region, replayed at ``hlt``)."""

from __future__ import annotations

import numpy as np

from .. import variants
from ..faults import CoreFault
from ..table import MCU_OPS
from .blocking import _Fault

__all__ = ["McuOps"]

_MCU_BIT = dict(MCU_OPS)


class McuOps:
    """``_op_mcu``, ``_op_crs`` and the deferred updates of :class:`isa.golden.core.Core`
    (which provides ``config``, ``index``, ``mcus``, ``events``, ``memory``, ``deferred``,
    ``dirty``, ``overflow``, ``xbar_in``, ``xbar_out``, ``_xbar_in_bases`` and ``_retire``)."""

    def _check_mcus(self, instr, masks):
        """``{m: mask}`` of the non-zero masks; faults on an MCU the core does not have."""
        for m, mask in masks.items():
            if mask and m >= self.config.mcus_per_core:
                raise _Fault(CoreFault.NO_SUCH_MCU,
                             f"{instr.mnemonic} names MCU {m} but the core has "
                             f"{self.config.mcus_per_core}")
        return {m: mask for m, mask in masks.items() if mask}

    def _op_mcu(self, instr, smem):
        masks = self._check_mcus(instr, {m: instr[f"m{m}"] for m in range(len(instr.operands))})
        # Every operation reads its operands before any of them writes (docs/semantics.md §4).
        operands = {m: (self.xbar_in(m).copy(), self.xbar_out(m).copy()) for m in masks}
        c = self.config
        n = c.xbar_size
        eager = variants.eager_updates(c)
        # Variants 1-2 defer the OPAs first, in ascending MCU order, saving their operands in
        # shared memory; a full buffer faults before any MVM or MTVM runs, so a faulting mcu
        # instruction changes nothing but the deferred count and the region (as in the RTL,
        # whose MCU_SCAN state defers before MCU_START).
        for m, mask in masks.items():
            if mask & _MCU_BIT["opa"]:
                if not eager:
                    slot = self._defer(("opa", m))
                    self._save(smem, slot, np.concatenate(operands[m]))
                self.events.count_mcu(self.index, m, "opa")
                self.events.add("xbar_in_reads", n)
                self.events.add("xbar_out_reads", n)
        writes = []
        for m, mask in masks.items():
            x, v = operands[m]
            started = mask if eager else mask & (_MCU_BIT["mvm"] | _MCU_BIT["mtvm"])
            self.events.count_mcu(self.index, m, "requests", variants.transactions(c, started))
            if mask & _MCU_BIT["mvm"]:
                y, overflow = self.mcus[m].mvm(x)
                self.overflow |= bool(np.any(overflow))
                writes.append((c.xbar_out_base(m), np.asarray(y, dtype=np.int64)))
                self.events.count_mcu(self.index, m, "mvm")
                self.events.add("xbar_in_reads", n)
            if mask & _MCU_BIT["mtvm"]:
                z, overflow = self.mcus[m].mtvm(v)
                self.overflow |= bool(np.any(overflow))
                writes.append((c.xbar_in_base(m), np.asarray(z, dtype=np.int64)))
                self.events.count_mcu(self.index, m, "mtvm")
                self.events.add("xbar_out_reads", n)
            if eager and mask & _MCU_BIT["opa"]:
                # Variant 3: on the third copy, which MVM and MTVM do not read.
                self.mcus[m].opa(x, v)
                self.events.count_mcu(self.index, m, "opa_applied")
                self.dirty.add(m)
        for base, values in writes:
            self.memory[base:base + values.size] = values
            kind = "xbar_in_writes" if base in self._xbar_in_bases else "xbar_out_writes"
            self.events.add(kind, values.size)
        return self._retire(instr)

    def _defer(self, update):
        """Queue a variant-1/2 update; returns its slot in the core's OPA region."""
        if len(self.deferred) >= self.config.deferred_depth:
            raise _Fault(CoreFault.DEFERRED_OVERFLOW,
                         f"more than deferred_depth = {self.config.deferred_depth} OPA/CRS "
                         "operations before hlt (each saves into a slot of the core's "
                         "shared-memory OPA region)")
        self.deferred.append(update)
        return len(self.deferred) - 1

    def _op_crs(self, instr, smem):
        mask = instr["mask"]
        width = instr.spec.field("mask").width
        for m in self._check_mcus(instr, {m: (mask >> m) & 1 for m in range(width)}):
            if variants.eager_updates(self.config):
                self.mcus[m].crs()
                self._count_serial(m, "crs_applied")
                self.dirty.add(m)
            else:
                self._defer(("crs", m))
            self.events.count_mcu(self.index, m, "crs")
        return self._retire(instr)

    def _apply_deferred(self, smem):
        """Variants 1-2 at ``hlt``: park the live XBar buffers of every MCU an OPA is replayed
        on, replay the OPAs (operands loaded back from shared memory) and CRSs in program
        order, then restore the buffers (the RTL's order, so shared memory ends the same)."""
        c = self.config
        used = sorted({m for op, m in self.deferred if op == "opa"})
        for m in used:
            self._save(smem, c.deferred_depth + m, np.concatenate([self.xbar_in(m), self.xbar_out(m)]))
        for slot, (op, m) in enumerate(self.deferred):
            if op == "opa":
                words = self._restore(smem, slot)
                self.mcus[m].opa(words[:c.xbar_size], words[c.xbar_size:])
                self.events.count_mcu(self.index, m, "opa_applied")
                self.events.count_mcu(self.index, m, "requests",
                                      variants.transactions(c, variants.OPA))
            else:
                self.mcus[m].crs()
                self._count_serial(m, "crs_applied")
        for m in used:
            words = self._restore(smem, c.deferred_depth + m)
            self.xbar_in(m)[:] = words[:c.xbar_size]
            self.xbar_out(m)[:] = words[c.xbar_size:]
        self.deferred = []

    def _count_serial(self, m, what):
        """A CRS or commit: one serial read and one serial write per row of every slice."""
        c = self.config
        self.events.count_mcu(self.index, m, what)
        self.events.count_mcu(self.index, m, "requests", 2 * c.n_slices * c.xbar_size)

    def _save(self, smem, slot, words):
        """Store ``words`` into OPA-region slot ``slot`` of this core (count 1: read once)."""
        base = self.config.opa_slot_base(self.index, slot)
        for i, word in enumerate(words):
            smem.store(base + i, int(word), 1)
        self.events.add("smem_writes", len(words))

    def _restore(self, smem, slot):
        base = self.config.opa_slot_base(self.index, slot)
        words = np.array([smem.load(base + i) for i in range(self.config.opa_slot_words)],
                         dtype=np.int64)
        self.events.add("smem_reads", words.size)
        return words
