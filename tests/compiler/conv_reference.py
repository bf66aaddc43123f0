"""Independent references of one training step of a convolutional network (they import
neither the compiler nor the golden model).

Written with direct convolution loops over output positions and filter taps (no im2col),
from docs/semantics.md (fixed point, per-crossbar rounding, OPA slice clipping) and the
conv mapping rules of docs/compiler.md:

* forward: output ``(i, j)``, channel ``m`` = saturating sum, over the row blocks of the
  linearised filters (``xbar_size`` rows each, rows ``q = (r*R + s)*C + c``) in order, of
  the rounded product of that block's taps (zero padding included);
* output error ``(y - t) * f'(y)``; a pool's output error has no derivative;
* layer gradient: for each output position in raster order, the patch gradient row ``q`` is
  the saturating sum, over column blocks in order, of the rounded ``sum_m W[q, m] dZ[m]``;
  row ``(r, s, c)`` is added (saturating) into ``dX[i*S - P + r, j*S - P + s, c]`` (taps
  in the padding dropped); a finished input error is multiplied by the previous layer's
  activation derivative;
* max-pool: the window's maximum; its error goes to the first maximum in raster order;
* weight gradient: per sample, per output position (raster order), an OPA of the patch and
  ``round(-(lr/B) * dZ)`` with per-step slice clipping, all applied after the batch, in
  (sample, position) order; then the optional CRS.

``layers`` are plain tuples: ``("conv", R, S, P, activation)``, ``("pool", K)``,
``("flatten",)``, ``("dense", activation)``; weights are raw ``(R, R, C, M)`` / ``(n_in,
n_out)`` integer arrays (``None`` for pool and flatten).
"""

import numpy as np
from fixed_reference import _fact, _fact_d, act, act_d, canonical, from_digits, opa, rs, sat


def _conv_geometry(layer):
    if layer[0] == "dense":
        return 1, 1, 0
    return layer[1], layer[2], layer[3]


def _stages(layers, weights, in_shape):
    """[(kind, layer, in_shape, out_shape, layer index)]; flatten only reshapes the next input."""
    out, shape = [], tuple(in_shape)
    for index, layer in enumerate(layers):
        if layer[0] == "flatten":
            shape = (1, 1, shape[0] * shape[1] * shape[2])
            continue
        if layer[0] == "pool":
            k = layer[1]
            new = (shape[0] // k, shape[1] // k, shape[2])
        else:
            r, s, p = _conv_geometry(layer)
            new = ((shape[0] + 2 * p - r) // s + 1, (shape[1] + 2 * p - r) // s + 1,
                   np.asarray(weights[index]).shape[-1])
        out.append((layer[0], layer, shape, new, index))
        shape = new
    return out


def _patch(x, i, j, r_size, stride, pad):
    """Rows q = (r*R + s)*C + c of the patch of output (i, j): a direct tap loop."""
    h, w, c = x.shape
    patch = np.zeros(r_size * r_size * c, dtype=x.dtype)
    for r in range(r_size):
        for s in range(r_size):
            y, xx = i * stride - pad + r, j * stride - pad + s
            if 0 <= y < h and 0 <= xx < w:
                q = (r * r_size + s) * c
                patch[q:q + c] = x[y, xx]
    return patch


def _blocked_mvm(patch, w, X, F):
    acc = None
    for q0 in range(0, w.shape[0], X):
        part = sat(rs(patch[q0:q0 + X] @ w[q0:q0 + X], 2 * F))
        acc = part if acc is None else sat(acc + part)
    return acc


def _blocked_mtvm(w, v, X, F):
    acc = None
    for m0 in range(0, w.shape[1], X):
        part = sat(rs(w[:, m0:m0 + X] @ v[m0:m0 + X], 2 * F))
        acc = part if acc is None else sat(acc + part)
    return acc


def fixed_step(layers, weights, inputs, targets, *, in_shape, lr_word, xbar_size, F=12, p=4,
               slice_bits=(4, 4, 4, 6, 6, 5, 5, 5), crs=False, input_gradient=False):
    """One batch in exact fixed point: ``(new raw weights per layer, outputs (B, n_L),
    input errors (B, n_0) or None)``; inputs and targets are raw ``(B, n)`` HWC words."""
    bits = tuple(reversed(slice_bits))
    X = xbar_size
    stages = _stages(layers, weights, in_shape)
    mats, digits = {}, {}
    for index, (_layer, w) in enumerate(zip(layers, weights)):
        if w is not None:
            digits[index] = canonical(np.asarray(w, dtype=np.int64).reshape(-1, w.shape[-1]), p, bits)
            mats[index] = from_digits(digits[index], p)
    updates, outputs, grads = [], [], []
    for x0, t in zip(np.asarray(inputs, dtype=np.int64), np.asarray(targets, dtype=np.int64)):
        maps = [x0.reshape(in_shape)]
        for (kind, layer, shp, out, li) in stages:
            a = maps[-1].reshape(shp)
            if kind == "pool":
                k = layer[1]
                y = np.zeros(out, dtype=np.int64)
                for i in range(out[0]):
                    for j in range(out[1]):
                        y[i, j] = a[i * k:i * k + k, j * k:j * k + k].reshape(-1, out[2]).max(axis=0)
            else:
                w = mats[li]
                r, s, pad = _conv_geometry(layer)
                y = np.zeros((out[0], out[1], w.shape[1]), dtype=np.int64)
                for i in range(out[0]):
                    for j in range(out[1]):
                        y[i, j] = act(layer[-1], _blocked_mvm(_patch(a, i, j, r, s, pad), w, X, F), F)
            maps.append(y)
        y_last = maps[-1].reshape(-1)
        outputs.append(y_last)
        kind, layer = stages[-1][0], stages[-1][1]
        delta = sat(y_last - t)
        d = act_d(layer[-1], y_last, F) if kind != "pool" else None
        if d is not None:
            delta = sat(rs(delta * d, F))
        per_sample = []
        for index in range(len(stages) - 1, -1, -1):
            kind, layer, shp, out, li = stages[index]
            a = maps[index].reshape(shp)
            dz = delta.reshape(maps[index + 1].shape)
            need = index > 0 or input_gradient
            prev = stages[index - 1] if index else None
            dfn = prev[1][-1] if prev is not None and prev[0] != "pool" else None
            dx = np.zeros(shp, dtype=np.int64)
            if kind == "pool":
                k = layer[1]
                pooled = maps[index + 1]
                for i in range(out[0]):
                    for j in range(out[1]):
                        e = dz[i, j].copy()
                        for n in range(k * k):
                            yy, xx = i * k + n // k, j * k + n % k
                            hit = a[yy, xx] == pooled[i, j]
                            dx[yy, xx] = np.where(hit, e, 0)
                            e = np.where(hit, 0, e)
            else:
                w = mats[li]
                r, s, pad = _conv_geometry(layer)
                for i in range(out[0]):
                    for j in range(out[1]):
                        per_sample.append((li, _patch(a, i, j, r, s, pad), sat(rs(dz[i, j] * lr_word, F))))
                        if not need:
                            continue
                        g = _blocked_mtvm(w, dz[i, j], X, F)
                        for tr in range(r):
                            for ts in range(r):
                                yy, xx = i * s - pad + tr, j * s - pad + ts
                                if 0 <= yy < shp[0] and 0 <= xx < shp[1]:
                                    q = (tr * r + ts) * shp[2]
                                    dx[yy, xx] = sat(dx[yy, xx] + g[q:q + shp[2]])
            d = act_d(dfn, a, F) if need and dfn is not None else None
            if d is not None:
                dx = sat(rs(dx * d, F))
            delta = dx.reshape(-1)
            if index == 0 and input_gradient:
                grads.append(delta)
        updates.append(per_sample)
    by_layer = {}
    for per_sample in updates:         # per layer: (sample, position) order
        for li, patch, v in per_sample:
            by_layer.setdefault(li, []).append((patch, v))
    for li, entries in by_layer.items():
        for patch, v in entries:
            digits[li] = opa(digits[li], patch, v, p, bits)
    new = []
    for index, w in enumerate(weights):
        if w is None:
            new.append(None)
            continue
        d = digits[index]
        if crs:
            d = canonical(from_digits(d, p), p, bits)
        new.append(from_digits(d, p).reshape(np.asarray(w).shape))
    return new, np.array(outputs), (np.array(grads) if input_gradient else None)


# -- float ------------------------------------------------------------------------------------

def float_step(layers, weights, inputs, targets, *, in_shape, lr):
    """The same step in float64 (PLAN activations as real functions, the mean gradient):
    ``(new weights, outputs (B, n_L))``."""
    stages = _stages(layers, weights, in_shape)
    W = {i: np.asarray(w, dtype=np.float64).reshape(-1, np.asarray(w).shape[-1])
         for i, w in enumerate(weights) if w is not None}
    grads = {i: np.zeros_like(w) for i, w in W.items()}
    outputs = []
    for x0, t in zip(np.asarray(inputs, dtype=np.float64), np.asarray(targets, dtype=np.float64)):
        maps = [x0.reshape(in_shape)]
        for (kind, layer, shp, out, li) in stages:
            a = maps[-1].reshape(shp)
            if kind == "pool":
                k = layer[1]
                y = np.array([[a[i * k:i * k + k, j * k:j * k + k].reshape(-1, shp[2]).max(axis=0)
                               for j in range(out[1])] for i in range(out[0])])
            else:
                r, s, pad = _conv_geometry(layer)
                y = np.array([[_fact(layer[-1], _patch(a, i, j, r, s, pad) @ W[li])
                               for j in range(out[1])] for i in range(out[0])])
            maps.append(y)
        y_last = maps[-1].reshape(-1)
        outputs.append(y_last)
        kind, layer = stages[-1][0], stages[-1][1]
        delta = (y_last - t) * (_fact_d(layer[-1], y_last) if kind != "pool" else 1.0)
        for index in range(len(stages) - 1, -1, -1):
            kind, layer, shp, out, li = stages[index]
            a = maps[index].reshape(shp)
            dz = delta.reshape(maps[index + 1].shape)
            dx = np.zeros(shp)
            if kind == "pool":
                k = layer[1]
                for i in range(out[0]):
                    for j in range(out[1]):
                        window = a[i * k:i * k + k, j * k:j * k + k].reshape(-1, shp[2])
                        first = np.argmax(window, axis=0)
                        for c in range(shp[2]):
                            dx[i * k + first[c] // k, j * k + first[c] % k, c] = dz[i, j, c]
            else:
                r, s, pad = _conv_geometry(layer)
                for i in range(out[0]):
                    for j in range(out[1]):
                        patch = _patch(a, i, j, r, s, pad)
                        grads[li] += np.outer(patch, dz[i, j])
                        g = W[li] @ dz[i, j]
                        for tr in range(r):
                            for ts in range(r):
                                yy, xx = i * s - pad + tr, j * s - pad + ts
                                if 0 <= yy < shp[0] and 0 <= xx < shp[1]:
                                    q = (tr * r + ts) * shp[2]
                                    dx[yy, xx] += g[q:q + shp[2]]
            prev = stages[index - 1] if index else None
            if prev is not None and prev[0] != "pool":
                dx = dx * _fact_d(prev[1][-1], a)
            delta = dx.reshape(-1)
    batch = len(inputs)
    new = []
    for i, w in enumerate(weights):
        new.append(None if w is None else
                   (W[i] - lr / batch * grads[i]).reshape(np.asarray(w).shape))
    return new, np.array(outputs)
