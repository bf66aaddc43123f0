"""Shared helpers of the conv compiler tests: configurations, model -> reference layers,
compile + golden run + independent reference."""

import numpy as np
from conv_reference import fixed_step

from panther.compiler import compile_model
from panther.compiler.layers import Conv2d, Flatten, MaxPool2d
from panther.config import PantherConfig
from panther.isa.golden import run_image


def conv_tile(**changes):
    """A 16x16-crossbar tile for conv tests (variant 3: no shared memory for deferred OPAs)."""
    fields = dict(cores_per_tile=4, mcus_per_core=2, imem_depth=16384, rf_depth=512,
                  smem_depth=16384, deferred_depth=1024, variant=3)
    fields.update(changes)
    return PantherConfig(**fields)


def reference_layers(model):
    """The reference's plain tuples of a model's layers (read from the description only)."""
    out = []
    for layer in model.layers:
        if isinstance(layer, Conv2d):
            out.append(("conv", layer.kernel, layer.stride, layer.padding, layer.activation))
        elif isinstance(layer, MaxPool2d):
            out.append(("pool", layer.kernel))
        elif isinstance(layer, Flatten):
            out.append(("flatten",))
        else:
            out.append(("dense", layer.activation))
    return out


def q(v, frac):
    return np.floor(np.asarray(v) * 2.0 ** frac + 0.5).astype(np.int64)


def random_batch(model, seed=7, scale=1.0):
    rng = np.random.default_rng(seed)
    batch, sizes = model.train.batch, model.sizes
    return rng.uniform(-scale, scale, (batch, sizes[0])), rng.uniform(0, 1, (batch, sizes[-1]))


def compile_run_reference(model, config, *, crs=False, input_gradient=False, batch=None):
    """``(kernel, golden report, (ref weights, ref outputs, ref input errors))``; the batch is
    ``batch`` (real inputs, targets) or :func:`random_batch`."""
    kernel = compile_model(model, config=config, crs=crs) if not input_gradient else \
        _compile_with_grad(model, config, crs)
    x, t = batch if batch is not None else random_batch(model)
    f = config.data_frac_bits
    xr, tr = q(x, f), q(t, f)
    run = run_image(kernel.with_batch(xr, tr))
    lr_word = int(np.floor(-model.train.lr / model.train.batch * 2 ** f + 0.5))
    weights = [None if w is None else q(w, config.weight_frac_bits) for w in model.weights]
    ref = fixed_step(reference_layers(model), weights, xr, tr, in_shape=model.shapes[0],
                     lr_word=lr_word, xbar_size=config.xbar_size, F=f, p=config.nominal_bits,
                     slice_bits=config.slice_bits, crs=crs, input_gradient=input_gradient)
    return kernel, run, ref


def _compile_with_grad(model, config, crs):
    from panther.compiler.conv_kernel import compile_network
    return compile_network(model, config=config, crs=crs, input_gradient=True)


def assert_exact(kernel, run, ref):
    ref_w, ref_y, ref_dx = ref
    assert run.ok, [c["fault_message"] for c in run.cores]
    assert not any(run.overflow), "a VFU/MVM result saturated: the exact check needs none"
    np.testing.assert_array_equal(kernel.outputs(run), ref_y)
    for layer, (got, want) in enumerate(zip(kernel.layer_weights(run), ref_w)):
        if want is None:
            assert got is None
            continue
        np.testing.assert_array_equal(got, want, err_msg=f"layer {layer} weights")
    if ref_dx is not None:
        np.testing.assert_array_equal(kernel.input_gradients(run), ref_dx)
