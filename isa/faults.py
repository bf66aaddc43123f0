"""Fault codes of a core: why it stopped in the error state.

A contract of the ISA, beside the table: the golden model raises them and the RTL reports the
same codes on its status port.
"""

from __future__ import annotations

import enum

__all__ = ["CoreFault"]


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
    NO_SUCH_TILE : 7
        A ``send``/``recv`` names a tile ``>= config.tiles_per_node`` or a core ``>=
        config.cores_per_tile``.
    """

    NONE = 0
    ILLEGAL_INSTRUCTION = 1
    ADDRESS_RANGE = 2
    SMEM_ADDRESS_RANGE = 3
    PC_RANGE = 4
    NO_SUCH_MCU = 5
    DEFERRED_OVERFLOW = 6
    NO_SUCH_TILE = 7
