"""Dense-layer biases (a crossbar row driven by 1.0) and the softmax cross-entropy loss (VFU
exp and recip, max and sum trees): exact against the independent reference, mapped as
docs/compiler.md says."""

import numpy as np
import pytest
from compiler_testing import assert_exact, compile_run_reference, tile

from panther.compiler import CompileError, Model, TrainSpec, compile_model, dense
from panther.isa.golden import run_image

SOFTMAX = "softmax_cross_entropy"


def _model(layers, batch, loss="mse", seed=0, lr=0.25):
    layers = [dense(*l) for l in layers]
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.5, 0.5, (l.rows, l.n_out)) for l in layers]   # non-zero biases
    spec = TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=lr)
    return Model(layers=layers, loss=loss, weights=weights, train=spec, seed=seed)


NETWORKS = {
    "bias 40-24-10": ([(40, 24, "relu", True), (24, 10, "sigmoid", True)], "mse"),
    # 32 inputs + the bias row on 16x16 crossbars: a third row block holding the bias alone
    "bias-only row block 32-16-10": ([(32, 16, "tanh", True), (16, 10, "identity", True)], "mse"),
    "softmax 24-16-10": ([(24, 16, "tanh", True), (16, 10, "identity", True)], SOFTMAX),
    "softmax 40-24-3": ([(40, 24, "relu"), (24, 3, "identity", True)], SOFTMAX),
    "softmax 16 outputs": ([(20, 16, "identity", True)], SOFTMAX),
}


@pytest.mark.parametrize("loop", ["unrolled", "rolled"])
@pytest.mark.parametrize("variant", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_kernel_equals_the_reference(name, batch, variant, loop):
    layers, loss = NETWORKS[name]
    kernel, run, ref_w, ref_y = compile_run_reference(
        _model(layers, batch, loss), tile(variant=variant, cores_per_tile=8), loop=loop)
    assert_exact(kernel, run, ref_w, ref_y)


def test_the_bias_is_a_row_driven_by_one():
    """The bias row's weights enter the outputs (a model without them differs) and are
    updated by the OPA with input 1.0: by -(lr) * delta, like a weight of input 1.0."""
    layers = [(16, 4, "identity", True)]
    model = _model(layers, 1)
    kernel, run, ref_w, ref_y = compile_run_reference(model, tile())
    assert_exact(kernel, run, ref_w, ref_y)
    no_bias = model.weights[0].copy()
    no_bias[-1] = 0.0
    kernel2, run2, _, _ = compile_run_reference(model.replace(weights=[no_bias]), tile())
    assert not np.array_equal(kernel.outputs(run), kernel2.outputs(run2))
    rows = [b for b in kernel.mapping.blocks]
    assert [(b.rows, b.row0) for b in rows] == [(16, 0), (1, 16)]      # 17 rows: two blocks
    assert "set xin" in kernel.listing and "4096" in kernel.listing


def test_sgd_keeps_the_bias_input_for_the_opa():
    """SGD: the XBarIn still holds the input and the 1.0 of the bias row after the MVM, so the
    OPA reloads neither (peephole); one set per bias block and sample."""
    model = _model([(15, 16, "tanh", True), (16, 5, "sigmoid", True)], 1)
    kernel = compile_model(model, config=tile())
    sets = [line for line in kernel.listing.splitlines() if "bias input" in line]
    assert len(sets) == 2


def test_softmax_outputs_are_probabilities():
    model = _model(NETWORKS["softmax 24-16-10"][0], 3, SOFTMAX)
    kernel = compile_model(model, config=tile())
    run = run_image(kernel.image)
    p = kernel.outputs(run) / 4096
    assert np.all(p > 0) and np.all(np.abs(p.sum(axis=1) - 1) <= 10 / 4096)
    for op in ("exp", "recip", "max"):
        assert f"alu {op}" in kernel.listing


@pytest.mark.parametrize("layers, config, message", [
    ([(8, 17, "identity")], tile(xbar_size=32), r"over 17 outputs.*at most 16 outputs"),
    ([(8, 10, "identity")], tile(xbar_size=8, adcs_per_xbar=8), r"one column block \(xbar_size is 8\)"),
])
def test_softmax_limits(layers, config, message):
    with pytest.raises(CompileError, match=message):
        compile_model(_model(layers, 1, SOFTMAX), config=config)


@pytest.mark.parametrize("loop", ["unrolled", "rolled"])
@pytest.mark.parametrize("variant", [1, 3])
def test_input_gradient_with_biases_and_loops(variant, loop):
    """model.input_gradient (dL/dx stored for the host) with a bias on the first layer: the
    bias row's MTVM output is not part of dL/dx; a rolled kernel stores it per sample through
    the samples' pointer register."""
    model = _model([(32, 16, "tanh", True), (16, 10, "identity", True)], 3,
                   SOFTMAX).replace(input_gradient=True)
    kernel, run, ref_w, ref_y = compile_run_reference(model, tile(variant=variant, cores_per_tile=8),
                                                      loop=loop)
    assert_exact(kernel, run, ref_w, ref_y)       # and dL/dx, checked by compile_run_reference
    assert kernel.input_gradients(run).shape == (3, 32)
