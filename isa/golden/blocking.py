"""Why a golden core stops or waits: the fault it raises inside an instruction and the wait
it reports (shared by :mod:`isa.golden.core` and :mod:`isa.golden.network_ops`)."""

from __future__ import annotations

__all__ = ["Blocked"]


class _Fault(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Blocked:
    """Why a core waits: on shared memory (``ld``/``st``) or on a network channel
    (``send``/``recv``).

    Members
    -------
    op : str
        ``'ld'`` (waits for a valid word), ``'st'`` (for an invalid word), ``'send'`` (for
        room in its channel) or ``'recv'`` (for a word in its channel).
    saddr : int or None
        The shared-memory word waited on (``ld``/``st``).
    channel : tuple or None
        ``(src_tile, src_core, dst_tile, dst_core)`` of the channel waited on
        (``send``/``recv``).
    """

    def __init__(self, op, saddr=None, channel=None):
        self.op = op
        self.saddr = saddr
        self.channel = channel

    @property
    def wants(self):
        return {"ld": "valid", "st": "invalid", "send": "room", "recv": "a word"}[self.op]
