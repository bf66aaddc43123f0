"""Model descriptions: the Python API, the JSON format and its error messages."""

import json

import numpy as np
import pytest

from panther.apps.cli import main
from panther.compiler import Model, ModelError, TrainSpec, dense, load_model

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "models"


def _write(tmp_path, data, name="m.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return path


GOOD = {"layers": [{"type": "dense", "in": 8, "out": 6, "activation": "tanh"},
                   {"type": "dense", "in": 6, "out": 3, "activation": "sigmoid"}],
        "loss": "mse", "batch": 1, "lr": 0.125, "seed": 0}


def test_json_and_api_describe_the_same_model(tmp_path):
    from_file = load_model(_write(tmp_path, GOOD))
    api = Model(layers=[dense(8, 6, "tanh"), dense(6, 3, "sigmoid")], train=TrainSpec(lr=0.125))
    assert from_file.layers == api.layers and from_file.train == api.train
    for a, b in zip(from_file.weights, api.weights):       # same seed, same weights
        np.testing.assert_array_equal(a, b)
    assert from_file.name == "m"


def test_weights_from_npz(tmp_path):
    w0, w1 = np.full((8, 6), 0.25), np.full((6, 3), -0.5)
    np.savez(tmp_path / "w.npz", W0=w0, W1=w1)
    model = load_model(_write(tmp_path, dict(GOOD, weights="w.npz")))
    np.testing.assert_array_equal(model.weights[0], w0)
    np.testing.assert_array_equal(model.weights[1], w1)


@pytest.mark.parametrize("change, message", [
    (dict(layers=[{"in": 8, "out": 6}, {"in": 5, "out": 3}]),
     "$.layers[1].in: must be 6 (the previous layer's out), not 5"),
    (dict(layers=[{"in": 8, "out": 6, "activation": "gelu"}]), "$.layers[0].activation: unknown"),
    (dict(layers=[{"type": "conv", "in": 8, "out": 6}]), "$.layers[0].type: unknown layer type"),
    (dict(layers=[{"in": "8", "out": 6}]), '$.layers[0].in: expected an integer, not "8"'),
    (dict(layers=[{"in": 8}]), "$.layers[0]: missing key 'out'"),
    (dict(layers=[{"in": 8, "out": 6, "size": 3}]), "$.layers[0].size: unknown key"),
    (dict(loss="hinge"), "$.loss: unknown loss"),
    (dict(loss="softmax_cross_entropy"),
     '$.loss: softmax_cross_entropy applies the softmax itself: the last layer\'s activation '
     'must be identity, not "sigmoid"'),
    (dict(layers=[{"in": 8, "out": 6, "bias": 1}]), "$.layers[0].bias: expected true or false, not 1"),
    (dict(weights="wb.npz"), "has a bias b1, but layer 1 has none"),
    (dict(batch=4, algorithm="sgd"), "$.batch: sgd has batch 1"),
    (dict(batch=0, algorithm="minibatch"), "$.batch: must be a positive integer"),
    (dict(lr=-1), "$.lr: must be a positive number"),
    (dict(lr=True), "$.lr: expected a number"),
    (dict(algorithm="adam"), "$.algorithm: unknown algorithm"),
    (dict(extra=1), "$.extra: unknown key"),
    (dict(weights="missing.npz"), "$.weights: cannot read"),
    (dict(data="mnist"), "$.data: unknown data"),
    (dict(input_gradient=1), "$.input_gradient: expected true or false, not 1"),
])
def test_bad_model_files_name_the_json_path(tmp_path, change, message):
    np.savez(tmp_path / "wb.npz", W0=np.zeros((8, 6)), W1=np.zeros((6, 3)), b1=np.zeros(3))
    path = _write(tmp_path, dict(GOOD, **change))
    with pytest.raises(ModelError) as error:
        load_model(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_bias_rows_from_npz_and_seed(tmp_path):
    """A layer with a bias has one more row, the bias: from b<l> in the .npz (zeros if absent)
    or zeros with seeded weights."""
    w0, w1, b1 = np.full((8, 6), 0.25), np.full((6, 3), -0.5), np.array([0.5, -1.0, 2.0])
    np.savez(tmp_path / "w.npz", W0=w0, W1=w1, b1=b1)
    layers = [dict(GOOD["layers"][0], bias=True), dict(GOOD["layers"][1], bias=True)]
    model = load_model(_write(tmp_path, dict(GOOD, layers=layers, weights="w.npz")))
    assert [layer.rows for layer in model.layers] == [9, 7]
    np.testing.assert_array_equal(model.weights[0], np.vstack([w0, np.zeros((1, 6))]))
    np.testing.assert_array_equal(model.weights[1], np.vstack([w1, b1[None, :]]))
    seeded = load_model(_write(tmp_path, dict(GOOD, layers=layers), name="s.json"))
    assert seeded.weights[1].shape == (7, 3) and not seeded.weights[1][-1].any()
    with pytest.raises(ModelError, match=r"must have shape \(7, 3\) \(the last row is the bias\)"):
        Model(layers=seeded.layers, weights=[seeded.weights[0], w1])


def test_malformed_json_names_line_and_column(tmp_path):
    path = _write(tmp_path, '{"layers": [\n  {"in": 8, "out": 6,}\n]}')
    with pytest.raises(ModelError, match=r"m\.json:2:22: invalid JSON"):
        load_model(path)


def test_cli_exits_2_without_traceback(tmp_path, capsys):
    path = _write(tmp_path, dict(GOOD, layers=[{"in": 8, "out": 0}]))
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "$.layers[0].out: must be a positive integer" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["digits_mlp", "digits_small_tile", "digits_softmax", "mlp_512_256_10", "mlp_l4",
                                  "small_tile_mlp"])
def test_shipped_models_load(name):
    model = load_model(MODELS / f"{name}.json")
    assert model.name == name
