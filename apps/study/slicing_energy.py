"""MVM/MTVM energy of a slice configuration, from :class:`analog_models.energy.EnergyModel`.

Why slicing costs energy (paper §3.3, §7.2): every slice is a crossbar whose column (MVM) or
row (MTVM) sums are converted at every input bit-step, and a slice with more bits needs a wider
ADC. The ADC width of slice ``k`` is the configuration's own rule for an exact conversion,
``adc_ideal_bits`` of a configuration whose slices all have ``b_k`` bits:
``(xbar_size - 1).bit_length() + b_k + 1`` (13 bits for a 5-bit slice of a 128-row crossbar).
The energy of one MVM (or MTVM) is then the sum over slices of the ``EnergyModel`` of that
slice's configuration, for ``input_steps`` bit-steps, each converting, sampling and
shift-adding ``xbar_size`` values and pulsing ``xbar_size`` drivers.
"""

from __future__ import annotations

from panther.analog_models.energy import EnergyModel

__all__ = ["slice_adc_bits", "mvm_mtvm_energy_pj"]


def _uniform(config, bits, nominal_bits=None):
    n = len(config.slice_bits) if nominal_bits is None else config.weight_bits // nominal_bits
    changes = {"slice_bits": (bits,) * n, "adc_bits": 0}
    if nominal_bits is not None:
        changes["nominal_bits"] = nominal_bits
    return config.replace(**changes)


def slice_adc_bits(config, slice_bits):
    """ADC bits per slice (MSB slice first, like ``slice_bits``)."""
    base = config.replace(slice_bits=tuple(slice_bits), adc_bits=0)
    return tuple(_uniform(base, b).adc_ideal_bits for b in base.slice_bits)


def mvm_mtvm_energy_pj(config, slice_bits, *, nominal_bits=None):
    """Energy (pJ) of one MVM plus one MTVM of a full ``xbar_size`` crossbar set.

    Parameters
    ----------
    config : PantherConfig
        Crossbar size, data width and energy parameters (the paper preset gives the paper's
        128x128 crossbars).
    slice_bits : sequence of int
        Physical bits per slice, MSB slice first.
    nominal_bits : int, optional
        Nominal bits per slice when different from ``config.nominal_bits`` (e.g. 2 for the
        paper's 16 x 2-bit MVM-only baseline); ``len(slice_bits) * nominal_bits`` must equal
        ``weight_bits``.
    """
    p = config.nominal_bits if nominal_bits is None else nominal_bits
    if len(slice_bits) * p != config.weight_bits:
        raise ValueError(f"{len(slice_bits)} slices of {p} nominal bits do not make "
                         f"{config.weight_bits}-bit weights: {tuple(slice_bits)!r}")
    steps, n = config.input_steps, config.xbar_size
    total = 0.0
    for bits in slice_bits:
        model = EnergyModel(_uniform(config, bits, p))
        for op in ("mvm_step", "mtvm_step"):
            counts = {op: steps, "adc_conversion": steps * n, "sample_hold": steps * n,
                      "shift_add": steps * n, "row_drive": steps * n}
            total += model.breakdown(counts).total_energy_pj
    return total
