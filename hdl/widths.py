"""Derived bit widths of the MCU datapath and its analog port, all computed from a
:class:`~panther.config.PantherConfig` (the ports of :mod:`panther.hdl.ports` and every MCU
unit read them from here)."""

from panther.config import PantherConfig

__all__ = ["McuWidths", "index_bits"]


def index_bits(count):
    """Bits of an index in ``range(count)`` (at least 1)."""
    return max(1, (count - 1).bit_length())


class McuWidths:
    """Widths and counts the MCU components share.

    Parameters
    ----------
    config : PantherConfig
        The architecture parameters.

    Members
    -------
    config : PantherConfig
    n : int
        Rows = columns of a crossbar (``xbar_size``).
    slices : int
        Slices per weight (``n_slices``).
    p : int
        Nominal bits per slice.
    steps : int
        Bit-steps per MVM/MTVM/OPA (``input_steps``).
    lanes : int
        ADCs per slice crossbar (``adcs_per_xbar``): columns converted per round.
    rounds : int
        ADC rounds per step (``xbar_size // adcs_per_xbar``).
    code_bits : int
        Signed ADC code width on the analog port (``adc_code_bits``).
    digit_bits : int
        Signed width of a slice digit on the serial read/write port (widest slice).
    data_bits : int
        Data word width.
    copies : int
        Crossbar copies per MCU (``xbar_copies``).
    step_bits, index_bits, slice_index_bits, copy_bits, round_bits : int
        Widths of the step, row/column, slice, copy and round indices.
    term_bits : int
        One step's slice-combined code ``sum_k code_k << p*k``.
    acc_bits : int
        Full-width shift-and-add accumulator (no rounding before the end).
    weight_sum_bits : int
        Signed width of ``sum_k d_k << p*k`` for any legal digits (CRS).
    """

    def __init__(self, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.n = config.xbar_size
        self.slices = config.n_slices
        self.p = config.nominal_bits
        self.steps = config.input_steps
        self.lanes = config.adcs_per_xbar
        self.rounds = config.xbar_size // config.adcs_per_xbar
        self.code_bits = config.adc_code_bits
        self.digit_bits = max(config.slice_bits)
        self.data_bits = config.data_bits
        self.step_bits = index_bits(self.steps)
        self.index_bits = index_bits(self.n)
        self.slice_index_bits = index_bits(self.slices)
        self.copies = config.xbar_copies
        self.copy_bits = index_bits(self.copies)
        self.round_bits = index_bits(self.rounds)
        self.term_bits = self.code_bits + self.p * (self.slices - 1) + 1
        self.acc_bits = (self.code_bits + config.adc_lsb_shift + self.steps
                         + self.p * (self.slices - 1) + 2)
        self.weight_sum_bits = max(b + self.p * k
                                   for k, b in enumerate(config.slice_bits_lsb_first)) + 2
