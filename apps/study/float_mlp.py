"""Float64 forward and backward passes of the study's MLP: the software baseline.

Same network, same weight layout as :mod:`.fixed_mlp` (``(n_in + 1, n_out)``, bias last),
same loss (softmax cross-entropy), same SGD step ``W += outer(x, -lr * error)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["float_forward", "float_backward", "float_predict"]


def _with_bias(x):
    return np.concatenate([x, np.ones(x.shape[:-1] + (1,))], axis=-1)


def float_forward(weights, x):
    """Returns ``(inputs, grads, logits)``: per-layer inputs with bias, ReLU masks, logits."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    inputs, masks = [], []
    for index, w in enumerate(weights):
        x = _with_bias(x)
        inputs.append(x)
        y = x @ w
        if index < len(weights) - 1:
            masks.append(y > 0)
            x = np.maximum(y, 0.0)
    return inputs, masks, y


def float_predict(weights, x):
    """Class predictions of a batch."""
    return np.argmax(float_forward(weights, x)[2], axis=-1)


def float_backward(weights, inputs, masks, logits, labels, lr):
    """Per-layer update column vectors ``-lr * error`` (``(batch, n_out)`` each)."""
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    p[np.arange(len(labels)), np.asarray(labels)] -= 1.0
    error = p
    updates = [None] * len(weights)
    for index in range(len(weights) - 1, -1, -1):
        updates[index] = -lr * error
        if index:
            error = (error @ weights[index][:-1].T) * masks[index - 1]
    return updates
