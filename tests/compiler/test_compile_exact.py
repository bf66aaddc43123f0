"""Exact check: every compiled kernel's final golden state equals the independent
fixed-point reference (tests/compiler/fixed_reference.py) bit for bit."""

import numpy as np
import pytest
from compiler_testing import assert_exact, compile_run_reference, tile
from fixed_reference import canonical

from panther.compiler import Model, TrainSpec, dense

NETWORKS = {
    "one-core 8-8-4": ([(8, 8, "tanh"), (8, 4, "sigmoid")], {}),
    "partitioned 40-24-10": ([(40, 24, "relu"), (24, 10, "sigmoid")], {}),
    "three layers 20-33-17-5": ([(20, 33, "tanh"), (33, 17, "relu"), (17, 5, "identity")],
                                dict(cores_per_tile=8)),
    # Found by test_compile_random: two producer cores raced for a reused shared-memory word.
    "two producers, one consumer 19-3-17-21": ([(19, 3, "relu"), (3, 17, "relu"), (17, 21, "relu")],
                                               dict(cores_per_tile=8)),
    "single layer 36-20": ([(36, 20, "sigmoid")], {}),
    "six MCUs per core": ([(40, 24, "tanh"), (24, 10, "sigmoid")],
                          dict(mcus_per_core=6, cores_per_tile=2, deferred_depth=18)),
}


def _model(layers, batch, seed=0, lr=0.25):
    spec = TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=lr)
    return Model(layers=[dense(*l) for l in layers], train=spec, seed=seed)


@pytest.mark.parametrize("variant", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_kernel_equals_the_fixed_point_reference(name, batch, variant):
    layers, config = NETWORKS[name]
    kernel, run, ref_w, ref_y = compile_run_reference(_model(layers, batch),
                                                      tile(variant=variant, **config))
    assert_exact(kernel, run, ref_w, ref_y)


@pytest.mark.parametrize("variant", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("layers", [[(40, 24, "relu")], [(20, 33, "tanh"), (33, 17, "sigmoid")]],
                         ids=["one layer 40-24", "two layers 20-33-17"])
def test_input_gradient_kernel_equals_the_reference(layers, batch, variant):
    """With ``input_gradient`` the first layer runs its MTVMs too (paired with the next
    sample's MVM in a mini-batch) and stores dL/dx: weights, outputs and dL/dx are exact."""
    model = _model(layers, batch).replace(input_gradient=True)
    kernel, run, ref_w, ref_y = compile_run_reference(model, tile(variant=variant, cores_per_tile=8))
    assert_exact(kernel, run, ref_w, ref_y)
    plain = compile_run_reference(_model(layers, batch), tile(variant=variant, cores_per_tile=8))[1]
    first = kernel.mapping.row_blocks[0] * kernel.mapping.col_blocks[0]
    assert run.events["mcu_totals"]["mtvm"] == plain.events["mcu_totals"]["mtvm"] + batch * first
    assert np.any(kernel.input_gradients(run) != 0)


@pytest.mark.parametrize("variant", [1, 3])
def test_crs_kernel_equals_the_reference_with_crs(variant):
    model = _model(NETWORKS["partitioned 40-24-10"][0], 2)
    kernel, run, ref_w, ref_y = compile_run_reference(model, tile(variant=variant), crs=True)
    assert kernel.report.crs
    assert_exact(kernel, run, ref_w, ref_y)
    config = tile(variant=variant)
    bits = tuple(reversed(config.slice_bits))
    for b in kernel.mapping.blocks:                # CRS leaves canonical digits
        mcu = run.cores[b.place.core]["mcus"][b.place.mcu]
        want = canonical(np.asarray(mcu["weights"]), config.nominal_bits, bits)
        np.testing.assert_array_equal(np.asarray(mcu["digits"]), want)


def test_same_kernel_same_result_on_every_variant():
    model = _model(NETWORKS["partitioned 40-24-10"][0], 2)
    states = []
    for variant in (1, 2, 3):
        kernel, run, _, _ = compile_run_reference(model, tile(variant=variant))
        states.append(([w.tolist() for w in kernel.layer_weights(run)],
                       kernel.outputs(run).tolist(), kernel.image.programs))
    assert states[0] == states[1] == states[2]


def test_the_reference_can_fail():
    """A wrong learning-rate word in the reference must be noticed."""
    model = _model(NETWORKS["one-core 8-8-4"][0], 1)
    kernel, run, ref_w, _ = compile_run_reference(model, tile())
    model2 = model.replace(train=TrainSpec(lr=0.125))
    _, _, ref_w2, _ = compile_run_reference(model2, tile())
    assert not all(np.array_equal(a, b) for a, b in zip(kernel.layer_weights(run), ref_w2))


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_register_spills_keep_the_kernel_exact(variant):
    """A mini-batch that does not fit the register file spills to shared memory."""
    model = _model(NETWORKS["partitioned 40-24-10"][0], 6)
    kernel, run, ref_w, ref_y = compile_run_reference(model, tile(rf_depth=32, variant=variant))
    assert kernel.report.spills > 0 and max(kernel.report.registers) <= 32
    assert_exact(kernel, run, ref_w, ref_y)
