"""The PANTHER tile: cores sharing one synchronised shared memory (see ``docs/tile.md``).

:mod:`.smem_port` (the core <-> tile signature), :mod:`.shared_memory` (words with valid
bits and consumer counters), :mod:`.arbiter` (round robin over cores) and :mod:`.tile`
(the top component).
"""

from .smem_port import COUNT_BITS, SharedMemoryPortSignature

__all__ = ["COUNT_BITS", "SharedMemoryPortSignature"]
