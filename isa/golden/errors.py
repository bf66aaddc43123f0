"""Errors of the golden model (the fault codes are :mod:`isa.faults`)."""

from __future__ import annotations

from panther.errors import UserError

__all__ = ["GoldenError", "DeadlockError", "StepLimitError"]


class GoldenError(UserError):
    """A program cannot complete on the golden model.

    Members
    -------
    report : isa.golden.report.GoldenReport or None
        The machine state when the run stopped.
    """

    def __init__(self, message, *, report=None):
        super().__init__(message)
        self.report = report


class DeadlockError(GoldenError):
    """Every core that has not stopped waits on shared memory or on a network channel.

    Members
    -------
    waits : list of dict
        One entry per waiting core: ``core``, ``pc``, ``op`` (``ld``/``st``/``send``/``recv``),
        ``saddr`` (``ld``/``st``) or ``channel`` (``[src_tile, src_core, dst_tile,
        dst_core]``) and ``queued`` (words in it) for ``send``/``recv``, and ``wants``
        (``valid``/``invalid``/``room``/``a word``); a node's deadlock adds ``tile``.
    """

    def __init__(self, message, *, waits, report=None):
        super().__init__(message, report=report)
        self.waits = waits


class StepLimitError(GoldenError):
    """The scheduling-round limit was reached before every core stopped."""
