"""Tile shared memory with per-word valid bits and consumer counters (docs/semantics.md §6)."""

from __future__ import annotations

import numpy as np

__all__ = ["SharedMemory"]


class SharedMemory:
    """Shared memory of one tile.

    A store waits until its word is invalid, writes it, sets valid and loads the consumer
    counter; a load waits until its word is valid and decrements the counter, clearing valid
    when it reaches 0. A word with count 0 that is valid is persistent (loads never
    invalidate it; a store to it waits for ever).

    Parameters
    ----------
    depth : int
        Words.
    values, valid, count : array_like, optional
        Initial contents (default: all zero, invalid, count 0).

    Members
    -------
    values : numpy.ndarray of int64
    valid : numpy.ndarray of bool
    count : numpy.ndarray of int64
    reads, writes : int
        Completed word loads and stores.
    """

    def __init__(self, *, depth, values=None, valid=None, count=None):
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive integer, not {depth!r}")
        self.depth = depth
        self.values = self._init(values, depth, np.int64, "values")
        self.valid = self._init(valid, depth, bool, "valid")
        self.count = self._init(count, depth, np.int64, "count")
        self.reads = 0
        self.writes = 0

    @staticmethod
    def _init(data, depth, dtype, name):
        if data is None:
            return np.zeros(depth, dtype=dtype)
        array = np.array(data, dtype=dtype).reshape(-1)
        if array.shape != (depth,):
            raise ValueError(f"shared memory {name} must have {depth} words, not {array.shape[0]}")
        return array

    def in_range(self, addr, width=1):
        """True when words ``addr .. addr+width-1`` exist."""
        return 0 <= addr and addr + width <= self.depth

    def can_load(self, addr):
        return bool(self.valid[addr])

    def can_store(self, addr):
        return not self.valid[addr]

    def load(self, addr):
        """Consume one word (the caller checked :meth:`can_load`); returns its value."""
        if not self.valid[addr]:
            raise RuntimeError(f"load of invalid shared-memory word {addr}")
        value = int(self.values[addr])
        if self.count[addr] > 0:
            self.count[addr] -= 1
            if self.count[addr] == 0:
                self.valid[addr] = False
        self.reads += 1
        return value

    def store(self, addr, value, count):
        """Produce one word (the caller checked :meth:`can_store`)."""
        if self.valid[addr]:
            raise RuntimeError(f"store to valid shared-memory word {addr}")
        if count < 1:
            raise ValueError(f"a store needs a consumer count >= 1, not {count!r}")
        self.values[addr] = value
        self.valid[addr] = True
        self.count[addr] = count
        self.writes += 1

    def capture(self):
        """Copies of the values, valid bits and counters as numpy arrays."""
        return {"values": self.values.copy(), "valid": self.valid.copy(),
                "count": self.count.copy()}

    def snapshot(self):
        """JSON-ready dict of values, valid bits and counters."""
        return {"values": [int(v) for v in self.values],
                "valid": [bool(v) for v in self.valid],
                "count": [int(v) for v in self.count]}
