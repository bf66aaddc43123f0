"""Workloads of the evaluation: the layers of a network, each compiled as its own kernel.

Each layer becomes a one-layer model with ``input_gradient`` set for every layer but the
network's first (so it runs the MTVMs a layer inside the network runs, as in PUMA's
single-layer PANTHER benchmarks). A layer with more crossbar blocks than one tile holds is
cut into a grid of *pieces* that each fit one tile: whole column groups when all of a
layer's row blocks fit a tile, else row groups of one column block each. Pieces of the same
shape have the same counts, so each shape is compiled and run once and multiplied.

What a piece misses (until multi-tile compilation lands): the reduction of the partial sums
of pieces that share outputs (row groups) or inputs (the input-gradient parts of column
groups), and the on-chip network.

Workloads (paper Table 4):

* ``mlp-l4``: Dense1-4, 1024-256-512-512-10 (``examples/models/mlp_l4.json``);
* ``vgg16``: VGG-16 of Table 4 (``examples/models/vgg16_cifar.json``): Conv1-Conv13 as the
  layer steps of :mod:`compiler.layer_steps` (each conv layer with the max-pool after it),
  counted and timed from the compiler's schedule (:mod:`apps.evaluation.conv_layers`), and
  Dense14-16 (512-4096-4096-100) as golden-run pieces; ReLU, and a sigmoid output (the MSE
  loss of the compiler stands in for the paper's softmax cross-entropy, which the ISA cannot
  run yet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from panther.compiler import Model, TrainSpec, dense
from panther.compiler.layer_steps import layer_steps
from panther.compiler.layers import Conv2d

from .conv_layers import is_conv, vgg16_model

__all__ = ["Layer", "Piece", "WORKLOADS", "MISSING", "workload", "layers_of_model", "pieces"]


@dataclass(frozen=True)
class Layer:
    """One layer of a workload.

    Members
    -------
    name : str
    kind : str
        ``'dense'`` or ``'conv'``.
    n_in, n_out : int
        Weights are ``n_in x n_out`` (a conv layer: its linearised filters, ``R*R*C x M``).
    activation : str
    input_gradient : bool
        The layer back-propagates to its input (every layer but the network's first).
    step : compiler.layer_steps.LayerStep or None
        A conv layer's layer step (its one-layer model); None for a dense layer, which is
        compiled from ``n_in``, ``n_out`` and ``activation`` (:meth:`model`).
    """

    name: str
    kind: str
    n_in: int
    n_out: int
    activation: str
    input_gradient: bool
    step: object = None

    def model(self, *, batch, n_in=None, n_out=None, lr=0.0625, seed=0):
        """The one-layer :class:`compiler.Model` of this layer (or of a piece of it)."""
        spec = TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=lr)
        return Model(layers=[dense(n_in or self.n_in, n_out or self.n_out, self.activation)],
                     train=spec, seed=seed, input_gradient=self.input_gradient,
                     name=f"{self.name}.{n_in or self.n_in}x{n_out or self.n_out}")


@dataclass(frozen=True)
class Piece:
    """A tile-sized piece of a layer: ``count`` pieces of ``n_in x n_out`` weights."""

    n_in: int
    n_out: int
    count: int


def _dense(name, n_in, n_out, activation, first):
    return Layer(name=name, kind="dense", n_in=n_in, n_out=n_out, activation=activation,
                 input_gradient=not first)


#: Built-in workloads (paper Table 4): their dense layers (:func:`workload` adds the conv
#: layers of ``vgg16``).
WORKLOADS = {
    "mlp-l4": (
        _dense("Dense1", 1024, 256, "relu", True),
        _dense("Dense2", 256, 512, "relu", False),
        _dense("Dense3", 512, 512, "relu", False),
        _dense("Dense4", 512, 10, "sigmoid", False),
    ),
    "vgg16": (
        _dense("Dense14", 512, 4096, "relu", False),
        _dense("Dense15", 4096, 4096, "relu", False),
        _dense("Dense16", 4096, 100, "sigmoid", False),
    ),
}

#: What the built-in workloads leave out (printed with their results).
MISSING = {}


def _conv_layer(step):
    first = step.model.layers[0]
    return Layer(name=step.name, kind="conv", n_in=first.rows, n_out=first.cols,
                 activation=first.activation, input_gradient=step.input_gradient, step=step)


def workload(name):
    """The layers of a built-in workload (``mlp-l4``, ``vgg16``)."""
    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name!r}; expected one of {', '.join(WORKLOADS)}")
    if name == "vgg16":
        convs = [_conv_layer(step) for step in layer_steps(vgg16_model())
                 if isinstance(step.model.layers[0], Conv2d)]
        return tuple(convs) + WORKLOADS[name]
    return WORKLOADS[name]


def layers_of_model(model):
    """The layers of a :class:`compiler.Model` (a ``MODEL.json``): ``Dense1`` ... for an MLP;
    ``Conv1`` ... ``Dense<k>`` (the layer steps of :mod:`compiler.layer_steps`) for a CNN."""
    if not is_conv(model):
        return tuple(_dense(f"Dense{i + 1}", layer.n_in, layer.n_out, layer.activation, i == 0)
                     for i, layer in enumerate(model.layers))
    out = []
    for step in layer_steps(model):
        first = step.model.layers[0]
        out.append(_conv_layer(step) if isinstance(first, Conv2d) else
                   _dense(step.name, first.n_in, first.n_out, first.activation,
                          not step.input_gradient))
    return tuple(out)


def pieces(layer, config):
    """The tile-sized pieces of ``layer`` on ``config`` (module docstring); a conv layer is
    one piece (:mod:`apps.evaluation.conv_layers`)."""
    if layer.kind == "conv":
        return (Piece(layer.n_in, layer.n_out, 1),)
    x = config.xbar_size
    per_tile = config.cores_per_tile * config.mcus_per_core
    rows, cols = math.ceil(layer.n_in / x), math.ceil(layer.n_out / x)
    if rows * cols <= per_tile:
        return (Piece(layer.n_in, layer.n_out, 1),)
    if rows <= per_tile:
        return tuple(Piece(layer.n_in, n, k) for n, k in _grid(layer.n_out, per_tile // rows * x))
    return tuple(Piece(n_in, n_out, k_in * k_out) for n_in, k_in in _grid(layer.n_in, per_tile * x)
                 for n_out, k_out in _grid(layer.n_out, x))


def _grid(n, size):
    """``[(size, count), (rest, 1)]``: ``n`` cut into parts of ``size``."""
    full, rest = divmod(n, size)
    return ([(size, full)] if full else []) + ([(rest, 1)] if rest else [])
