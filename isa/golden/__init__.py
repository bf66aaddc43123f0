"""Golden (reference) model of a PANTHER tile and node at instruction level.

Run an assembled program with :func:`run_image` (or build a :class:`Tile` or a
:class:`Node`); the result is a JSON-serialisable :class:`GoldenReport` (a tile) or
:class:`NodeReport` (a node) of the final state and event counts. The MCU
backend is pluggable: :class:`ExactMCU` (exact integer arithmetic, the default) or any object
with the same methods (see :mod:`isa.golden.analog_mcu` for the behavioural analog models).
"""

from ..events import EventCounter
from ..faults import CoreFault
from .core import Blocked, Core
from .errors import DeadlockError, GoldenError, StepLimitError
from .exact_mcu import ExactMCU, opa_update
from .network import Network
from .node import Node, NodeReport, merge_events, run_image, run_node
from .report import GoldenReport, diff_states
from .shared_memory import SharedMemory
from .tile import DEFAULT_MAX_ROUNDS, Tile, exact_mcu_factory

__all__ = [
    "Blocked", "Core", "CoreFault", "DeadlockError", "GoldenError", "StepLimitError",
    "EventCounter", "ExactMCU", "opa_update", "GoldenReport", "diff_states", "SharedMemory",
    "DEFAULT_MAX_ROUNDS", "Tile", "exact_mcu_factory", "run_image", "Network", "Node",
    "NodeReport", "run_node", "merge_events",
]
