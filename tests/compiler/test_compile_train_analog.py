"""Training on the analog MCU models (``train(..., mcu="analog")``): one device per MCU for the
whole run, equal to the exact MCUs in ideal mode, and a forward pass through the devices."""

import numpy as np
import pytest

from panther.compiler import Model, TrainSpec, compile_model, dense, quantize_weights
from panther.compiler.errors import CompileError
from panther.compiler.train import analog_forward, fixed_forward, persistent_analog_factory, train
from panther.config import PRESETS, NoiseConfig
from panther.isa.golden import Tile

CONFIG = PRESETS["small"]
#: 64 inputs -> 10 outputs on four 16x16 crossbars: the small tile's 2 cores x 2 MCUs.
MODEL = Model(layers=[dense(64, 10, "sigmoid")], train=TrainSpec(lr=0.25, crs_period=3),
              data="digits", seed=0)


def test_ideal_analog_devices_train_exactly_like_the_exact_mcus():
    # crs_period 3: between CRSs the devices must carry their non-canonical digits over
    exact = train(MODEL, config=CONFIG, steps=5, eval_every=1)
    analog = train(MODEL, config=CONFIG, steps=5, eval_every=1, mcu="analog")
    assert analog.crs_steps == exact.crs_steps == [3]
    assert analog.loss == exact.loss
    assert analog.accuracy == exact.accuracy
    assert exact.analog_accuracy is None
    assert analog.analog_accuracy == analog.accuracy[-1]     # ideal ADCs: the same inference


def test_non_idealities_change_training_and_the_same_seed_repeats_it():
    noisy = CONFIG.replace(adc_bits=8, noise=NoiseConfig(read_noise=0.05, seed=1))
    first = train(MODEL, config=noisy, steps=2, mcu="analog")
    again = train(MODEL, config=noisy, steps=2, mcu="analog")
    other = train(MODEL, config=noisy.replace(noise=NoiseConfig(read_noise=0.05, seed=2)), steps=2,
                  mcu="analog")
    ideal = train(MODEL, config=CONFIG, steps=2, mcu="analog")
    assert first.loss == again.loss and first.analog_accuracy == again.analog_accuracy
    assert first.loss != ideal.loss
    assert first.loss != other.loss


def test_the_devices_outlive_a_tile():
    devices = {}
    factory = persistent_analog_factory(devices)
    config = CONFIG.replace(noise=NoiseConfig(stuck_on_rate=0.2))
    image = compile_model(MODEL, config=config).image
    Tile.from_image(image, mcu_factory=factory).run()
    first = dict(devices)
    stuck = first[(0, 0)].mcu.xbars[0].levels()
    Tile.from_image(image, mcu_factory=factory).run()
    assert devices == first and all(devices[k] is first[k] for k in first)
    # the same cells are stuck at the top level after another run (not redrawn)
    top = np.array([(1 << b) - 1 for b in CONFIG.slice_bits_lsb_first])[:, None, None]
    was_top = stuck == top
    assert was_top.any()
    assert np.all(devices[(0, 0)].mcu.xbars[0].levels()[was_top] == np.broadcast_to(top, stuck.shape)[was_top])


def test_analog_forward_of_ideal_devices_is_the_fixed_point_forward_pass():
    model = Model(layers=[dense(40, 24, "tanh"), dense(24, 10, "sigmoid")], seed=3)
    config = CONFIG.replace(cores_per_tile=4, smem_depth=8192)
    kernel = compile_model(model, config=config)
    devices = {}
    Tile.from_image(kernel.image, mcu_factory=persistent_analog_factory(devices))   # programs them
    rng = np.random.default_rng(0)
    x = rng.integers(-4096, 4096, size=(7, 40))
    acts = [layer.activation for layer in model.layers]
    expected = fixed_forward(quantize_weights(model, config), acts, x, config)
    np.testing.assert_array_equal(analog_forward(devices, kernel.mapping, acts, x, config), expected)


def test_an_unknown_mcu_model_is_refused():
    with pytest.raises(CompileError, match="mcu must be one of exact, analog, not 'digital'"):
        train(MODEL, config=CONFIG, steps=1, mcu="digital")
