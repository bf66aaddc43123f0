"""Fast path of the Verilator bridge for serial row reads and writes (:mod:`cosim.mcu_bridge`).

An MCU's commit (CRS, variant-3 commit) reads and writes every row of every slice serially,
one analog transaction each: most of a tile program's transactions. :class:`RowServer`
serves such a transaction with few simulator calls: the fields it needs read as the
simulator's bit strings from handles found once (no cocotb ``LogicArray``), the row
converted by :class:`cosim.analog_port.RowCodec`, the model's row access
(:meth:`analog_models.AnalogMCU.serial_read` / ``serial_write``) and ``rdata`` written into
its hold register at once as a bit string (as cocotb writes under Verilator, whose runner
sets ``COCOTB_TRUST_INERTIAL_WRITES``; the hold register is read only at the next falling
edge, :mod:`cosim.analog_answer`). The answers, event counts and transaction counts are
those of :meth:`cosim.analog_port.AnalogPort.serve`.

:class:`RowGate` also takes the wake-up of such a transaction off cocotb's scheduler: a
value-change callback of the simulator (what a ``RisingEdge`` trigger registers, without the
trigger, the task and the event loop around it) serves it at once, and the other
transactions too when the bridge gives it a ``serve`` (:func:`cosim.mcu_bridge.serve_mcu`
does), else wakes the bridge's coroutine for them.
"""

import time

import cocotb
import cocotb._event_loop
import cocotb._gpi_triggers
import cocotb.handle
from cocotb import simulator
from cocotb.triggers import Event, RisingEdge

from panther.hdl.ports import AnalogOp

__all__ = ["ROW_OPS", "RowServer", "RowGate", "fast_rows"]

#: The ``op`` values a :class:`RowServer` serves: a serial read alone, a serial write alone.
ROW_OPS = (AnalogOp.READ.value, AnalogOp.WRITE.value)
_READ = AnalogOp.READ.value         # a plain int: no enum look-up per transaction

#: cocotb's ``_GPISetAction.DEPOSIT``: a plain write of the value.
_DEPOSIT = cocotb.handle._GPISetAction.DEPOSIT.value


def fast_rows():
    """Whether :class:`RowGate` can serve: cocotb writes at once what a testbench writes
    (``COCOTB_TRUST_INERTIAL_WRITES``, set by its Verilator runner), so the fast path's
    writes at once are what cocotb's own would be, and cocotb has the internals a firing
    trigger uses (its event loop and the record of the trigger that fired; cocotb 2.1)."""
    return (bool(getattr(cocotb.handle, "_trust_inertial", False))
            and hasattr(cocotb._event_loop, "_inst")
            and hasattr(cocotb._gpi_triggers, "_current_gpi_trigger"))


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
        if op == _READ:
            self._rdata(_DEPOSIT, port.read_row(self.amcu, int(self._read_copy(), 2), k, row))
        else:
            port.write_row(self.amcu, int(self._write_copies(), 2), k, row, self._wdata())


async def _reraise(error):
    raise error


class RowGate:
    """Serves the row transactions of one MCU analog port from a value-change callback of
    ``req`` and wakes the bridge's coroutine (``await gate.other.wait()``) for the others,
    or serves those too in the callback when given ``serve``.

    Parameters
    ----------
    dut, prefix, port, amcu, rdata
        As :class:`RowServer`.
    serve : callable, optional
        ``serve(op)`` performs any other transaction ``op`` whose ``req`` just rose, at once
        (its reads, the models and its writes: everything the bridge's coroutine would do
        after waking up, which then never wakes).

    Members
    -------
    other : cocotb.triggers.Event
        Set when a transaction that is not a serial row starts; ``op`` is its ``op``.
    op : int or None
    """

    def __init__(self, dut, prefix, port, amcu, rdata, serve=None):
        self.rows = RowServer(dut, prefix, port, amcu, rdata)
        self.port, self._serve = port, serve
        req = getattr(dut, prefix + "req")
        self._req, self._edge = _sim(req), RisingEdge(req)
        self._op = _sim(getattr(dut, prefix + "op")).get_signal_val_binstr
        self.other = Event()
        self.op = None
        self._callback = None
        self._arm()

    def _arm(self):
        # a simulator callback fires once: registered again after each
        self._callback = simulator.register_value_change_callback(self._req, self._fire,
                                                                  simulator.RISING)

    async def next_op(self):
        """The ``op`` of the next transaction that is not a serial row, once its ``req`` rose
        (stops serving when the waiting task is cancelled or ends)."""
        try:
            await self.other.wait()
        except BaseException:
            self.cancel()
            raise
        self.other.clear()
        return self.op

    def cancel(self):
        """Stop serving (the bridge's coroutine ends)."""
        if self._callback is not None:
            self._callback.deregister()
            self._callback = None

    def _fire(self):
        # what a firing RisingEdge(req) does first: be the trigger that fired (cocotb checks
        # it before a write: none in the read-only phase)
        cocotb._gpi_triggers._current_gpi_trigger = self._edge
        self._callback = None
        port = self.port
        port.wakeups += 1
        t0 = time.perf_counter()
        try:
            op = int(self._op(), 2)
            if op in ROW_OPS:
                self.rows.serve(op)
                port.bridge_s["rows"] += time.perf_counter() - t0
            elif self._serve is not None:
                self._serve(op)
            else:
                self.op = op
                self.other.set()
        except Exception as error:      # fail the test as an exception of the coroutine would
            cocotb.start_soon(_reraise(error))
            cocotb._event_loop._inst.run()
            return
        # what a trigger's firing does: run what became ready (the coroutine, if woken)
        cocotb._event_loop._inst.run()
        self._arm()
