"""Event counts and times of a layer kernel at any batch: golden runs, and the count model.

:func:`run_kernel` compiles one piece of a layer (:mod:`apps.evaluation.workloads`) at one
batch and runs it on the golden model with :func:`apps.evaluation.trace.record_run`: its
``events`` are the counts ``panther run`` reports for it.

**The count model.** A compiled kernel is the software pipeline of docs/compiler.md: at
batch ``B >= 2`` it runs ``B + 2L - 1`` pipeline steps whose operations are the same for
every sample (one forward pass, one output error, one backward pass each), plus a prologue
and an epilogue that do not depend on ``B``. Every event count is therefore ``c0 + c1 * B``
for ``B >= 2``; batch 1 (SGD) is a shape of its own, because the compiler drops the
reload of XBarIn before the OPA when no later sample overwrote it. :func:`extrapolate`
takes ``c0`` and ``c1`` from golden runs at two batches (:func:`fit_batches`: the largest
power of two up to :data:`MAX_RUN_BATCH` whose kernel fits the tile, and half of it);
``tests/evaluation`` checks it equal, counter for counter, to golden runs at other batches.

The times of the timing model (:mod:`apps.evaluation.timing`) are extrapolated through the
same two runs. They are affine only once the software pipeline is in its steady state
(shared-memory words the compiler reuses add waits as the batch grows), which is why the fit
uses the largest batches that run; ``tests/evaluation`` bounds the error at larger batches.
"""

from __future__ import annotations

from panther.compiler import CompileError, compile_model

from .trace import record_run

__all__ = ["run_kernel", "fit_batches", "flatten", "unflatten", "extrapolate", "MAX_RUN_BATCH"]

#: The largest batch the evaluation runs on the golden model (the paper tile's
#: ``deferred_depth`` of 16 allows 8 samples on two MCUs per core).
MAX_RUN_BATCH = 8


def fit_batches(layer, piece, config):
    """The two batches the count model of ``piece`` is fitted on: ``(b // 2, b)`` for the
    largest ``b`` of 8 and 4 whose kernel compiles for ``config``, else ``(2, 3)``.

    Raises :class:`compiler.CompileError` when not even a batch of 3 fits the tile.
    """
    for low, high in ((MAX_RUN_BATCH // 2, MAX_RUN_BATCH), (2, 4), (2, 3)):
        try:
            compile_model(layer.model(batch=high, n_in=piece.n_in, n_out=piece.n_out), config=config)
        except CompileError as error:
            last = error
            continue
        return low, high
    raise CompileError(f"{layer.name} ({piece.n_in}x{piece.n_out}): the count model needs golden "
                       f"runs at two batches of at least 2, but a batch of 3 does not fit the "
                       f"tile: {last}")


def run_kernel(layer, piece, config, *, batch, crs=False):
    """Compile ``piece`` of ``layer`` at ``batch`` for ``config`` and record its golden run.

    Returns ``(kernel, trace)`` (:class:`compiler.Kernel`, :class:`apps.evaluation.trace.Trace`).
    Raises :class:`compiler.CompileError` when the kernel does not fit the tile.
    """
    model = layer.model(batch=batch, n_in=piece.n_in, n_out=piece.n_out)
    kernel = compile_model(model, config=config, crs=crs)
    trace = record_run(kernel.image)
    if not trace.report.ok:
        faults = [c["fault_message"] for c in trace.report.cores if c["status"] != "halted"]
        raise RuntimeError(f"{model.name}: the golden run faulted: {faults}")
    return kernel, trace


def flatten(data, prefix=""):
    """``{'a.b.0.c': number}`` of every number in a nested dict/list (counters only)."""
    out = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            out.update(flatten(value, f"{prefix}{index}."))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        out[prefix[:-1]] = data
    return out


def unflatten(flat):
    """The nested dict/list structure of :func:`flatten`'s output."""
    root = {}
    for path, value in flat.items():
        keys = path.split(".")
        node = root
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[str(i)]) for i in range(len(node))]
    return {k: _lists(v) for k, v in node.items()}


def extrapolate(low, high, batch, *, at=(2, 3)):
    """The affine count (or time) at ``batch >= 2`` through ``low`` at batch ``at[0]`` and
    ``high`` at batch ``at[1]``. Works on numbers and on nested counter dicts (integer counts
    stay exact integers)."""
    if batch < 2:
        raise ValueError(f"the count model holds for batches >= 2, not {batch}")
    if isinstance(low, dict):
        a, b = flatten(low), flatten(high)
        return unflatten({k: extrapolate(a.get(k, 0), b.get(k, 0), batch, at=at)
                          for k in sorted(set(a) | set(b))})
    if isinstance(low, int) and isinstance(high, int):
        step, rest = divmod((high - low) * (batch - at[0]), at[1] - at[0])
        if rest:
            raise ValueError(f"counts {low} and {high} at batches {at} are not on an integer line")
        return low + step
    return low + (high - low) * (batch - at[0]) / (at[1] - at[0])
