"""Spatial layers of a model: ``conv2d``, ``maxpool2d`` and ``flatten`` (paper §5.4).

A convolutional network carries **feature maps** ``(H, W, C)`` between its layers, stored
channel-last (HWC: word ``(y*W + x)*C + c``), so ``flatten`` is a change of shape only and a
``dense`` layer after it sees the map's words in HWC order.

* :class:`Conv2d`: ``M`` filters of ``R x R`` taps over ``C`` channels, stride ``S``, zero
  padding ``P`` on every side; output ``E = (H + 2P - R) // S + 1`` (likewise ``F``). Its
  weights are a real ``(R, R, C, M)`` array (taps, input channel, output channel), whose
  linearisation ``(R*R*C, M)`` (row ``(r*R + s)*C + c``) is the crossbar matrix: one output
  channel per column (paper Fig. 7b).
* :class:`MaxPool2d`: non-overlapping ``K x K`` windows (stride ``K``); output ``(H // K,
  W // K, C)`` (rows and columns that do not fill a window are dropped, as in PyTorch).
* :class:`Flatten`: ``(H, W, C) -> (1, 1, H*W*C)``.

:func:`network_shapes` checks a list of layers (``dense`` ones included, duck-typed by their
``n_in``/``n_out``) and returns the map shape at every layer boundary. This module knows no
activation table (``compiler.model`` validates activation names for every layer).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from .errors import ModelError

__all__ = ["Conv2d", "MaxPool2d", "Flatten", "SPATIAL_TYPES", "conv2d", "maxpool2d", "flatten",
           "is_spatial", "network_shapes", "weight_shape", "glorot_limit", "spatial_from_dict",
           "SPATIAL_KEYS"]


def _positive(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True, kw_only=True)
class Conv2d:
    """A 2-D convolution ``Z[i, j, m] = sum_{r, s, c} W[r, s, c, m] X[i*S - P + r, j*S - P + s, c]``
    followed by an activation (no bias).

    Members
    -------
    in_channels, out_channels : int
        ``C`` and ``M``.
    kernel : int
        ``R`` (square filters).
    stride : int
        ``S`` (default 1).
    padding : int
        ``P`` zero rows/columns on every side, ``0 <= P < R``.
    input : tuple of int or None
        ``(H, W)`` of the input map; required for a first layer, checked against the
        previous layer otherwise.
    activation : str
    """

    in_channels: int
    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    input: tuple = None
    activation: str = "identity"

    kind = "conv2d"

    def __post_init__(self):
        for name in ("in_channels", "out_channels", "kernel", "stride"):
            if not _positive(getattr(self, name)):
                raise ModelError(f"conv2d: {name} must be a positive integer, not "
                                 f"{getattr(self, name)!r}")
        p = self.padding
        if not (isinstance(p, int) and not isinstance(p, bool) and 0 <= p < self.kernel):
            raise ModelError(f"conv2d: padding must be an integer in 0 .. kernel - 1 = "
                             f"{self.kernel - 1}, not {p!r}")
        if self.input is not None:
            size = tuple(self.input) if isinstance(self.input, (tuple, list)) else None
            if size is None or len(size) != 2 or not all(_positive(v) for v in size):
                raise ModelError(f"conv2d: input must be [H, W] of positive integers, not "
                                 f"{self.input!r}")
            object.__setattr__(self, "input", size)
        if not isinstance(self.activation, str):
            raise ModelError(f"conv2d: activation must be a string, not {self.activation!r}")

    @property
    def rows(self):
        """Crossbar rows of the linearised filters: ``R*R*C``."""
        return self.kernel * self.kernel * self.in_channels

    @property
    def cols(self):
        """Crossbar columns: ``M`` (one output channel each)."""
        return self.out_channels

    @property
    def weight_shape(self):
        return (self.kernel, self.kernel, self.in_channels, self.out_channels)

    def out_size(self, h, w):
        """``(E, F)`` of an ``(h, w)`` input; ``None`` when the padded input is smaller than a filter."""
        r, s, p = self.kernel, self.stride, self.padding
        if h + 2 * p < r or w + 2 * p < r:
            return None
        return (h + 2 * p - r) // s + 1, (w + 2 * p - r) // s + 1


@dataclass(frozen=True, kw_only=True)
class MaxPool2d:
    """Maximum over non-overlapping ``kernel x kernel`` windows of each channel.

    Members
    -------
    kernel : int
    """

    kernel: int = 2
    kind = "maxpool2d"
    activation = "identity"

    def __post_init__(self):
        if not _positive(self.kernel):
            raise ModelError(f"maxpool2d: kernel must be a positive integer, not {self.kernel!r}")


@dataclass(frozen=True, kw_only=True)
class Flatten:
    """``(H, W, C) -> (1, 1, H*W*C)`` in HWC order (no data moves)."""

    kind = "flatten"
    activation = "identity"


SPATIAL_TYPES = (Conv2d, MaxPool2d, Flatten)


def conv2d(in_channels, out_channels, kernel, *, stride=1, padding=0, input=None,
           activation="identity"):
    """A :class:`Conv2d` layer (shorthand)."""
    return Conv2d(in_channels=in_channels, out_channels=out_channels, kernel=kernel,
                  stride=stride, padding=padding, input=input, activation=activation)


def maxpool2d(kernel=2):
    """A :class:`MaxPool2d` layer (shorthand)."""
    return MaxPool2d(kernel=kernel)


def flatten():
    """A :class:`Flatten` layer."""
    return Flatten()


def is_spatial(layers):
    """True when any layer is a conv2d, maxpool2d or flatten."""
    return any(isinstance(layer, SPATIAL_TYPES) for layer in layers)


def weight_shape(layer):
    """Shape of a layer's real weight array, ``None`` for a layer without weights."""
    if isinstance(layer, Conv2d):
        return layer.weight_shape
    if isinstance(layer, (MaxPool2d, Flatten)):
        return None
    return (layer.n_in, layer.n_out)


def glorot_limit(layer):
    """Glorot-uniform limit ``sqrt(6 / (fan_in + fan_out))``; a conv's fans count its taps."""
    if isinstance(layer, Conv2d):
        taps = layer.kernel * layer.kernel
        return math.sqrt(6.0 / (taps * (layer.in_channels + layer.out_channels)))
    return math.sqrt(6.0 / (layer.n_in + layer.n_out))


def network_shapes(layers):
    """Map shapes ``[(H, W, C), ...]`` at every boundary (``len(layers) + 1`` of them).

    A dense layer's input and output are ``(1, 1, n)``. Raises :class:`ModelError` with a
    message that starts with ``layers[i].key:`` (the JSON path without ``$.``).
    """
    shapes = []
    for index, layer in enumerate(layers):
        here = f"layers[{index}]"
        prev = shapes[-1] if shapes else None
        flat = prev is not None and prev[:2] == (1, 1)
        prev_kind = getattr(layers[index - 1], "kind", "dense") if index else None
        if isinstance(layer, Conv2d):
            if prev is None:
                if layer.input is None:
                    raise ModelError(f"{here}.input: the first conv2d layer needs its input "
                                     "size [H, W]")
                prev = (*layer.input, layer.in_channels)
                shapes.append(prev)
            elif prev_kind in ("dense", "flatten"):
                raise ModelError(f"{here}.type: a conv2d layer needs a feature map; layers"
                                 f"[{index - 1}] is {prev_kind}")
            if layer.in_channels != prev[2]:
                raise ModelError(f"{here}.in_channels: must be {prev[2]} (the previous layer's "
                                 f"channels), not {layer.in_channels}")
            if layer.input is not None and tuple(layer.input) != prev[:2]:
                raise ModelError(f"{here}.input: must be [{prev[0]}, {prev[1]}] (the previous "
                                 f"layer's output), not {list(layer.input)}")
            out = layer.out_size(*prev[:2])
            if out is None:
                raise ModelError(f"{here}.kernel: a {layer.kernel}x{layer.kernel} filter does not "
                                 f"fit the {prev[0]}x{prev[1]} input with padding {layer.padding}")
            shapes.append((*out, layer.out_channels))
        elif isinstance(layer, MaxPool2d):
            if prev is None or prev_kind in ("dense", "flatten"):
                raise ModelError(f"{here}.type: a maxpool2d layer needs a feature map (a conv2d "
                                 "or maxpool2d layer before it)")
            k = layer.kernel
            if k > prev[0] or k > prev[1]:
                raise ModelError(f"{here}.kernel: a {k}x{k} window does not fit the "
                                 f"{prev[0]}x{prev[1]} map")
            shapes.append((prev[0] // k, prev[1] // k, prev[2]))
        elif isinstance(layer, Flatten):
            if prev is None or prev_kind in ("dense", "flatten"):
                raise ModelError(f"{here}.type: flatten needs a feature map (a conv2d or "
                                 "maxpool2d layer before it)")
            shapes.append((1, 1, prev[0] * prev[1] * prev[2]))
        else:
            if prev is None:
                shapes.append((1, 1, layer.n_in))
            elif prev_kind in ("conv2d", "maxpool2d"):
                raise ModelError(f"{here}.type: a dense layer after a {prev_kind} layer needs a "
                                 "flatten layer between them")
            elif not flat or layer.n_in != prev[2]:
                what = "the flattened map's size" if prev_kind == "flatten" else "the previous layer's out"
                raise ModelError(f"{here}.in: must be {prev[2]} ({what}), not {layer.n_in}")
            shapes.append((1, 1, layer.n_out))
    return shapes


# -- JSON ---------------------------------------------------------------------------------------

#: Allowed keys of each spatial layer type in a model file.
SPATIAL_KEYS = {
    "conv2d": ("type", "in_channels", "out_channels", "kernel", "stride", "padding", "input",
               "activation"),
    "maxpool2d": ("type", "kernel"),
    "flatten": ("type",),
}


def spatial_from_dict(entry, where, fail):
    """A spatial layer from its parsed JSON object; ``fail(path, message)`` raises.

    ``entry['type']`` is one of :data:`SPATIAL_KEYS`; activation names are checked by the
    caller (``compiler.model``).
    """
    kind = entry["type"]
    allowed = SPATIAL_KEYS[kind]
    extra = sorted(set(entry) - set(allowed))
    if extra:
        fail(f"{where}.{extra[0]}", f"unknown key for a {kind} layer; expected one of "
                                    f"{', '.join(allowed)}")

    def integer(key, default=None, low=1):
        if key not in entry:
            if default is None:
                fail(where, f"missing key '{key}'")
            return default
        value = entry[key]
        if not (isinstance(value, int) and not isinstance(value, bool)):
            fail(f"{where}.{key}", f"expected an integer, not {json.dumps(value)}")
        if value < low:
            fail(f"{where}.{key}", f"must be an integer >= {low}, not {value}")
        return value

    if kind == "flatten":
        return Flatten()
    if kind == "maxpool2d":
        kernel = integer("kernel", 2)
        return MaxPool2d(kernel=kernel)
    c, m = integer("in_channels"), integer("out_channels")
    r = integer("kernel")
    stride, padding = integer("stride", 1), integer("padding", 0, low=0)
    if padding >= r:
        fail(f"{where}.padding", f"must be less than the kernel ({r}), not {padding}")
    size = entry.get("input")
    if "input" in entry and not (isinstance(size, list) and len(size) == 2
                                 and all(_positive(v) for v in size)):
        fail(f"{where}.input", f"expected [H, W] of positive integers, not {json.dumps(size)}")
    activation = entry.get("activation", "identity")
    if not isinstance(activation, str):
        fail(f"{where}.activation", f"expected a string, not {json.dumps(activation)}")
    return Conv2d(in_channels=c, out_channels=m, kernel=r, stride=stride, padding=padding,
                  input=None if size is None else tuple(size), activation=activation)
