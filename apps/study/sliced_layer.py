"""One MLP layer held in a bit-sliced crossbar of :mod:`analog_models`.

A layer with ``(n_in + 1, n_out)`` weights (bias row last) is placed in the top-left corner of
ONE square crossbar of ``xbar_size = next power of two >= max(n_in + 1, n_out)``, made with
``config.replace(xbar_size=...)`` (simpler than tiling, and exact: unused rows and columns get
zero inputs, so their cells never change). Slicing, saturation and CRS are the crossbar's own
(:class:`analog_models.Crossbar`). The OPA model is the layer's ``opa_model``: ``"streamed"``
(default, the hardware) goes through :func:`analog_models.all_row_drives`,
:func:`analog_models.opa_col_chunks` and :meth:`Crossbar.opa_step`, skipping the bit-steps in
which no row is driven (they change nothing); ``"functional"`` (the paper's functional
simulator, §6.2) adds the sliced update once per slice (:func:`analog_models.functional_chunks`,
:meth:`Crossbar.opa_add`).
"""

from __future__ import annotations

import numpy as np

from panther.analog_models import Crossbar, all_row_drives, functional_chunks, opa_col_chunks
from panther.analog_models.functional_opa import check_opa_model

__all__ = ["SlicedLayer", "crossbar_size"]


def crossbar_size(n_rows, n_cols):
    """Smallest power of two >= 2 holding an ``n_rows x n_cols`` matrix."""
    return max(2, 1 << (max(n_rows, n_cols) - 1).bit_length())


class SlicedLayer:
    """A layer's weights in a bit-sliced crossbar.

    Parameters
    ----------
    weights : numpy.ndarray
        Initial raw weights, int64 ``(rows, cols)``; programmed as canonical digits.
    config : PantherConfig
        Slicing and number formats; ``xbar_size`` is replaced to fit the layer.
    rng : numpy.random.Generator, optional
        For the crossbar's non-idealities (if any are configured).
    opa_model : {'streamed', 'functional'}
        How :meth:`opa` updates the slices (see the module docstring).

    Members
    -------
    shape : tuple of int
        ``(rows, cols)`` of the layer.
    crossbar : analog_models.Crossbar
    config : PantherConfig
        The crossbar's configuration.
    opa_model : str
    """

    def __init__(self, weights, config, *, rng=None, opa_model="streamed"):
        self.opa_model = check_opa_model(opa_model)
        weights = np.asarray(weights)
        if weights.ndim != 2 or not np.issubdtype(weights.dtype, np.integer):
            raise ValueError(f"weights must be a 2-D integer array, not {weights.dtype} {weights.shape!r}")
        self.shape = weights.shape
        size = crossbar_size(*weights.shape)
        # A lone crossbar: one core, so the tile's shared-memory OPA region always fits.
        self.config = config.replace(xbar_size=size, cores_per_tile=1,
                                     smem_depth=2 ** config.SMEM_ADDR_BITS)
        self.crossbar = Crossbar(self.config, rng=rng)
        padded = np.zeros((size, size), dtype=np.int64)
        padded[:weights.shape[0], :weights.shape[1]] = weights
        self.crossbar.program(padded)
        self._weights = None

    def weights(self):
        """Current raw weights ``(rows, cols)`` read from the digits (cached until they change)."""
        if self._weights is None:
            rows, cols = self.shape
            self._weights = self.crossbar.weights()[:rows, :cols]
        return self._weights

    def _pad(self, vector, length):
        vector = np.asarray(vector, dtype=np.int64)
        if vector.shape != (length,):
            raise ValueError(f"vector must have shape ({length},), not {vector.shape!r}")
        padded = np.zeros(self.config.xbar_size, dtype=np.int64)
        padded[:length] = vector
        return padded

    def opa(self, x_raw, v_raw):
        """``W += outer(x, v)`` by the layer's OPA model: bit-serial OPA steps (clipped per
        step and slice) or one functional update per slice (clipped once).

        Returns the clipped cell updates per slice (int64 ``(n_slices,)``).
        """
        x = self._pad(x_raw, self.shape[0])
        v = self._pad(v_raw, self.shape[1])
        clipped = np.zeros(self.config.n_slices, dtype=np.int64)
        if not v.any():
            return clipped
        self._weights = None
        if self.opa_model == "functional":
            return self.crossbar.opa_add(functional_chunks(x, v, self.config))
        drives = all_row_drives(x, self.config)
        for n in np.flatnonzero(drives.any(axis=1)):
            clipped += self.crossbar.opa_step(drives[n], opa_col_chunks(v, int(n), self.config))
        return clipped

    def crs(self):
        """Carry resolution step on the whole crossbar."""
        self.crossbar.crs()
        self._weights = None

    def saturated_fraction(self):
        """Per slice, the fraction of the layer's cells at an edge of their range (float64)."""
        rows, cols = self.shape
        digits = self.crossbar.digits()[:, :rows, :cols]
        low = np.array([self.config.digit_range(k)[0] for k in range(self.config.n_slices)])
        high = np.array([self.config.digit_range(k)[1] for k in range(self.config.n_slices)])
        at_edge = (digits == low[:, None, None]) | (digits == high[:, None, None])
        return at_edge.mean(axis=(1, 2))
