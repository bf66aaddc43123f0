"""Constants of the core RTL.

The operations come from :data:`isa.table.INSTRUCTIONS`, the field slots from their
:class:`isa.table.Field` entries, the error codes from :class:`isa.faults.CoreFault` (the RTL
and the golden model report the same codes) and the event counters from
:data:`isa.events.DIGITAL_EVENTS`. Defined here, by hand, is what only the host sees: the
status register addresses (:class:`StatusReg`) and the layout of the STATUS word
(:data:`STATUS_LAYOUT`), which the core and the co-simulation testbench both read.
"""

from amaranth.hdl import unsigned
from amaranth.lib import data, enum

from panther.hdl.ports import DebugSpace
from panther.isa.events import DIGITAL_EVENTS
from panther.isa.faults import CoreFault
from panther.isa.table import INSTRUCTIONS

__all__ = ["CoreFault", "ErrorCode", "ERROR_CODE_BITS", "DebugSpace", "StatusReg", "OPS",
           "FIELD_SLOTS", "STATUS_LAYOUT", "STATUS_BITS", "EVENT_REGS"]

#: Width of the error code on the status port and in the STATUS register.
ERROR_CODE_BITS = 8

#: The error codes as an Amaranth enum (same names and values as ``CoreFault``).
ErrorCode = enum.Enum("ErrorCode", [(f.name, f.value) for f in CoreFault])

#: Mnemonics in table order (one bit of :class:`hdl.core.layouts.OpLayout` each).
OPS = tuple(spec.mnemonic for spec in INSTRUCTIONS)


def _field_slots():
    slots = {}
    for spec in INSTRUCTIONS:
        for f in spec.fields:
            if f.name in slots and slots[f.name] != f:
                raise ValueError(f"field {f.name!r} sits at two different slots in the ISA table")
            slots[f.name] = f
    return slots


#: Field name -> :class:`isa.table.Field`: every distinct operand slot of the ISA.
FIELD_SLOTS = _field_slots()


class StatusReg(enum.Enum, shape=5):
    """Addresses of the status space of the host/debug port.

    Members
    -------
    STATUS : 0
        The status word, :data:`STATUS_LAYOUT`: bit 0 running, 1 halted, 2 error,
        3 overflow (sticky), 4 smem_waiting, bits 8..15 the error code (:class:`ErrorCode`).
    PC : 1
        PC of the instruction in (or last through) the execute stage: the ``hlt`` after a
        halt, the faulting instruction after an error (as the golden model reports it).
    INSTRET : 2
        Instructions retired (``hlt`` included).
    CYCLES : 3
        Clock cycles since the run started (stops when the core stops).
    PROG_LEN : 4
        Read/write. Fetching at ``pc >= PROG_LEN`` is a ``PC_RANGE`` fault (the golden
        model's "PC left the program"). Reset value ``imem_depth``.
    DEFERRED : 5
        OPA/CRS operations deferred and not yet applied.
    CORE_ID : 6
        The ``core_id`` constructor parameter.
    VFU_OPS ... NOC_FLIT_HOPS : 7 .. 20
        32-bit event counters since the run started, one per name of
        :data:`isa.events.DIGITAL_EVENTS` (see :data:`EVENT_REGS`), counted as the
        golden model counts them: VFU element operations and ``alu_int`` operations; operand
        words read and written by instructions in the register file and the XBar buffers (an
        MVM reads its XBarIn and writes its XBarOut, an MTVM the reverse, an OPA reads both;
        the copies ``hlt`` makes to replay deferred OPAs are not counted); shared-memory words
        loaded and stored; network words sent and received, flits sent and their hops.
    """

    STATUS = 0
    PC = 1
    INSTRET = 2
    CYCLES = 3
    PROG_LEN = 4
    DEFERRED = 5
    CORE_ID = 6
    VFU_OPS = 7
    ALU_INT_OPS = 8
    RF_READS = 9
    RF_WRITES = 10
    XBAR_IN_READS = 11
    XBAR_IN_WRITES = 12
    XBAR_OUT_READS = 13
    XBAR_OUT_WRITES = 14
    SMEM_READS = 15
    SMEM_WRITES = 16
    NOC_WORDS_SENT = 17
    NOC_WORDS_RECEIVED = 18
    NOC_FLITS = 19
    NOC_FLIT_HOPS = 20


#: Golden-model event name -> the status register counting it (every digital event has one).
EVENT_REGS = {name: StatusReg[name.upper()] for name in DIGITAL_EVENTS}


#: The STATUS register (:attr:`StatusReg.STATUS`): what the core drives and what a testbench
#: decodes (``STATUS_LAYOUT.from_bits(word).halted``).
STATUS_LAYOUT = data.StructLayout({
    "running": 1, "halted": 1, "error": 1, "overflow": 1, "smem_waiting": 1, "reserved": 3,
    "error_code": unsigned(ERROR_CODE_BITS),
})

#: Bit position of each field of :data:`STATUS_LAYOUT`.
STATUS_BITS = {name: field.offset for name, field in STATUS_LAYOUT}
