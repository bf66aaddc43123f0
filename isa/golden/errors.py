"""Errors and fault codes of the golden model."""

from __future__ import annotations

import enum

from panther.errors import UserError

__all__ = ["CoreFault", "GoldenError", "DeadlockError", "StepLimitError"]


class CoreFault(enum.IntEnum):
    """Why a core stopped in the error state (the RTL reports the same codes).

    Members
    -------
    NONE : 0
        No fault.
    ILLEGAL_INSTRUCTION : 1
        The word at PC does not decode (``isa.encoding.IllegalInstruction``).
    ADDRESS_RANGE : 2
        An operand vector leaves the core address space (``config.addr_space``).
    SMEM_ADDRESS_RANGE : 3
        A ``ld``/``st`` vector leaves the shared memory (``config.smem_depth``).
    PC_RANGE : 4
        PC left the loaded program (no ``hlt`` on the path).
    NO_SUCH_MCU : 5
        An ``mcu``/``crs`` mask names an MCU ``>= config.mcus_per_core``.
    DEFERRED_OVERFLOW : 6
        More than ``config.deferred_depth`` OPA/CRS operations were deferred to ``hlt``.
    """

    NONE = 0
    ILLEGAL_INSTRUCTION = 1
    ADDRESS_RANGE = 2
    SMEM_ADDRESS_RANGE = 3
    PC_RANGE = 4
    NO_SUCH_MCU = 5
    DEFERRED_OVERFLOW = 6


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
    """Every core that has not stopped waits on shared memory.

    Members
    -------
    waits : list of dict
        One entry per waiting core: ``core``, ``pc``, ``op`` (``ld``/``st``), ``saddr`` and
        ``wants`` (``valid``/``invalid``).
    """

    def __init__(self, message, *, waits, report=None):
        super().__init__(message, report=report)
        self.waits = waits


class StepLimitError(GoldenError):
    """The scheduling-round limit was reached before every core stopped."""
