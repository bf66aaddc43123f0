"""Whole MCU operations built from bit-steps: MVM, MTVM, OPA and shift-and-add.

These are the reference the RTL/co-simulation is compared with, and what the bit-slicing
study runs. They follow ``docs/semantics.md`` §3 exactly (``opa`` can also apply the paper's
functional OPA model instead, ``opa_model="functional"``): inputs streamed LSB first, one
bit per step, every slice converted by the ADC at every step, then

    y_j = sat(round(sum_n sum_k code[n, k, j] << (n + p*k + lsb_shift), weight_frac_bits))

with round half up and saturation to a data word (sticky flag returned per output).
"""

from __future__ import annotations

import numpy as np

from panther.fixed_point import round_shift, saturate

from .drivers import all_row_drives, opa_col_chunks
from .functional_opa import check_opa_model, functional_opa

__all__ = ["mvm", "mvm_batch", "mtvm", "opa", "shift_and_add"]


def shift_and_add(codes, config, *, lsb_shift=None):
    """Combine ADC codes over steps and slices into output words.

    Parameters
    ----------
    codes : int64 array ``(steps, n_slices, n)``
    config : PantherConfig
    lsb_shift : int, optional
        log2 of the code LSB in digit units (default ``config.adc_lsb_shift``).

    Returns
    -------
    (y_raw, overflow) : int64 ``(n,)`` data words and bool ``(n,)`` saturation flags.
    """
    codes = np.asarray(codes)
    if codes.ndim != 3 or codes.shape[1] != config.n_slices or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"codes must be an integer array of shape (steps, {config.n_slices}, n), "
                         f"not {codes.dtype} {codes.shape!r}")
    if lsb_shift is None:
        lsb_shift = config.adc_lsb_shift
    if lsb_shift < 0:
        raise ValueError(f"lsb_shift must be >= 0, not {lsb_shift!r}")
    steps = codes.shape[0]
    shifts = (np.arange(steps, dtype=np.int64)[:, None]
              + config.nominal_bits * np.arange(config.n_slices, dtype=np.int64)[None, :] + lsb_shift)
    acc = np.left_shift(codes.astype(np.int64), shifts[:, :, None]).sum(axis=(0, 1))
    return saturate(round_shift(acc, config.weight_frac_bits), config.data_bits)


def _run(step, drives, adc):
    codes = np.empty((drives.shape[0],) + (adc.config.n_slices, adc.config.xbar_size), dtype=np.int64)
    for n in range(drives.shape[0]):
        codes[n] = adc.convert(step(drives[n]))
    return codes


def _check_len(vec, xbar, name):
    vec = np.asarray(vec)
    if vec.shape != (xbar.size,):
        raise ValueError(f"{name} must have shape ({xbar.size},), not {vec.shape!r}")
    return vec


def mvm(xbar, adc, x_raw):
    """``y = W^T x``: rows driven with ``x`` (``(rows,)`` raw words), columns converted.

    Returns ``(y_raw, overflow)``, int64 and bool ``(cols,)``.
    """
    x = _check_len(x_raw, xbar, "x_raw")
    codes = _run(xbar.mvm_step, all_row_drives(x, xbar.config), adc)
    return shift_and_add(codes, xbar.config, lsb_shift=adc.lsb_shift)


def mvm_batch(xbar, adc, x_batch):
    """:func:`mvm` of every row of ``x_batch`` (``(N, rows)`` raw words) in one go: the
    bit-steps of all samples are summed, converted and shift-added as arrays (the same
    arithmetic; read and ADC noise drawn in bulk, so a noisy result equals :func:`mvm`'s in
    distribution, not draw for draw).

    Returns ``(y_raw, overflow)``, int64 and bool ``(N, cols)``.
    """
    x = np.asarray(x_batch)
    if x.ndim != 2 or x.shape[1] != xbar.size:
        raise ValueError(f"x_batch must have shape (N, {xbar.size}), not {x.shape!r}")
    config = xbar.config
    drives = np.stack([all_row_drives(row, config) for row in x]) if len(x) else \
        np.zeros((0, config.input_steps, xbar.size), dtype=np.int8)
    steps = config.input_steps
    codes = adc.convert(xbar.mvm_steps(drives.reshape(-1, xbar.size)))
    codes = codes.reshape(len(x), steps, config.n_slices, xbar.size)
    shifts = (np.arange(steps, dtype=np.int64)[:, None]
              + config.nominal_bits * np.arange(config.n_slices, dtype=np.int64)[None, :]
              + adc.lsb_shift)
    acc = np.left_shift(codes, shifts[None, :, :, None]).sum(axis=(1, 2))
    return saturate(round_shift(acc, config.weight_frac_bits), config.data_bits)


def mtvm(xbar, adc, v_raw):
    """``z = W v`` (a true transpose): columns driven with ``v``, rows converted.

    Returns ``(z_raw, overflow)``, int64 and bool ``(rows,)``.
    """
    v = _check_len(v_raw, xbar, "v_raw")
    codes = _run(xbar.mtvm_step, all_row_drives(v, xbar.config), adc)
    return shift_and_add(codes, xbar.config, lsb_shift=adc.lsb_shift)


def opa(xbar, x_raw, v_raw, *, dac=None, opa_model="streamed"):
    """``W[i, j] += x_i * v_j`` on every slice of ``xbar``.

    Parameters
    ----------
    xbar : Crossbar
    x_raw, v_raw : array_like of int
        ``(xbar.size,)`` raw data words: row input (streamed) and column input (chunked).
    dac : ColumnDac, optional
        Turns the column chunks into amplitudes (``"streamed"`` only).
    opa_model : {'streamed', 'functional'}
        ``"streamed"`` (default, the hardware): ``input_steps`` OPA bit-steps, every slice
        clipped after every step (``docs/semantics.md`` §3). ``"functional"`` (the paper's
        functional simulator, §6.2): the update ``x_i * v_j`` sliced once and added per slice
        with one clip (:mod:`analog_models.functional_opa`).

    Returns
    -------
    numpy.ndarray
        int64 ``(n_slices,)``: clipped cell updates per slice over the whole operation.
    """
    check_opa_model(opa_model)
    x = _check_len(x_raw, xbar, "x_raw")
    v = _check_len(v_raw, xbar, "v_raw")
    if opa_model == "functional":
        if dac is not None:
            raise ValueError("dac must be None with opa_model='functional' (it has no column pulses)")
        return functional_opa(xbar, x, v)
    drives = all_row_drives(x, xbar.config)
    total = np.zeros(xbar.n_slices, dtype=np.int64)
    for n in range(xbar.config.input_steps):
        chunks = opa_col_chunks(v, n, xbar.config)
        if dac is not None:
            chunks = dac.convert(chunks)
        total += xbar.opa_step(drives[n], chunks)
    return total
