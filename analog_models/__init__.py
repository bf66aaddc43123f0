"""Behavioural (numpy) models of PANTHER's analog half: bit-sliced ReRAM crossbars, SAR ADCs,
row drivers and column DACs, device non-idealities and an energy/latency model.

Pure numpy; depends only on :mod:`panther.config` and :mod:`panther.fixed_point`. See
``docs/analog_models.md`` and ``docs/semantics.md``.
"""

from . import energy, functional_opa, mcu_ops, nonidealities
from .adc import SarAdc
from .analog_mcu import AnalogMCU
from .crossbar import Crossbar
from .dac import ColumnDac, RowDriver, dac_power_w
from .drivers import all_row_drives, opa_col_chunks, row_drive
from .energy import EnergyModel, EnergyReport
from .functional_opa import OPA_MODELS, functional_chunks
from .mcu_ops import mtvm, mvm, opa, shift_and_add

__all__ = [
    "Crossbar", "SarAdc", "AnalogMCU", "RowDriver", "ColumnDac", "dac_power_w",
    "row_drive", "all_row_drives", "opa_col_chunks", "mvm", "mtvm", "opa", "shift_and_add",
    "EnergyModel", "EnergyReport", "energy", "mcu_ops", "nonidealities",
    "functional_opa", "functional_chunks", "OPA_MODELS",
]
