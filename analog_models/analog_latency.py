"""How many clock cycles the analog half takes to answer one analog-port transaction.

An MCU talks to its analog half in *transactions* (docs/mcu.md): one MVM, MTVM or OPA
bit-step on all slices of a copy at once, or a serial read or write of one row of one
slice. The latency of each is composed from the per-event latencies of
:class:`panther.analog_models.energy.EnergyModel` (``latency_ns``, each constant there
with its source, [PUMA] ``include/constants.py`` of the training branch):

=========  =============================================  =========================
operation  events, one after the other                    ns
=========  =============================================  =========================
``MVM``    ``row_drive`` + ``mvm_step`` + ``sample_hold``   1 + 100/16 + 1 = 8.25
``MTVM``   ``row_drive`` + ``mtvm_step`` + ``sample_hold``  1 + 100/16 + 1 = 8.25
``OPA``    ``dac_conversion`` + ``opa_step``                1 + 20/16 = 2.25
``READ``   ``serial_read_row``                              328000/32/128 = 80.08
``WRITE``  ``serial_write_row``                             351000/32/128 = 85.69
=========  =============================================  =========================

Our assumptions, not the paper's: the events of one transaction are serial (drive, then
the array settles, then the column is sampled; for OPA the column DAC settles, then the
pulse), the ADC conversions are not part of it (the MCU's shift-and-add units count them,
``adc_latency`` cycles each), all slices of a copy and all copies of one transaction work
in parallel, and a transaction with several operations (variants 2 and 3) takes the
longest of them. A latency is rounded up to whole cycles of ``clock_mhz``, at least one.

:func:`latency_cycles` gives what the configuration asks for (``analog_latency``):
:func:`modelled_cycles` or one cycle for every operation (``"ideal"``).
"""

from __future__ import annotations

import math

from panther.config import PantherConfig

from .energy import EnergyModel

__all__ = ["ANALOG_OPS", "TRANSACTION_EVENTS", "transaction_ns", "modelled_cycles",
           "latency_cycles"]

#: The analog-port operations, by the names of ``hdl.ports.AnalogOp``.
ANALOG_OPS = ("MVM", "MTVM", "OPA", "READ", "WRITE")

#: Per operation: the :class:`EnergyModel` events one transaction takes, one after the other.
TRANSACTION_EVENTS = {
    "MVM": ("row_drive", "mvm_step", "sample_hold"),
    "MTVM": ("row_drive", "mtvm_step", "sample_hold"),
    "OPA": ("dac_conversion", "opa_step"),
    "READ": ("serial_read_row",),
    "WRITE": ("serial_write_row",),
}

# A latency that is a whole number of cycles up to float error is not rounded up once more.
_EPSILON = 1e-9


def _check_config(config):
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")


def transaction_ns(config):
    """``{operation: ns}``: the modelled latency of one transaction of each operation."""
    _check_config(config)
    latency = EnergyModel(config).latency_ns
    return {op: sum(latency[event] for event in TRANSACTION_EVENTS[op]) for op in ANALOG_OPS}


def modelled_cycles(config):
    """``{operation: cycles}``: :func:`transaction_ns` in whole cycles of ``clock_mhz``
    (rounded up, at least 1)."""
    return {op: max(1, math.ceil(ns * config.clock_mhz / 1000.0 - _EPSILON))
            for op, ns in transaction_ns(config).items()}


def latency_cycles(config):
    """``{operation: cycles}`` the co-simulated analog half answers in, as ``config``'s
    ``analog_latency`` asks: :func:`modelled_cycles` when ``"modelled"``, else 1 each."""
    _check_config(config)
    if config.analog_latency == "modelled":
        return modelled_cycles(config)
    return dict.fromkeys(ANALOG_OPS, 1)
