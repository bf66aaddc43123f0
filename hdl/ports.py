"""The interfaces between the RTL's units, as ``lib.wiring`` signatures, and the packing rule
of the MCU analog port's vectors.

Every port that joins two units written apart (an MCU and its analog half, a core and the
tile, the shared memory and its requesters, a host and a core or a board) is defined here, in
one module that imports nothing of the RTL, so that any unit can use any port without an
import cycle. Units join them with ``wiring.connect``. Packed vectors are ``lib.data``
layouts; they become plain signals only at a top level that a simulator or a netlist tool
sees (:mod:`panther.hdl.flatten`).

The line-major rule: a vector with one field per (line, slice) of a crossbar (ADC codes)
holds the field of line ``j`` (a column for MVM, a row for MTVM), slice ``k``
(0 = LSB slice) at index ``j * n_slices + k`` (:func:`line_major`, and its numpy twins
:func:`to_line_major` / :func:`from_line_major` for the co-simulation side).
"""

import numpy as np
from amaranth.hdl import signed, unsigned
from amaranth.lib import data, enum, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import INSTR_BITS

from .widths import McuWidths

__all__ = ["COUNT_BITS", "DBG_ADDR_BITS", "DBG_DATA_BITS", "BUS_BITS", "AnalogOp", "DebugSpace",
           "line_major", "to_line_major", "from_line_major", "digit_row",
           "McuAnalogSignature", "XBarBufferSignature", "SharedMemoryPortSignature",
           "SmemAccessSignature", "SmemHostSignature", "DebugPortSignature",
           "RegisterBusSignature", "X_ON_COLLISION"]

#: Attribute of a signal driven by a block RAM read port whose word read in the cycle of a
#: write to the same address is not used (the shared memory's, the register file's): the
#: FPGA build tells Yosys so (``COLLISION_X_MASK``, :data:`hdl.fpga.build.SCRIPT_AFTER_READ`),
#: which spares the bypass it would otherwise add behind the block RAM's output for the old
#: word.
X_ON_COLLISION = "panther_x_on_collision"

#: Width of a shared-memory word's consumer counter (and of a store's ``count``).
COUNT_BITS = 8
#: Host/debug port address width (a 65536-word instruction memory, the 14-bit operand space).
DBG_ADDR_BITS = 16
#: Host/debug port data width (one instruction word).
DBG_DATA_BITS = INSTR_BITS
#: Address and data width of the board register bus.
BUS_BITS = 32


def _check_config(config):
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    return config


class _PortSignature(wiring.Signature):
    """A signature that equals another of its class with the same members (``wiring``
    compares signature subclasses by identity otherwise)."""

    def __eq__(self, other):
        return type(other) is type(self) and other.members == self.members

    def __hash__(self):
        return hash(type(self))


class AnalogOp(enum.Flag, shape=5):
    """Bits of ``op`` on the analog port: what one transaction asks the analog half to do."""
    MVM = 1      # drive rows (row_*) of copy mvm_copy, return mvm_codes
    MTVM = 2     # drive columns (col_*) of copy mtvm_copy, return mtvm_codes
    OPA = 4      # pulses row_mag/row_neg x col_mag/col_neg on copies opa_copies: alone, every
                 # step (one transaction per OPA phase); with MVM/MTVM, step `step` only
    READ = 8     # serial read of row `row`, slice `slice` of copy read_copy -> rdata
    WRITE = 16   # serial write of wdata to row `row`, slice `slice` of copies write_copies


class DebugSpace(enum.Enum, shape=2):
    """``space`` of the host/debug port.

    Members
    -------
    IMEM : 0
        Instruction memory, one 64-bit word per address.
    DATA : 1
        The core operand space (register file, then the XBar buffers; semantics §4).
    STATUS : 2
        Status registers (:class:`panther.hdl.core.constants.StatusReg`).
    """

    IMEM = 0
    DATA = 1
    STATUS = 2


def line_major(element, *, lines, slices):
    """Layout of a line-major vector: ``view[j][k]`` is line ``j``, slice ``k`` (see the module
    docstring), each field of shape ``element``."""
    for name, value in (("lines", lines), ("slices", slices)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return data.ArrayLayout(data.ArrayLayout(element, slices), lines)


def to_line_major(per_slice):
    """The fields of a ``(slices, lines)`` array in line-major order (a 1-D numpy array)."""
    per_slice = np.asarray(per_slice)
    if per_slice.ndim != 2:
        raise ValueError(f"per_slice must be a (slices, lines) array, not shape {per_slice.shape}")
    return per_slice.T.reshape(-1)


def from_line_major(fields, *, slices):
    """The ``(slices, lines)`` array of line-major ``fields`` (inverse of :func:`to_line_major`)."""
    fields = np.asarray(fields).reshape(-1)
    if slices < 1 or fields.size % slices:
        raise ValueError(f"{fields.size} fields do not split into {slices!r} slices")
    return fields.reshape(-1, slices).T


def digit_row(config):
    """Layout of one crossbar row of slice digits on the serial port: ``view[j]`` is the digit
    of column ``j`` (two's complement, as wide as the widest slice)."""
    w = McuWidths(_check_config(config))
    return data.ArrayLayout(signed(w.digit_bits), w.n)


class McuAnalogSignature(_PortSignature):
    """The MCU's analog port, from the MCU's side (the analog half has ``In`` of it).

    One transaction: the MCU raises ``req`` with every other output stable; the analog half
    answers with a one-cycle ``ack`` and, in that cycle, the codes or digits asked for; ``req``
    then drops for at least one cycle. An OPA alone (``op == OPA``) is a whole OPA phase: the
    analog half applies the ``input_steps`` bit-serial pulses of the operand ``row_mag`` /
    ``row_neg`` x ``col_mag`` / ``col_neg`` itself, one step per cycle, and acknowledges after
    the last; with MVM or MTVM (variant 3) it applies the pulse of step ``step`` only. Bit
    layouts and timing: ``docs/mcu.md``.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    req : Out(1)
    op : Out(AnalogOp)
    step : Out(step_bits)
        Bit-step of an MVM/MTVM transaction (and of the OPA pulse combined with one); 0 for
        an OPA alone.
    slice : Out(slice_index_bits)
    row : Out(index_bits)
        Slice and row of a serial read or write.
    mvm_copy, mtvm_copy, read_copy : Out(copy_bits)
    opa_copies, write_copies : Out(xbar_copies)
        One bit per crossbar copy.
    row_bits, row_neg, col_bits, col_neg : Out(xbar_size)
        Drive of each row / column: ``bits[i] * (-1 if neg[i] else 1)``.
    row_mag, col_mag : Out(ArrayLayout(unsigned(data_bits), xbar_size))
        The OPA operand as the input drivers snapshotted it: ``row_mag[i] = |x_i|``,
        ``col_mag[j] = |v_j|`` (signs ``row_neg``, ``col_neg``). The pulse of step ``n`` on
        slice ``k``: row drive ``bit_n(|x_i|)``, column chunk ``k`` (``p`` bits) of
        ``|v_j| << n``, polarity ``row_neg[i] XOR col_neg[j]``.
    wdata : Out(digit_row(config))
        Digits of a serial write.
    ack : In(1)
    mvm_codes, mtvm_codes : In(line_major(signed(adc_code_bits), lines=xbar_size, slices=n_slices))
        ``codes[j][k]``: the signed ADC code of slice ``k``, column (MVM) / row (MTVM) ``j``.
    rdata : In(digit_row(config))
        Digits of a serial read.
    """

    def __init__(self, config):
        w = McuWidths(_check_config(config))
        self.config = config
        codes = line_major(signed(w.code_bits), lines=w.n, slices=w.slices)
        super().__init__({
            "req": Out(1), "op": Out(AnalogOp), "step": Out(w.step_bits),
            "slice": Out(w.slice_index_bits), "row": Out(w.index_bits),
            "mvm_copy": Out(w.copy_bits), "mtvm_copy": Out(w.copy_bits),
            "read_copy": Out(w.copy_bits),
            "opa_copies": Out(w.copies), "write_copies": Out(w.copies),
            "row_bits": Out(w.n), "row_neg": Out(w.n), "col_bits": Out(w.n), "col_neg": Out(w.n),
            "row_mag": Out(data.ArrayLayout(unsigned(w.data_bits), w.n)),
            "col_mag": Out(data.ArrayLayout(unsigned(w.data_bits), w.n)),
            "wdata": Out(digit_row(config)),
            "ack": In(1),
            "mvm_codes": In(codes), "mtvm_codes": In(codes),
            "rdata": In(digit_row(config)),
        })


class XBarBufferSignature(_PortSignature):
    """The core's port into one XBar buffer of an MCU (XBarIn or XBarOut), from the core's side.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    addr : Out(index_bits)
        The word to read. The core drives it from a register (with ``w_addr``, issue 20).
    w_addr : Out(index_bits)
        The word to write: a separate address, so that each word's write enable is decoded
        from ``w_addr`` and ``w_en`` alone (the core registers both next to the MCU, issue 20).
    w_en : Out(1)
    w_data : Out(signed(data_bits))
    r_data : In(signed(data_bits))
        The word at ``addr``, combinationally (a selection after the core's address
        register, not a register after the core's address logic).
    """

    def __init__(self, config):
        w = McuWidths(_check_config(config))
        self.config = config
        word = signed(w.data_bits)
        super().__init__({"addr": Out(w.index_bits), "w_addr": Out(w.index_bits),
                          "w_en": Out(1), "w_data": Out(word), "r_data": In(word)})


class SharedMemoryPortSignature(_PortSignature):
    """One core's word port into the tile's shared memory, from the core's side.

    Protocol: the core raises ``req`` and holds it, with every other output unchanged, until
    a cycle with ``ack = 1``; it may present its next word's request in the following cycle.
    A word that is not ready (``ld``: invalid; ``st``: still valid) is simply not acked; the
    tile keeps serving the other cores round-robin, so a waiting core never blocks the others.
    Synchronisation rules: ``docs/semantics.md`` §6.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    req : Out(1)
        A word access is requested; the fields below are stable while ``req`` is high.
    write : Out(1)
        1 = ``st`` (store), 0 = ``ld`` (load).
    addr : Out(config.SMEM_ADDR_BITS)
        Word address (must be below ``config.smem_depth``).
    wdata : Out(config.data_bits)
        Store data.
    count : Out(COUNT_BITS)
        Consumer count of a store.
    ack : In(1)
        The access completed in this cycle (store written / load's ``rdata`` valid now).
    rdata : In(config.data_bits)
        Load data, valid in the cycle of ``ack``.
    """

    def __init__(self, config):
        self.config = _check_config(config)
        super().__init__({
            "req": Out(1), "write": Out(1), "addr": Out(config.SMEM_ADDR_BITS),
            "wdata": Out(config.data_bits), "count": Out(COUNT_BITS),
            "ack": In(1), "rdata": In(config.data_bits),
        })

    def __repr__(self):
        return f"SharedMemoryPortSignature(data_bits={self.config.data_bits})"


class SmemAccessSignature(_PortSignature):
    """The memory side of the shared memory: one access attempt at a time, from the
    requester's side (the round-robin arbiter; :class:`~panther.hdl.tile.shared_memory.SharedMemory`
    has ``In`` of it).

    An attempt starts with a one-cycle ``start`` strobe carrying ``write``, ``addr``, ``wdata``
    and ``count``; the memory's ``latency`` cycles later it finishes with ``ack`` (done;
    ``rdata`` holds a load's value) or ``reject`` (the word is not ready; nothing changed).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    start, write : Out(1)
    addr : Out(config.SMEM_ADDR_BITS)
    wdata : Out(config.data_bits)
    count : Out(COUNT_BITS)
    ack, reject : In(1)
    rdata : In(config.data_bits)
    """

    def __init__(self, config):
        self.config = _check_config(config)
        a, d = config.SMEM_ADDR_BITS, config.data_bits
        super().__init__({"start": Out(1), "write": Out(1), "addr": Out(a), "wdata": Out(d),
                          "count": Out(COUNT_BITS), "ack": In(1), "reject": In(1),
                          "rdata": In(d)})


class SmemHostSignature(_PortSignature):
    """The host port of the shared memory (loading and dumping while the cores are stopped),
    from the host's side.

    ``we`` writes ``wvalue`` / ``wvalid`` / ``wcount`` to ``addr`` (the memory registers it:
    the word lands in the next cycle); ``rvalue`` / ``rvalid`` / ``rcount`` show the word at
    the ``addr`` of the previous cycle (undefined on the FPGA if a write landed on that word
    in that cycle, see :data:`X_ON_COLLISION`).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    addr : Out(config.SMEM_ADDR_BITS)
    we, wvalid : Out(1)
    wvalue : Out(config.data_bits)
    wcount : Out(COUNT_BITS)
    rvalue : In(config.data_bits)
    rvalid : In(1)
    rcount : In(COUNT_BITS)
    """

    def __init__(self, config):
        self.config = _check_config(config)
        a, d = config.SMEM_ADDR_BITS, config.data_bits
        super().__init__({"addr": Out(a), "we": Out(1), "wvalue": Out(d), "wvalid": Out(1),
                          "wcount": Out(COUNT_BITS),
                          "rvalue": In(d), "rvalid": In(1), "rcount": In(COUNT_BITS)})


class DebugPortSignature(_PortSignature):
    """A core's host/debug port, from the host's side (the core has ``In`` of it).

    Protocol: the host raises ``req`` with ``space``, ``addr``, ``we`` and ``wdata`` stable
    and holds it until a cycle with ``ack = 1``. The port takes a request in a cycle with
    ``req = 1`` and no earlier request in flight (taken, acknowledged in this cycle included)
    and acknowledges it exactly :attr:`latency` cycles later; ``rdata`` is valid in that
    cycle only. The host may present the next request in the cycle after ``ack`` (a stream
    of requests takes ``latency + 1`` cycles per word).

    * ``IMEM``: any time (a write while running changes the program under the core's feet).
    * ``DATA``: register file and XBar buffers, only while the core is not running (while it
      runs the request is acknowledged with ``rdata = 0`` and a write is dropped); data words
      are sign-extended in ``rdata``.
    * ``STATUS``: :class:`panther.hdl.core.constants.StatusReg`; ``PROG_LEN`` is writable.

    Members
    -------
    req : Out(1)
    space : Out(DebugSpace)
    addr : Out(DBG_ADDR_BITS)
    we : Out(1)
    wdata : Out(DBG_DATA_BITS)
    ack : In(1)
    rdata : In(DBG_DATA_BITS)
    latency : int
        Cycles from taking a request to its ``ack`` (2: the core's memories, then the
        registers its read data is taken into; every driver of the port reads this).
    """

    latency = 2

    def __init__(self):
        super().__init__({"req": Out(1), "space": Out(DebugSpace), "addr": Out(DBG_ADDR_BITS),
                          "we": Out(1), "wdata": Out(DBG_DATA_BITS), "ack": In(1),
                          "rdata": In(unsigned(DBG_DATA_BITS))})


class RegisterBusSignature(_PortSignature):
    """The 32-bit register bus of an FPGA board, from the master's side (the host bridge; the
    board core has ``In`` of it).

    The master raises ``req`` with ``we``, ``addr`` and ``wdata`` stable and holds it until a
    cycle with ``ack = 1``, in which ``rdata`` is valid; it drops ``req`` at the end of that
    cycle.

    Members
    -------
    req, we : Out(1)
    addr, wdata : Out(BUS_BITS)
    ack : In(1)
    rdata : In(BUS_BITS)
    """

    def __init__(self):
        super().__init__({"req": Out(1), "we": Out(1), "addr": Out(BUS_BITS),
                          "wdata": Out(BUS_BITS), "ack": In(1), "rdata": In(BUS_BITS)})
