"""The PANTHER core (paper §5.1): instruction memory, fetch / decode / execute pipeline,
register file with the XBar-buffer address map, VFU, scalar ALU, deferred weight updates and
a host/debug port. One functional unit per module; see ``docs/core.md``.
"""

from .constants import CoreFault, ErrorCode, DebugSpace, StatusReg, OPS, FIELD_SLOTS
from .layouts import FetchLayout, DecodeLayout, OpLayout
from .decoder import Decoder
from .vfu import VFU
from .alu_int import AluInt
from .branch import BranchCompare
from .imem import InstructionMemory
from .data_space import DataPortSignature, DataSpace
from .staging import VectorStaging
from .fetch import Fetch
from .execute import Execute
from .host_port import DebugPortSignature
from .core import Core

__all__ = ["CoreFault", "ErrorCode", "DebugSpace", "StatusReg", "OPS", "FIELD_SLOTS",
           "FetchLayout", "DecodeLayout", "OpLayout", "Decoder", "VFU", "AluInt",
           "BranchCompare", "InstructionMemory", "DataPortSignature", "DataSpace",
           "VectorStaging", "Fetch", "Execute", "DebugPortSignature", "Core"]
