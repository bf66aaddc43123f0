"""The PANTHER Matrix Computation Unit (paper §4) in Amaranth 0.5.

One concept per module: :mod:`.xbar_buffers` (XBarIn / XBarOut), :mod:`.input_driver`
(sign-magnitude bit streaming and OPA chunks), :mod:`.shift_add` (ADC rounds and full-width
accumulation), :mod:`.carry_resolution` (CRS row unit), :mod:`.controller` (sequencing) and
:mod:`.mcu` (the top component; its analog port is
:class:`panther.hdl.ports.McuAnalogSignature`). See ``docs/mcu.md``.
"""

from panther.hdl.widths import McuWidths

from .carry_resolution import CarryResolution, crs_pipeline_depth
from .controller import (
           AnalogOp,
           Controller,
           McuOp,
           analytic_cycles,
           commit_cycles,
           crs_cycles,
           rtl_cycles,
           transaction_latency,
)
from .input_driver import InputDriver
from .mcu import MCU, McuSignature
from .shift_add import ShiftAdd
from .xbar_buffers import XBarBuffer, XBarIn, XBarOut

__all__ = ["McuWidths", "XBarBuffer", "XBarIn", "XBarOut", "InputDriver", "ShiftAdd",
           "CarryResolution", "crs_pipeline_depth", "Controller", "McuOp", "AnalogOp", "analytic_cycles",
           "rtl_cycles", "crs_cycles", "commit_cycles", "transaction_latency", "McuSignature", "MCU"]
