"""Adapter: the behavioural analog MCU (:class:`analog_models.AnalogMCU`) as a golden backend.

With it the golden tile runs a program through the analog models (bit-steps, ADCs, DACs,
non-idealities of ``config.noise``) instead of exact integer arithmetic. In ideal mode
(``adc_bits = 0`` and every noise field 0) the results equal :class:`ExactMCU` bit for bit
(``tests/isa/golden/test_analog_backend.py``).

Copies: MVM uses copy 0 and MTVM copy 1 when the variant has one (else copy 0). An OPA or
CRS, applied at ``hlt``, is applied to every copy, which is what variants 1 and 2 do; for
variant 3 the hardware applies it to copy 2 and commits it with serial reads and writes, which
ends in the same weights in ideal mode (not modelled separately here).
"""

from __future__ import annotations

import numpy as np

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
        from analog_models.analog_mcu import AnalogMCU

        self.config = config
        self.mcu = AnalogMCU(config, rng=rng)
        n = config.xbar_size
        self.mcu.program(np.zeros((n, n), dtype=np.int64) if weights is None
                         else np.asarray(weights, dtype=np.int64))
        self._mtvm_copy = 1 if self.mcu.copies > 1 else 0

    def mvm(self, x_raw):
        return self.mcu.mvm(0, np.asarray(x_raw, dtype=np.int64))

    def mtvm(self, v_raw):
        return self.mcu.mtvm(self._mtvm_copy, np.asarray(v_raw, dtype=np.int64))

    def opa(self, x_raw, v_raw):
        for copy in range(self.mcu.copies):
            self.mcu.opa(copy, np.asarray(x_raw, dtype=np.int64), np.asarray(v_raw, dtype=np.int64))

    def crs(self):
        for copy in range(self.mcu.copies):
            self.mcu.crs(copy)

    def digits(self):
        return self.mcu.xbars[0].digits()

    def weights(self):
        return self.mcu.weights(0)


def analog_mcu_factory(config, core, mcu, weights):
    """Golden-tile MCU factory using the analog models; one seeded stream per (core, MCU)."""
    rng = np.random.default_rng([config.noise.seed, core, mcu])
    return AnalogBackend(config=config, weights=weights, rng=rng)
