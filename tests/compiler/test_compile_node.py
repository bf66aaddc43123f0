"""Kernels that span several tiles: the golden node's final state equals the independent
fixed-point reference (tests/compiler/fixed_reference.py) bit for bit, the float reference
within a stated tolerance, and the network traffic the compile report predicts is what the
golden node counts.

Small networks on the `small` node (16x16 crossbars, 2 cores x 2 MCUs per tile, 4 tiles) run
on every variant, SGD and mini-batch; MLP-L4 (paper Table 4) runs once at the `paper`
configuration (about 3 s on the golden node).
"""

from pathlib import Path

import numpy as np
import pytest
from compiler_testing import assert_exact, compile_run_reference
from fixed_reference import float_step
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panther.compiler import (
    CompileError,
    Model,
    TrainSpec,
    compile_model,
    dense,
    load_model,
    sample_batch,
)
from panther.config import PRESETS
from panther.isa.golden import NodeReport
from panther.isa.node_image import NodeImage

MODELS = Path(__file__).resolve().parents[2] / "examples" / "models"
SMALL = PRESETS["small"]

NETWORKS = {
    "two tiles 40-24-10": [(40, 24, "relu"), (24, 10, "sigmoid")],              # 8 MCUs
    "four tiles 20-33-17-5": [(20, 33, "tanh"), (33, 17, "relu"), (17, 5, "identity")],
    "three tiles 36-36": [(36, 36, "sigmoid")],                                  # 9 MCUs
}


def _model(layers, batch, seed=0, lr=0.25):
    spec = TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=lr)
    return Model(layers=[dense(*l) for l in layers], train=spec, seed=seed)


@pytest.mark.parametrize("variant", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_multi_tile_kernel_equals_the_fixed_point_reference(name, batch, variant):
    kernel, run, ref_w, ref_y = compile_run_reference(_model(NETWORKS[name], batch),
                                                      SMALL.replace(variant=variant))
    assert kernel.report.tiles > 1 and isinstance(kernel.image, NodeImage)
    assert isinstance(run, NodeReport)
    assert_exact(kernel, run, ref_w, ref_y)
    assert kernel.report.noc_words == run.noc["words"] > 0
    assert kernel.report.noc_flits == run.noc["flits"]
    assert kernel.report.noc_flit_hops == run.noc["flit_hops"]
    assert run.noc["channels"] == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3), st.lists(st.integers(3, 24), min_size=2, max_size=4),
       st.lists(st.sampled_from(["relu", "sigmoid", "tanh", "identity"]), min_size=3, max_size=3),
       st.sampled_from([1, 2]), st.integers(0, 2 ** 16))
def test_random_multi_tile_networks_are_exact(variant, sizes, acts, batch, seed):
    sizes = [sizes[0] + 17] + sizes[1:]       # at least two row blocks in the first layer
    model = _model([(a, b, f) for a, b, f in zip(sizes, sizes[1:], acts)], batch, seed, 0.125)
    config = SMALL.replace(variant=variant, cores_per_tile=1, tiles_per_node=16)
    kernel, run, ref_w, ref_y = compile_run_reference(model, config)
    assert_exact(kernel, run, ref_w, ref_y)
    assert kernel.report.noc_words == (run.noc or {"words": 0})["words"]


def test_a_network_larger_than_the_node_is_refused():
    with pytest.raises(CompileError, match=r"needs 20 MCUs = 10 cores = 5 tiles .* the node 4 tiles"):
        compile_model(_model([(80, 64, "relu")], 1), config=SMALL)


def test_mlp_l4_at_the_paper_configuration_equals_both_references():
    model = load_model(MODELS / "mlp_l4.json")
    config = PRESETS["paper"]
    kernel, run, ref_w, ref_y = compile_run_reference(model, config)
    report = kernel.report
    assert (report.mcus, report.cores, report.tiles) == (44, 22, 3)       # issue 14, Table 4
    assert_exact(kernel, run, ref_w, ref_y)
    assert report.noc_words == run.noc["words"] > 0
    # float64 (PLAN sigmoid as a real function): outputs within 16 LSB, weights within the
    # largest update of the step (the paper slicing clips within an OPA; measured below)
    x, t = sample_batch(model, config)
    float_w, float_y = float_step(model.weights, [l.activation for l in model.layers], x, t,
                                  lr=model.train.lr)
    y = kernel.outputs(run) / 2 ** config.data_frac_bits
    assert np.abs(y - float_y).max() <= 16 / 4096
    update = max(np.abs(f - w).max() for f, w in zip(float_w, model.weights))
    got = [w / 2 ** config.weight_frac_bits for w in kernel.layer_weights(run)]
    assert max(np.abs(g - f).max() for g, f in zip(got, float_w)) < update


def test_the_listing_of_a_node_kernel_assembles_to_its_programs():
    from panther.isa.assembler import assemble

    kernel = compile_model(_model(NETWORKS["four tiles 20-33-17-5"], 2), config=SMALL)
    again = assemble(kernel.listing, config=SMALL, filename="listing.s")
    assert [t.programs for t in again.tiles] == [t.programs for t in kernel.image.tiles]
    assert "send 0, 0," in kernel.listing or "send 0, 1," in kernel.listing


# -- features of the compiler branch (biases, softmax, loops) across tiles -----------------------

@pytest.mark.parametrize("variant, batch", [(1, 1), (2, 3), (3, 2)])
def test_biases_softmax_and_input_gradients_across_tiles_equal_the_reference(variant, batch):
    """41 and 25 crossbar rows (the bias rows) in 3 + 2 row blocks: 8 MCUs on two tiles of the
    small node; the softmax runs on the output block's reducer, which receives the partial
    sums of the other tile's blocks over the network."""
    spec = TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=0.25)
    model = Model(layers=[dense(40, 24, "tanh", bias=True), dense(24, 10, "identity", bias=True)],
                  loss="softmax_cross_entropy", train=spec, seed=3, input_gradient=True)
    kernel, run, ref_w, ref_y = compile_run_reference(model, SMALL.replace(variant=variant))
    assert kernel.report.tiles == 2 and kernel.report.noc_words == run.noc["words"] > 0
    assert [len(w) for w in kernel.layer_weights(run)] == [41, 25]
    assert_exact(kernel, run, ref_w, ref_y)
    probabilities = kernel.outputs(run) / 2 ** SMALL.data_frac_bits
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=0.02)


def test_a_loop_over_the_batch_is_refused_across_tiles():
    """A rolled kernel (ldx/stx through pointer registers) runs on one tile only: asked for,
    or needed because the unrolled batch exceeds imem, the error says so."""
    model = _model(NETWORKS["two tiles 40-24-10"], 3)
    with pytest.raises(CompileError, match=r"loop 'rolled': the network needs 2 tiles, and a loop "
                                           r"over the batch is supported on one tile only"):
        compile_model(model, config=SMALL, loop="rolled")
    with pytest.raises(CompileError, match=r"imem_depth is 40 \(batch unrolled\) \(rolling the "
                                           r"batch into a loop is not tried: loops are supported on "
                                           r"one tile only, the network needs 2 tiles\)"):
        compile_model(model, config=SMALL.replace(imem_depth=40))
    one_tile = _model([(12, 10, "relu")], 8)         # the same limit on one tile: rolled
    assert compile_model(one_tile, config=SMALL.replace(imem_depth=40)).report.loop == "rolled"


def test_training_a_kernel_across_tiles_on_the_rtl_is_refused():
    from panther.compiler.train import train

    def runner(image):
        raise AssertionError("not reached: refused before any invocation")

    model = Model(layers=[dense(64, 16, "relu"), dense(16, 10, "sigmoid")], data="digits",
                  train=TrainSpec(lr=0.25))
    with pytest.raises(CompileError, match="the RTL \\(--sim\\) trains a kernel of one tile; "
                                           "model needs 2 tiles"):
        train(model, config=SMALL, steps=1, runner=runner)
