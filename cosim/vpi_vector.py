"""Writing a wide register of a Verilator co-simulation in 32-bit words (VPI ``vpiVectorVal``).

cocotb writes a vector wider than 32 bits as a binary string (``vpiBinStrVal``), which
Verilator's ``vpi_put_value`` takes one bit per loop iteration: about 3.5 ns per bit, so 50 us
for a paper-size MCU's 14 336-bit answer, 16 times per MVM (docs/mcu.md, "Sixth pass").
:class:`VectorWriter` calls the simulator's own ``vpi_put_value`` (the process's exported
symbol, through ``ctypes``) with ``vpiVectorVal``, which Verilator takes a word at a time.
"""

import ctypes

import numpy as np

__all__ = ["VectorWriter"]

_VPI_VECTOR_VAL = 9      # IEEE 1364 vpi_user.h: vpiVectorVal
_VPI_NO_DELAY = 1        # vpiNoDelay


class _Value(ctypes.Structure):      # s_vpi_value: the format, then a union (a pointer here)
    _fields_ = [("format", ctypes.c_int), ("vector", ctypes.c_void_p)]


def _vpi():
    lib = ctypes.CDLL(None)
    put, by_name = lib.vpi_put_value, lib.vpi_handle_by_name
    put.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Value), ctypes.c_void_p, ctypes.c_int]
    put.restype = ctypes.c_void_p
    by_name.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    by_name.restype = ctypes.c_void_p
    return put, by_name


class VectorWriter:
    """Writes unsigned ints into one register (a cocotb handle) at once (``vpiNoDelay``).

    Only for a register that nothing reads combinationally and that the design reads after
    the current time step's evaluation (a hold register of :mod:`cosim.analog_answer`): the
    write is not scheduled as cocotb's writes are. Raises OSError or ValueError when the
    process has no ``vpi_put_value`` or the handle is not found (callers then use cocotb).
    """

    def __init__(self, handle):
        self._put, by_name = _vpi()
        self._object = by_name(handle._path.encode(), None)
        if not self._object:
            raise ValueError(f"no VPI handle named {handle._path!r}")
        self.width = len(handle)
        self._words = (self.width + 31) // 32
        self._vector = np.zeros((self._words, 2), dtype=np.uint32)   # s_vpi_vecval: aval, bval
        self._value = _Value(_VPI_VECTOR_VAL, self._vector.ctypes.data)

    def write(self, value):
        """Write the non-negative int ``value`` (at most :attr:`width` bits)."""
        raw = value.to_bytes(self._words * 4, "little")
        self._vector[:, 0] = np.frombuffer(raw, dtype="<u4")
        self._put(self._object, ctypes.byref(self._value), None, _VPI_NO_DELAY)
