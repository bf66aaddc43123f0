"""Per-event energy and latency of a PANTHER core, and an energy report.

Every constant below carries the source of its number in a comment. Two sources are used:

* **[P]** the PANTHER paper (Ankit et al., "PANTHER: A Programmable Architecture for Neural
  Network Training Harnessing Energy-efficient ReRAM", IEEE Transactions on Computers, 2020):
  Eq. 5 for the DACs, §6.1
  for what was modelled (ISAAC crossbars and sample-and-hold, Saberi capacitive DACs, SAR ADCs
  from the Murmann survey, 1 GHz, 32 nm).
* **[PUMA]** the published constants of PUMA's cycle-level simulator, training branch (the
  simulator PANTHER extended, paper §6.1): ``include/constants.py`` and
  ``include/example-constants/constants-128.py`` of ``Aayush-Ankit/puma-simulator``. Those
  files give power in mW and latency in ns (so mW x ns = pJ); we quote the exact expression.

An *event* is the smallest thing a model or a co-simulation counts. The names are:

=====================  =====================================================================
``mvm_step``           one input bit-step of an MVM on ONE slice crossbar (rows driven,
                       column currents summed and sampled); ADCs are counted separately
``mtvm_step``          the same with columns driven and rows sensed
``opa_step``           one OPA bit-step (pulse width x amplitude) on ONE slice crossbar
``adc_conversion``     one SAR conversion of one held column (or row) value
``dac_conversion``     one column-DAC conversion (``nominal_bits`` bits) during an OPA step
``row_drive``          one row (or MVM column) driver pulse: a 1-bit DAC (an inverter)
``sample_hold``        one sample-and-hold of one column (or row) current
``shift_add``          one shift-and-add of one ADC code into an output accumulator
``serial_read_row``    serial (memory-style) read of one row of one slice
``serial_write_row``   serial program-verify write of one row of one slice
``vfu_op``             one VFU lane operation (16-bit)
``rf_access``          one register-file (data memory) word access
``smem_access``        one shared-memory word access
``imem_fetch``         one instruction fetch
``xbar_in_access``     one XBarIn register-file word access
``xbar_out_access``    one XBarOut register-file word access
``noc_flit``           one flit of a ``send`` injected into the network and delivered to the
                       receiving tile (the source router and the receive buffer)
``noc_hop``            one flit crossing one more router-to-router link and router
=====================  =====================================================================

Crossbar-array events are quoted for 128x128 arrays (the paper's size) and scaled with the
number of cells (``(xbar_size/128)**2``) for whole-array events and with the row length
(``xbar_size/128``) for serial row events. That scaling is our assumption, not the paper's.

Latency totals in a report are *serialised* sums (``count * latency``): an upper bound that
ignores the overlap the pipeline and the parallel slices give. They are meant for comparing
mechanisms (e.g. OPA against serial writes), not as an execution time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from panther.config import PantherConfig
from panther.table import format_table

__all__ = [
    "EVENTS", "EnergyModel", "EnergyReport", "EnergyRow", "adc_energy_pj",
    "dac_energy_pj", "DAC_BETA_F", "VDD", "REFERENCE_XBAR_SIZE",
]

# ----------------------------------------------------------------------------------------------
# Technology
# ----------------------------------------------------------------------------------------------

#: Supply voltage (V). [PUMA] constants.py: ``vdd = 0.9``.
VDD = 0.9

#: Array size the crossbar figures below were published for. [P] §6.3 / [PUMA] constants-128.py.
REFERENCE_XBAR_SIZE = 128

#: Clock the published per-event powers were given at (Hz). [P] Table 3: 1 GHz; [PUMA]
#: ``cycle_time = 1 # ns``. Used only to turn the PUMA 1-bit DAC power into energy.
_REFERENCE_CLOCK_HZ = 1.0e9

# ----------------------------------------------------------------------------------------------
# DACs: Eq. 5 of the paper, P = beta (2**N / N + 1) V**2 f  ([P] §3.1, citing Kim et al. [17]).
# Energy per conversion is P / f = beta (2**N / N + 1) V**2.
# beta is calibrated so that the 1-bit DAC matches PUMA's: [PUMA] constants.py
# ``dac_pow_dyn_dict['1'] = 0.00350625`` mW at 1 GHz  ->  3.50625e-6 W = beta * 3 * 0.81 * 1e9.
# ----------------------------------------------------------------------------------------------
_PUMA_DAC1_POWER_W = 0.00350625e-3
#: Eq. 5's beta (farad), from the calibration above (about 1.443 fF).
DAC_BETA_F = _PUMA_DAC1_POWER_W / ((2 ** 1 / 1 + 1) * VDD ** 2 * _REFERENCE_CLOCK_HZ)
#: DAC settling time (ns): [PUMA] constants.py ``dac_lat_dict = {'1': 1, ..., '16': 1}``.
_DAC_LATENCY_NS = 1.0


def dac_energy_pj(bits, *, beta=DAC_BETA_F, vdd=VDD):
    """Energy of one conversion of an ``bits``-bit DAC (pJ): Eq. 5 divided by ``f``."""
    if not (isinstance(bits, int) and bits >= 1):
        raise ValueError(f"DAC bits must be a positive integer, not {bits!r}")
    return beta * (2 ** bits / bits + 1) * vdd ** 2 * 1e12


# ----------------------------------------------------------------------------------------------
# SAR ADCs.
# [PUMA] constants-128.py ``adc_pow_dyn_dict``: 0.225 mW per bit of resolution ('1': 0.225,
# ..., '8': 1.8, '9': 2.025, '16': 3.6; ISAAC-derived, 8 bits at 1.28 GS/s), and PUMA's
# src/hw_stats.py charges ``accesses * adc_pow_dyn`` mW over one 1 ns cycle per conversion.
# Hence E(N) = 0.225 pJ * N per conversion (1.8 pJ at 8 bits, 2.7 pJ at 12, 3.15 pJ at the
# paper's ideal 14 bits). The paper took 8..12-bit SAR ADCs from the Murmann survey
# [P §6.1] without printing the numbers; we use PUMA's rule for every resolution.
# ----------------------------------------------------------------------------------------------
_ADC_PJ_PER_BIT = 1.8 / 8 * 1.0


def adc_energy_pj(bits):
    """Energy of one SAR conversion at ``bits`` bits of resolution (pJ)."""
    if not (isinstance(bits, int) and bits >= 1):
        raise ValueError(f"ADC bits must be a positive integer, not {bits!r}")
    return _ADC_PJ_PER_BIT * bits


# ----------------------------------------------------------------------------------------------
# Crossbar operations, [PUMA] training-branch constants. PUMA's src/hw_stats.py charges one
# ``xbar_ip_lat * xbar_ip_pow`` per *physical* crossbar (slice) per MVM/MTVM instruction, i.e.
# for all 16 input bit-steps; we divide by 16 for one bit-step of one slice.
# ----------------------------------------------------------------------------------------------
_PUMA_STEPS = 16
# MVM/MTVM: constants.py ``xbar_ip_lat = 100.0`` ns, ``xbar_ip_pow = 1.37*2.0`` mW (32-bit
# weights), of which constants-128.py attributes 1.04 mW to the ADCs (``(1.37*2.0) - 1.04``
# "includes all mvmu except ADC"). Without ADCs: 100 ns * 1.70 mW = 170 pJ per slice and
# operation, 10.625 pJ per slice and bit-step.
_MVM_OP_PJ = 100.0 * (1.37 * 2.0 - 1.04)
_MVM_OP_NS = 100.0
# OPA: convEPanther/constants_panther.py ``xbar_op_lat = 20.0`` ns, ``xbar_op_pow = 4.44`` mW,
# i.e. 88.8 pJ per slice and OPA operation, 5.55 pJ per slice and bit-step.
_OPA_OP_PJ = 20.0 * 4.44
_OPA_OP_NS = 20.0
# Serial read / write of a whole array: constants.py ``xbar_rd_lat = 328.0*1000*(1/32.0)`` ns
# with energy ``208.0*1000*(1/32.0)`` pJ (the power is that energy over xbar_rd_lat), and
# ``xbar_wr_lat = 351.0*1000*(1/32.0)`` ns with energy ``676.0*1000*(1/32.0)`` pJ. (PUMA divides
# the write energy by the read latency to get a power; we keep the energy.) Per row: / 128.
_SERIAL_READ_ARRAY_PJ = 208.0 * 1000 / 32.0
_SERIAL_READ_ARRAY_NS = 328.0 * 1000 / 32.0
_SERIAL_WRITE_ARRAY_PJ = 676.0 * 1000 / 32.0
_SERIAL_WRITE_ARRAY_NS = 351.0 * 1000 / 32.0
# Sample-and-hold: constants.py ``snh_pow_dyn = 9.7e-6 - 9.7e-7`` mW, ``snh_lat = 1`` ns.
_SNH_PJ = (9.7e-6 - 9.7e-7) * 1.0
# Shift-and-add: constants.py ``sna_pow_dyn = 0.05 - 0.005`` mW, ``sna_lat = 1`` ns.
_SNA_PJ = (0.05 - 0.005) * 1.0
# VFU lane op: constants.py ``alu_pow_dyn = 2.4 * 32/45`` mW (45 -> 32 nm), ``alu_lat = 1`` ns.
_VFU_PJ = 2.4 * 32 / 45 * 1.0
# Register file (data memory): constants.py ``dataMem_pow_dyn_dict`` (mW, 1 ns access).
_RF_PJ = {256: 0.16, 512: 0.24, 1024: 0.33, 2048: 0.57}
# Instruction memory: constants.py ``instrnMem_pow_dyn_dict`` (mW, 1 ns) ``* math.sqrt(8)``
# for 8-byte instructions.
_IMEM_PJ = {512: 0.46 * math.sqrt(8), 1024: 0.53 * math.sqrt(8), 2048: 0.65 * math.sqrt(8)}
# Shared memory (eDRAM): constants.py ``edram_pow_dyn_dict['64'] = 17.2/2`` mW over
# ``edram_lat_dict['64'] = 2`` ns for a 256-bit access ("0.0172 nJ"): 17.2 pJ / 16 words.
_SMEM_PJ_PER_WORD = 17.2 / 16
_SMEM_NS = 2.0
# XBarIn / XBarOut: constants.py ``xbar_inMem_pow_dyn_read_dict['128'] = 1.7`` mW and
# ``xbar_outMem_pow_dyn_dict['128'] = 0.16`` mW for one 1 ns access of the whole buffer
# (128 words); per word / 128.
_XBAR_IN_PJ_PER_WORD = 1.7 / 128
_XBAR_OUT_PJ_PER_WORD = 0.16 / 128
# The node's network. [PUMA] constants.py ``noc_pow_dyn_dict['4'] = 16.13`` mW per router
# (``config.py`` ``noc_num_port = 4``), which src/hw_stats.py charges once per 1 ns cycle the
# network is busy; we charge it once per flit per router traversal (one flit per router and
# cycle: our assumption), 16.13 pJ. A flit of a send crosses ``hops + 1`` routers: the source
# router (in ``noc_flit``) and one per link (``noc_hop``, link included as in PUMA's router
# figure). [PUMA] constants.py ``receive_buffer_pow_dyn = 4.48 * math.sqrt(4)`` mW for one
# access of a 256-bit receive-buffer entry (``edram_buswidth = 256``), 1 ns: 8.96 pJ / 8
# flits of 32 bits = 1.12 pJ per 32-bit flit, scaled with the flit width.
_ROUTER_PJ_PER_FLIT = 16.13 * 1.0
_RECEIVE_BUFFER_PJ_PER_BIT = 4.48 * math.sqrt(4) / 256


def _table_lookup(table, size):
    """Value for the smallest tabulated size >= ``size`` (the largest if none)."""
    for key in sorted(table):
        if key >= size:
            return table[key]
    return table[max(table)]


@dataclass(frozen=True)
class EnergyRow:
    """One line of an :class:`EnergyReport`.

    Members
    -------
    event : str
    count : int
    energy_pj : float     energy of one event (pJ)
    latency_ns : float    latency of one event (ns)
    total_energy_pj : float
    total_latency_ns : float
    """

    event: str
    count: int
    energy_pj: float
    latency_ns: float
    total_energy_pj: float
    total_latency_ns: float


@dataclass(frozen=True)
class EnergyReport:
    """Per-event energy and latency rows and their totals.

    Members
    -------
    rows : tuple of EnergyRow
        One row per event with a non-zero count, in the order of :data:`EVENTS`.
    total_energy_pj, total_latency_ns : float
        Sums over the rows (latency is a serialised upper bound).
    """

    rows: tuple
    total_energy_pj: float
    total_latency_ns: float

    def row(self, event):
        """The row of ``event`` (KeyError if it had no count)."""
        for r in self.rows:
            if r.event == event:
                return r
        raise KeyError(event)

    def format(self):
        """A plain-text table (:func:`panther.table.format_table`)."""
        rows = [(r.event, r.count, f"{r.energy_pj:.4g}", f"{r.latency_ns:.4g}",
                 f"{r.total_energy_pj:.6g}", f"{r.total_latency_ns:.6g}") for r in self.rows]
        rows.append(("total", "-", "-", "-", f"{self.total_energy_pj:.6g}",
                     f"{self.total_latency_ns:.6g}"))
        return format_table(("event", "count", "pJ each", "ns each", "total pJ", "total ns"),
                            rows).rstrip("\n")


#: Event names understood by :meth:`EnergyModel.breakdown`, in report order.
EVENTS = ("mvm_step", "mtvm_step", "opa_step", "adc_conversion", "dac_conversion", "row_drive",
          "sample_hold", "shift_add", "serial_read_row", "serial_write_row", "vfu_op",
          "rf_access", "smem_access", "imem_fetch", "xbar_in_access", "xbar_out_access",
          "noc_flit", "noc_hop")


class EnergyModel:
    """Per-event energy (pJ) and latency (ns) for one configuration.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    config : PantherConfig
    energy_pj : dict[str, float]
        Energy of one event, per event name (see the module docstring).
    latency_ns : dict[str, float]
        Latency of one event.
    """

    def __init__(self, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        cells = (config.xbar_size / REFERENCE_XBAR_SIZE) ** 2
        row = config.xbar_size / REFERENCE_XBAR_SIZE
        cycle_ns = 1000.0 / config.clock_mhz
        per_step = _PUMA_STEPS
        adc_bits = config.adc_code_bits
        self.energy_pj = {
            "mvm_step": _MVM_OP_PJ / per_step * cells,
            "mtvm_step": _MVM_OP_PJ / per_step * cells,
            "opa_step": _OPA_OP_PJ / per_step * cells,
            "adc_conversion": adc_energy_pj(adc_bits),
            "dac_conversion": dac_energy_pj(config.nominal_bits),
            "row_drive": dac_energy_pj(1),
            "sample_hold": _SNH_PJ,
            "shift_add": _SNA_PJ,
            "serial_read_row": _SERIAL_READ_ARRAY_PJ / REFERENCE_XBAR_SIZE * row,
            "serial_write_row": _SERIAL_WRITE_ARRAY_PJ / REFERENCE_XBAR_SIZE * row,
            "vfu_op": _VFU_PJ,
            "rf_access": _table_lookup(_RF_PJ, config.rf_depth),
            "smem_access": _SMEM_PJ_PER_WORD,
            "imem_fetch": _table_lookup(_IMEM_PJ, config.imem_depth),
            "xbar_in_access": _XBAR_IN_PJ_PER_WORD,
            "xbar_out_access": _XBAR_OUT_PJ_PER_WORD,
            "noc_flit": _ROUTER_PJ_PER_FLIT + _RECEIVE_BUFFER_PJ_PER_BIT * config.noc_flit_bits,
            "noc_hop": _ROUTER_PJ_PER_FLIT,
        }
        self.latency_ns = {
            "mvm_step": _MVM_OP_NS / _PUMA_STEPS,
            "mtvm_step": _MVM_OP_NS / _PUMA_STEPS,
            "opa_step": _OPA_OP_NS / _PUMA_STEPS,
            # the ADC latency is a configuration parameter (cycles per conversion)
            "adc_conversion": config.adc_latency * cycle_ns,
            "dac_conversion": _DAC_LATENCY_NS,
            "row_drive": _DAC_LATENCY_NS,
            "sample_hold": 1.0,
            "shift_add": 1.0,
            "serial_read_row": _SERIAL_READ_ARRAY_NS / REFERENCE_XBAR_SIZE,
            "serial_write_row": _SERIAL_WRITE_ARRAY_NS / REFERENCE_XBAR_SIZE,
            "vfu_op": cycle_ns,
            "rf_access": cycle_ns,
            "smem_access": _SMEM_NS,
            "imem_fetch": cycle_ns,
            "xbar_in_access": cycle_ns,
            "xbar_out_access": cycle_ns,
            # a flit leaves its link one cycle after the previous one (serialisation); each
            # router traversal takes ``noc_hop_cycles`` (config.py, docs/node.md)
            "noc_flit": cycle_ns,
            "noc_hop": config.noc_hop_cycles * cycle_ns,
        }

    def adc_table(self, bits=(8, 9, 10, 11, 12)):
        """``{bits: pJ per conversion}`` for the paper's resolutions plus the ideal width."""
        table = {b: adc_energy_pj(b) for b in bits}
        table[self.config.adc_ideal_bits] = adc_energy_pj(self.config.adc_ideal_bits)
        return table

    def breakdown(self, counts):
        """An :class:`EnergyReport` for ``counts`` (``{event name: count}``).

        Raises ValueError for an unknown event name or a negative / non-integer count.
        """
        if not isinstance(counts, dict):
            raise TypeError(f"counts must be a dict of event name -> count, not {counts!r}")
        unknown = sorted(set(counts) - set(EVENTS))
        if unknown:
            raise ValueError(f"unknown energy event(s) {unknown!r}; expected some of {list(EVENTS)!r}")
        rows = []
        for event in EVENTS:
            count = counts.get(event, 0)
            if isinstance(count, bool) or not isinstance(count, (int,)) and not hasattr(count, "__index__"):
                raise ValueError(f"count of {event!r} must be an integer, not {count!r}")
            count = int(count)
            if count < 0:
                raise ValueError(f"count of {event!r} must be >= 0, not {count!r}")
            if count == 0:
                continue
            e, t = self.energy_pj[event], self.latency_ns[event]
            rows.append(EnergyRow(event, count, e, t, e * count, t * count))
        return EnergyReport(tuple(rows), sum(r.total_energy_pj for r in rows),
                            sum(r.total_latency_ns for r in rows))
