"""Conv networks in the model description: the Python API, the JSON format, the shapes and
the error messages (JSON paths)."""

import json

import numpy as np
import pytest

from panther.compiler import Model, ModelError, load_model
from panther.compiler.layers import conv2d, flatten, maxpool2d
from panther.compiler.model import dense

CNN = {"layers": [
    {"type": "conv2d", "in_channels": 1, "out_channels": 4, "kernel": 3, "padding": 1,
     "input": [8, 8], "activation": "relu"},
    {"type": "maxpool2d", "kernel": 2},
    {"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel": 3, "stride": 2,
     "activation": "tanh"},
    {"type": "flatten"},
    {"type": "dense", "in": 6, "out": 3, "activation": "sigmoid"}], "seed": 4}


def _write(tmp_path, data, name="m.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=1))
    return path


def test_json_and_api_describe_the_same_network(tmp_path):
    from_file = load_model(_write(tmp_path, CNN))
    api = Model(layers=[conv2d(1, 4, 3, padding=1, input=(8, 8), activation="relu"), maxpool2d(2),
                        conv2d(4, 6, 3, stride=2, activation="tanh"), flatten(),
                        dense(6, 3, "sigmoid")], seed=4)
    assert from_file.layers == api.layers
    assert from_file.shapes == ((8, 8, 1), (8, 8, 4), (4, 4, 4), (1, 1, 6), (1, 1, 6), (1, 1, 3))
    assert from_file.sizes == (64, 256, 64, 6, 6, 3)
    shapes = [None if w is None else w.shape for w in from_file.weights]
    assert shapes == [(3, 3, 1, 4), None, (3, 3, 4, 6), None, (6, 3)]
    for a, b in zip(from_file.weights, api.weights):
        assert (a is None and b is None) or np.array_equal(a, b)
    # Glorot-uniform over the filter's fans: (3*3*1 + 3*3*4) -> limit sqrt(6/45)
    assert np.abs(from_file.weights[0]).max() <= np.sqrt(6 / 45)


def test_conv_weights_from_npz(tmp_path):
    w0, w2, w4 = np.full((3, 3, 1, 4), 0.25), np.full((3, 3, 4, 6), -0.5), np.ones((6, 3))
    np.savez(tmp_path / "w.npz", W0=w0, W2=w2, W4=w4)
    model = load_model(_write(tmp_path, dict(CNN, weights="w.npz")))
    np.testing.assert_array_equal(model.weights[2], w2)
    assert model.weights[1] is None and model.weights[3] is None
    np.savez(tmp_path / "bad.npz", W0=w0, W2=np.ones((3, 3, 6, 4)), W4=w4)
    with pytest.raises(ModelError, match=r"\$.weights: .*W2 has shape \(3, 3, 6, 4\), layer 2 "
                                         r"needs \(3, 3, 4, 6\)"):
        load_model(_write(tmp_path, dict(CNN, weights="bad.npz")))


def _layers(*changes):
    layers = json.loads(json.dumps(CNN["layers"]))
    for index, key, value in changes:
        if value is None:
            del layers[index][key]
        else:
            layers[index][key] = value
    return layers


@pytest.mark.parametrize("layers, message", [
    (_layers((0, "input", None)), "$.layers[0].input: the first conv2d layer needs its input size"),
    (_layers((0, "input", [8])), "$.layers[0].input: expected [H, W] of positive integers"),
    (_layers((0, "padding", 3)), "$.layers[0].padding: must be less than the kernel (3), not 3"),
    (_layers((0, "padding", -1)), "$.layers[0].padding: must be an integer >= 0"),
    (_layers((0, "stride", 0)), "$.layers[0].stride: must be an integer >= 1"),
    (_layers((0, "kernel", "3")), '$.layers[0].kernel: expected an integer, not "3"'),
    (_layers((0, "activation", "gelu")), '$.layers[0].activation: unknown activation "gelu"'),
    (_layers((0, "strides", 2)), "$.layers[0].strides: unknown key for a conv2d layer"),
    (_layers((0, "out_channels", None)), "$.layers[0]: missing key 'out_channels'"),
    (_layers((2, "in_channels", 5)), "$.layers[2].in_channels: must be 4 (the previous layer's channels)"),
    (_layers((2, "input", [5, 5])), "$.layers[2].input: must be [4, 4] (the previous layer's output)"),
    (_layers((2, "kernel", 7), (2, "padding", 1)), "$.layers[2].kernel: a 7x7 filter does not fit the 4x4 input"),
    (_layers((1, "kernel", 9)), "$.layers[1].kernel: a 9x9 window does not fit the 8x8 map"),
    (_layers((4, "in", 7)), "$.layers[4].in: must be 6 (the flattened map's size), not 7"),
    (_layers((3, "type", "maxpool2d"), (3, "kernel", 1)), "$.layers[4].type: a dense layer after a maxpool2d layer needs a flatten"),
    ([{"type": "maxpool2d"}], "$.layers[0].type: a maxpool2d layer needs a feature map"),
    ([{"type": "dense", "in": 4, "out": 2}, {"type": "flatten"}], "$.layers[1].type: flatten needs a feature map"),
    ([{"type": "dense", "in": 4, "out": 2}, dict(CNN["layers"][0], input=None)],
     "$.layers[1].input: expected [H, W]"),
    ([{"type": "dense", "in": 4, "out": 2}, dict(CNN["layers"][2])],
     "$.layers[1].type: a conv2d layer needs a feature map; layers[0] is dense"),
    # biases (the compiler branch) and conv networks (main) met in a merge: not combined yet
    (_layers((4, "bias", True)),
     "$.layers[4].bias: the dense layers of a network with conv2d/maxpool2d/flatten layers have no bias yet"),
])
def test_bad_networks_name_the_json_path(tmp_path, layers, message):
    with pytest.raises(ModelError) as error:
        load_model(_write(tmp_path, dict(CNN, layers=layers)))
    assert str(error.value).startswith(f"{tmp_path / 'm.json'}: {message}"), str(error.value)


def test_python_api_errors():
    with pytest.raises(ModelError, match="conv2d: padding must be an integer in 0 .. kernel - 1"):
        conv2d(1, 2, 3, padding=3)
    with pytest.raises(ModelError, match="layers\\[1\\]: unknown activation 'gelu'"):
        Model(layers=[conv2d(1, 2, 3, input=(4, 4)), conv2d(2, 2, 1, activation="gelu")])
    with pytest.raises(ModelError, match="layers\\[1\\].type: a dense layer after a conv2d"):
        Model(layers=[conv2d(1, 2, 3, input=(4, 4)), dense(8, 2)])
    with pytest.raises(ModelError, match="weights of layer 0 must have shape \\(3, 3, 1, 2\\)"):
        Model(layers=[conv2d(1, 2, 3, input=(4, 4))], weights=[np.zeros((9, 2))])


def test_the_cli_reports_a_bad_network_without_a_traceback(tmp_path, capsys):
    from panther.apps.cli import main
    path = _write(tmp_path, dict(CNN, layers=_layers((2, "in_channels", 5))))
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "$.layers[2].in_channels: must be 4" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_compile_per_layer_prints_the_layer_steps(tmp_path, capsys):
    from panther.apps.cli import main
    models = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "models"
    out = tmp_path / "layers.json"
    assert main(["compile", str(models / "digits_cnn.json"), "--per-layer", "--batch", "2",
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Conv1" in text and "Conv2" in text and "Dense3" in text and "batch 2" in text
    rows = json.loads(out.read_text())["layers"]
    # Conv1: 8x8 positions, one block, no input error; Conv2: 4x4 positions, 72 rows = 5 blocks.
    assert [(r["positions"], r["shape"]["mcus"]) for r in rows] == [(64, 1), (16, 5), (1, 4)]
    assert rows[0]["events"]["mcu_totals"]["opa"] == 2 * 64
    assert rows[1]["events"]["mcu_totals"]["mtvm"] == 2 * 16 * 5
    assert main(["compile", str(models / "small_tile_mlp.json"), "--per-layer"]) == 2
    assert "--per-layer reports the layers of a conv network" in capsys.readouterr().err


def test_conv_networks_refuse_biases_and_the_softmax_loss(tmp_path):
    """The softmax cross-entropy and dense biases lower only in dense kernels (the conv
    lowering knows neither): a clear error, from the API and from the JSON file."""
    with pytest.raises(ModelError, match=r"layers\[4\].bias: the dense layers of a network with "
                                         "conv2d/maxpool2d/flatten layers have no bias yet"):
        Model(layers=[conv2d(1, 4, 3, padding=1, input=(8, 8)), maxpool2d(2),
                      conv2d(4, 6, 3, stride=2), flatten(), dense(6, 3, bias=True)])
    with pytest.raises(ModelError, match="loss 'softmax_cross_entropy': a network with conv2d"):
        Model(layers=[conv2d(1, 2, 3, input=(4, 4)), flatten(), dense(8, 3)],
              loss="softmax_cross_entropy")
    last = dict(CNN["layers"][4], activation="identity")
    with pytest.raises(ModelError) as error:
        load_model(_write(tmp_path, dict(CNN, layers=CNN["layers"][:4] + [last],
                                         loss="softmax_cross_entropy")))
    assert str(error.value).startswith(f"{tmp_path / 'm.json'}: $.loss: loss \"softmax_cross_entropy\": "
                                       "a network with conv2d/maxpool2d/flatten layers is compiled "
                                       "with the mse loss only"), str(error.value)
