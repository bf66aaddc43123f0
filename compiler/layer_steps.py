"""Layers of a network as kernels of their own (paper Table 4), and their per-layer figures.

A network too large for one tile (VGG-16 at the paper's size needs hundreds of MCUs) is
evaluated layer by layer, as the paper's Table 4 lists it. :func:`layer_steps` cuts a model
into **layer steps**: every weighted layer, with the max-pool that follows it (its ``E/F`` is
the pooled size, as in Table 4), as a one-layer model whose input is the layer's input map
and whose loss (MSE against a target map) stands for the error the next layer would send;
every layer but the network's first also computes the error of its input map (the MTVMs of
§5.4.1). Names follow Table 4: ``Conv1`` ... and ``Dense<k>`` numbered on.

:func:`layer_table` gives each layer step's MCUs, cores, tiles, instructions and event counts
for a batch (from the count model, :mod:`compiler.counts`: no tile limits, so every layer of
VGG-16 is counted), :func:`format_layer_table` prints them. :func:`resized` gives a layer step
with a smaller input map (same filters, same crossbars) to run on the golden model when the
full maps do not fit one tile's shared memory.

Python API for the evaluation::

    from panther.compiler import load_model
    from panther.compiler.layer_steps import layer_table
    rows = layer_table(load_model("examples/models/vgg16_cifar.json"), config=PRESETS["paper"],
                       batch=64)
    rows[0]["name"], rows[0]["events"]["mcu_totals"]["opa"], rows[0]["shape"]["tiles"]
"""

from __future__ import annotations

import dataclasses
import time

from .conv_plan import plan_blocks, stages_of
from .counts import network_events
from .layers import Conv2d, MaxPool2d
from .model import Model

__all__ = ["LayerStep", "layer_steps", "resized", "run_config", "layer_table", "format_layer_table",
           "pipelayer_work"]


@dataclasses.dataclass(frozen=True)
class LayerStep:
    """One weighted layer of a network as a kernel of its own.

    Members
    -------
    name : str
        ``Conv<k>`` or ``Dense<k>`` (k counts the weighted layers from 1, as in Table 4).
    layer : int
        Index of the layer in the network.
    model : compiler.model.Model
        The one-layer model (conv2d [+ maxpool2d] or dense), with the network's weights.
    input_gradient : bool
        Whether the step computes the error of its input (every layer but the first).
    """

    name: str
    layer: int
    model: Model
    input_gradient: bool


def layer_steps(model):
    """The :class:`LayerStep` of every weighted layer of ``model``."""
    stages = stages_of(model)
    out = []
    for st in stages:
        if st.kind != "weighted":
            continue
        layer = model.layers[st.layer]
        layers, weights = [layer], [model.weights[st.layer]]
        if isinstance(layer, Conv2d):
            layers = [dataclasses.replace(layer, input=tuple(st.in_shape[:2]))]
            following = stages[st.index + 1] if st.index + 1 < len(stages) else None
            if following is not None and following.kind == "pool" \
                    and isinstance(model.layers[st.layer + 1], MaxPool2d):
                layers.append(model.layers[st.layer + 1])
                weights.append(None)
        kind = "Conv" if isinstance(layer, Conv2d) else "Dense"
        name = f"{kind}{st.widx + 1}"
        step = Model(layers=layers, loss=model.loss, train=model.train, weights=weights,
                     seed=model.seed, data="random", name=f"{model.name}.{name}",
                     config=model.config, input_gradient=st.index > 0)
        out.append(LayerStep(name, st.layer, step, st.index > 0))
    return out


def resized(step, size):
    """The layer step with an ``(H, W)`` input map (conv layers; a dense step is returned as is)."""
    first = step.model.layers[0]
    if not isinstance(first, Conv2d):
        return step
    layers = [dataclasses.replace(first, input=tuple(size))] + list(step.model.layers[1:])
    return dataclasses.replace(step, model=step.model.replace(layers=layers))


def run_config(step, config):
    """A one-tile configuration that holds the whole layer step for a golden run: variant 3
    (the OPAs of every position cannot all keep operand slots in shared memory), the
    instruction memory and deferred-update limits at their maximum (kernels are unrolled), and
    enough cores (a layer wider than one paper tile runs on one larger tile, without the
    network between tiles)."""
    cores = plan_blocks(stages_of(step.model), config, tile_limit=False).cores_used
    return config.replace(variant=3, imem_depth=65536, deferred_depth=65536,
                          smem_depth=65536, cores_per_tile=max(config.cores_per_tile, cores))


def _geometry(step):
    shapes = step.model.shapes
    first = step.model.layers[0]
    row = {"in_shape": list(shapes[0]), "out_shape": list(shapes[-1])}
    if isinstance(first, Conv2d):
        row.update(C=first.in_channels, M=first.out_channels, H=shapes[0][0], R=first.kernel,
                   stride=first.stride, padding=first.padding, E=shapes[-1][0],
                   positions=shapes[1][0] * shapes[1][1], rows=first.rows, cols=first.cols,
                   pool=len(step.model.layers) > 1)
    else:
        row.update(C=first.n_in, M=first.n_out, positions=1, rows=first.n_in, cols=first.n_out,
                   pool=False)
    row["macs"] = row["positions"] * row["rows"] * row["cols"]      # per sample, forward
    return row


def _pipelayer(row, config):
    """The weight-gradient work of a conv layer done PipeLayer's way (§5.4.3), per sample, or
    ``None`` for a dense layer: the output errors ``dH`` (``E*F`` positions x ``M``) are
    written into crossbars, ``error_rows = E*F*ceil(M/X)`` rows (per slice), and each
    ``(r, s, c)`` drives the inputs under that tap at every position through them:
    ``gradient_mvms = R*R*C * ceil(E*F/X) * ceil(M/X)`` crossbar MVMs, which give
    ``dW[r, s, c, :]``, on ``arrays = ceil(E*F/X) * ceil(M/X)`` crossbar sets holding ``dH``.
    The evaluation's Base_opa/mvm prices them."""
    if "R" not in row:
        return None
    x = config.xbar_size
    col_blocks = -(-row["M"] // x)
    arrays = -(-row["positions"] // x) * col_blocks
    return {"batch": row["batch"], "error_rows": row["positions"] * col_blocks,
            "gradient_mvms": row["rows"] * arrays, "arrays": arrays}


def pipelayer_work(step, config, *, batch=1):
    """PipeLayer's weight-gradient work of a layer step per sample (:func:`_pipelayer`), with
    ``batch``; ``None`` for a dense step."""
    return _pipelayer(dict(_geometry(step), batch=batch), config)


def layer_table(model, *, config, batch=None, variant=None, names=None, crs=False):
    """Per layer step (all, or those in ``names``): geometry (``C``, ``M``, ``H``, ``R``,
    ``stride``, ``padding``, ``E`` (after the pool), ``positions``, crossbar ``rows`` and
    ``cols`` of the linearised filters, ``macs`` per sample), ``conv`` (the PipeLayer
    weight-gradient work of a conv layer, see :func:`_pipelayer`), ``shape`` (MCUs, cores, tiles,
    instructions per core) and ``events`` (the golden model's event dict) of one training
    step of ``batch`` samples (default: the model's batch), from the count model; ``crs``:
    the kernel that ends with a carry resolution step (every ``crs_period``-th one)."""
    if variant is not None:
        config = config.replace(variant=variant)
    rows = []
    for step in layer_steps(model):
        if names is not None and step.name not in names:
            continue
        started = time.perf_counter()
        counted = network_events(step.model, config, batch=batch, crs=crs,
                                 input_gradient=step.input_gradient)
        row = {"name": step.name, "layer": step.layer, **_geometry(step),
               "input_gradient": step.input_gradient, "batch": batch or model.train.batch,
               **counted, "count_seconds": time.perf_counter() - started}
        row["conv"] = _pipelayer(row, config)
        rows.append(row)
    return rows


def format_layer_table(rows, config):
    """Readable text of :func:`layer_table` rows."""
    head = (f"per layer step (batch {rows[0]['batch'] if rows else '-'}, {config.xbar_size}x"
            f"{config.xbar_size} crossbars, {config.mcus_per_core} MCUs x {config.cores_per_tile} "
            f"cores per tile, variant {config.variant}):")
    lines = [head, "  layer     C     M   H/W  E/F  pos    MCUs cores tiles  instructions  max/core"
                   "      MVM     MTVM      OPA     VFU ops   smem words"]
    for r in rows:
        ev, sh = r["events"], r["shape"]
        ops = ev["mcu_totals"]
        hw = f"{r['H']:>4} {r['E']:>4}" if "H" in r else "   -    -"
        lines.append(f"  {r['name']:<7} {r['C']:>5} {r['M']:>5} {hw} {r['positions']:>4} "
                     f"{sh['mcus']:>6} {sh['cores']:>5} {sh['tiles']:>5} {ev['instructions_total']:>13} "
                     f"{max(sh['instructions']):>9} {ops['mvm']:>8} {ops['mtvm']:>8} {ops['opa']:>8} "
                     f"{ev['vfu_ops']:>11} {ev['smem_reads'] + ev['smem_writes']:>12}")
    return "\n".join(lines)
