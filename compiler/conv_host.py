"""Host-side passes of convolutional networks, for training runs (:mod:`compiler.train`).

* :func:`fixed_forward_network`: the kernel's forward arithmetic on many samples at once
  (per-crossbar rounding of each row block, saturating adds in row-block order, VFU
  activations, max-pool), to measure accuracy without running the golden model; a test
  checks it equals the kernel's outputs.
* :func:`float_forward_network`, :func:`float_step_network`: the float64 twin (exact
  ``tanh``/logistic, max-pool error to the first maximum, the mean gradient of the batch).
* :func:`digit_images`: the bundled digits as 8x8x1 images with one-hot targets.

Patches are gathered with :func:`patches` (an im2col view with rows ``(r*R + s)*C + c``,
the kernel's filter linearisation); the independent test reference uses direct loops.
"""

from __future__ import annotations

import numpy as np

from panther.fixed_point import round_shift, saturate
from panther.isa.vfu_math import vfu

from .conv_plan import stages_of
from .datasets import load_dataset
from .errors import CompileError
from .model import ACTIVATIONS

__all__ = ["patches", "fixed_forward_network", "float_forward_network", "float_step_network",
           "digit_images"]

_F = {"relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
      "tanh": np.tanh, "identity": lambda z: z}
_DF = {"relu": lambda y: (y > 0) * 1.0, "sigmoid": lambda y: y * (1 - y),
       "tanh": lambda y: 1 - y * y, "identity": lambda y: np.ones_like(y)}


def patches(x, stage):
    """``(N, E, F, R*R*C)`` patches of maps ``x`` ``(N, H, W, C)`` (zero padding included)."""
    r, s, p = stage.kernel, stage.stride, stage.padding
    e, f = stage.out_shape[:2]
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    taps = [xp[:, tr:tr + s * (e - 1) + 1:s, ts:ts + s * (f - 1) + 1:s, :]
            for tr in range(r) for ts in range(r)]
    return np.concatenate(taps, axis=-1)


def _unpatch(grad, stage):
    """Adjoint of :func:`patches`: ``(N, E, F, R*R*C)`` -> ``(N, H, W, C)`` (sums overlaps)."""
    r, s, p = stage.kernel, stage.stride, stage.padding
    (h, w, c), (e, f) = stage.in_shape, stage.out_shape[:2]
    out = np.zeros((grad.shape[0], h + 2 * p, w + 2 * p, c))
    for tr in range(r):
        for ts in range(r):
            q = (tr * r + ts) * c
            out[:, tr:tr + s * (e - 1) + 1:s, ts:ts + s * (f - 1) + 1:s, :] += grad[..., q:q + c]
    return out[:, p:p + h, p:p + w, :]


def _pool(x, k):
    n, h, w, c = x.shape
    e, f = h // k, w // k
    windows = x[:, :e * k, :f * k, :].reshape(n, e, k, f, k, c).transpose(0, 1, 3, 2, 4, 5)
    return windows.reshape(n, e, f, k * k, c)


def _matrix(w):
    w = np.asarray(w)
    return w.reshape(-1, w.shape[-1])


def fixed_forward_network(model, weights, x_raw, config):
    """Raw outputs ``(N, n_L)`` of the kernel's forward pass for raw inputs ``(N, n_0)``."""
    frac, bits, size = config.weight_frac_bits, config.data_bits, config.xbar_size
    a = np.asarray(x_raw, dtype=np.int64).reshape(-1, *model.shapes[0])
    for st in stages_of(model):
        a = a.reshape(-1, *st.in_shape)
        if st.kind == "pool":
            a = _pool(a, st.kernel).max(axis=3)
            continue
        cols = patches(a, st)
        w = _matrix(weights[st.layer]).astype(np.int64)
        acc = None
        for q0 in range(0, w.shape[0], size):
            part = saturate(round_shift(cols[..., q0:q0 + size] @ w[q0:q0 + size], frac), bits)[0]
            acc = part if acc is None else vfu("add", acc, part, config=config)[0]
        fn = ACTIVATIONS[st.activation][0]
        a = acc if fn is None else vfu(fn, acc, 0, config=config)[0]
    return a.reshape(len(a), -1)


def float_forward_network(model, weights, x):
    """Float64 maps after every stage, ``[input, ...]`` (exact activations)."""
    maps = [np.asarray(x, dtype=np.float64).reshape(-1, *model.shapes[0])]
    for st in stages_of(model):
        a = maps[-1].reshape(-1, *st.in_shape)
        if st.kind == "pool":
            maps.append(_pool(a, st.kernel).max(axis=3))
        else:
            maps.append(_F[st.activation](patches(a, st) @ _matrix(weights[st.layer])))
    return maps


def float_step_network(model, weights, x, t, lr):
    """One mean-gradient float64 step: ``(new weights, batch MSE before it)``."""
    stages = stages_of(model)
    maps = float_forward_network(model, weights, x)
    y = maps[-1].reshape(len(x), -1)
    last = stages[-1]
    delta = (y - t) * (_DF[last.activation](y) if last.kind == "weighted" else 1.0)
    new = list(weights)
    for index in range(len(stages) - 1, -1, -1):
        st = stages[index]
        a = maps[index].reshape(-1, *st.in_shape)
        dz = delta.reshape(maps[index + 1].shape)
        if st.kind == "pool":
            windows = _pool(a, st.kernel)
            first = np.argmax(windows, axis=3)[:, :, :, None, :]
            routed = (np.arange(st.kernel ** 2)[None, None, None, :, None] == first) * dz[:, :, :, None, :]
            n, e, f, k2, c = routed.shape
            k = st.kernel
            dx = np.zeros((n, *st.in_shape))
            dx[:, :e * k, :f * k, :] = routed.reshape(n, e, f, k, k, c).transpose(0, 1, 3, 2, 4, 5) \
                .reshape(n, e * k, f * k, c)
        else:
            cols = patches(a, st)
            w = _matrix(weights[st.layer])
            grad = cols.reshape(-1, cols.shape[-1]).T @ dz.reshape(-1, dz.shape[-1]) / len(x)
            dx = _unpatch(dz @ w.T, st)
            new[st.layer] = weights[st.layer] - lr * grad.reshape(np.shape(weights[st.layer]))
        if index:
            prev = stages[index - 1]
            if prev.kind == "weighted":
                dx = dx * _DF[prev.activation](a)
        delta = dx
    loss = 0.5 * np.sum((y - t) ** 2, axis=1).mean()
    return new, loss


def digit_images(model):
    """The digits as ``(x_train, t_train one-hot, x_test, y_test, n_classes)``: 8x8x1 images
    in HWC order; raises :class:`CompileError` when the model does not take them."""
    data = load_dataset(seed=model.seed, images=True)
    n_out = model.sizes[-1]
    if model.shapes[0] != (8, 8, 1) or n_out < data.n_classes:
        raise CompileError(f"the digits are 8x8x1 images of {data.n_classes} classes; the model "
                           f"takes {model.shapes[0]} and has {n_out} outputs")
    onehot = np.zeros((len(data.y_train), n_out))
    onehot[np.arange(len(data.y_train)), data.y_train] = 1.0
    return data.x_train, onehot, data.x_test, data.y_test, data.n_classes
