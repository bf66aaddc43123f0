"""Accumulators of a conv layer's input error (the scatter of the layer gradient).

The scatter owner adds, output position by output position (raster order), the rows of each
patch gradient into the error of the input positions they belong to; an input position is
*open* from its first contribution to its last, and its ``C`` words are its accumulator.
Two homes, the same arithmetic (the same saturating adds in the same order):

* :class:`RegisterAccumulators`: one register value per open position (chunks of at most
  ``MAX_VW`` channels), added to in place; for layers whose open positions fit a quarter of
  the register file;
* :class:`MemoryAccumulators`: a ring of slots in shared memory (:class:`RingTransfer`), one
  slot per open position; each contribution is a ``ld`` / ``add`` / ``st`` of the slot (the
  first one only a ``st``), every word stored with count 1 and loaded once before it is
  stored again, by the owner alone, in program order. For large maps (VGG-16 at the paper
  size), where register accumulators would spill on every position.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ir import Ref, Transfer
from .partition import segments

__all__ = ["RegisterAccumulators", "MemoryAccumulators", "RingTransfer", "open_positions"]


def open_positions(done_at, first_at, order):
    """Largest number of input positions open at once, processing outputs in ``order``."""
    opening = {}
    for pos, out in first_at.items():
        opening.setdefault(out, []).append(pos)
    live = peak = 0
    for out in order:
        live += len(opening.get(out, ()))
        peak = max(peak, live)
        live -= len(done_at.get(out, ()))
    return peak


class RegisterAccumulators:
    """Open positions as register values (see the module docstring)."""

    def __init__(self, low, core, channels):
        self.low, self.core, self.channels = low, core, channels
        self.acc = {}

    def add(self, pos, c, piece):
        low, core = self.low, self.core
        for k0, klen in segments(self.channels, low.max_vw):
            lo, hi = max(c, k0), min(c + piece.length, k0 + klen)
            if lo >= hi:
                continue
            src = Ref(piece.base, piece.offset + lo - c, hi - lo)
            v = self.acc.get((pos, k0))
            if v is None:
                v = self.acc[(pos, k0)] = low.value(core, klen, f"dx{pos}")
                if (lo, hi) == (k0, k0 + klen):
                    low.emit("cp", core, dst=v, srcs=(src,), comment=f"dX{pos} first part")
                    continue
                low.emit("alu", core, dst=v, srcs=(v, v), fn="sub", comment=f"dX{pos} := 0")
            part = Ref(v.base, lo - k0, hi - lo)
            low.emit("alu", core, dst=part, srcs=(part, src), fn="add", comment=f"dX{pos} +=")

    def take(self, pos):
        """``[(k0, value)]``: the finished error of ``pos`` by channel chunk (zeros if none)."""
        out = []
        for k0, klen in segments(self.channels, self.low.max_vw):
            v = self.acc.pop((pos, k0), None)
            out.append((k0, v if v is not None else self.low.zero(self.core, klen, f"dx{pos}")))
        return out


@dataclass(eq=False)
class RingTransfer(Transfer):
    """Slots of open accumulators in shared memory: every store has count 1 (the word is
    loaded once, by the owner, before it is stored again or freed)."""

    reusable = False

    def count_for(self, store):
        return 1

    @property
    def count(self):
        return 1


class MemoryAccumulators:
    """Open positions as slots of a :class:`RingTransfer` (see the module docstring)."""

    def __init__(self, low, core, channels, ring):
        self.low, self.core, self.channels, self.ring = low, core, channels, ring
        self.slot, self.free, self.stored = {}, [], {}

    def _offset(self, pos, c):
        if pos not in self.slot:
            self.slot[pos] = self.free.pop() if self.free else len(self.slot) + len(self.free)
            self.ring.length = max(self.ring.length, (self.slot[pos] + 1) * self.channels)
            self.stored[pos] = [False] * self.channels
        return self.slot[pos] * self.channels + c

    def add(self, pos, c, piece):
        low, core = self.low, self.core
        base = self._offset(pos, 0)
        stored = self.stored[pos]
        start = c
        while start < c + piece.length:      # runs of words stored before / not yet stored
            end = start
            while end < c + piece.length and stored[end] == stored[start] and end - start < low.max_vw:
                end += 1
            src = Ref(piece.base, piece.offset + start - c, end - start)
            if stored[start]:
                old = low.value(core, end - start, f"dx{pos}")
                low.emit("ld", core, dst=old, transfer=self.ring, soffset=base + start,
                         comment=f"dX{pos}")
                src = low.alu(core, "add", old, src, name=f"dx{pos}", comment=f"dX{pos} +=")
            low.emit("st", core, srcs=(src,), transfer=self.ring, soffset=base + start,
                     comment=f"dX{pos}")
            stored[start:end] = [True] * (end - start)
            start = end

    def take(self, pos):
        low, core = self.low, self.core
        out = []
        if pos not in self.slot:
            return [(k0, low.zero(core, klen, f"dx{pos}"))
                    for k0, klen in segments(self.channels, low.max_vw)]
        base = self._offset(pos, 0)
        for k0, klen in segments(self.channels, low.max_vw):
            v = low.value(core, klen, f"dx{pos}")
            low.emit("ld", core, dst=v, transfer=self.ring, soffset=base + k0, comment=f"dX{pos} done")
            out.append((k0, v))
        self.free.append(self.slot.pop(pos))
        del self.stored[pos]
        return out
