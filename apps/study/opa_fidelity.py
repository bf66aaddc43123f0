"""``panther study opa-fidelity``: how exact is a bit-sliced OPA, under each OPA model?

Prints the tables of ``docs/opa_fidelity.md``:

1. the distribution of the updates the study's trainer applies (a ``fixed`` run of the quick
   sweep's length, whose every OPA is recorded with ``train(update_log=...)``);
2. OPA error per slicing, OPA model, update magnitude and CRS period: the recorded OPA stream
   of each layer replayed on fresh slices, every OPA's ``v`` rescaled so that the OPA's median
   nonzero ``|x_i v_j|`` is the recorded median (``m50``) or 99th percentile (``m99``);
3. one SGD step of a 128-128-128 network on the paper preset (lr 0.25 and 1/32);
4. why: per slice, the largest digit a single OPA adds vs the headroom above a canonical digit;
5. fixes: digit bias after CRS, streaming the operand with fewer 1 bits, signed-digit (NAF)
   streaming, and the smallest slicing (greedy) whose streamed error stays under 1%.

Error of one OPA: ``max_ij |dW_ij - x_i v_j| / max_ij |x_i v_j|`` (the weight error as a
fraction of the largest update); "clipped": the fraction of updated cells whose update was
not exact. Replays use exact integer digits. In ideal mode a streamed OPA equals
``clip(d_k + T_k)`` with ``T_k = sign(x_i v_j) * sum_n bit_n(|x_i|) * chunk_k(|v_j| << n)``
because all the partial products of one cell have the same sign, so per-step clipping of a
monotone sum is one clip at the end (tests check this closed form against
:func:`analog_models.mcu_ops.opa`; it also means the streaming order cannot matter).
"""

from __future__ import annotations

import time

import numpy as np

from panther.analog_models import Crossbar, functional_chunks, mcu_ops
from panther.analog_models.functional_opa import OPA_MODELS, check_opa_model
from panther.config import PRESETS
from panther.fixed_point import canonical_digits, round_shift, saturate, weights_from_digits

__all__ = ["SLICINGS", "CRS_PERIODS", "streamed_sums", "opa_delta", "record_stream", "replay",
           "sgd_step_128", "slice_worst_case", "smallest_slicing", "main"]

#: Rows of the fidelity table (MSB slice first) and its CRS periods (1 = CRS before every OPA).
SLICINGS = ("44466555", "55555555", "66666666", "44444444", "33333333")
CRS_PERIODS = (1, 64, 1024)


def _bits(label):
    return tuple(int(c) for c in label)


def streamed_sums(x_raw, v_raw, config, *, naf=False):
    """What one streamed OPA adds to each slice, int64 ``(n_slices, rows, cols)`` (closed form).

    ``T_k[i, j] = sign(x_i v_j) * sum_n s_n(|x_i|) * chunk_k(|v_j| << n)`` with ``s_n`` the
    bits of ``|x_i|`` (or, ``naf=True``, its non-adjacent-form digits in {-1, 0, 1}, one
    step more). Exact in ideal mode only when every partial product has one sign (``naf``
    False); see :func:`opa_delta` for the signed-digit case.
    """
    x = np.asarray(x_raw, dtype=np.int64)
    v = np.asarray(v_raw, dtype=np.int64)
    drive = _drives(x, config, naf=naf)
    chunks = _chunks(v, drive.shape[0], config)
    return np.einsum("ni,nkj->kij", drive, chunks)


def _drives(x, config, *, naf=False):
    mag, sign = np.abs(x), np.sign(x)
    steps = config.input_steps + (1 if naf else 0)
    if not naf:
        return ((mag[None] >> np.arange(steps)[:, None]) & 1) * sign[None]
    digits, rest = np.zeros((steps, x.size), dtype=np.int64), mag.copy()
    for n in range(steps):
        odd = rest & 1
        digits[n] = odd * (2 - (rest & 3))               # 1 if rest = 1 mod 4, -1 if 3 mod 4
        rest = (rest - digits[n]) >> 1
    return digits * sign[None]


def _chunks(v, steps, config):
    p = config.nominal_bits
    mag, sign = np.abs(v), np.sign(v)
    shifted = mag[None] << np.arange(steps)[:, None]
    k = (p * np.arange(config.n_slices))[None, :, None]
    return ((shifted[:, None, :] >> k) & ((1 << p) - 1)) * sign[None, None]


def _ranges(config):
    low = np.array([config.digit_range(k)[0] for k in range(config.n_slices)])[:, None, None]
    high = np.array([config.digit_range(k)[1] for k in range(config.n_slices)])[:, None, None]
    return low, high


def opa_delta(digits, x_raw, v_raw, config, *, opa_model="streamed", naf=False):
    """Digits after one OPA of ``opa_model`` (exact integers, ideal mode).

    ``naf=True`` (streamed only): the row input is streamed as signed non-adjacent-form
    digits (drive -1/0/+1 per step, ``input_steps + 1`` steps), clipping after every step.
    """
    check_opa_model(opa_model)
    low, high = _ranges(config)
    if opa_model == "functional":
        return np.clip(digits + functional_chunks(x_raw, v_raw, config), low, high)
    if not naf:
        return np.clip(digits + streamed_sums(x_raw, v_raw, config), low, high)
    x = np.asarray(x_raw, dtype=np.int64)
    drive = _drives(x, config, naf=True)
    chunks = _chunks(np.asarray(v_raw, dtype=np.int64), drive.shape[0], config)
    for n in np.flatnonzero(drive.any(axis=1)):
        digits = np.clip(digits + drive[n][None, :, None] * chunks[n][:, None, :], low, high)
    return digits


def record_stream(config, *, steps=4096, seed=0):
    """Train the study's ``fixed`` run and return ``(weights0, streams, update_stats)``.

    ``streams[l]`` is the list of ``(x_raw, v_raw)`` applied to layer ``l``, in order.
    """
    from panther.compiler.datasets import load_dataset

    from .trainer import RunSpec, initial_weights, train

    data = load_dataset(seed=seed)
    spec = RunSpec(name="fixed", mode="fixed", steps=steps, seed=seed, eval_every=steps)
    log = []
    result = train(spec, data, config, update_log=log)
    weights0 = initial_weights(data.n_features, data.n_classes, spec, config)
    streams = [[(x, v) for _, layer, x, v in log if layer == index] for index in range(len(weights0))]
    return weights0, streams, result.update_stats


def _rescale(x, v, target, config):
    g = np.abs(np.outer(x, v))
    nz = g[g != 0]
    if target is None or nz.size == 0:
        return v
    return saturate(np.round(v * (target / np.median(nz))).astype(np.int64), config.data_bits)[0]


def replay(weights0, pairs, slice_bits, config, *, opa_model="streamed", crs_every=1, target=None,
           transpose=False, naf=False, crs_bias=0):
    """Replay OPAs ``(x, v)`` on slices programmed with ``weights0``; returns a dict.

    Parameters
    ----------
    weights0 : numpy.ndarray
        Raw initial weights ``(rows, cols)``.
    pairs : list of (x_raw, v_raw)
    slice_bits : tuple of int
        MSB slice first.
    config : PantherConfig
    opa_model : {'streamed', 'functional'}
    crs_every : int
        OPAs between CRSs (0: never; 1: every OPA starts from canonical digits).
    target : float, optional
        Rescale each OPA's ``v`` so that its median nonzero ``|x_i v_j|`` is ``target``.
    transpose : bool
        Stream ``v`` on the rows and chunk ``x`` on the columns (``W`` stored transposed).
    naf : bool
        Stream the row operand as signed NAF digits (:func:`opa_delta`).
    crs_bias : int
        Canonical digits are shifted by this many units on slices 0..n-2 (a CRS digit bias).

    Returns
    -------
    dict
        ``median``, ``max`` (error of one OPA, over the OPAs), ``clipped`` (mean fraction of
        updated cells), ``per_slice`` (clipped cell updates per slice, LSB first; not counted
        with ``transpose`` or ``naf``).
    """
    cfg = config.replace(slice_bits=tuple(slice_bits))
    low, high = _ranges(cfg)
    digits = _canonical(np.asarray(weights0, dtype=np.int64), cfg, crs_bias)
    errors, clipped = [], []
    per_slice = np.zeros(cfg.n_slices, dtype=np.int64)
    block = None
    for t, (x, v) in enumerate(pairs, start=1):
        v = _rescale(x, v, target, cfg)
        rows, cols = np.flatnonzero(x), np.flatnonzero(v)
        if rows.size and cols.size:                        # only these cells change
            block = (slice(None), rows[:, None], cols[None, :])
            xs, vs, old = x[rows], v[cols], digits[block]
            if transpose:
                new = opa_delta(old.transpose(0, 2, 1), vs, xs, cfg, opa_model=opa_model,
                                naf=naf).transpose(0, 2, 1)
            elif naf:
                new = opa_delta(old, xs, vs, cfg, opa_model=opa_model, naf=True)
            else:
                added = (functional_chunks(xs, vs, cfg) if opa_model == "functional"
                         else streamed_sums(xs, vs, cfg))
                new = np.clip(old + added, low, high)
                per_slice += (new - old != added).sum(axis=(1, 2))
            g = np.outer(xs, vs)
            err = np.abs(weights_from_digits(new - old, cfg) - g)
            errors.append(err.max() / np.abs(g).max())
            clipped.append(np.count_nonzero(err) / g.size)
            digits[block] = new
        if crs_every == 1 and block is not None:           # only the last block is not canonical
            digits[block] = _canonical(weights_from_digits(digits[block], cfg), cfg, crs_bias)
        elif crs_every and t % crs_every == 0:
            digits = _canonical(weights_from_digits(digits, cfg), cfg, crs_bias)
    return {"median": float(np.median(errors)), "max": float(np.max(errors)),
            "clipped": float(np.mean(clipped)), "per_slice": per_slice.tolist()}


def _canonical(weights, cfg, bias):
    if not bias:
        return canonical_digits(weights, cfg)
    shifted = canonical_digits(weights - sum(bias << (cfg.nominal_bits * k) for k in range(cfg.n_slices - 1)), cfg)
    shifted[:-1] += bias
    low, high = _ranges(cfg)
    return np.clip(shifted, low, high)


def sgd_step_128(*, lr, opa_model, seed=0, slice_bits=None):
    """One SGD step of a 128-128-128 ReLU network (no bias, MSE) on the paper preset.

    ``x ~ U[0, 1)``, targets ``~ U[-1, 1)``, Glorot-normal weights, data words Q4.12; each
    layer's 128x128 crossbar (:class:`analog_models.Crossbar`) is updated by
    :func:`analog_models.mcu_ops.opa` with ``v = round(-lr * error)``. Returns per layer
    ``(clipped fraction of the 16384 cells, max |dW - x v| / max |x v|)``.
    """
    config = PRESETS["paper"] if slice_bits is None else PRESETS["paper"].replace(slice_bits=tuple(slice_bits))
    rng = np.random.default_rng(seed)
    f, wf, n = config.data_frac_bits, config.weight_frac_bits, config.xbar_size
    word = lambda values: saturate(np.round(values * (1 << f)).astype(np.int64), config.data_bits)[0]  # noqa: E731
    w = [np.round(rng.normal(0, np.sqrt(1.0 / n), (n, n)) * (1 << wf)).astype(np.int64) for _ in range(2)]
    x = word(rng.uniform(0, 1, n))
    h = np.maximum(saturate(round_shift(x @ w[0], wf), config.data_bits)[0], 0)
    y = saturate(round_shift(h @ w[1], wf), config.data_bits)[0]
    e2 = y - word(rng.uniform(-1, 1, n))
    e1 = saturate(round_shift(w[1] @ e2, wf), config.data_bits)[0] * (h > 0)
    lr_raw = int(round(lr * (1 << f)))
    out = []
    for weights, xin, err in ((w[0], x, e1), (w[1], h, e2)):
        v = saturate(round_shift(-err * lr_raw, f), config.data_bits)[0]
        xbar = Crossbar(config)
        xbar.program(weights)
        before = xbar.weights()
        mcu_ops.opa(xbar, xin, v, opa_model=opa_model)
        g = np.outer(xin, v)
        diff = np.abs(xbar.weights() - before - g)
        out.append((np.count_nonzero(diff) / diff.size, diff.max() / np.abs(g).max()))
    return out


def slice_worst_case(pairs, slice_bits, config):
    """Per slice (LSB first): the largest ``|T_k|`` one streamed OPA of ``pairs`` adds, the
    largest functional chunk, and the headroom ``high - 7`` above the largest canonical digit."""
    cfg = config.replace(slice_bits=tuple(slice_bits))
    streamed = np.zeros(cfg.n_slices, dtype=np.int64)
    functional = np.zeros(cfg.n_slices, dtype=np.int64)
    for x, v in pairs:
        streamed = np.maximum(streamed, np.abs(streamed_sums(x, v, cfg)).max(axis=(1, 2)))
        functional = np.maximum(functional, np.abs(functional_chunks(x, v, cfg)).max(axis=(1, 2)))
    half = (1 << (cfg.nominal_bits - 1)) - 1
    headroom = [cfg.digit_range(k)[1] - half for k in range(cfg.n_slices)]
    return streamed.tolist(), functional.tolist(), headroom


def smallest_slicing(problems, config, *, crs_every, opa_model="streamed", limit=0.01, start="44444444",
                     min_bits=4, max_bits=8):
    """Greedy search for a small slicing whose OPA error stays under ``limit``.

    ``problems``: list of ``(weights0, pairs)``. Adds a bit to the most significant slice
    that clipped until every OPA's error is below ``limit``, then removes any single bit it
    can (never below ``min_bits``: 4 bits hold every canonical digit). Returns
    ``(label, total_bits, worst_error)``, or ``None`` if a slice would need more than
    ``max_bits``.
    """
    bits = list(_bits(start))                              # MSB first

    def worst(candidate):
        results = [replay(w, p, candidate, config, crs_every=crs_every, opa_model=opa_model)
                   for w, p in problems]
        return max(r["max"] for r in results), np.sum([r["per_slice"] for r in results], axis=0)

    error, per_slice = worst(bits)
    while error >= limit:
        k = max(k for k in range(len(bits)) if per_slice[k] > 0)   # LSB-first index
        if bits[-1 - k] >= max_bits:
            return None
        bits[-1 - k] += 1
        error, per_slice = worst(bits)
    for index in range(len(bits)):
        while bits[index] > min_bits:
            trial = bits.copy()
            trial[index] -= 1
            trial_error, _ = worst(trial)
            if trial_error >= limit:
                break
            bits, error = trial, trial_error
    return "".join(map(str, bits)), sum(bits), error


def _pct(value, digits):
    value = 100 * value
    return f"{value:.0f}" if value >= 10 ** (digits - 1) else f"{value:.{digits}g}"


def _fmt(r):
    return f"{_pct(r['median'], 2)} / {_pct(r['max'], 3)} / {_pct(r['clipped'], 2)}"


def main(*, quick=False, seed=0, out=print):
    """Measure and print every table (``quick``: 1024 OPAs per layer instead of 2048)."""
    start = time.perf_counter()
    config = PRESETS["small"]
    weights0, streams, stats = record_stream(config, seed=seed)
    length = 1024 if quick else 2048
    streams = [s[:length] for s in streams]
    out(f"## Recorded updates (fixed run, 4096 steps, seed {seed}; {stats[0]['opas']} sampled OPAs per layer; "
        "magnitudes of the nonzero values in raw LSBs)")
    out("| layer | nonzero cells | median x*v | p90 | p99 | max | median v | p99 v | mean 1-bits of x |")
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for index, s in enumerate(stats):
        out(f"| {index} | {100 * s['nonzero_fraction']:.0f}% | {s['median']:.0f} | {s['p90']:.0f} | {s['p99']:.0f} "
            f"| {s['max']:.0f} | {s['v_median']:.0f} | {s['v_p99']:.0f} | {s['x_bits_mean']:.1f} |")
    out(f"\n## OPA error (median / max error of one OPA, % of its largest update / % cells clipped); "
        f"first {length} OPAs of each layer")
    for index, (w0, pairs) in enumerate(zip(weights0, streams)):
        targets = {"m50": stats[index]["median"], "m99": stats[index]["p99"]}
        for model in OPA_MODELS:
            out(f"\n### layer {index}, {model}")
            cols = [(name, crs) for name in targets for crs in CRS_PERIODS]
            out("| slicing | " + " | ".join(f"{name}, CRS {crs}" for name, crs in cols) + " |")
            out("| --- |" + " ---: |" * len(cols))
            for label in SLICINGS:
                cells = [_fmt(replay(w0, pairs, _bits(label), config, opa_model=model, crs_every=crs,
                                     target=targets[name])) for name, crs in cols]
                out(f"| {label} | " + " | ".join(cells) + " |")
    out("\n## One SGD step, 128-128-128, paper preset (44466555): clipped cells / error % of largest update")
    out("| lr | model | layer 1 clipped | layer 1 error | layer 2 clipped | layer 2 error |")
    out("| --- | --- | ---: | ---: | ---: | ---: |")
    for lr in (0.25, 1 / 32):
        for model in OPA_MODELS:
            (c1, e1), (c2, e2) = sgd_step_128(lr=lr, opa_model=model, seed=seed)
            out(f"| {lr:g} | {model} | {100 * c1:.0f}% | {100 * e1:.1f}% | {100 * c2:.0f}% | {100 * e2:.1f}% |")
    out("\n## Why: largest digit one OPA adds per slice (LSB slice first), 44466555")
    for index, pairs in enumerate(streams):
        s, fn, head = slice_worst_case(pairs, _bits("44466555"), config)
        out(f"layer {index}: streamed {s}; functional {fn}; headroom above a canonical digit {head}")
    paper_pairs = [(np.full(16, 32767), np.full(16, 32767))]
    s, fn, head = slice_worst_case(paper_pairs, _bits("44466555"), config)
    counts = (_chunks(np.array([32767]), 16, config.replace(slice_bits=_bits("44466555")))[:, :, 0] != 0).sum(axis=0)
    out(f"x = v = 32767: streamed {s}; functional {fn}; partial products per slice {counts.tolist()}")
    out("\n## Fixes at CRS 1 (one OPA from canonical digits), 44466555: median / max error % / % cells clipped")
    out("| variant | layer 0 m50 | layer 0 m99 | layer 1 m50 | layer 1 m99 |")
    out("| --- | ---: | ---: | ---: | ---: |")
    variants = {"streamed, as is": {}, "streamed, CRS digit bias +4": {"crs_bias": 4},
                "streamed, CRS digit bias -4": {"crs_bias": -4},
                "streamed v, chunked x (W stored transposed)": {"transpose": True},
                "streamed, NAF row input (17 steps)": {"naf": True},
                "functional (reference)": {"opa_model": "functional"}}
    for name, kwargs in variants.items():
        row = [_fmt(replay(w0, pairs, _bits("44466555"), config, crs_every=1, target=stats[index][q], **kwargs))
               for index, (w0, pairs) in enumerate(zip(weights0, streams)) for q in ("median", "p99")]
        out(f"| {name} | " + " | ".join(row) + " |")
    problems = list(zip(weights0, streams))
    for model in OPA_MODELS:
        found = smallest_slicing(problems, config, crs_every=1, opa_model=model)
        out(f"smallest {model} slicing (>= 4 bits per slice, greedy) with every recorded OPA's error < 1% "
            f"from canonical digits (CRS 1): {found}")
    out(f"\n({time.perf_counter() - start:.0f} s)")
    return 0
