"""Independent references of one compiled training step (they do not import the compiler
nor the golden model).

:func:`fixed_step` is written from docs/semantics.md and the ALU table of docs/ISA.md:
Q4.12 data, Q8.24 weights held as canonical slice digits, one crossbar = one rounding
(full-width sum, round half up once, saturate), a layer wider than a crossbar computed as
``xbar_size``-row blocks whose outputs are added with saturating VFU adds in block order
(the mapping rule of docs/compiler.md), OPAs deferred to ``hlt`` and applied in program order
(sample order) with the per-step slice clipping of semantics §3, then the optional CRS. A
bias is a weight row driven by ONE; the softmax of the cross-entropy loss follows the steps
docs/compiler.md gives, with exp and recip written from their ALU-table summaries.
Where the blocks sit (which core, which tile of a node) does not enter: semantics §7 moves
words between tiles unchanged, so a kernel spread over tiles must give the same numbers.

:func:`float_step` is the same step in float64 (PLAN activations as real functions), the
"software" model the fixed-point step should approximate.
"""

import numpy as np

ACTS = ("relu", "sigmoid", "tanh", "identity")


# -- fixed point (docs/semantics.md §1, docs/ISA.md notation) -------------------------------

def rs(v, s):
    v = np.asarray(v, dtype=np.int64)
    return (v + (1 << (s - 1))) >> s if s > 0 else v << -s


def sat(v, bits=16):
    return np.clip(np.asarray(v, dtype=np.int64), -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def plan_s(a, F):
    """S(a) of the ALU table (integer PLAN sigmoid), not saturated."""
    a = np.asarray(a, dtype=np.int64)
    A = np.abs(a)
    one = 1 << F
    y = np.where(A >= 5 * one, one,
                 np.where(A >= rs(19 * one, 3), rs(A, 5) + rs(27 * one, 5),
                          np.where(A >= one, rs(A, 3) + rs(5 * one, 3), rs(A, 2) + rs(one, 1))))
    return np.where(a < 0, one - y, y)


def act(name, z, F):
    if name == "relu":
        return np.maximum(z, 0)
    if name == "sigmoid":
        return sat(plan_s(z, F))
    if name == "tanh":
        return sat(2 * plan_s(2 * np.asarray(z, dtype=np.int64), F) - (1 << F))
    return np.asarray(z, dtype=np.int64)


def act_d(name, y, F, B=16):
    y = np.asarray(y, dtype=np.int64)
    if name == "relu":
        return np.where(y > 0, min(1 << F, (1 << (B - 1)) - 1), 0)
    if name == "sigmoid":
        return sat(rs(y * ((1 << F) - y), F))
    if name == "tanh":
        return sat((1 << F) - rs(y * y, F))
    return None


def exp_fx(a, F):
    """VFU exp of the ALU table (docs/ISA.md), on Python ints, not saturated."""
    import math
    G = F + 4
    rnd = lambda x: math.floor(x * 2 ** G + 0.5)       # noqa: E731
    L, (C1, C2, C3) = rnd(math.log2(math.e)), (rnd(c) for c in (0.6954244, 0.2263077, 0.0782680))
    u = int(rs(int(a) * L, F))
    k = u >> G
    f = u - (k << G)
    h = C2 + int(rs(f * C3, G))
    h = C1 + int(rs(f * h, G))
    p = (1 << G) + int(rs(f * h, G))
    return int(rs(p, G - F - k))


def recip_fx(a, F, B=16):
    """VFU recip of the ALU table, not saturated (1/0 -> 2**(B-1))."""
    a = int(a)
    if a == 0:
        return 1 << (B - 1)
    q = ((1 << (2 * F + 1)) + abs(a)) // (2 * abs(a))
    return q if a > 0 else -q


def tree(fn, v):
    """The compiler's reduction order (docs/compiler.md): S[0:h] = fn(S[0:h], S[w-h:w])."""
    v = [int(x) for x in v]
    w = len(v)
    while w > 1:
        h = w // 2
        for i in range(h):
            v[i] = fn(v[i], v[w - h + i])
        w -= h
    return v[0]


def softmax_fx(z, F, B=16):
    """The kernel's softmax (docs/compiler.md): exps scaled by 2**-k, k from the output count."""
    import math
    n = len(z)
    k = max(0, math.ceil(math.log2(n)) - (B - 2 - F))
    m = tree(max, z)
    e = [int(sat(exp_fx(int(sat(x - m)), F))) for x in z]
    if k:
        e = [int(sat(rs(x * (1 << (F - k)), F))) for x in e]
    total = tree(lambda a, b: int(sat(a + b)), e)
    r = int(sat(recip_fx(total, F, B)))
    return np.array([int(sat(rs(x * r, F))) for x in e], dtype=np.int64)


def canonical(w, p, bits_lsb_first):
    rest = np.asarray(w, dtype=np.int64).copy()
    out = []
    for k, b in enumerate(bits_lsb_first):
        if k == len(bits_lsb_first) - 1:
            d = rest
        else:
            d = rest & ((1 << p) - 1)
            d = np.where(d >= 1 << (p - 1), d - (1 << p), d)
            rest = (rest - d) >> p
        out.append(np.clip(d, -(1 << (b - 1)), (1 << (b - 1)) - 1))
    return np.stack(out)


def from_digits(d, p):
    return sum(d[k] << (p * k) for k in range(d.shape[0]))


def opa(d, x, v, p, bits_lsb_first, steps=16):
    """Per-step, per-slice clipped ``G += outer(x, v)`` (semantics §3)."""
    d = d.copy()
    xm, xs = np.abs(x), np.sign(x)
    vm, vs = np.abs(v), np.sign(v)
    for n in range(steps):
        drive = ((xm >> n) & 1) * xs
        if not drive.any():
            continue
        for k, b in enumerate(bits_lsb_first):
            chunk = vs * (((vm << n) >> (p * k)) & ((1 << p) - 1))
            d[k] = np.clip(d[k] + np.outer(drive, chunk), -(1 << (b - 1)), (1 << (b - 1)) - 1)
    return d


def _blocked(vec_in, mat, X, F, transpose):
    """Saturating sum over X-sized blocks of the contracted axis of per-block rounded products."""
    n = mat.shape[1] if transpose else mat.shape[0]
    acc = None
    for start in range(0, n, X):
        if transpose:       # MTVM: z = W v, contracted over columns
            part = sat(rs(mat[:, start:start + X] @ vec_in[start:start + X], 2 * F))
        else:               # MVM: y = W^T x, contracted over rows
            part = sat(rs(vec_in[start:start + X] @ mat[start:start + X, :], 2 * F))
        acc = part if acc is None else sat(acc + part)
    return acc


def _mvm(x, W, X, F):
    # Output blocks are independent; each output element sums its row blocks in order.
    return _blocked(x, W, X, F, transpose=False)


def fixed_step(weights, activations, inputs, targets, *, lr_word, xbar_size, crs=False,
               F=12, p=4, slice_bits=(4, 4, 4, 6, 6, 5, 5, 5), biases=None, loss="mse",
               input_gradient=False):
    """One batch of the compiled training step in exact fixed point.

    ``biases``: per layer, whether its last weight row is a bias (a crossbar row driven by
    the constant input ONE = 1.0, docs/compiler.md). Returns ``(new raw weights per layer,
    raw outputs (B, n_L))``, and with ``input_gradient`` also the raw ``(B, n_0)`` gradients
    ``W_0 delta_0`` (blocked MTVM of the first layer, no activation derivative: the input has
    none; a bias row's output goes nowhere).
    """
    bits = tuple(reversed(slice_bits))
    digits = [canonical(w, p, bits) for w in weights]
    W = [from_digits(d, p) for d in digits]
    biases = biases or [False] * len(W)
    one = min(1 << F, (1 << 15) - 1)
    with_one = lambda a, l: np.append(a, one) if biases[l] else a      # noqa: E731
    updates, outputs, grads = [], [], []
    for x, t in zip(np.asarray(inputs, dtype=np.int64), np.asarray(targets, dtype=np.int64)):
        acts = [x]
        for l, (w, name) in enumerate(zip(W, activations)):
            acts.append(act(name, _mvm(with_one(acts[-1], l), w, xbar_size, F), F))
        y = acts[-1]
        if loss == "softmax_cross_entropy":       # the last layer is identity: y are logits
            y = softmax_fx(y, F)
            outputs.append(y)
            delta = sat(y - t)
        else:
            outputs.append(y)
            delta = sat(y - t)
            d = act_d(activations[-1], y, F)
            if d is not None:
                delta = sat(rs(delta * d, F))
        per_layer = [None] * len(W)
        for l in range(len(W) - 1, -1, -1):
            per_layer[l] = (with_one(acts[l], l), sat(rs(delta * lr_word, F)))
            if l:       # the bias row's MTVM output goes nowhere
                g = _blocked(delta, W[l], xbar_size, F, transpose=True)[:len(acts[l])]
                d = act_d(activations[l - 1], acts[l], F)
                delta = g if d is None else sat(rs(g * d, F))
            elif input_gradient:
                grads.append(_blocked(delta, W[0], xbar_size, F, transpose=True)[:len(acts[0])])
        updates.append(per_layer)
    for per_layer in updates:            # at hlt, in program order
        for l, (a, v) in enumerate(per_layer):
            digits[l] = opa(digits[l], a, v, p, bits)
    if crs:
        digits = [canonical(from_digits(d, p), p, bits) for d in digits]
    result = [from_digits(d, p) for d in digits], np.array(outputs)
    return result + (np.array(grads),) if input_gradient else result


# -- float ------------------------------------------------------------------------------------

def _plan(z):
    a = np.abs(z)
    y = np.where(a >= 5, 1.0, np.where(a >= 2.375, a / 32 + 0.84375,
                                       np.where(a >= 1, a / 8 + 0.625, a / 4 + 0.5)))
    return np.where(z < 0, 1 - y, y)


def _fact(name, z):
    return {"relu": lambda: np.maximum(z, 0), "sigmoid": lambda: _plan(z),
            "tanh": lambda: 2 * _plan(2 * z) - 1, "identity": lambda: z}[name]()


def _fact_d(name, y):
    return {"relu": lambda: (y > 0) * 1.0, "sigmoid": lambda: y * (1 - y),
            "tanh": lambda: 1 - y * y, "identity": lambda: np.ones_like(y)}[name]()


def float_step(weights, activations, inputs, targets, *, lr, biases=None, loss="mse"):
    """Mean-gradient step of the batch in float64: ``(new weights, outputs)``."""
    W = [np.asarray(w, dtype=np.float64) for w in weights]
    biases = biases or [False] * len(W)
    with_one = lambda a, l: np.append(a, 1.0) if biases[l] else a      # noqa: E731
    grads = [np.zeros_like(w) for w in W]
    outputs = []
    for x, t in zip(inputs, targets):
        acts = [np.asarray(x, dtype=np.float64)]
        for l, (w, name) in enumerate(zip(W, activations)):
            acts.append(_fact(name, with_one(acts[-1], l) @ w))
        if loss == "softmax_cross_entropy":
            e = np.exp(acts[-1] - acts[-1].max())
            outputs.append(e / e.sum())
            delta = outputs[-1] - t
        else:
            outputs.append(acts[-1])
            delta = (acts[-1] - t) * _fact_d(activations[-1], acts[-1])
        for l in range(len(W) - 1, -1, -1):
            grads[l] += np.outer(with_one(acts[l], l), delta)
            if l:
                delta = (W[l][:len(acts[l])] @ delta) * _fact_d(activations[l - 1], acts[l])
    batch = len(inputs)
    return [w - lr / batch * g for w, g in zip(W, grads)], np.array(outputs)
