"""Event counts and times of a layer kernel at any batch: golden runs, and the count model.

:func:`run_kernel` compiles one piece of a layer (:mod:`apps.evaluation.workloads`) at one
batch and runs it on the golden model with :func:`apps.evaluation.trace.record_run`: its
``events`` are the counts ``panther run`` reports for it.

**The count model.** A compiled kernel is the software pipeline of docs/compiler.md: at
batch ``B >= 2`` it runs ``B + 2L - 1`` pipeline steps whose operations are the same for
every sample (one forward pass, one output error, one backward pass each), plus a prologue
and an epilogue that do not depend on ``B``. Every event count is therefore ``c0 + c1 * B``
for ``B >= 2``; batch 1 (SGD) is a shape of its own, because the compiler drops the
reload of XBarIn before the OPA when no later sample overwrote it. :class:`CountModel`
takes ``c0`` and ``c1`` from golden runs at batches 2 and 3 and batch 1 from its own run;
``tests/evaluation`` checks it equal, counter for counter, to golden runs at other batches.
The times of the timing model (:mod:`apps.evaluation.timing`) are extrapolated the same
way (steady state from batch 2 on; checked against timed runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from panther.compiler import compile_model

from .trace import record_run

__all__ = ["run_kernel", "flatten", "unflatten", "extrapolate", "FIT_BATCHES"]

#: Batches whose golden runs fix the count model's ``c0`` and ``c1``.
FIT_BATCHES = (2, 3)


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


@dataclass(frozen=True)
class _Line:
    at2: float
    at3: float

    def __call__(self, batch):
        return self.at2 + (batch - FIT_BATCHES[0]) * (self.at3 - self.at2)


def extrapolate(at2, at3, batch):
    """The affine count (or time) at ``batch >= 2`` through the values at batches 2 and 3.
    Works on numbers and on nested counter dicts (integers stay integers)."""
    if batch < FIT_BATCHES[0]:
        raise ValueError(f"the count model holds for batches >= {FIT_BATCHES[0]}, not {batch}")
    if isinstance(at2, dict):
        a, b = flatten(at2), flatten(at3)
        return unflatten({k: extrapolate(a.get(k, 0), b.get(k, 0), batch) for k in sorted(set(a) | set(b))})
    value = _Line(at2, at3)(batch)
    return int(value) if isinstance(at2, int) and isinstance(at3, int) else value
