"""Random networks that force partitioning (16x16 crossbars), SGD and mini-batch, variants
1-3, some with a register file small enough to force spills, some rolled into a loop over the
batch, with or without biases, MSE or softmax cross-entropy: the golden final state equals the
independent fixed-point reference bit for bit."""

import numpy as np
from compiler_testing import assert_exact, compile_run_reference, tile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panther.compiler import Model, TrainSpec, dense
from panther.compiler.model import seeded_weights

ACTS = st.sampled_from(["relu", "sigmoid", "tanh", "identity"])


@st.composite
def networks(draw):
    n_layers = draw(st.integers(1, 3))
    sizes = [draw(st.integers(17, 40))] + [draw(st.integers(3, 28)) for _ in range(n_layers)]
    acts = [draw(ACTS) for _ in range(n_layers)]
    batch = draw(st.sampled_from([1, 1, 2, 3]))
    rf_depth = draw(st.sampled_from([512, 512, 64]))          # 64 words force spills
    loop = draw(st.sampled_from(["auto", "auto", "rolled"]))  # a loop over the batch, too
    biases = [draw(st.booleans()) for _ in range(n_layers)]
    loss = "mse"
    if sizes[-1] <= 16 and draw(st.booleans()):
        loss, acts[-1] = "softmax_cross_entropy", "identity"
    return (sizes, acts, batch, draw(st.integers(1, 3)), draw(st.integers(0, 2**16)), rf_depth,
            loop, biases, loss, draw(st.booleans()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_partitioned_network_is_exact(net):
    sizes, acts, batch, variant, seed, rf_depth, loop, biases, loss, input_gradient = net
    layers = [dense(a, b, f, bias) for a, b, f, bias in zip(sizes, sizes[1:], acts, biases)]
    rng = np.random.default_rng(seed)
    weights = [w.copy() for w in seeded_weights(layers, seed)]   # Glorot, zero biases
    for w, layer in zip(weights, layers):
        if layer.bias:
            w[-1] = rng.uniform(-0.25, 0.25, layer.n_out)
    model = Model(layers=layers, loss=loss, weights=weights, seed=seed, input_gradient=input_gradient,
                  train=TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch,
                                  lr=0.125))
    config = tile(variant=variant, cores_per_tile=8, mcus_per_core=2, rf_depth=rf_depth)
    kernel, run, ref_w, ref_y = compile_run_reference(model, config, loop=loop)
    assert kernel.report.mcus > 1
    assert_exact(kernel, run, ref_w, ref_y)
