"""Training with a compiled kernel: N invocations on the golden model (or, through a runner
the caller supplies, on the RTL), a float twin beside it.

Each invocation runs the kernel of one batch with the slice digits the previous invocation
left (``ProgramImage.digits``: not just the weights, carries that CRS has not yet resolved
stay where they are); every ``crs_period``-th invocation runs the kernel compiled with
``crs=True``. The MCUs are exact (:class:`isa.golden.ExactMCU`) or, with ``mcu="analog"``,
the behavioural analog models (:class:`isa.golden.analog_mcu.AnalogBackend`: bit-steps,
ADCs, DACs and the non-idealities of ``config.noise``), one device per MCU that lives
through every invocation, so its conductances, stuck cells and random streams carry over
like the digits do. The float twin trains the same network from the same initial weights on
the same batches in float64 with the exact activation functions (the software baseline).
Accuracy is measured on the held-out digits with a host-side fixed-point forward pass that
follows the kernel's arithmetic (:func:`fixed_forward`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from panther.fixed_point import fixed_one, round_shift, saturate, to_fixed, weights_from_digits
from panther.isa.golden import run_image
from panther.isa.golden.analog_mcu import AnalogBackend
from panther.isa.vfu_math import vfu

from .conv_host import (
    digit_images,
    fixed_forward_network,
    float_forward_network,
    float_step_network,
)
from .conv_kernel import network_weights
from .datasets import load_dataset
from .errors import CompileError
from .kernel import compile_model, quantize_weights
from .layers import is_spatial
from .model import ACTIVATIONS

__all__ = ["TrainResult", "train", "golden_runner", "fixed_forward", "float_forward",
           "digits_data", "float_train_step", "softmax", "batch_loss", "persistent_analog_factory",
           "analog_forward", "MCU_MODELS"]

#: MCU models :func:`train` runs the kernel on.
MCU_MODELS = ("exact", "analog")



def persistent_analog_factory(devices):
    """An ``mcu_factory`` of analog MCUs that outlive one tile: the first call for ``(core,
    mcu)`` builds an :class:`AnalogBackend` programmed with ``weights`` (seeded by
    ``[config.noise.seed, core, mcu]``, as :func:`isa.golden.analog_mcu.analog_mcu_factory`)
    and stores it in the dict ``devices``; later calls return that device as it is."""
    def factory(config, core, mcu, weights):
        if (core, mcu) not in devices:
            rng = np.random.default_rng([config.noise.seed, core, mcu])
            devices[(core, mcu)] = AnalogBackend(config=config, weights=weights, rng=rng)
        return devices[(core, mcu)]
    return factory


def analog_forward(devices, mapping, activations, x_raw, config, biases=None):
    """Raw outputs ``(N, n_L)`` of the kernel's forward pass with every block's MVM done by
    its analog device (bit-steps, ADC, read noise), the partial sums added in row-block order
    with saturating VFU adds and the VFU activations, as :func:`fixed_forward` (a bias is a
    row driven by 1.0)."""
    x = config.xbar_size
    one = fixed_one(config.data_frac_bits, config.data_bits)
    a = np.asarray(x_raw, dtype=np.int64)
    for layer, name in enumerate(activations):
        if (biases or [False] * len(activations))[layer]:
            a = np.hstack([a, np.full((len(a), 1), one, dtype=np.int64)])
        blocks = sorted((b for b in mapping.blocks if b.layer == layer), key=lambda b: (b.bj, b.bi))
        n_out = max(b.col0 + b.cols for b in blocks)
        out = np.zeros((len(a), n_out), dtype=np.int64)
        for bj in sorted({b.bj for b in blocks}):
            column = [b for b in blocks if b.bj == bj]
            acc = None
            for b in column:
                drives = np.zeros((len(a), x), dtype=np.int64)
                drives[:, :b.rows] = a[:, b.row0:b.row0 + b.rows]
                part = devices[(b.place.core, b.place.mcu)].mvm_batch(drives)[0][:, :b.cols]
                acc = part if acc is None else vfu("add", acc, part, config=config)[0]
            out[:, column[0].col0:column[0].col0 + column[0].cols] = acc
        fn = ACTIVATIONS[name][0]
        a = out if fn is None else vfu(fn, out, 0, config=config)[0]
    return a


def fixed_forward(weights, activations, x_raw, config, biases=None):
    """Raw outputs ``(N, n_L)`` of the kernel's forward pass (per-crossbar rounding, partial
    sums added in row-block order with saturating VFU adds, VFU activations; a bias is a row
    driven by 1.0). For the softmax cross-entropy loss these are the logits."""
    x, f = config.xbar_size, config.weight_frac_bits
    one = fixed_one(config.data_frac_bits, config.data_bits)
    a = np.asarray(x_raw, dtype=np.int64)
    for w, name, bias in zip(weights, activations, biases or [False] * len(weights)):
        if bias:
            a = np.hstack([a, np.full((len(a), 1), one, dtype=np.int64)])
        acc = None
        for start in range(0, w.shape[0], x):
            part = saturate(round_shift(a[:, start:start + x] @ w[start:start + x], f),
                            config.data_bits)[0]
            acc = part if acc is None else vfu("add", acc, part, config=config)[0]
        fn = ACTIVATIONS[name][0]
        a = acc if fn is None else vfu(fn, acc, 0, config=config)[0]
    return a


_F = {"relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
      "tanh": np.tanh, "identity": lambda z: z}
_DF = {"relu": lambda y: (y > 0) * 1.0, "sigmoid": lambda y: y * (1 - y),
       "tanh": lambda y: 1 - y * y, "identity": lambda y: np.ones_like(y)}


def _with_one(a, bias):
    return np.hstack([a, np.ones((len(a), 1))]) if bias else a


def float_forward(weights, activations, x, biases=None):
    """Float64 activations of every layer for a batch ``x`` ``(N, n_0)`` (the last are the
    logits when the loss is softmax cross-entropy)."""
    acts = [np.asarray(x, dtype=np.float64)]
    for w, name, bias in zip(weights, activations, biases or [False] * len(weights)):
        acts.append(_F[name](_with_one(acts[-1], bias) @ w))
    return acts


def softmax(z):
    """Row-wise softmax of float logits."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def batch_loss(y, t, loss):
    """Mean loss of a batch: MSE ``1/2 |y - t|^2`` of outputs ``y``, or the cross-entropy
    ``-sum t log p`` of probabilities ``y`` (clipped at 2**-12 so a rounded-to-0 p counts)."""
    if loss == "softmax_cross_entropy":
        return float(-np.sum(t * np.log(np.maximum(y, 2.0 ** -12)), axis=1).mean())
    return float(0.5 * np.sum((y - t) ** 2, axis=1).mean())


def float_train_step(weights, activations, x, t, lr, biases=None, loss="mse"):
    """One mean-gradient float64 step of a batch: ``(new weights, batch loss before it)``."""
    biases = biases or [False] * len(weights)
    acts = float_forward(weights, activations, x, biases)
    if loss == "softmax_cross_entropy":
        y = softmax(acts[-1])
        delta = y - t
    else:
        y = acts[-1]
        delta = (y - t) * _DF[activations[-1]](y)
    new = list(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad = _with_one(acts[l], biases[l]).T @ delta / len(x)
        if l:
            delta = (delta @ weights[l][:acts[l].shape[1]].T) * _DF[activations[l - 1]](acts[l])
        new[l] = weights[l] - lr * grad
    return new, batch_loss(y, t, loss)


@dataclass
class TrainResult:
    """Curves of a training run (plain JSON data).

    Members
    -------
    steps : int
    batch : int
    loss, float_loss : list of float
        Per invocation, the batch's loss (MSE, or cross-entropy of the softmax; before its
        update) on PANTHER and in float.
    eval_steps : list of int
        Invocations after which the accuracies were measured.
    accuracy, float_accuracy : list of float
        Test-set accuracies at ``eval_steps``.
    crs_steps : list of int
        Invocations that ran the CRS kernel.
    seconds_per_step : float
        Wall time per invocation on the runner (the golden model by default).
    overflow_steps : int
        Invocations in which a core's sticky overflow flag was set.
    report : dict
        The compile report of the kernel.
    simulator : str
        Where the invocations ran: ``'golden'``, or the RTL simulator.
    rtl_cycles : list of int
        On the RTL, the cycles of every invocation.
    mcu : str
        The MCU model trained on: ``"exact"`` or ``"analog"`` (:data:`MCU_MODELS`).
    analog_accuracy : float or None
        ``mcu="analog"``: the test accuracy after the last invocation with the forward pass
        through the analog devices (:func:`analog_forward`: ADCs, read noise); ``accuracy``
        reads the devices' nearest digits instead.
    """

    steps: int
    batch: int
    loss: list = field(default_factory=list)
    float_loss: list = field(default_factory=list)
    eval_steps: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    float_accuracy: list = field(default_factory=list)
    crs_steps: list = field(default_factory=list)
    seconds_per_step: float = 0.0
    overflow_steps: int = 0
    report: dict = None
    simulator: str = "golden"
    rtl_cycles: list = field(default_factory=list)
    mcu: str = "exact"
    analog_accuracy: float = None

    def to_dict(self):
        return asdict(self)


def _weights_of(kernel, digits, config, old, spatial):
    """Raw layer weights from the slice digits of every block (matrices, reshaped for conv)."""
    mats = [None if w is None else np.zeros(w.reshape(-1, w.shape[-1]).shape if spatial else w.shape,
                                             dtype=np.int64) for w in old]
    weighted = [i for i, w in enumerate(old) if w is not None]
    for block in kernel.mapping.blocks:
        place = block.place
        w = weights_from_digits(digits[(place.tile, place.core, place.mcu)], config)
        mats[weighted[block.layer] if spatial else block.layer][
            block.row0:block.row0 + block.rows, block.col0:block.col0 + block.cols] = \
            w[:block.rows, :block.cols]
    return [None if m is None else m.reshape(o.shape) for m, o in zip(mats, old)]


def digits_data(model, dataset=None):
    """The digits as ``(x_train, t_train one-hot, x_test, y_test, n_classes)``, padded to the
    model's widths (8x8x1 images for a conv network); raises :class:`CompileError` when the
    model is too narrow.

    ``dataset`` (default: the model's ``data`` when it names digits, else ``'digits'``):
    ``'digits'`` (the 61 informative pixels) or ``'digits32'`` (every image upsampled to 32x32
    = 1024 pixels, :func:`compiler.datasets.load_dataset`)."""
    if is_spatial(model.layers):
        return digit_images(model)
    if dataset is None:
        dataset = model.data if model.data in ("digits", "digits32") else "digits"
    data = load_dataset(seed=model.seed, upsample=4 if dataset == "digits32" else None)
    n_in, n_out = model.sizes[0], model.sizes[-1]
    if n_in < data.n_features or n_out < data.n_classes:
        raise CompileError(f"the digits need at least {data.n_features} inputs and "
                           f"{data.n_classes} outputs; the model has {n_in} and {n_out}")

    def pad(x):
        out = np.zeros((len(x), n_in))
        out[:, :data.n_features] = x
        return out
    onehot = np.zeros((len(data.y_train), n_out))
    onehot[np.arange(len(data.y_train)), data.y_train] = 1.0
    return pad(data.x_train), onehot, pad(data.x_test), data.y_test, data.n_classes


def golden_runner(image, mcu_factory=None):
    """Run one kernel invocation on the golden model (a tile, or a node of tiles): its report."""
    return run_image(image, mcu_factory=mcu_factory)


def train(model, *, config, steps, eval_every=None, progress=None, data=None, mcu="exact",
          runner=None):
    """Train ``model`` on the digits for ``steps`` kernel invocations on the golden model (a
    node of tiles when the network needs several; ``mcu='analog'`` and a ``runner`` take a
    one-tile kernel).

    Parameters
    ----------
    model : compiler.model.Model
    config : panther.config.PantherConfig
    steps : int
    eval_every : int, optional
        Invocations between accuracy measurements (default: about 10 per run).
    progress : callable, optional
        ``progress(step, loss)`` after every invocation (e.g. a progress bar's update).
    data : tuple, optional
        :func:`digits_data` of the model (loaded when not given).
    mcu : {'exact', 'analog'}
        The MCU model (see the module docstring).
    runner : callable, optional
        ``runner(image) -> report`` runs one invocation (a :class:`isa.golden.GoldenReport`
        or a report of the same shape) of exact MCUs; default :func:`golden_runner`.
        ``panther train --sim verilator`` passes one that runs the RTL and checks it against
        the golden model.
    """
    if steps < 1:
        raise CompileError(f"steps must be a positive integer, not {steps}")
    if mcu not in MCU_MODELS:
        raise CompileError(f"mcu must be one of {', '.join(MCU_MODELS)}, not {mcu!r}")
    if mcu == "analog" and runner is not None:
        raise CompileError("the analog MCU models run on the golden model only: mcu='analog' "
                           "(--mcu analog) cannot run on the RTL (--sim)")
    spatial = is_spatial(model.layers)       # a conv network: host passes of compiler.conv_host
    if spatial and mcu != "exact":
        raise CompileError("conv networks train on the exact MCU model only (the analog "
                           "forward pass for accuracy knows dense layers)")
    x_train, t_train, x_test, y_test, n_classes = data or digits_data(model)
    kernel = compile_model(model, config=config)
    if mcu == "analog" and kernel.mapping.tiles_used > 1:
        raise CompileError(f"mcu='analog' trains a kernel of one tile; {model.name} needs "
                           f"{kernel.mapping.tiles_used} tiles")
    if runner is not None and kernel.mapping.tiles_used > 1:
        raise CompileError(f"the RTL (--sim) trains a kernel of one tile; {model.name} needs "
                           f"{kernel.mapping.tiles_used} tiles (train it on the golden model)")
    crs_kernel = compile_model(model, config=config, crs=True) if steps >= model.train.crs_period else None
    acts = [layer.activation for layer in model.layers]
    biases = [getattr(layer, "bias", False) for layer in model.layers]
    batch, f, b = model.train.batch, config.data_frac_bits, config.data_bits
    quant = lambda v: np.asarray(to_fixed(v, f, b)[0], dtype=np.int64)      # noqa: E731
    digits = {}
    float_w = [None if w is None else np.asarray(w, dtype=np.float64) for w in model.weights]
    weights_raw = network_weights(model, config) if spatial else quantize_weights(model, config)
    result = TrainResult(steps=steps, batch=batch, report=kernel.report.to_dict(), mcu=mcu)
    devices = {}
    factory = persistent_analog_factory(devices) if mcu == "analog" else None
    eval_every = eval_every or max(1, steps // 10)
    x_test_raw = quant(x_test)

    def evaluate(step):
        if spatial:
            out = fixed_forward_network(model, weights_raw, x_test_raw, config)[:, :n_classes]
            fout = float_forward_network(model, float_w, x_test)[-1].reshape(len(x_test), -1)
        else:
            out = fixed_forward(weights_raw, acts, x_test_raw, config, biases)[:, :n_classes]
            fout = float_forward(float_w, acts, x_test, biases)[-1]
        fout = fout[:, :n_classes]
        result.eval_steps.append(step)
        result.accuracy.append(float(np.mean(np.argmax(out, axis=1) == y_test)))

        result.float_accuracy.append(float(np.mean(np.argmax(fout, axis=1) == y_test)))

    evaluate(0)
    spent = 0.0
    for step in range(1, steps + 1):
        rows = np.arange((step - 1) * batch, step * batch) % len(x_train)
        x, t = x_train[rows], t_train[rows]
        use = crs_kernel if crs_kernel is not None and step % model.train.crs_period == 0 else kernel
        if use is crs_kernel:
            result.crs_steps.append(step)
        image = use.with_batch(quant(x), quant(t))
        if digits and factory is None:        # the slice state the previous invocation left
            for k, tile in enumerate(getattr(image, "tiles", [image])):
                mine = {(c, m): d for (t, c, m), d in digits.items() if t == k}
                tile.weights = {**tile.weights,
                                **{key: weights_from_digits(d, config) for key, d in mine.items()}}
                tile.digits = mine
        started = time.perf_counter()
        if factory is not None:          # the analog devices carry their own state
            run = golden_runner(image, factory)
        else:
            run = (runner or golden_runner)(image)
        spent += time.perf_counter() - started
        cores = [c for tile in getattr(run, "tiles", [run.to_dict()]) for c in tile["cores"]]
        if not run.ok:
            raise CompileError(f"step {step}: the kernel faulted on the golden model: "
                               + "; ".join(c["fault_message"] for c in cores if c["fault_message"]))
        result.overflow_steps += int(any(c["overflow"] for c in cores))
        for block in kernel.mapping.blocks:
            place = block.place
            digits[(place.tile, place.core, place.mcu)] = np.asarray(
                kernel.mcu_state(run, block)["digits"], dtype=np.int64)
        weights_raw = _weights_of(kernel, digits, config, weights_raw, spatial)
        y = use.outputs(run) / (1 << f)
        result.loss.append(batch_loss(y, t, model.loss))
        if spatial:
            float_w, float_loss = float_step_network(model, float_w, x, t, model.train.lr)
        else:
            float_w, float_loss = float_train_step(float_w, acts, x, t, model.train.lr, biases,
                                                   model.loss)
        result.float_loss.append(float(float_loss))
        if step % eval_every == 0 or step == steps:
            evaluate(step)
        if progress is not None:
            progress(step, result.loss[-1])
    result.seconds_per_step = spent / steps
    if mcu == "analog":
        out = analog_forward(devices, kernel.mapping, acts, x_test_raw, config,
                             biases)[:, :n_classes]
        result.analog_accuracy = float(np.mean(np.argmax(out, axis=1) == y_test))
    return result
