"""Adapter: the behavioural analog MCU (:class:`analog_models.AnalogMCU`) as a golden backend.

With it the golden tile runs a program through the analog models (bit-steps, ADCs, DACs,
non-idealities of ``config.noise``) instead of exact integer arithmetic. In ideal mode
(``adc_bits = 0`` and every noise field 0) the results equal :class:`ExactMCU` bit for bit
(``tests/isa/golden/test_analog_backend.py``).

Copies follow :mod:`isa.variants`, as in the RTL: MVM reads copy 0, MTVM copy 1 where there
is one; OPA updates copy 0 (variant 1), copies 0 and 1 (variant 2) or copy 2 (variant 3). CRS
and the variant-3 commit are serial, row by row in the RTL's order (every slice of a row read
from one copy, then written to the target copies), so their random draws match a co-simulated
run's.
"""

from __future__ import annotations

import numpy as np

from panther.analog_models.analog_mcu import AnalogMCU
from panther.fixed_point import canonical_digits, weights_from_digits

from .. import variants

__all__ = ["AnalogBackend", "analog_mcu_factory"]


class AnalogBackend:
    """One MCU of the golden tile backed by :class:`analog_models.AnalogMCU`.

    Parameters
    ----------
    config : panther.config.PantherConfig
    weights : array_like, optional
        Raw weights programmed into every copy (default 0).
    rng : numpy.random.Generator, optional
        Random source of the analog models (default from ``config.noise.seed``).

    Members
    -------
    mcu : analog_models.AnalogMCU
    """

    def __init__(self, *, config, weights=None, rng=None):
        self.config = config
        self.mcu = AnalogMCU(config, rng=rng)
        n = config.xbar_size
        self.mcu.program(np.zeros((n, n), dtype=np.int64) if weights is None
                         else np.asarray(weights, dtype=np.int64))

    def mvm(self, x_raw):
        return self.mcu.mvm(variants.mvm_copy(self.config), np.asarray(x_raw, dtype=np.int64))

    def mvm_batch(self, x_batch):
        """MVMs of many inputs at once ``(N, rows)`` on the MVM copy (host-side inference)."""
        return self.mcu.mvm_batch(variants.mvm_copy(self.config), np.asarray(x_batch, dtype=np.int64))

    def mtvm(self, v_raw):
        return self.mcu.mtvm(variants.mtvm_copy(self.config), np.asarray(v_raw, dtype=np.int64))

    def opa(self, x_raw, v_raw):
        for copy in variants.opa_copies(self.config):
            self.mcu.opa(copy, np.asarray(x_raw, dtype=np.int64), np.asarray(v_raw, dtype=np.int64))

    def _serial_rows(self, read_copy, write_copies, *, canonical):
        c = self.config
        for row in range(c.xbar_size):
            digits = np.stack([self.mcu.serial_read(read_copy, k, row) for k in range(c.n_slices)])
            if canonical:
                digits = canonical_digits(weights_from_digits(digits, c), c)
            for k in range(c.n_slices):
                for copy in write_copies:
                    self.mcu.serial_write(copy, k, row, digits[k])

    def crs(self):
        self._serial_rows(variants.crs_read_copy(self.config), variants.opa_copies(self.config),
                          canonical=True)

    def commit(self):
        if variants.eager_updates(self.config):
            self._serial_rows(variants.COMMIT_READ_COPY, variants.COMMIT_WRITE_COPIES,
                              canonical=False)

    def set_digits(self, digits):
        """Start from these slice digits (every copy) instead of the weights' canonical ones."""
        self.mcu.program_digits(np.asarray(digits, dtype=np.int64))

    def digits(self):
        return self.mcu.xbars[0].digits()

    def weights(self):
        return self.mcu.weights(0)


def analog_mcu_factory(config, core, mcu, weights):
    """Golden-tile MCU factory using the analog models; one seeded stream per (core, MCU)."""
    rng = np.random.default_rng([config.noise.seed, core, mcu])
    return AnalogBackend(config=config, weights=weights, rng=rng)
