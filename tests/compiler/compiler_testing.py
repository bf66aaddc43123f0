"""Shared helpers of the compiler tests: configurations, compile + golden run + reference."""

import numpy as np
from fixed_reference import fixed_step

from panther.compiler import compile_model, sample_batch
from panther.config import PantherConfig
from panther.isa.golden import run_image


def tile(**changes):
    """A 16x16-crossbar tile with room for the test networks (4 cores x 2 MCUs by default)."""
    fields = dict(cores_per_tile=4, mcus_per_core=2, imem_depth=1024, rf_depth=512,
                  smem_depth=8192)
    fields.update(changes)
    return PantherConfig(**fields)


def compile_run_reference(model, config, *, crs=False, loop="auto"):
    """``(kernel, golden report, reference weights, reference outputs)``."""
    kernel = compile_model(model, config=config, crs=crs, loop=loop)
    run = run_image(kernel.image)
    x, t = sample_batch(model, config)
    f = config.data_frac_bits
    # The OPA column scale -(lr/B) as a data word, from the model (not from the compiler).
    lr_word = int(np.floor(-model.train.lr / model.train.batch * 2 ** f + 0.5))
    q = lambda v, frac: np.floor(np.asarray(v) * 2.0 ** frac + 0.5).astype(np.int64)  # noqa: E731
    weights = [q(w, config.weight_frac_bits) for w in model.weights]
    ref = fixed_step(weights, [l.activation for l in model.layers], q(x, f), q(t, f),
                     lr_word=lr_word, xbar_size=config.xbar_size, crs=crs,
                     F=f, p=config.nominal_bits, slice_bits=config.slice_bits,
                     biases=[layer.bias for layer in model.layers], loss=model.loss,
                     input_gradient=model.input_gradient)
    if model.input_gradient:
        np.testing.assert_array_equal(kernel.input_gradients(run), ref[2], err_msg="dL/dx")
    return kernel, run, ref[0], ref[1]


def flags(run):
    """Every core's overflow flag, of a tile or a node report."""
    return [f for tile in getattr(run, "tiles", [run.to_dict()])
            for f in (c["overflow"] for c in tile["cores"])]


def assert_exact(kernel, run, ref_w, ref_y):
    assert run.ok, [c["fault_message"] for t in getattr(run, "tiles", [run.to_dict()])
                    for c in t["cores"]]
    assert not any(flags(run)), "a VFU/MVM result saturated: the exact check needs none"
    np.testing.assert_array_equal(kernel.outputs(run), ref_y)
    for layer, (got, want) in enumerate(zip(kernel.layer_weights(run), ref_w)):
        np.testing.assert_array_equal(got, want, err_msg=f"layer {layer} weights")
