"""Device and circuit costs of the paper's baselines (§6.3) and of its storage-density figure.

Sources, as in :mod:`analog_models.energy`:

* **[P]** the PANTHER paper (``shared/paper/panther-paper.txt``);
* **[PUMA]** the PANTHER-era files of PUMA's simulator, training branch
  (``Aayush-Ankit/puma-simulator``): ``include/mlpPanther/constants_panther.py`` (PANTHER),
  ``constants_cmosOP.py`` (Base_mvm: a CMOS outer product), ``constants_digital.py``
  (Base_digital), ``constants_pipelayer.py`` (Base_opa/mvm), ``include/mlpPanther/config.py``
  and ``src/ima.py``. PUMA gives power in mW and latency in ns.

**How the CMOS primitives are priced.** PUMA defines Base_digital's MVM and every CMOS outer
product as *multiples* of its own ReRAM operations, per physical (2-bit) crossbar:
``constants_digital.py`` multiplies the ReRAM MVM latency by 8.97 and its energy by 4.17,
``constants_cmosOP.py`` the ReRAM OPA latency by 12.8 and its energy by 3.27. We keep those
ratios and apply them to this project's own ReRAM costs (:class:`analog_models.energy.EnergyModel`
on a 16 x 2-bit crossbar set, PUMA's physical crossbars). PUMA's lumped ReRAM MVM charges far
fewer ADC conversions than :mod:`analog_models.energy`, which converts every column of every
slice at every bit-step; taking PUMA's absolute CMOS figures instead would price the CMOS
baseline with one ADC accounting and PANTHER with another. This is our choice, stated in
``docs/evaluation.md``.
"""

from __future__ import annotations

__all__ = [
    "CMOS_MVM_ENERGY_RATIO", "CMOS_MVM_LATENCY_RATIO", "CMOS_OPA_ENERGY_RATIO",
    "CMOS_OPA_LATENCY_RATIO", "BASE_MVM_SLICE_BITS", "BASE_MVM_NOMINAL_BITS",
    "XBAR_AREA_MM2", "EDRAM_AREA_MM2_PER_BYTE", "SRAM_WORD_PJ", "SRAM_PORT_WORDS",
    "SMEM_WORDS_PER_ACCESS", "MVM_PIPELINE_STAGES",
]

# ----------------------------------------------------------------------------------------------
# CMOS matrix operations, as ratios to the ReRAM ones.
# ----------------------------------------------------------------------------------------------
#: Base_digital MVM/MTVM energy over a ReRAM MVM on 2-bit slices. [PUMA] constants_digital.py:
#: ``xbar_ip_lat = 100*8.97`` ns, ``xbar_ip_pow = ((1.37*2.0)*4.17) / (8.97)`` mW, against
#: constants_cmosOP.py ``xbar_ip_lat = 100.0``, ``xbar_ip_pow = (1.37*2.0)``: energy ratio
#: (897 x 2.74 x 4.17 / 8.97) / (100 x 2.74) = 4.17.
CMOS_MVM_ENERGY_RATIO = 4.17
#: Base_digital MVM/MTVM latency over a ReRAM MVM. [PUMA] constants_digital.py
#: ``xbar_ip_lat = 100*8.97 #8.97X higher are for constant latency``; [P] Fig. 1: about 8.9x.
CMOS_MVM_LATENCY_RATIO = 8.97
#: CMOS outer product (Base_digital and Base_mvm) energy over a ReRAM OPA. [PUMA]
#: constants_cmosOP.py ``xbar_op_lat = 20.0*12.8 # with 4 VFUs``,
#: ``xbar_op_pow = 4.44 * 3.27 / (12.8)`` mW, against constants_panther.py ``xbar_op_lat =
#: 20.0``, ``xbar_op_pow = 4.44``: energy ratio 3.27.
CMOS_OPA_ENERGY_RATIO = 3.27
#: CMOS outer product latency over a ReRAM OPA. [PUMA] constants_cmosOP.py (above): 12.8.
CMOS_OPA_LATENCY_RATIO = 12.8

# ----------------------------------------------------------------------------------------------
# Base_mvm and Base_opa/mvm crossbars.
# ----------------------------------------------------------------------------------------------
#: [P] §6.3: "32-bit weights sliced across 16 slices with 2 bits each" (MSB slice first).
BASE_MVM_SLICE_BITS = (2,) * 16
#: Nominal bits per slice of that slicing: 2 (no spare bits: the crossbars only do MVM/MTVM,
#: the update is a digital read-modify-write).
BASE_MVM_NOMINAL_BITS = 2

# ----------------------------------------------------------------------------------------------
# Storage (Fig. 14: storage density of variants 2 and 3; Fig. 1: reading/writing a matrix).
# ----------------------------------------------------------------------------------------------
#: Area of one 128x128 crossbar (any cell bits), mm^2. [PUMA] constants_panther.py
#: ``xbar_area_dict[...]['128'] = 2.5 * 10**(-5)``; scaled with the number of cells (our
#: assumption, as for the energies).
XBAR_AREA_MM2 = 2.5e-5
#: Area of the eDRAM shared memory per byte, mm^2. [PUMA] ``edram_area_dict['64'] = 0.086``
#: mm^2 for ``edram_size = 64`` KB.
EDRAM_AREA_MM2_PER_BYTE = 0.086 / (64 * 1024)
#: Energy of one 16-bit SRAM word access (Base_digital's weight SRAM), pJ. [PUMA]
#: ``dataMem_pow_dyn_dict['2048'] = 0.57`` mW, ``dataMem_lat_dict = 1`` ns.
SRAM_WORD_PJ = 0.57 * 1.0
#: Words an SRAM access moves per cycle when a whole matrix is read or written (Fig. 1).
#: Assumption: the width of PUMA's eDRAM bus, ``edram_buswidth = 256`` bits = 16 words.
SRAM_PORT_WORDS = 16

# ----------------------------------------------------------------------------------------------
# Timing structure (the timing model of apps/evaluation).
# ----------------------------------------------------------------------------------------------
#: Words of one shared-memory access. [PUMA] config.py ``edram_buswidth = 256`` bits of 16-bit
#: words; constants.py ``edram_lat_dict['64'] = 2`` ns per access.
SMEM_WORDS_PER_ACCESS = 16
#: Pipeline stages of an MVM bit-step: crossbar and DAC, sample-and-hold and ADC, shift-and-add.
#: [PUMA] src/ima.py ``xbComputeLatency_Analog``: ``num_stage = 3``, latency
#: ``adc_lat * (input_prec / dac_res + num_stage - 1)``.
MVM_PIPELINE_STAGES = 3
