"""The PANTHER core (paper §5.1): instruction memory, fetch / decode / execute pipeline,
register file with the XBar-buffer address map, VFU, scalar ALU, deferred weight updates and
a host/debug port (:class:`panther.hdl.ports.DebugPortSignature`). One functional unit per
module; see ``docs/core.md``.
"""

from panther.hdl.ports import DebugPortSignature

from .alu_int import AluInt
from .branch import BranchCompare
from .constants import FIELD_SLOTS, OPS, STATUS_LAYOUT, CoreFault, DebugSpace, ErrorCode, StatusReg
from .core import Core, CoreSignature
from .data_space import DataPortSignature, DataSpace
from .decoder import Decoder
from .deferred import DeferredUpdates
from .dispatch_check import CheckFlags, DispatchCheck, DispatchCompare
from .execute import Execute
from .fetch import Fetch
from .imem import InstructionMemory
from .layouts import DecodeLayout, FetchLayout, OpLayout
from .staging import VectorStaging
from .transfer import SmemTransfer, TransferSignature
from .vector import VectorPath
from .vfu import VFU

__all__ = ["CoreFault", "ErrorCode", "DebugSpace", "StatusReg", "STATUS_LAYOUT", "OPS",
           "FIELD_SLOTS", "FetchLayout", "DecodeLayout", "OpLayout", "Decoder", "VFU", "AluInt",
           "BranchCompare", "InstructionMemory", "DataPortSignature", "DataSpace",
           "VectorStaging", "Fetch", "Execute", "DispatchCheck", "DispatchCompare", "CheckFlags",
           "VectorPath", "SmemTransfer",
           "TransferSignature", "DeferredUpdates", "DebugPortSignature",
           "CoreSignature", "Core"]
