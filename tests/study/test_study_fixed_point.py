"""The study simulator's fixed-point arithmetic against independent integer computations."""

import numpy as np
import pytest

from panther.analog_models import Crossbar, SarAdc, mcu_ops
from panther.apps.study.fixed_mlp import backward, forward, lr_word, quantize
from panther.apps.study.float_mlp import float_backward, float_forward
from panther.apps.study.sliced_layer import SlicedLayer
from panther.config import PRESETS

CONFIG = PRESETS["small"]


def _int_layer(x_words, w_raw, frac, bits, relu):
    """Plain-Python integers: sum, round half up at `frac` bits, clamp to `bits`, ReLU."""
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    out = []
    for j in range(len(w_raw[0])):
        acc = sum(int(x) * int(w_raw[i][j]) for i, x in enumerate(x_words))
        y = (acc + (1 << (frac - 1))) // (1 << frac)
        y = min(max(y, low), high)
        out.append(max(y, 0) if relu else y)
    return out


def _random_net(rng, sizes, scale):
    return [np.asarray(rng.integers(-scale, scale, size=(a + 1, b)), dtype=np.int64)
            for a, b in zip(sizes[:-1], sizes[1:])]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_equals_python_integer_computation(seed):
    rng = np.random.default_rng(seed)
    # weights up to +-4.0 in Q8.24 so that some pre-activations saturate
    weights = _random_net(rng, (12, 7, 5), 1 << (CONFIG.weight_frac_bits + 2))
    x = rng.integers(-(1 << 13), 1 << 13, size=(4, 12))
    fwd = forward(weights, x, CONFIG)
    one = 1 << CONFIG.data_frac_bits
    for b in range(len(x)):
        h = _int_layer(list(x[b]) + [one], weights[0].tolist(), CONFIG.weight_frac_bits, CONFIG.data_bits, True)
        z = _int_layer(h + [one], weights[1].tolist(), CONFIG.weight_frac_bits, CONFIG.data_bits, False)
        assert fwd.logits[b].tolist() == z
        assert fwd.inputs[1][b].tolist() == h + [one]
    assert fwd.overflow == bool(np.any(np.abs(fwd.logits) >= (1 << (CONFIG.data_bits - 1)) - 1)
                                or np.any(fwd.inputs[1] == (1 << (CONFIG.data_bits - 1)) - 1))


def test_sliced_layer_forward_equals_bit_serial_mvm():
    """The study reads the weights and multiplies in integers; in ideal mode that must equal
    the analog model's bit-serial, ADC-converted, shift-and-added MVM on the same crossbar."""
    rng = np.random.default_rng(5)
    w = np.asarray(rng.integers(-(1 << 25), 1 << 25, size=(13, 9)), dtype=np.int64)
    layer = SlicedLayer(w, CONFIG)
    x = rng.integers(-(1 << 14), 1 << 14, size=12)
    ours = forward([layer.weights()], x[None, :], CONFIG).logits[0]
    padded = np.zeros(layer.config.xbar_size, dtype=np.int64)
    padded[:12] = x
    padded[12] = 1 << CONFIG.data_frac_bits
    y, _ = mcu_ops.mvm(layer.crossbar, SarAdc(layer.config), padded)
    assert ours.tolist() == y[:9].tolist()


def test_sliced_layer_opa_equals_full_bit_serial_opa():
    """Skipping undriven bit-steps changes nothing: same digits as analog_models' whole OPA."""
    rng = np.random.default_rng(7)
    w = np.asarray(rng.integers(-(1 << 24), 1 << 24, size=(20, 11)), dtype=np.int64)
    layer = SlicedLayer(w, CONFIG)
    twin = Crossbar(layer.config)
    padded = np.zeros((layer.config.xbar_size,) * 2, dtype=np.int64)
    padded[:20, :11] = w
    twin.program(padded)
    for _ in range(12):
        x = rng.integers(0, 17, size=20) * 256          # pixel-like words: few driven steps
        v = rng.integers(-300, 300, size=11)
        layer.opa(x, v)
        xp = np.zeros(layer.config.xbar_size, dtype=np.int64)
        vp = np.zeros(layer.config.xbar_size, dtype=np.int64)
        xp[:20], vp[:11] = x, v
        mcu_ops.opa(twin, xp, vp)
    assert np.array_equal(layer.crossbar.digits(), twin.digits())
    assert twin.saturated_cells().sum() > 0                 # the updates did reach slice edges
    assert np.array_equal(layer.weights(), twin.weights()[:20, :11])


def test_backward_matches_float_gradient_within_rounding():
    rng = np.random.default_rng(3)
    f = CONFIG.data_frac_bits
    weights = _random_net(rng, (10, 6, 4), 1 << (CONFIG.weight_frac_bits - 1))
    x = rng.integers(0, 1 << f, size=(1, 10))
    lr = 0.25
    fwd = forward(weights, x, CONFIG)
    v = backward(weights, fwd, [2], lr_word(lr, CONFIG), CONFIG)
    wf = [w / float(1 << CONFIG.weight_frac_bits) for w in weights]
    inputs, masks, logits = float_forward(wf, x / float(1 << f))
    vf = float_backward(wf, inputs, masks, logits, [2], lr)
    assert not fwd.overflow
    for ours, ref in zip(v, vf):
        assert np.max(np.abs(ours / float(1 << f) - ref)) <= 4.0 / (1 << f)
        assert np.any(ours != 0)


def test_quantize_and_lr_word():
    assert quantize([0.5, -1.0, 100.0], CONFIG).tolist() == [1 << 11, -(1 << 12), (1 << 15) - 1]
    with pytest.raises(ValueError, match="not representable"):
        lr_word(1e-6, CONFIG)
