"""Model descriptions: a network of dense (and conv2d, maxpool2d, flatten) layers, a loss and a
training spec.

A model is built from Python (:func:`dense`, :class:`Model`) or read from a small JSON file
(:func:`load_model`, format in ``docs/compiler.md``)::

    {"layers": [{"type": "dense", "in": 32, "out": 16, "activation": "tanh", "bias": true},
                {"type": "dense", "in": 16, "out": 10, "activation": "sigmoid"}],
     "loss": "mse", "batch": 1, "lr": 0.125, "seed": 0}

Weights are real numbers, ``W[i, j]`` from input ``i`` to output ``j`` (shape ``(in, out)``,
the crossbar orientation of docs/semantics.md §3); a layer with a bias has one more row, the
bias, which the crossbar holds as a row driven by the constant input 1.0. They come from numpy
arrays, an ``.npz`` file (arrays ``W0``, ``W1``, ... and optional biases ``b0``, ``b1``, ...)
or a seed (Glorot-uniform weights, zero biases). The spatial layers and their weight layout
are in :mod:`compiler.layers` (a network with spatial layers has no biases and the mse loss).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ModelError
from .layers import (
    SPATIAL_KEYS,
    SPATIAL_TYPES,
    glorot_limit,
    is_spatial,
    network_shapes,
    spatial_from_dict,
    weight_shape,
)

__all__ = ["ACTIVATIONS", "LOSSES", "ALGORITHMS", "DATA_SOURCES", "Dense", "TrainSpec", "Model",
           "dense", "load_model", "model_from_dict", "seeded_weights"]

#: Activation name -> (VFU function, VFU derivative function); identity needs none.
ACTIVATIONS = {
    "relu": ("relu", "relu_d"),
    "sigmoid": ("sigmoid", "sigmoid_d"),
    "tanh": ("tanh", "tanh_d"),
    "identity": (None, None),
}
#: Supported losses: ``mse`` (``1/2 |y - t|^2``) and ``softmax_cross_entropy`` (the softmax
#: of the last layer's outputs, which must be an identity layer, against targets that sum to 1).
LOSSES = ("mse", "softmax_cross_entropy")
ALGORITHMS = ("sgd", "minibatch")
#: Where the sample batch stored in a compiled image comes from.
DATA_SOURCES = ("random", "digits", "digits32")


@dataclass(frozen=True, kw_only=True)
class Dense:
    """A fully connected layer ``y = f(W^T x + b)`` (``b`` only with ``bias``).

    Members
    -------
    n_in, n_out : int
        Inputs and outputs (crossbar columns).
    activation : str
        One of :data:`ACTIVATIONS`.
    bias : bool
        The layer has a bias: one more crossbar row, driven by the constant input 1.0 (its
        weights are the bias; the OPA updates it like any weight, with input 1.0).
    """

    n_in: int
    n_out: int
    activation: str = "identity"
    bias: bool = False

    @property
    def rows(self):
        """Crossbar rows of the layer's matrix: ``n_in``, plus one for the bias."""
        return self.n_in + int(self.bias)

    def __post_init__(self):
        for name in ("n_in", "n_out"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ModelError(f"dense: {name} must be a positive integer, not {value!r}")
        if self.activation not in ACTIVATIONS:
            raise ModelError(f"dense: unknown activation {self.activation!r}; expected one of "
                             f"{', '.join(ACTIVATIONS)}")
        if not isinstance(self.bias, bool):
            raise ModelError(f"dense: bias must be true or false, not {self.bias!r}")


def dense(n_in, n_out, activation="identity", bias=False):
    """A :class:`Dense` layer (shorthand)."""
    return Dense(n_in=n_in, n_out=n_out, activation=activation, bias=bias)


@dataclass(frozen=True, kw_only=True)
class TrainSpec:
    """How one kernel invocation trains.

    Members
    -------
    algorithm : str
        ``'sgd'`` (batch 1, paper Table 1) or ``'minibatch'`` (batch ``batch``, Table 2).
    batch : int
        Samples per kernel invocation; their OPAs take effect together at ``hlt``.
    lr : float
        Learning rate; each sample's update is ``-(lr / batch) * delta`` (the mean gradient),
        the factor rounded once to a data word.
    crs_period : int
        Kernel invocations between carry resolution steps (paper: 1024).
    """

    algorithm: str = "sgd"
    batch: int = 1
    lr: float = 0.125
    crs_period: int = 1024

    def __post_init__(self):
        if self.algorithm not in ALGORITHMS:
            raise ModelError(f"unknown algorithm {self.algorithm!r}; expected one of "
                             f"{', '.join(ALGORITHMS)}")
        if not (isinstance(self.batch, int) and not isinstance(self.batch, bool) and self.batch >= 1):
            raise ModelError(f"batch must be a positive integer, not {self.batch!r}")
        if self.algorithm == "sgd" and self.batch != 1:
            raise ModelError(f"sgd has batch 1, not {self.batch}; use algorithm 'minibatch'")
        if not (isinstance(self.lr, (int, float)) and not isinstance(self.lr, bool)
                and math.isfinite(self.lr) and self.lr > 0):
            raise ModelError(f"lr must be a positive number, not {self.lr!r}")
        if not (isinstance(self.crs_period, int) and not isinstance(self.crs_period, bool)
                and self.crs_period >= 1):
            raise ModelError(f"crs_period must be a positive integer, not {self.crs_period!r}")


def seeded_weights(layers, seed):
    """Glorot-uniform real weights, one array per layer (``(rows, n_out)`` for dense, whose
    bias row is 0, ``(R, R, C, M)`` for conv2d, ``None`` for a layer without weights)."""
    rng = np.random.default_rng(seed)
    out = []
    for layer in layers:
        shape = weight_shape(layer)
        limit = glorot_limit(layer) if shape is not None else 0.0
        w = None if shape is None else rng.uniform(-limit, limit, size=shape)
        if getattr(layer, "bias", False):
            w = np.vstack([w, np.zeros((1, layer.n_out))])
        out.append(w)
    return out


@dataclass(frozen=True, kw_only=True, eq=False)
class Model:
    """A network, its loss, its training spec and its initial weights.

    Members
    -------
    layers : tuple
        :class:`Dense` layers, each ``n_in`` equal to the previous ``n_out``; or a
        convolutional network of :class:`Dense`, :class:`compiler.layers.Conv2d`,
        ``MaxPool2d`` and ``Flatten`` layers (shapes checked by ``network_shapes``).
    loss : str
        One of :data:`LOSSES`.
    train : TrainSpec
    weights : tuple of numpy.ndarray
        Real float64 weights per layer: ``(rows, n_out)`` for dense, ``rows = n_in + bias`` (the
        last row of a layer with a bias is the bias), ``(R, R, C, M)`` for conv2d, ``None`` for
        maxpool2d and flatten (default: from ``seed``).
    seed : int
        Seed of the weights (when not given) and of the random sample batch.
    data : str
        Source of the sample batch stored in a compiled image: ``'random'`` (seeded inputs in
        [-1, 1), targets in [0, 1)), ``'digits'`` (the bundled digits, one-hot targets) or
        ``'digits32'`` (the digits upsampled to 32x32 = 1024 inputs).
    name : str
    config : str or None
        Default configuration for compiling (a preset name or a path), if the file names one.
    input_gradient : bool
        Also back-propagate through the first layer: the kernel runs its MTVMs and stores
        ``dL/dx`` of every sample in shared memory, as a layer inside a larger network does
        for the layer below it. A one-layer kernel with this flag is the per-layer kernel of
        the evaluation (PUMA's single-layer PANTHER benchmarks do the same).
    """

    layers: tuple
    loss: str = "mse"
    train: TrainSpec = field(default_factory=TrainSpec)
    weights: tuple = None
    seed: int = 0
    data: str = "random"
    name: str = "model"
    config: str = None
    input_gradient: bool = False

    def __post_init__(self):
        layers = tuple(self.layers)
        if not layers:
            raise ModelError("a model needs at least one layer")
        for index, layer in enumerate(layers):
            if not isinstance(layer, (Dense,) + SPATIAL_TYPES):
                raise ModelError(f"layers[{index}] must be a Dense, Conv2d, MaxPool2d or Flatten "
                                 f"layer, not {layer!r}")
            if layer.activation not in ACTIVATIONS:
                raise ModelError(f"layers[{index}]: unknown activation {layer.activation!r}; "
                                 f"expected one of {', '.join(ACTIVATIONS)}")
            if is_spatial(layers):
                continue
            if index and layer.n_in != layers[index - 1].n_out:
                raise ModelError(f"layers[{index}].in must be {layers[index - 1].n_out} (the "
                                 f"previous layer's out), not {layer.n_in}")
        if is_spatial(layers):
            network_shapes(layers)
            biased = [i for i, layer in enumerate(layers) if getattr(layer, "bias", False)]
            if biased:
                raise ModelError(f"layers[{biased[0]}].bias: the dense layers of a network with "
                                 "conv2d/maxpool2d/flatten layers have no bias yet")
            if self.loss != "mse":
                raise ModelError(f"loss {self.loss!r}: a network with conv2d/maxpool2d/flatten "
                                 "layers is compiled with the mse loss only (for now)")
        object.__setattr__(self, "layers", layers)
        if self.loss == "softmax_cross_entropy" and layers[-1].activation != "identity":
            raise ModelError("softmax_cross_entropy applies the softmax itself: the last layer's "
                             f"activation must be identity, not {layers[-1].activation!r}")
        if self.loss not in LOSSES:
            raise ModelError(f"unknown loss {self.loss!r}; expected one of {', '.join(LOSSES)}")
        if self.data not in DATA_SOURCES:
            raise ModelError(f"unknown data {self.data!r}; expected one of {', '.join(DATA_SOURCES)}")
        if not (isinstance(self.seed, int) and not isinstance(self.seed, bool) and self.seed >= 0):
            raise ModelError(f"seed must be a non-negative integer, not {self.seed!r}")
        if not isinstance(self.input_gradient, bool):
            raise ModelError(f"input_gradient must be true or false, not {self.input_gradient!r}")
        weights = self.weights
        if weights is None:
            weights = seeded_weights(layers, self.seed)
        weights = tuple(None if w is None else np.array(w, dtype=np.float64) for w in weights)
        if len(weights) != len(layers):
            raise ModelError(f"{len(weights)} weight arrays for {len(layers)} layers")
        for index, (w, layer) in enumerate(zip(weights, layers)):
            shape = weight_shape(layer)
            if shape is None:
                if w is not None:
                    raise ModelError(f"layer {index} ({layer.kind}) has no weights, not {w.shape}")
                continue
            what = ""
            if getattr(layer, "bias", False):
                shape, what = (layer.rows, layer.n_out), " (the last row is the bias)"
            if w is None or w.shape != shape:
                raise ModelError(f"weights of layer {index} must have shape {shape}{what}, not "
                                 f"{None if w is None else w.shape}")
            if not np.all(np.isfinite(w)):
                raise ModelError(f"weights of layer {index} are not all finite")
        object.__setattr__(self, "weights", weights)

    @property
    def sizes(self):
        """Layer widths ``(n_0, n_1, ..., n_L)`` (a feature map counts its ``H*W*C`` words)."""
        if is_spatial(self.layers):
            return tuple(h * w * c for h, w, c in self.shapes)
        return (self.layers[0].n_in,) + tuple(layer.n_out for layer in self.layers)

    @property
    def shapes(self):
        """Map shapes ``(H, W, C)`` at every layer boundary (``(1, 1, n)`` for vectors)."""
        return tuple(network_shapes(self.layers))

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        fields = dict(layers=self.layers, loss=self.loss, train=self.train, weights=self.weights,
                      seed=self.seed, data=self.data, name=self.name, config=self.config,
                      input_gradient=self.input_gradient)
        fields.update(changes)
        return Model(**fields)


# -- JSON ---------------------------------------------------------------------------------------

_TOP_KEYS = ("name", "layers", "loss", "algorithm", "batch", "lr", "crs_period", "seed",
             "weights", "data", "config", "input_gradient")
_LAYER_KEYS = ("type", "in", "out", "activation", "bias")


class _Path:
    def __init__(self, source):
        self.source = source

    def fail(self, where, message):
        raise ModelError(f"{self.source}: {where}: {message}")


def _want(p, where, value, kind):
    ok = {"int": isinstance(value, int) and not isinstance(value, bool),
          "number": isinstance(value, (int, float)) and not isinstance(value, bool),
          "str": isinstance(value, str)}[kind]
    if not ok:
        names = {"int": "an integer", "number": "a number", "str": "a string"}
        p.fail(where, f"expected {names[kind]}, not {json.dumps(value)}")
    return value


def _unknown(p, where, data, allowed):
    extra = sorted(set(data) - set(allowed))
    if extra:
        p.fail(f"{where}.{extra[0]}", f"unknown key; expected one of {', '.join(allowed)}")


def model_from_dict(data, *, source="<model>", base_dir=None):
    """A :class:`Model` from parsed JSON; errors name ``source`` and the JSON path."""
    p = _Path(source)
    if not isinstance(data, dict):
        p.fail("$", "a model must be a JSON object")
    _unknown(p, "$", data, _TOP_KEYS)
    if "layers" not in data:
        p.fail("$", "missing key 'layers'")
    if not isinstance(data["layers"], list) or not data["layers"]:
        p.fail("$.layers", "expected a non-empty list of layers")
    layers = []
    for index, entry in enumerate(data["layers"]):
        where = f"$.layers[{index}]"
        if not isinstance(entry, dict):
            p.fail(where, "a layer must be a JSON object")
        kind = entry.get("type", "dense")
        if kind in SPATIAL_KEYS:
            layer = spatial_from_dict(entry, where, p.fail)
            if layer.activation not in ACTIVATIONS:
                p.fail(f"{where}.activation", f"unknown activation {json.dumps(layer.activation)}; "
                                              f"expected one of {', '.join(ACTIVATIONS)}")
            layers.append(layer)
            continue
        _unknown(p, where, entry, _LAYER_KEYS)
        if kind != "dense":
            p.fail(f"{where}.type", f"unknown layer type {json.dumps(kind)}; expected one of "
                                    f"\"dense\", {', '.join(json.dumps(k) for k in SPATIAL_KEYS)}")
        for key in ("in", "out"):
            if key not in entry:
                p.fail(where, f"missing key '{key}'")
            if _want(p, f"{where}.{key}", entry[key], "int") < 1:
                p.fail(f"{where}.{key}", f"must be a positive integer, not {entry[key]}")
        if index and not is_spatial(layers) and entry["in"] != layers[-1].n_out:
            p.fail(f"{where}.in", f"must be {layers[-1].n_out} (the previous layer's out), "
                                  f"not {entry['in']}")
        act = _want(p, f"{where}.activation", entry.get("activation", "identity"), "str")
        if act not in ACTIVATIONS:
            p.fail(f"{where}.activation", f"unknown activation {json.dumps(act)}; expected one "
                                          f"of {', '.join(ACTIVATIONS)}")
        bias = entry.get("bias", False)
        if not isinstance(bias, bool):
            p.fail(f"{where}.bias", f"expected true or false, not {json.dumps(bias)}")
        layers.append(Dense(n_in=entry["in"], n_out=entry["out"], activation=act, bias=bias))
    if is_spatial(layers):
        biased = [i for i, layer in enumerate(layers) if getattr(layer, "bias", False)]
        if biased:
            p.fail(f"$.layers[{biased[0]}].bias", "the dense layers of a network with "
                                                  "conv2d/maxpool2d/flatten layers have no bias yet")
        try:
            network_shapes(layers)
        except ModelError as error:
            p.fail(f"$.{error}".split(": ", 1)[0], str(error).split(": ", 1)[1])
    loss = _want(p, "$.loss", data.get("loss", "mse"), "str")
    batch = _want(p, "$.batch", data.get("batch", 1), "int")
    algorithm = _want(p, "$.algorithm", data.get("algorithm", "sgd" if batch == 1 else "minibatch"),
                      "str")
    lr = _want(p, "$.lr", data.get("lr", 0.125), "number")
    crs_period = _want(p, "$.crs_period", data.get("crs_period", 1024), "int")
    seed = _want(p, "$.seed", data.get("seed", 0), "int")
    name = _want(p, "$.name", data.get("name", Path(source).stem or "model"), "str")
    source_kind = _want(p, "$.data", data.get("data", "random"), "str")
    input_gradient = data.get("input_gradient", False)
    if not isinstance(input_gradient, bool):
        p.fail("$.input_gradient", f"expected true or false, not {json.dumps(input_gradient)}")
    config = data.get("config")
    if config is not None:
        _want(p, "$.config", config, "str")
        if base_dir is not None and (config.endswith(".json") and not Path(config).is_absolute()):
            config = str(Path(base_dir) / config)
    weights = None
    if "weights" in data:
        weights = _load_npz(p, _want(p, "$.weights", data["weights"], "str"), base_dir, layers)
    checks = [
        ("$.loss", loss != "softmax_cross_entropy" or layers[-1].activation == "identity",
         f"softmax_cross_entropy applies the softmax itself: the last layer's activation must "
         f"be identity, not {json.dumps(layers[-1].activation)}"),
        ("$.loss", loss in LOSSES,
         f"unknown loss {json.dumps(loss)}; expected one of {', '.join(LOSSES)}"),
        ("$.loss", loss == "mse" or loss not in LOSSES or not is_spatial(layers),
         f"loss {json.dumps(loss)}: a network with conv2d/maxpool2d/flatten layers is compiled "
         "with the mse loss only (for now)"),
        ("$.algorithm", algorithm in ALGORITHMS,
         f"unknown algorithm {json.dumps(algorithm)}; expected one of {', '.join(ALGORITHMS)}"),
        ("$.batch", batch >= 1, f"must be a positive integer, not {batch}"),
        ("$.batch", algorithm != "sgd" or batch == 1,
         f"sgd has batch 1, not {batch}; use \"algorithm\": \"minibatch\""),
        ("$.lr", math.isfinite(lr) and lr > 0, f"must be a positive number, not {lr}"),
        ("$.crs_period", crs_period >= 1, f"must be a positive integer, not {crs_period}"),
        ("$.seed", seed >= 0, f"must be a non-negative integer, not {seed}"),
        ("$.data", source_kind in DATA_SOURCES,
         f"unknown data {json.dumps(source_kind)}; expected one of {', '.join(DATA_SOURCES)}"),
    ]
    for where, ok, message in checks:
        if not ok:
            p.fail(where, message)
    train = TrainSpec(algorithm=algorithm, batch=batch, lr=float(lr), crs_period=crs_period)
    try:
        return Model(layers=layers, loss=loss, train=train, weights=weights, seed=seed,
                     data=source_kind, name=name, config=config, input_gradient=input_gradient)
    except ModelError as error:         # only the weights are left to fail here
        p.fail("$.weights", str(error))


def _load_npz(p, name, base_dir, layers):
    path = Path(name)
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    try:
        with np.load(path) as arrays:
            found = {k: arrays[k] for k in arrays.files}
    except (OSError, ValueError) as error:
        p.fail("$.weights", f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
    weights = []
    for index, layer in enumerate(layers):
        key, shape = f"W{index}", weight_shape(layer)
        if shape is None:
            weights.append(None)
            continue
        if key not in found:
            p.fail("$.weights", f"{path} has no array {key!r} (arrays W<i> for every layer i with "
                                "weights, shape (in, out) or (R, R, C, M), are expected)")
        if found[key].shape != shape:
            p.fail("$.weights", f"{path}: {key} has shape {found[key].shape}, layer {index} "
                                f"needs {shape}")
        w = np.asarray(found[key], dtype=np.float64)
        bias = found.get(f"b{index}")
        if bias is not None and not getattr(layer, "bias", False):
            p.fail("$.weights", f"{path} has a bias b{index}, but layer {index} has none "
                                "(\"bias\": true)")
        if getattr(layer, "bias", False):
            if bias is None:
                bias = np.zeros(layer.n_out)
            if np.shape(bias) != (layer.n_out,):
                p.fail("$.weights", f"{path}: b{index} has shape {np.shape(bias)}, layer "
                                    f"{index} needs ({layer.n_out},)")
            w = np.vstack([w, np.asarray(bias, dtype=np.float64)[None, :]])
        weights.append(w)
    return weights


def load_model(path):
    """Read a model JSON file (see ``docs/compiler.md``). Raises :class:`ModelError`."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelError(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}") from None
    return model_from_dict(data, source=str(path), base_dir=path.parent)
