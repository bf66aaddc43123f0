"""The PANTHER tile: cores sharing one synchronised shared memory (see ``docs/tile.md``).

:mod:`.smem_port` (the tile side of the cores' ports; the signatures are in
:mod:`panther.hdl.ports`), :mod:`.shared_memory` (words with valid
bits and consumer counters), :mod:`.arbiter` (round robin over cores), :mod:`.deadlock`,
:mod:`.smem_system` (the three together) and :mod:`.tile` (the top component).
"""

from panther.hdl.ports import COUNT_BITS, SharedMemoryPortSignature

from .arbiter import Arbiter
from .deadlock import DeadlockDetector
from .shared_memory import SharedMemory, smem_word_layout
from .smem_system import SharedMemorySystem
from .tile import Tile, TileSignature

__all__ = ["COUNT_BITS", "SharedMemoryPortSignature", "SharedMemory", "smem_word_layout",
           "Arbiter", "DeadlockDetector", "SharedMemorySystem", "TileSignature", "Tile"]
