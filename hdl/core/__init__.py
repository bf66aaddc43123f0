"""The PANTHER core (paper §5.1): instruction memory, fetch / decode / execute pipeline,
register file with the XBar-buffer address map, VFU, scalar ALU, deferred weight updates and
a host/debug port. One functional unit per module; see ``docs/core.md``.
"""

from .alu_int import AluInt
from .branch import BranchCompare
from .constants import FIELD_SLOTS, OPS, CoreFault, DebugSpace, ErrorCode, StatusReg
from .core import Core
from .data_space import DataPortSignature, DataSpace
from .decoder import Decoder
from .execute import Execute
from .fetch import Fetch
from .host_port import DebugPortSignature
from .imem import InstructionMemory
from .layouts import DecodeLayout, FetchLayout, OpLayout
from .staging import VectorStaging
from .vfu import VFU

__all__ = ["CoreFault", "ErrorCode", "DebugSpace", "StatusReg", "OPS", "FIELD_SLOTS",
           "FetchLayout", "DecodeLayout", "OpLayout", "Decoder", "VFU", "AluInt",
           "BranchCompare", "InstructionMemory", "DataPortSignature", "DataSpace",
           "VectorStaging", "Fetch", "Execute", "DebugPortSignature", "Core"]
