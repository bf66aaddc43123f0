"""One training run of the study's MLP: float, fixed-point digital, or bit-sliced OPA.

* ``float``: float64 SGD, the software baseline (paper: "software implementation").
* ``fixed``: the fixed-point forward/backward of :mod:`.fixed_mlp` with an exact digital
  weight update ``W += outer(x, v)`` (saturated to ``weight_bits``): what the slices would do
  if they never saturated.
* ``sliced``: the same passes, weights held in :class:`.sliced_layer.SlicedLayer` crossbars
  with the run's ``slice_bits``; updates by OPA (batch 1, one OPA per example and layer, paper
  §4.2) of the run's ``opa_model`` (``"streamed"``: bit-serial, the hardware, the default;
  ``"functional"``: the paper's functional simulator, §6.2), a CRS on every layer every
  ``crs_every`` steps.

The fixed-point runs record the distribution of the updates ``|x_i * v_j|`` they apply
(``RunResult.update_stats``), and :func:`train` can hand every applied update vector pair to
the caller (``update_log``), which ``panther study opa-fidelity`` replays.

All three start from the same weights (drawn in float, rounded to raw weights) and see the
examples in the same order, so their differences come from arithmetic alone.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from panther.analog_models.functional_opa import OPA_MODELS
from panther.fixed_point import from_fixed, saturate, to_fixed

from .fixed_mlp import backward, forward, lr_word, predict, quantize
from .float_mlp import float_backward, float_forward, float_predict
from .sliced_layer import SlicedLayer

__all__ = ["RunSpec", "RunResult", "MODES", "initial_weights", "train", "update_summary", "UPDATE_SAMPLES"]

MODES = ("float", "fixed", "sliced")
#: Steps of a run whose updates enter ``RunResult.update_stats`` (evenly spaced).
UPDATE_SAMPLES = 256


def update_summary(xs, vs):
    """Distribution of the updates of some OPAs: a dict of plain numbers.

    Parameters
    ----------
    xs, vs : sequence of numpy.ndarray
        Row and column inputs (raw data words) of each OPA.

    Returns
    -------
    dict
        ``opas``, ``cells`` (update cells in all), ``nonzero_fraction``; over the nonzero
        ``|x_i * v_j|`` (raw weight LSBs): ``median``, ``p90``, ``p99``, ``max``; over the
        nonzero ``|v_j|`` (raw data LSBs): ``v_median``, ``v_p99``; ``x_bits_mean``: mean
        number of 1 bits of the nonzero ``|x_i|`` (bit-steps that drive a row).
    """
    products = np.concatenate([np.abs(np.outer(x, v)).ravel() for x, v in zip(xs, vs)])
    nz = products[products != 0]
    v_all = np.abs(np.concatenate(list(vs)))
    v_nz = v_all[v_all != 0]
    x_all = np.abs(np.concatenate(list(xs)))
    x_nz = x_all[x_all != 0]
    bits = np.array([bin(int(value)).count("1") for value in x_nz]) if x_nz.size else np.zeros(1)

    def pct(values, q):
        return float(np.percentile(values, q)) if values.size else 0.0

    return {"opas": len(xs), "cells": int(products.size),
            "nonzero_fraction": float(nz.size / max(1, products.size)),
            "median": pct(nz, 50), "p90": pct(nz, 90), "p99": pct(nz, 99),
            "max": float(nz.max()) if nz.size else 0.0,
            "v_median": pct(v_nz, 50), "v_p99": pct(v_nz, 99), "x_bits_mean": float(bits.mean())}


@dataclass(frozen=True, kw_only=True)
class RunSpec:
    """What to train.

    Members
    -------
    name : str
        Label of the run in results and plots.
    mode : str
        One of :data:`MODES`.
    slice_bits : tuple of int or None
        Physical bits per slice, MSB slice first (``sliced`` only).
    crs_every : int
        Steps between CRSs (0: never; ``sliced`` only).
    steps : int
        Training steps (examples, batch 1).
    lr : float
        Learning rate (a data word for the fixed-point modes).
    hidden : tuple of int
        Hidden layer widths.
    seed : int
        Seed of the weight initialisation and of the example order.
    eval_every : int
        Steps between accuracy evaluations on the whole train and test sets.
    sample_every : int
        Steps between samples of the saturated-cell fractions (``sliced`` only).
    lr_halvings : tuple of float
        Fractions of ``steps`` after which the learning rate halves (a step schedule; it
        steadies the end of batch-1 SGD so that runs compare on their final accuracy).
    opa_model : str
        One of :data:`analog_models.functional_opa.OPA_MODELS` (``sliced`` only; recorded
        for every run): ``"streamed"`` (the hardware's bit-serial OPA, default) or
        ``"functional"`` (the paper's functional simulator, §6.2).
    """

    name: str
    mode: str
    slice_bits: tuple | None = None
    crs_every: int = 0
    steps: int = 4000
    lr: float = 0.05
    hidden: tuple = (31,)
    seed: int = 0
    eval_every: int = 500
    sample_every: int = 64
    lr_halvings: tuple = (0.5, 0.75)
    opa_model: str = "streamed"

    def __post_init__(self):
        if self.opa_model not in OPA_MODELS:
            raise ValueError(f"opa_model must be 'streamed' or 'functional', not {self.opa_model!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if (self.slice_bits is None) != (self.mode != "sliced"):
            raise ValueError(f"slice_bits must be given exactly for mode 'sliced', not {self.slice_bits!r} "
                             f"with mode {self.mode!r}")
        for name in ("steps", "eval_every", "sample_every"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if not (isinstance(self.crs_every, int) and self.crs_every >= 0):
            raise ValueError(f"crs_every must be a non-negative integer, not {self.crs_every!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, not {self.lr!r}")
        if not (isinstance(self.lr_halvings, tuple) and all(0 < f < 1 for f in self.lr_halvings)):
            raise ValueError(f"lr_halvings must be a tuple of fractions in (0, 1), not {self.lr_halvings!r}")
        if not (isinstance(self.hidden, tuple) and all(isinstance(h, int) and h >= 1 for h in self.hidden)):
            raise ValueError(f"hidden must be a tuple of positive integers, not {self.hidden!r}")

    def lr_at(self, t):
        """Learning rate of step ``t`` (1-based)."""
        return self.lr * 0.5 ** sum(t > f * self.steps for f in self.lr_halvings)

    @property
    def slice_label(self):
        return "".join(str(b) for b in self.slice_bits) if self.slice_bits else self.mode


@dataclass
class RunResult:
    """History and final figures of one run.

    Members
    -------
    spec : RunSpec
    eval_steps : list of int
        Steps at which accuracies were measured (0 = before training).
    train_acc, test_acc : list of float
        Whole-set accuracies at ``eval_steps``.
    sample_steps : list of int
        Steps at which saturation was sampled (``sliced``).
    saturation : list of list of float
        Per sample, the fraction of saturated cells per slice (LSB slice first), over all
        layers' cells.
    clipped_updates : list of int
        Cell updates clipped at a slice edge, per slice, over the whole run.
    overflow_steps : int
        Training steps whose forward pass saturated a data word.
    seconds : float
        Wall time of the run.
    update_stats : list of dict
        Fixed-point runs: per layer, the distribution of the applied updates (see
        :func:`update_summary`) over ``UPDATE_SAMPLES`` evenly spaced steps of the run.
    shared_with : str
        Empty, or the name of the run whose training this result reuses (a sweep shares runs
        that differ only in a CRS period that cannot matter; see ``sweep.crs_is_noop``).
    """

    spec: RunSpec
    eval_steps: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    sample_steps: list = field(default_factory=list)
    saturation: list = field(default_factory=list)
    clipped_updates: list = field(default_factory=list)
    overflow_steps: int = 0
    seconds: float = 0.0
    update_stats: list = field(default_factory=list)
    shared_with: str = ""

    @property
    def final_train_acc(self):
        return self.train_acc[-1]

    @property
    def final_test_acc(self):
        return self.test_acc[-1]

    def mean_saturation(self, k, *, last_fraction=1.0):
        """Mean saturated fraction of slice ``k`` over the last ``last_fraction`` of samples."""
        if not self.saturation:
            return 0.0
        start = int(len(self.saturation) * (1.0 - last_fraction))
        return float(np.mean([s[k] for s in self.saturation[start:]]))

    @classmethod
    def from_dict(cls, d):
        """Inverse of :meth:`to_dict` (for re-plotting a ``results.json``)."""
        d = dict(d)
        spec = dict(d.pop("spec"))
        for name in ("slice_bits", "hidden", "lr_halvings"):
            if spec.get(name) is not None:
                spec[name] = tuple(spec[name])
        return cls(RunSpec(**spec), **d)

    def to_dict(self):
        d = asdict(self)
        d["spec"]["slice_bits"] = list(self.spec.slice_bits) if self.spec.slice_bits else None
        d["spec"]["hidden"] = list(self.spec.hidden)
        d["spec"]["lr_halvings"] = list(self.spec.lr_halvings)
        return d


def initial_weights(n_inputs, n_classes, spec, config):
    """Raw initial weights, one int64 ``(n_in + 1, n_out)`` matrix per layer (bias row, the last, 0).

    Glorot-normal in float, rounded to ``weight_frac_bits``.
    """
    rng = np.random.default_rng(spec.seed)
    sizes = (n_inputs,) + spec.hidden + (n_classes,)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in + 1, n_out))
        w[-1] = 0.0
        raw, _ = to_fixed(w, config.weight_frac_bits, config.weight_bits)
        weights.append(np.asarray(raw, dtype=np.int64))
    return weights


def _example_order(spec, n):
    rng = np.random.default_rng(spec.seed + 1)
    epochs = -(-spec.steps // n)
    return np.concatenate([rng.permutation(n) for _ in range(epochs)])[:spec.steps]


def train(spec, data, config, *, progress=None, update_log=None):
    """Train one network; returns a :class:`RunResult`.

    Parameters
    ----------
    spec : RunSpec
    data : Dataset
    config : PantherConfig
        Number formats (and, for ``sliced``, everything but ``slice_bits``, which the spec
        replaces, and ``xbar_size``, which each layer replaces).
    progress : callable, optional
        Called with the number of steps just done (for a progress bar).
    update_log : list, optional
        Fixed-point runs: every applied OPA is appended as ``(step, layer, x_raw, v_raw)``.
    """
    start = time.perf_counter()
    if spec.mode == "sliced":
        config = config.replace(slice_bits=tuple(spec.slice_bits))
    result = RunResult(spec)
    raw0 = initial_weights(data.n_features, data.n_classes, spec, config)
    order = _example_order(spec, len(data.x_train))
    tick = max(1, min(spec.eval_every, 100))

    if spec.mode == "float":
        weights = [from_fixed(w, config.weight_frac_bits) for w in raw0]

        def evaluate():
            return (float(np.mean(float_predict(weights, data.x_train) == data.y_train)),
                    float(np.mean(float_predict(weights, data.x_test) == data.y_test)))

        def step(t, index):
            inputs, masks, logits = float_forward(weights, data.x_train[index])
            updates = float_backward(weights, inputs, masks, logits, [data.y_train[index]], spec.lr_at(t))
            for w, x, v in zip(weights, inputs, updates):
                w += np.outer(x[0], v[0])
            return False
    else:
        stride = max(1, spec.steps // UPDATE_SAMPLES)
        sampled = [[] for _ in raw0]
        xq_train = quantize(data.x_train, config)
        xq_test = quantize(data.x_test, config)
        lr_words = {lr: lr_word(lr, config) for lr in {spec.lr_at(t) for t in range(1, spec.steps + 1)}}
        if spec.mode == "fixed":
            layers = None
            digital = [w.copy() for w in raw0]
            current = lambda: digital  # noqa: E731
        else:
            layers = [SlicedLayer(w, config, opa_model=spec.opa_model) for w in raw0]
            current = lambda: [layer.weights() for layer in layers]  # noqa: E731
            n_cells = np.array([np.prod(layer.shape) for layer in layers], dtype=np.float64)
            clipped = np.zeros(config.n_slices, dtype=np.int64)

            def sample(t):
                fractions = np.array([layer.saturated_fraction() for layer in layers])
                result.sample_steps.append(t)
                result.saturation.append((n_cells @ fractions / n_cells.sum()).tolist())

            sample(0)

        def evaluate():
            w = current()
            return (float(np.mean(predict(w, xq_train, config) == data.y_train)),
                    float(np.mean(predict(w, xq_test, config) == data.y_test)))

        def step(t, index):
            w = current()
            fwd = forward(w, xq_train[index][None, :], config)
            updates = backward(w, fwd, [data.y_train[index]], lr_words[spec.lr_at(t)], config)
            if t % stride == 0:
                for layer_index, (x, v) in enumerate(zip(fwd.inputs, updates)):
                    sampled[layer_index].append((x[0], v[0]))
            if update_log is not None:
                for layer_index, (x, v) in enumerate(zip(fwd.inputs, updates)):
                    update_log.append((t, layer_index, x[0].copy(), v[0].copy()))
            if layers is None:
                for wl, x, v in zip(digital, fwd.inputs, updates):
                    wl[...] = saturate(wl + np.outer(x[0], v[0]), config.weight_bits)[0]
            else:
                for layer, x, v in zip(layers, fwd.inputs, updates):
                    clipped[...] += layer.opa(x[0], v[0])
            return fwd.overflow

    def record(t):
        train_acc, test_acc = evaluate()
        result.eval_steps.append(t)
        result.train_acc.append(train_acc)
        result.test_acc.append(test_acc)

    record(0)
    pending = 0
    for t, index in enumerate(order, start=1):
        result.overflow_steps += bool(step(t, index))
        if spec.mode == "sliced":
            if t % spec.sample_every == 0 or t == spec.steps:
                sample(t)                      # before a CRS: what the slices accumulated
            if spec.crs_every and t % spec.crs_every == 0:
                for layer in layers:
                    layer.crs()
        if t % spec.eval_every == 0 or t == spec.steps:
            record(t)
        pending += 1
        if progress is not None and (pending == tick or t == spec.steps):
            progress(pending)
            pending = 0
    if spec.mode == "sliced":
        result.clipped_updates = clipped.tolist()
    if spec.mode != "float":
        result.update_stats = [update_summary([x for x, _ in pairs], [v for _, v in pairs])
                               for pairs in sampled]
    result.seconds = time.perf_counter() - start
    return result
