"""Fast path of the Verilator bridge for serial row reads and writes (:mod:`cosim.mcu_bridge`).

An MCU's commit (CRS, variant-3 commit) reads and writes every row of every slice serially,
one analog transaction each: most of a tile program's transactions. :class:`RowServer`
serves such a transaction with few simulator calls: the fields it needs read as the
simulator's bit strings from handles found once (no cocotb ``LogicArray``), the row
converted by :class:`cosim.analog_port.RowCodec`, the model's row access
(:meth:`analog_models.AnalogMCU.serial_read` / ``serial_write``) and ``rdata`` written into
its hold register at once (no write scheduled for the time step's read-write phase: the
hold register is read only at the next falling edge, :mod:`cosim.analog_answer`). The
answers, event counts and transaction counts are those of
:meth:`cosim.analog_port.AnalogPort.serve`.
"""

from panther.hdl.ports import AnalogOp

__all__ = ["ROW_OPS", "RowServer"]

#: The ``op`` values a :class:`RowServer` serves: a serial read alone, a serial write alone.
ROW_OPS = (AnalogOp.READ.value, AnalogOp.WRITE.value)

#: cocotb's ``_GPISetAction.DEPOSIT``: a plain write of the value.
_DEPOSIT = 0


def _sim(handle):
    """The simulator object of a cocotb handle (its ``get_signal_val_binstr`` and
    ``set_signal_val_binstr``)."""
    return handle._handle


class RowServer:
    """Serves READ and WRITE transactions of one MCU analog port (a top level with hold
    registers, not settled: Verilator).

    Parameters
    ----------
    dut : cocotb handle of the top level
    prefix : str
        Prefix of the port's flattened names (as :func:`cosim.mcu_bridge.serve_mcu`).
    port : AnalogPort
    amcu : AnalogMCU
    rdata : cocotb handle of the ``rdata`` hold register
    """

    def __init__(self, dut, prefix, port, amcu, rdata):
        def value(name):
            return _sim(getattr(dut, prefix + name)).get_signal_val_binstr

        self.port, self.amcu = port, amcu
        self._slice, self._row = value("slice"), value("row")
        self._read_copy, self._write_copies = value("read_copy"), value("write_copies")
        self._wdata = value("wdata")
        self._rdata = _sim(rdata).set_signal_val_binstr

    def serve(self, op):
        """Serve the transaction ``op`` (one of :data:`ROW_OPS`) whose ``req`` just rose."""
        port = self.port
        port.transactions["requests"] += 1
        k, row = int(self._slice(), 2), int(self._row(), 2)
        if op == AnalogOp.READ.value:
            self._rdata(_DEPOSIT, port.read_row(self.amcu, int(self._read_copy(), 2), k, row))
        else:
            port.write_row(self.amcu, int(self._write_copies(), 2), k, row, self._wdata())
