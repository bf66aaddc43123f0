"""Compiled conv networks on the golden model against the independent direct-loop reference
(tests/compiler/conv_reference.py): bit for bit in ideal mode (outputs, every layer's new
weights, the input errors when computed), on variants 1-3, SGD and mini-batch, with
partitioned filters, strides, padding, pooling, CRS and register spills; and within a stated
tolerance of float64."""

import numpy as np
import pytest
from conv_reference import float_step
from conv_testing import (
    assert_exact,
    compile_run_reference,
    conv_tile,
    random_batch,
    reference_layers,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panther.compiler import Model, TrainSpec
from panther.compiler.layers import conv2d, flatten, maxpool2d
from panther.compiler.model import dense


def _model(layers, batch=1, lr=0.25, seed=0):
    return Model(layers=layers, seed=seed,
                 train=TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=lr))


def _small_cnn(batch=1):
    return _model([conv2d(1, 4, 3, padding=1, input=(6, 6), activation="relu"), maxpool2d(2),
                   flatten(), dense(36, 5, "sigmoid")], batch)


def _partitioned(batch=1):     # 27 filter rows and 20 output channels: 2 x 2 blocks, then 5 x 1
    return _model([conv2d(3, 20, 3, stride=2, padding=1, input=(5, 4), activation="tanh"),
                   conv2d(20, 5, 2, activation="sigmoid")], batch)


def _deep(batch=1):            # an odd map: the pool drops a row and a column
    return _model([conv2d(2, 3, 3, padding=1, input=(5, 5), activation="relu"), maxpool2d(2),
                   conv2d(3, 6, 3, padding=2, activation="relu"), maxpool2d(2), flatten(),
                   dense(24, 4, "identity")], batch)


def _no_leftover_words(kernel, run):
    """Every word a store wrote was consumed by exactly its loads (or is a host output)."""
    base, top = kernel.layout.dynamic, kernel.config.smem_user_depth
    count = np.asarray(run.smem["count"][base:top])
    valid = np.asarray(run.smem["valid"][base:top])
    values = np.asarray(run.smem["values"][base:top])
    assert not count.any(), "a shared-memory word still waits for consumers"
    assert not values[valid].any(), "only the zero borders of the maps stay valid"


def _variant(variant, **changes):
    # Variants 1-2 keep one slot of operands per deferred OPA in shared memory.
    return conv_tile(variant=variant, deferred_depth=128, smem_depth=49152, **changes)


@pytest.mark.parametrize("variant", [1, 2, 3])
@pytest.mark.parametrize("make, batch", [(_small_cnn, 1), (_small_cnn, 2), (_partitioned, 1),
                                         (_deep, 2)])
def test_network_is_exact(make, batch, variant):
    model = make(batch)
    kernel, run, ref = compile_run_reference(model, _variant(variant, cores_per_tile=8))
    assert_exact(kernel, run, ref)
    _no_leftover_words(kernel, run)


def test_partitioned_layer_uses_several_cores_each_way():
    kernel, run, ref = compile_run_reference(_partitioned(), conv_tile(cores_per_tile=8))
    layer = kernel.report.layers[0]
    assert (layer["row_blocks"], layer["col_blocks"], layer["positions"]) == (2, 2, 6)
    assert kernel.report.transfers > 0           # partial sums between cores
    assert_exact(kernel, run, ref)


def test_input_gradient_of_a_single_layer_is_exact():
    """A Table 4 style layer step: its input errors (flipped-filter convolution by MTVM) too."""
    model = _model([conv2d(3, 20, 3, stride=2, padding=1, input=(5, 5), activation="relu")], 2)
    kernel, run, ref = compile_run_reference(model, conv_tile(), input_gradient=True)
    assert ref[2].shape == (2, 75) and np.abs(ref[2]).max() > 0
    assert_exact(kernel, run, ref)
    _no_leftover_words(kernel, run)


def test_crs_kernel_is_exact():
    model = _small_cnn(2)
    kernel, run, ref = compile_run_reference(model, conv_tile(), crs=True)
    assert_exact(kernel, run, ref)


def test_spilling_kernel_is_exact():
    kernel, run, ref = compile_run_reference(_deep(2), conv_tile(cores_per_tile=8, rf_depth=32))
    assert kernel.report.spills > 0
    assert_exact(kernel, run, ref)


# Float64 reference with wide (8-bit) slices, so that no slice clips: the difference is the
# fixed-point arithmetic. Every OPA rounds its column input -(lr/B) dZ to a Q4.12 word (at
# most 1/2 LSB times |x| <= 1 per position), and a conv layer sums E*F*B of them per weight,
# so the weight tolerance grows with the positions: WEIGHT_TOL_PER_OPA * E*F*B (measured at
# most 0.35 of it on these networks); outputs within OUTPUT_TOL (measured at most 1.3 LSB).
WEIGHT_TOL_PER_OPA = 2 ** -12
OUTPUT_TOL = 4 / 4096


@pytest.mark.parametrize("make", [_small_cnn, _partitioned, _deep])
def test_within_tolerance_of_float(make):
    model = make(2)
    config = conv_tile(cores_per_tile=8, slice_bits=(8,) * 8)
    kernel, run, _ = compile_run_reference(model, config)
    x, t = random_batch(model)
    ref_w, ref_y = float_step(reference_layers(model), model.weights, x, t,
                              in_shape=model.shapes[0], lr=model.train.lr)
    assert np.abs(kernel.outputs(run) / 4096 - ref_y).max() <= OUTPUT_TOL
    for layer, got, want in zip(kernel.report.layers, kernel.layer_weights(run), ref_w):
        if want is None:
            continue
        tolerance = WEIGHT_TOL_PER_OPA * layer["positions"] * model.train.batch
        assert np.abs(got / 2 ** 24 - want).max() <= tolerance


ACTS = st.sampled_from(["relu", "sigmoid", "tanh", "identity"])


@st.composite
def conv_networks(draw):
    r = draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, r - 1))
    h, w = draw(st.integers(max(1, r - 2 * padding), 5)), draw(st.integers(max(1, r - 2 * padding), 5))
    c, m = draw(st.integers(1, 5)), draw(st.integers(1, 20))
    layers = [conv2d(c, m, r, stride=stride, padding=padding, input=(h, w), activation=draw(ACTS))]
    e, f = layers[0].out_size(h, w)
    k = draw(st.integers(2, 3))
    if draw(st.booleans()) and min(e, f) >= k:
        layers.append(maxpool2d(k))
        e, f = e // k, f // k
    if e * f * m <= 96 and draw(st.booleans()):        # at most 6 more MCUs
        layers += [flatten(), dense(e * f * m, draw(st.integers(1, 6)), draw(ACTS))]
    batch = draw(st.sampled_from([1, 1, 2]))
    small_rf = e * f * m <= 24          # 64 words force spills; one vector op must still fit
    e, f = layers[0].out_size(h, w)     # variants 1-2 save each deferred OPA (128 slots a core)
    return (layers, batch, draw(st.integers(1, 3) if e * f * batch <= 60 else st.just(3)),
            draw(st.sampled_from([512, 512, 64] if small_rf else [512])),
            draw(st.booleans()), draw(st.integers(0, 2 ** 16)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_networks())
def test_random_conv_network_is_exact(net):
    layers, batch, variant, rf_depth, input_gradient, seed = net
    model = _model(layers, batch, lr=0.125, seed=seed)
    config = conv_tile(variant=variant, cores_per_tile=8, rf_depth=rf_depth,
                       deferred_depth=128 if variant < 3 else 1024,
                       smem_depth=49152 if variant < 3 else 16384)
    kernel, run, ref = compile_run_reference(model, config, input_gradient=input_gradient)
    assert_exact(kernel, run, ref)
    _no_leftover_words(kernel, run)


def test_shared_memory_accumulators_are_exact():
    """A register file too small for the open input positions: the layer gradient accumulates
    in a ring of shared-memory slots (ld / add / st by the scatter owner), same arithmetic."""
    model = _partitioned(2)
    kernel, run, ref = compile_run_reference(model, conv_tile(cores_per_tile=8, rf_depth=64))
    layout = kernel.report.smem_layout
    assert layout["transfers_base"] > layout["accumulators"]     # the ring has words
    assert_exact(kernel, run, ref)
    _no_leftover_words(kernel, run)
