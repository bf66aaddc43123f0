"""Model descriptions: a network of dense (and conv2d, maxpool2d, flatten) layers, a loss and a
training spec.

A model is built from Python (:func:`dense`, :class:`Model`) or read from a small JSON file
(:func:`compiler.model_file.load_model`, format in ``docs/compiler.md``)::

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

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import ModelError
from .layers import (
    SPATIAL_TYPES,
    glorot_limit,
    is_spatial,
    network_shapes,
    weight_shape,
)

__all__ = ["ACTIVATIONS", "LOSSES", "ALGORITHMS", "DATA_SOURCES", "Dense", "TrainSpec", "Model",
           "dense", "seeded_weights"]

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
