"""Conv networks train with the compiled kernel on the golden model (``panther train``)."""

import json

import numpy as np
import pytest
from conv_testing import conv_tile

from panther.apps.cli import main
from panther.compiler import compile_model, load_model
from panther.compiler.conv_host import fixed_forward_network, float_forward_network
from panther.compiler.conv_kernel import network_weights
from panther.compiler.train import train
from panther.config import load_config
from panther.isa.golden import run_image

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "models"

#: Test-accuracy margin to the float twin after 200 invocations of the digits CNN (measured:
#: 88.9% against 85.2%, 3.7 points).
MARGIN = 0.06


@pytest.mark.slow
def test_digits_cnn_trains_like_its_float_twin():
    model = load_model(MODELS / "digits_cnn.json")
    result = train(model, config=load_config(model.config), steps=200, eval_every=200)
    assert result.accuracy[-1] > 0.7 and result.float_accuracy[-1] > 0.7      # both learn
    assert abs(result.accuracy[-1] - result.float_accuracy[-1]) <= MARGIN


def test_host_fixed_forward_equals_the_kernel_outputs():
    """compiler.conv_host measures accuracy with the kernel's own forward arithmetic."""
    model = load_model(MODELS / "digits_cnn.json")
    model = model.replace(train=model.train.__class__(algorithm="minibatch", batch=2, lr=1.0))
    config = load_config(model.config)
    kernel = compile_model(model, config=config)
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4097, (2, model.sizes[0]))
    run = run_image(kernel.with_batch(x, rng.integers(0, 4097, (2, model.sizes[-1]))))
    np.testing.assert_array_equal(fixed_forward_network(model, network_weights(model, config), x, config),
                                  kernel.outputs(run))


def test_float_forward_agrees_with_the_fixed_point_one():
    model = load_model(MODELS / "digits_cnn.json")
    config = load_config(model.config)
    x = np.random.default_rng(0).uniform(0, 1, (5, 64))
    fixed = fixed_forward_network(model, network_weights(model, config),
                                  np.floor(x * 4096 + 0.5).astype(np.int64), config) / 4096
    real = float_forward_network(model, model.weights, x)[-1].reshape(5, -1)
    assert np.abs(fixed - real).max() < 0.03        # PLAN sigmoid: at most 0.019 off, plus rounding


def test_train_command_on_a_cnn(tmp_path, capsys):
    """Three invocations of the digits CNN: the batch loss of both twins, the accuracy."""
    out = tmp_path / "cnn.json"
    assert main(["train", str(MODELS / "digits_cnn.json"), "--steps", "3", "--json", str(out),
                 "--no-progress"]) == 0
    assert "accuracy" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert len(data["loss"]) == len(data["float_loss"]) == 3 and data["overflow_steps"] == 0
    # Same weights, same batch before the first update: the losses differ by fixed point only.
    assert abs(data["loss"][0] - data["float_loss"][0]) < 0.05 * data["float_loss"][0]
    assert len(data["crs_steps"]) == 3                          # crs_period 1


def test_slice_digits_carry_over_in_a_cnn():
    from panther.compiler import Model, TrainSpec
    from panther.compiler.layers import conv2d, flatten, maxpool2d
    from panther.compiler.model import dense

    model = Model(layers=[conv2d(1, 2, 3, padding=1, input=(8, 8), activation="relu"), maxpool2d(4),
                          flatten(), dense(8, 10, "sigmoid")], data="digits",
                  train=TrainSpec(lr=0.5, crs_period=1000))
    two = train(model, config=conv_tile(), steps=2, eval_every=2)
    assert two.crs_steps == [] and two.loss[1] != two.loss[0]


def test_analog_mcu_training_of_a_cnn_is_refused():
    from panther.compiler import CompileError
    model = load_model(MODELS / "digits_cnn.json")
    with pytest.raises(CompileError, match="conv networks train on the exact MCU model only"):
        train(model, config=load_config(model.config), steps=1, mcu="analog")
