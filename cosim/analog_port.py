"""Packing and serving of the MCU analog port (:class:`panther.hdl.ports.McuAnalogSignature`,
see ``docs/mcu.md``), simulator-independent.

A transaction is read as a dict of plain integers (member name -> value), served through an
:class:`analog_models.AnalogMCU` and answered with another dict of integers. Wide vectors are
packed/unpacked with numpy (in the port's line-major order,
:func:`panther.hdl.ports.to_line_major`) so the cost per transaction does not grow with rows x
slices in Python-level loops.
"""

import math

import numpy as np

from panther.hdl.ports import AnalogOp, to_line_major
from panther.hdl.widths import McuWidths

_MVM, _MTVM, _OPA = AnalogOp.MVM.value, AnalogOp.MTVM.value, AnalogOp.OPA.value

__all__ = ["AnalogPort", "RowCodec", "unpack_unsigned", "unpack_signed", "pack_signed",
           "pack_signed_rows"]


def _group(width):
    """Fields of ``width`` bits packed per 64-bit word so that a group is whole bytes: the
    smallest ``g`` with ``g * width`` a multiple of 8, or None when that exceeds 64 bits."""
    g = 8 // math.gcd(width, 8)
    return g if g * width <= 64 else None


def _int_bits(value, total):
    """Little-endian bit array (uint8) of a non-negative int of ``total`` bits."""
    nbytes = (total + 7) // 8
    raw = np.frombuffer(int(value).to_bytes(nbytes, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:total]


def unpack_unsigned(value, count, width):
    """``count`` unsigned fields of ``width`` bits, field 0 at bit 0 (int64 array).

    Fields are cut from 64-bit words of whole-byte groups of fields (:func:`_group`), one
    numpy operation per field of a group, not per bit; other widths go bit by bit."""
    if width == 1:
        return _int_bits(value, count).astype(np.int64)
    g = _group(width)
    if g is None:
        bits = _int_bits(value, count * width).reshape(count, width).astype(np.int64)
        return (bits << np.arange(width, dtype=np.int64)).sum(axis=1)
    groups = -(-count // g)
    gbytes = g * width // 8
    raw = np.frombuffer(int(value).to_bytes(groups * gbytes, "little"), dtype=np.uint8)
    words = np.zeros((groups, 8), dtype=np.uint8)
    words[:, :gbytes] = raw.reshape(groups, gbytes)
    words = words.view("<u8").reshape(groups, 1)
    shifts = np.arange(g, dtype=np.uint64) * np.uint64(width)
    fields = (words >> shifts) & np.uint64((1 << width) - 1)
    return fields.reshape(-1)[:count].astype(np.int64)


def unpack_signed(value, count, width):
    """``count`` two's complement fields of ``width`` bits (int64 array)."""
    raw = unpack_unsigned(value, count, width)
    return np.where(raw >= 1 << (width - 1), raw - (1 << width), raw)


def pack_signed(values, width):
    """Pack integers (two's complement, ``width`` bits each, field 0 at bit 0) into one int.

    As :func:`unpack_unsigned`: whole-byte groups of fields are assembled in 64-bit words."""
    values = np.asarray(values, dtype=np.int64).reshape(1, -1)
    return pack_signed_rows(values, width)[0]


def pack_signed_rows(values, width):
    """:func:`pack_signed` of every row of ``values`` (``(m, count)``): a list of ``m`` ints."""
    raw = _packed_bytes(values, width)
    return [int.from_bytes(row.tobytes(), "little") for row in raw]


def _packed_bytes(values, width):
    """The little-endian bytes (uint8 ``(m, nbytes)``) of each row of :func:`pack_signed_rows`."""
    values = np.asarray(values, dtype=np.int64)
    rows, count = values.shape
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    if values.size and (values.min() < low or values.max() > high):
        raise ValueError(f"values outside the {width}-bit two's complement range: "
                         f"{values.min()}..{values.max()}")
    g = _group(width)
    if g is None:
        bits = ((values[:, :, None] >> np.arange(width, dtype=np.int64)) & 1).astype(np.uint8)
        return np.packbits(bits.reshape(rows, -1), axis=1, bitorder="little")
    groups = -(-count // g)
    fields = np.zeros((rows, groups * g), dtype=np.uint64)
    fields[:, :count] = values.astype(np.uint64) & np.uint64((1 << width) - 1)
    columns = fields.reshape(rows, groups, g)
    words = columns[:, :, 0].copy()
    for i in range(1, g):
        words |= columns[:, :, i] << np.uint64(i * width)
    raw = words.astype("<u8").view(np.uint8).reshape(rows, groups, 8)[:, :, :g * width // 8]
    return raw.reshape(rows, -1)


class _StepPlan:
    """Every step of one MVM or MTVM computed ahead (:meth:`AnalogPort.serve`): the drive
    ``predicted[i]`` (bits, as the port's int) of step ``i``, its answer ``answers[i]``;
    ``step`` is the next step expected."""

    def __init__(self, amcu, copy, neg, predicted, samples, answers):
        self.amcu, self.copy, self.neg = amcu, copy, neg
        self.predicted, self.samples, self.answers = predicted, samples, answers
        self.step = 0

    def take(self, amcu, copy, bits, neg):
        """The answer of the next step if the MCU drives what was predicted on the same
        crossbar, unchanged since (then counted as a sample), else None."""
        i = self.step
        if (amcu is not self.amcu or copy != self.copy or neg != self.neg
                or i >= len(self.predicted) or bits != self.predicted[i]
                or self.samples.take(i) is None):
            return None
        self.step = i + 1
        return self.answers[i]


class RowCodec:
    """One row of signed digits (``rdata``, ``wdata``) <-> the simulator's bit string of it.

    The bit string is what a simulator reads and writes (most significant bit first, field 0
    last); each field is looked up in a table of its ``2**width`` values, so a row costs
    ``count`` dictionary look-ups and no numpy call (a serial read or write is one row of one
    slice, thousands of them per commit).

    Parameters
    ----------
    count, width : int
        Fields per row and bits per field.
    """

    def __init__(self, count, width):
        self.count, self.width = count, width
        half = 1 << (width - 1)
        self._bits = {d: format(d & ((1 << width) - 1), f"0{width}b") for d in range(-half, half)}
        self._digits = {bits: d for d, bits in self._bits.items()}

    def encode(self, digits):
        """The bit string of ``digits`` (a sequence of ``count`` ints in the signed range)."""
        if len(digits) != self.count:
            raise ValueError(f"a row has {self.count} digits, not {len(digits)}")
        bits = self._bits
        try:
            return "".join([bits[d] for d in reversed(digits)])
        except KeyError as err:
            raise ValueError(f"digit {err.args[0]!r} outside the {self.width}-bit two's "
                             "complement range") from None

    def decode(self, bits):
        """The digits (a list of ints, field 0 first) of a bit string of ``count * width``
        characters; a ValueError for X/Z or another length."""
        w = self.width
        if len(bits) != self.count * w:
            raise ValueError(f"a row is {self.count * w} bits, not {len(bits)}")
        digits = self._digits
        try:
            return [digits[bits[i:i + w]] for i in range(len(bits) - w, -1, -w)]
        except KeyError as err:
            raise ValueError(f"not a {w}-bit field: {err.args[0]!r}") from None


class AnalogPort:
    """Knows the MCU analog-port layout for one configuration and serves transactions.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    widths : McuWidths
    transactions : dict
        Count of served transactions per kind (``mvm``, ``mtvm``, ``read``, ``write``; a
        transaction of several kinds counts under each), ``opa``: OPA bit-steps applied (all
        ``input_steps`` of an OPA alone, one with MVM/MTVM), and ``requests``, the
        transactions themselves.
    """

    OUTPUTS_BY_OP = {
        AnalogOp.MVM: ("mvm_copy", "row_bits", "row_neg"),
        AnalogOp.MTVM: ("mtvm_copy", "col_bits", "col_neg"),
        AnalogOp.OPA: ("opa_copies", "step", "row_mag", "row_neg", "col_mag", "col_neg"),
        AnalogOp.READ: ("read_copy", "slice", "row"),
        AnalogOp.WRITE: ("write_copies", "slice", "row", "wdata"),
    }

    def __init__(self, config):
        self.config = config
        self.widths = McuWidths(config)
        self.rows = RowCodec(self.widths.n, self.widths.digit_bits)
        self.transactions = dict.fromkeys(("mvm", "mtvm", "opa", "read", "write", "requests"), 0)
        self._needed = {}
        self._plans = {}     # kind -> (key, predicted bits per step, next step, SamplePlan, answers)

    def needed(self, op):
        """Names of the MCU outputs a transaction with ``op`` (an int) uses (a list of the
        port's own, not to be changed: computed once per ``op``, once per transaction)."""
        names = self._needed.get(op)
        if names is None:
            names = []
            for flag, outs in self.OUTPUTS_BY_OP.items():
                if op & flag.value:
                    names += [n for n in outs if n not in names]
            self._needed[op] = names
        return names

    SIDES = {"mvm": ("row_bits", "row_neg", "row_mag"), "mtvm": ("col_bits", "col_neg", "col_mag")}

    def _sample(self, amcu, kind, fields, read):
        """The packed codes of one MVM or MTVM step (see :meth:`serve`)."""
        bits_name, neg_name, mag_name = self.SIDES[kind]
        copy, bits, neg = fields[f"{kind}_copy"], fields[bits_name], fields[neg_name]
        plan = self._plans.pop(kind, None)
        if plan is not None:
            answer = plan.take(amcu, copy, bits, neg)
            if answer is not None:
                if plan.step < len(plan.predicted):
                    self._plans[kind] = plan
                return answer
        elif read is not None and read("step") == 0:
            plan = self._plan(amcu, kind, copy, neg, read(mag_name))
            answer = None if plan is None else plan.take(amcu, copy, bits, neg)
            if answer is not None:
                self._plans[kind] = plan
                return answer
        codes = amcu.sample(copy, kind, self._drive(bits, neg))
        return pack_signed(to_line_major(codes), self.widths.code_bits)

    def _plan(self, amcu, kind, copy, neg, mag):
        """The :class:`_StepPlan` of an operation whose drivers hold magnitudes ``mag`` and
        signs ``neg``, or None when the models cannot compute it exactly ahead."""
        w = self.widths
        mags = unpack_unsigned(mag, w.n, w.data_bits)
        planes = ((mags[None, :] >> np.arange(w.steps, dtype=np.int64)[:, None]) & 1)
        samples = amcu.plan_samples(copy, kind, planes * (1 - 2 * unpack_unsigned(neg, w.n, 1)))
        if samples is None:
            return None
        predicted = [int.from_bytes(row.tobytes(), "little")
                     for row in np.packbits(planes.astype(np.uint8), axis=1, bitorder="little")]
        codes = samples.codes.transpose(0, 2, 1).reshape(w.steps, -1)     # line-major per step
        return _StepPlan(amcu, copy, neg, predicted, samples,
                         pack_signed_rows(codes, w.code_bits))

    def _drive(self, bits, neg):
        n = self.widths.n
        return (unpack_unsigned(bits, n, 1) * (1 - 2 * unpack_unsigned(neg, n, 1))).astype(np.int64)

    def _opa_pulses(self, fields, steps):
        """``(row drive, signed column chunks (slices, n))`` of each OPA step in ``steps``
        from the operand (``row_mag``/``row_neg``, ``col_mag``/``col_neg``; semantics §3)."""
        w = self.widths
        x_mag = unpack_unsigned(fields["row_mag"], w.n, w.data_bits)
        v_mag = unpack_unsigned(fields["col_mag"], w.n, w.data_bits)
        x_sign = 1 - 2 * unpack_unsigned(fields["row_neg"], w.n, 1)
        v_sign = 1 - 2 * unpack_unsigned(fields["col_neg"], w.n, 1)
        k = np.arange(w.slices, dtype=np.int64)[:, None]
        for n in steps:
            row = ((x_mag >> n) & 1) * x_sign
            chunks = ((v_mag[None, :] << n) >> (w.p * k)) & ((1 << w.p) - 1)
            yield row, chunks * v_sign[None, :]

    def _copies(self, mask):
        return [c for c in range(self.widths.copies) if mask >> c & 1]

    def serve(self, amcu, op, fields, read=None):
        """Perform transaction ``op`` (an ``op`` value) with the MCU output values ``fields``
        on ``amcu`` and return the MCU input values to drive (besides ``ack``).

        ``read``: optional ``name -> int`` reading any other MCU output now; with it, the
        first step of an MVM or MTVM reads the step index and the driver's magnitudes
        (``row_mag`` / ``col_mag``) and computes every step of the operation in one go
        (:meth:`AnalogMCU.plan_samples`, only where that is bit for bit the per-step
        result); each later step is answered from that plan only if the drive, sign and
        copy the MCU actually presents are the predicted ones and the crossbar has not
        changed (else, and without ``read``, one :meth:`AnalogMCU.sample` per step)."""
        w = self.widths
        if op == 0 or op >> 5:
            raise ValueError(f"op must be a non-zero 5-bit AnalogOp mask, not {op!r}")
        answer = {}
        self.transactions["requests"] += 1
        # A copy that takes this transaction's OPA pulse changes at every step: not planned.
        pulsed = self._copies(fields["opa_copies"]) if op & _OPA else ()
        for kind, flag in (("mvm", _MVM), ("mtvm", _MTVM)):
            if op & flag:
                planning = None if fields[f"{kind}_copy"] in pulsed else read
                answer[f"{kind}_codes"] = self._sample(amcu, kind, fields, planning)
                self.transactions[kind] += 1
        if op & AnalogOp.OPA.value:
            # Alone: the whole OPA phase, every step; with a sample: that step's pulse.
            steps = range(w.steps) if op == AnalogOp.OPA.value else (fields["step"],)
            copies = self._copies(fields["opa_copies"])
            for row, chunks in self._opa_pulses(fields, steps):
                for c in copies:
                    amcu.opa_step(c, row, chunks)
            self.transactions["opa"] += len(steps)
        if op & AnalogOp.READ.value:
            answer["rdata"] = int(self.read_row(amcu, fields["read_copy"], fields["slice"],
                                                fields["row"]), 2)
        if op & AnalogOp.WRITE.value:
            self.write_row(amcu, fields["write_copies"], fields["slice"], fields["row"],
                           format(fields["wdata"], f"0{w.n * w.digit_bits}b"))
        return answer

    def read_row(self, amcu, copy, k, row):
        """A serial read of row ``row`` of slice ``k`` of copy ``copy``: the bit string of
        ``rdata`` (:class:`RowCodec`), counted as a transaction's ``read``."""
        self.transactions["read"] += 1
        return self.rows.encode(amcu.serial_read(copy, k, row).tolist())

    def write_row(self, amcu, copies, k, row, wdata):
        """A serial write of the bit string ``wdata`` into row ``row`` of slice ``k`` of every
        copy in the mask ``copies``, counted as a transaction's ``write``."""
        digits = self.rows.decode(wdata)
        for c in self._copies(copies):
            amcu.serial_write(c, k, row, digits)
        self.transactions["write"] += 1
