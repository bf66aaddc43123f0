"""The model file: a :class:`compiler.model.Model` read from JSON (format in
``docs/compiler.md``), every error naming the file and the JSON path of what was wrong.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .errors import ModelError
from .layers import SPATIAL_KEYS, is_spatial, network_shapes, spatial_from_dict, weight_shape
from .model import ACTIVATIONS, ALGORITHMS, DATA_SOURCES, LOSSES, Dense, Model, TrainSpec

__all__ = ["load_model", "model_from_dict"]

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
