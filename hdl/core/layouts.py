"""Data layouts at the pipeline-stage boundaries of the core (Minerva style).

* :class:`FetchLayout`: fetch -> decode (the instruction word and its PC);
* :class:`DecodeLayout`: decode -> execute (one-hot operation, operand values, fault);
* :class:`EventLayout`: execute -> the core's event counters (what happened this cycle).

Every member is generated from :mod:`isa.table` (see :mod:`hdl.core.constants`).
"""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from panther.isa.table import INSTR_BITS

from .constants import FIELD_SLOTS, OPS, ErrorCode

__all__ = ["PC_BITS", "field_shape", "OpLayout", "FetchLayout", "DecodeLayout", "EventLayout"]

#: PC width: one bit more than a branch target, so that running off a 2**16-word program
#: is seen as ``pc >= PROG_LEN`` rather than wrapping to 0.
PC_BITS = FIELD_SLOTS["target"].width + 1


def field_shape(field):
    """Shape of the *value* of an :class:`isa.table.Field` (``vw`` holds 1 .. 2**width)."""
    if field.kind == "imm":
        return signed(field.width)
    if field.kind == "vw":
        return unsigned(field.width + 1)
    return unsigned(field.width)


class OpLayout(data.StructLayout):
    """One bit per instruction of the ISA table (exactly one set for a legal word)."""

    def __init__(self):
        super().__init__({name: 1 for name in OPS})


class FetchLayout(data.StructLayout):
    """Fetch -> decode.

    Members
    -------
    pc : unsigned(PC_BITS)
    word : unsigned(INSTR_BITS)
    """

    def __init__(self):
        super().__init__({"pc": unsigned(PC_BITS), "word": unsigned(INSTR_BITS)})


class DecodeLayout(data.StructLayout):
    """Decode -> execute.

    Members
    -------
    pc : unsigned(PC_BITS)
    op : OpLayout
    fault : ErrorCode
        The decoder's ``NONE``, ``ILLEGAL_INSTRUCTION`` or ``PC_RANGE``; in the execute
        stage's register (``Fetch.x_instr``) the dispatch check's fault instead (raised when
        executed, :class:`~hdl.core.dispatch_check.DispatchCheck`).
    <field> : value of every operand slot of the ISA (``dst``, ``src1``, ``src``, ``src2``,
        ``imm``, ``saddr``, ``vw``, ``count``, ``fn``, ``cond``, ``target``, ``m0`` .. ``m5``,
        ``mask``); meaningful only for the instructions that have the field.
    dp_addr : unsigned(dst width)
        The operand address the execute stage presents in ``DISPATCH``: ``dst`` for ``set``,
        else ``base`` (``ldx``/``stx``). Decoded here, so that in the execute stage's
        register it is a flip-flop of its own on the operand port's address (section
        "rfsel" of docs/synthesis.md).
    vec_out : unsigned(1)
        ``ldx``/``stx``: the vector at ``dst`` / ``src`` leaves the operand space: the dispatch
        check's, which the decoder passes on (its ``vec_out`` input), so that the execute
        stage raises it from a register (docs/synthesis.md "chkstage").
    """

    def __init__(self):
        members = {"pc": unsigned(PC_BITS), "op": OpLayout(), "fault": ErrorCode}
        for name, f in FIELD_SLOTS.items():
            members[name] = field_shape(f)
        assert "dp_addr" not in members, "an ISA field shadows the dispatch operand address"
        members["dp_addr"] = field_shape(FIELD_SLOTS["dst"])
        assert "vec_out" not in members, "an ISA field shadows the vector range flag"
        members["vec_out"] = unsigned(1)
        super().__init__(members)



class EventLayout(data.StructLayout):
    """Execute -> the core's event counters: the events of one cycle.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    dp_read, dp_write : unsigned(1)
        The data-port access of this cycle is an instruction's operand read / destination
        write (the core classifies its address: register file, XBarIn, XBarOut). Copies that
        ``hlt`` makes to replay deferred OPAs are not events.
    xbar_in_reads, xbar_in_writes, xbar_out_reads, xbar_out_writes : unsigned
        XBar-buffer words the MCUs started this cycle read and write themselves (``xbar_size``
        per MCU and operation; an MVM and an OPA both read XBarIn, so up to twice
        ``mcus_per_core * xbar_size``).
    vfu_ops : unsigned
        VFU element operations of an ``alu``/``alui`` retiring this cycle (its ``vw``).
    alu_int_ops, smem_reads, smem_writes : unsigned(1)
        An ``alu_int`` retires; a shared-memory word is loaded / stored.
    noc_word_sent, noc_word_received, noc_flit : unsigned(1)
        A ``send`` word leaves the core (the first word of a flit: a flit); a ``recv`` word
        arrives.
    noc_hops : unsigned
        Links the flit starting this cycle will cross.
    """

    def __init__(self, config):
        bulk = unsigned((2 * config.mcus_per_core * config.xbar_size).bit_length())
        super().__init__({
            "dp_read": 1, "dp_write": 1,
            "xbar_in_reads": bulk, "xbar_in_writes": bulk,
            "xbar_out_reads": bulk, "xbar_out_writes": bulk,
            "vfu_ops": field_shape(FIELD_SLOTS["vw"]),
            "alu_int_ops": 1, "smem_reads": 1, "smem_writes": 1,
            "noc_word_sent": 1, "noc_word_received": 1, "noc_flit": 1,
            "noc_hops": max(1, (config.noc_mesh_cols + config.noc_mesh_rows).bit_length()),
        })
