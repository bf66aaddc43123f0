"""Fixed-point forward and backward passes of the study's MLP (the VFU/MCU arithmetic).

Data words (activations, errors, learning-rate-scaled errors) are ``config.data_bits`` wide
with ``config.data_frac_bits`` fraction bits; weights are raw ``weight_frac_bits`` integers.
Each layer's weight matrix ``W`` has shape ``(n_in + 1, n_out)``: row ``i`` is input ``i`` and
the last row is the bias, driven by the constant input 1.0. This is the crossbar orientation of
``docs/semantics.md`` §3: rows are inputs, columns outputs, so

* forward (MVM):  ``y = sat(round(x @ W, weight_frac_bits))``;
* backward (MTVM, a true transpose): ``e_in = sat(round(W[:-1] @ e_out, weight_frac_bits))``;
* update (OPA):   ``W += outer(x, v)`` with ``v = round(-lr * e_out)``, done by the crossbar.

Hidden layers use ReLU; the output layer a softmax with cross-entropy, whose error
``p - onehot`` is computed in float from the fixed-point logits and rounded to a data word
(the VFU would use a table; the study only needs the data format). A value that saturated in
the forward pass passes no gradient (the derivative of the clamp is 0). Every function works
on a batch (leading axis) so that evaluation is vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panther.fixed_point import round_shift, saturate, to_fixed

__all__ = ["ForwardPass", "quantize", "with_bias", "forward", "backward", "predict", "lr_word"]


def quantize(values, config):
    """Real values -> raw data words (round half up, saturate), int64."""
    raw, _ = to_fixed(np.asarray(values, dtype=np.float64), config.data_frac_bits, config.data_bits)
    return np.asarray(raw, dtype=np.int64)


def with_bias(x_raw, config):
    """Append the constant bias input 1.0 (raw ``2**data_frac_bits``) to each row of a batch."""
    x_raw = np.asarray(x_raw, dtype=np.int64)
    ones = np.full(x_raw.shape[:-1] + (1,), 1 << config.data_frac_bits, dtype=np.int64)
    return np.concatenate([x_raw, ones], axis=-1)


def lr_word(lr, config):
    """The learning rate as a raw data word; refuses one that rounds to 0 or saturates."""
    raw, overflow = to_fixed(float(lr), config.data_frac_bits, config.data_bits)
    if overflow or raw <= 0:
        raise ValueError(f"learning rate {lr!r} is not representable as a positive data word "
                         f"(Q{config.data_bits - config.data_frac_bits}.{config.data_frac_bits})")
    return int(raw)


@dataclass
class ForwardPass:
    """What the backward pass needs from a forward pass over a batch.

    Members
    -------
    inputs : list of numpy.ndarray
        Per layer, the raw input words including the bias column, int64 ``(batch, n_in + 1)``.
    pass_grad : list of numpy.ndarray
        Per layer, bool ``(batch, n_out)``: the output's derivative is 1 (not clamped by
        saturation and, for hidden layers, positive for ReLU).
    logits : numpy.ndarray
        Raw output words, int64 ``(batch, n_classes)``.
    overflow : bool
        True when any pre-activation saturated.
    """

    inputs: list
    pass_grad: list
    logits: np.ndarray
    overflow: bool


def _mvm(x_raw, w_raw, config):
    y, overflow = saturate(round_shift(x_raw @ w_raw, config.weight_frac_bits), config.data_bits)
    return y, overflow


def forward(weights, x_raw, config):
    """Fixed-point forward pass of a batch ``x_raw`` (int64 ``(batch, features)``)."""
    x = np.atleast_2d(np.asarray(x_raw, dtype=np.int64))
    inputs, pass_grad, any_overflow = [], [], False
    last = len(weights) - 1
    for index, w in enumerate(weights):
        x = with_bias(x, config)
        inputs.append(x)
        y, overflow = _mvm(x, w, config)
        any_overflow |= bool(overflow.any())
        if index < last:
            pass_grad.append((y > 0) & ~overflow)
            x = np.maximum(y, 0)
        else:
            pass_grad.append(~overflow)
    return ForwardPass(inputs, pass_grad, y, any_overflow)


def predict(weights, x_raw, config):
    """Class predictions of a batch (argmax of the fixed-point logits)."""
    return np.argmax(forward(weights, x_raw, config).logits, axis=-1)


def backward(weights, fwd, labels, lr_raw, config):
    """Column inputs ``v`` of each layer's OPA: ``round(-lr * error)``, as raw data words.

    Returns a list (one per layer) of int64 ``(batch, n_out)`` arrays; ``W_l += outer(x_l, v_l)``
    (summed over the batch) is the SGD step.
    """
    f = config.data_frac_bits
    z = fwd.logits.astype(np.float64) / (1 << f)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    p[np.arange(len(labels)), np.asarray(labels)] -= 1.0
    error = quantize(p, config) * fwd.pass_grad[-1]
    updates = [None] * len(weights)
    for index in range(len(weights) - 1, -1, -1):
        v, _ = saturate(round_shift(-error * lr_raw, f), config.data_bits)
        updates[index] = v
        if index:
            back, _ = _mvm(error, weights[index][:-1].T, config)
            error = back * fwd.pass_grad[index - 1]
    return updates
