"""The architectures of the paper's comparison (§6.3), as energy models over one workload.

Every architecture runs the same compiled kernel: the same instructions, VFU operations,
register-file, XBar-buffer, instruction-memory and shared-memory words (the *program
events*), priced alike by :class:`analog_models.energy.EnergyModel`. They differ in the
matrix operations and in how weights are updated:

=================  =====================================================================
PANTHER v1/v2/v3   the golden model's own counts of the variant (``energy_events``): MVM,
                   MTVM, OPA on the bit-sliced crossbars; OPA operands saved in shared
                   memory (v1-2) or the third copy committed at ``hlt`` (v3); CRS every
                   ``crs_period`` kernels.
Base_mvm           MVM and MTVM on ReRAM crossbars of 16 x 2-bit slices (its own ADC
                   width); each OPA a CMOS outer product; at the end of the batch each
                   block's weights are read serially (every row of every slice), updated
                   and written back serially to every copy. No CRS.
Base_digital       weights in SRAM: MVM, MTVM and OPA on CMOS; no serial access, no CRS.
Base_opa/mvm       PipeLayer (§5.4.3), convolutional layers only (``None`` for dense).
=================  =====================================================================

The CMOS operations are PUMA's ratios (:mod:`analog_models.baselines`) applied to the ReRAM
operation of the 16 x 2-bit crossbar set. Program events of a baseline come from the
variant-3 run, which has no OPA-operand traffic (a baseline updates as it goes).
"""

from __future__ import annotations

from dataclasses import dataclass

from panther.analog_models import baselines
from panther.analog_models.energy import EnergyModel
from panther.isa.events import MCU_EVENTS, energy_events

__all__ = ["ARCHITECTURES", "PROGRAM_EVENTS", "Energy", "base_mvm_config", "panther_energy",
           "base_mvm_energy", "base_digital_energy", "base_opa_mvm_energy", "copies_of",
           "read_energy_pj", "opa_energy_pj"]

#: Architecture names, in report order.
ARCHITECTURES = ("panther", "base_digital", "base_mvm", "base_opa_mvm")

#: Energy events every architecture prices the same way (the program's digital work).
PROGRAM_EVENTS = ("vfu_op", "rf_access", "smem_access", "imem_fetch", "xbar_in_access",
                  "xbar_out_access")


@dataclass(frozen=True)
class Energy:
    """Energy of one kernel invocation on one architecture (pJ).

    Members
    -------
    total_pj : float
    parts : dict
        ``mvm_mtvm`` (matrix reads: arrays, ADCs, drivers), ``opa`` (the updates' compute),
        ``serial`` (serial reads and writes: CRS, commit, read-modify-write), ``program``
        (:data:`PROGRAM_EVENTS`); they add up to ``total_pj``.
    """

    total_pj: float
    parts: dict


def copies_of(variant):
    """Crossbar copies a baseline keeps when compared with PANTHER variant ``variant``: one
    for SGD (variant 1), two (MVM and MTVM at once) otherwise. Our assumption: the paper gives
    the baselines "the same platform parameters as PANTHER" (§6.3)."""
    return 1 if variant == 1 else 2


def base_mvm_config(config):
    """The 16 x 2-bit crossbar set of Base_mvm (§6.3) for ``config``: same crossbars and
    ADCs per crossbar; the ADC resolution is ``config.adc_bits`` capped at the ideal width of
    a 2-bit slice (ideal when ``config.adc_bits`` is 0)."""
    base = config.replace(slice_bits=baselines.BASE_MVM_SLICE_BITS,
                          nominal_bits=baselines.BASE_MVM_NOMINAL_BITS, adc_bits=0, variant=1)
    if config.adc_bits:
        base = base.replace(adc_bits=min(config.adc_bits, base.adc_ideal_bits))
    return base


def _priced(model, counts, names):
    return sum(model.energy_pj[name] * counts.get(name, 0) for name in names)


def _ops(**changes):
    ops = dict.fromkeys(MCU_EVENTS, 0)
    ops.update(changes)
    return ops


def _events_of(config, **ops):
    """Energy events of MCU operations alone (no program events), by the rules of
    :func:`isa.events.energy_events`."""
    return energy_events({"mcu_totals": _ops(**ops), "instructions_total": 0}, config)


def _total(config, counts):
    return EnergyModel(config).breakdown(counts).total_energy_pj


def read_energy_pj(config, n):
    """Energy of ``n`` MVMs (or MTVMs) on ``config``'s crossbar set (pJ)."""
    return _total(config, _events_of(config, mvm=n))


def opa_energy_pj(config, n):
    """Energy of ``n`` ReRAM OPAs applied to one copy of ``config``'s crossbar set (pJ)."""
    one_copy = config.replace(variant=1)
    return _total(one_copy, _events_of(one_copy, opa_applied=n))


def _program(events, config):
    return _priced(EnergyModel(config), events["energy_events"], PROGRAM_EVENTS)


def panther_energy(events, config):
    """PANTHER's energy for golden-model ``events`` of a run on ``config`` (its variant)."""
    ops = events["mcu_totals"]
    parts = {
        "mvm_mtvm": _total(config, _events_of(config, mvm=ops["mvm"], mtvm=ops["mtvm"])),
        "opa": _total(config, _events_of(config, opa_applied=ops["opa_applied"])),
        "serial": _total(config, _events_of(config, crs_applied=ops["crs_applied"],
                                            commits=ops["commits"])),
        "program": _program(events, config),
    }
    return Energy(sum(parts.values()), parts)


def _updated_blocks(events):
    """MCUs (crossbar sets) that issued at least one OPA."""
    return sum(1 for mcu in events["mcu"] if mcu["opa"])


def base_mvm_energy(events, config, *, variant):
    """Base_mvm's energy for the program events of ``events`` (a variant-3 run of the
    kernel) on ``config``, compared with PANTHER variant ``variant``."""
    base = base_mvm_config(config)
    ops = events["mcu_totals"]
    rows = base.n_slices * base.xbar_size * _updated_blocks(events)
    serial = EnergyModel(base)
    parts = {
        "mvm_mtvm": read_energy_pj(base, ops["mvm"] + ops["mtvm"]),
        "opa": baselines.CMOS_OPA_ENERGY_RATIO * opa_energy_pj(base, ops["opa"]),
        "serial": rows * (serial.energy_pj["serial_read_row"]
                          + copies_of(variant) * serial.energy_pj["serial_write_row"]),
        "program": _program(events, config),
    }
    return Energy(sum(parts.values()), parts)


def base_digital_energy(events, config):
    """Base_digital's energy for the program events of ``events`` (a variant-3 run)."""
    base = base_mvm_config(config)
    ops = events["mcu_totals"]
    parts = {
        "mvm_mtvm": baselines.CMOS_MVM_ENERGY_RATIO * read_energy_pj(base, ops["mvm"] + ops["mtvm"]),
        "opa": baselines.CMOS_OPA_ENERGY_RATIO * opa_energy_pj(base, ops["opa"]),
        "serial": 0.0,
        "program": _program(events, config),
    }
    return Energy(sum(parts.values()), parts)


def base_opa_mvm_energy(events, config, *, variant, conv=None):
    """Base_opa/mvm (PipeLayer, §5.4.3) for a convolutional layer; ``None`` for a dense one
    (``conv`` is None), where it does not apply (§6.3).

    ``conv`` is a mapping with the layer's weight-gradient work per sample, which the conv
    layers' count model provides: ``gradient_mvms`` (MVMs that convolve the input with the
    output errors held in crossbars) and ``error_rows`` (crossbar rows the output errors
    ``dH`` are written to serially, per slice). The forward and backward passes and the
    end-of-batch read-modify-write are Base_mvm's.
    """
    if conv is None:
        return None
    base = base_mvm_config(config)
    batch = conv["batch"]
    model = EnergyModel(base)
    rest = base_mvm_energy(events, config, variant=variant)
    parts = dict(rest.parts)
    parts["opa"] = read_energy_pj(base, batch * conv["gradient_mvms"])
    parts["serial"] += (batch * conv["error_rows"] * base.n_slices
                        * model.energy_pj["serial_write_row"])
    return Energy(sum(parts.values()), parts)
