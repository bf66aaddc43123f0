"""``compile_network``: a convolutional model -> a :class:`ConvKernel` (program image + report).

The same back end as dense kernels (peephole, fusion, registers, shared memory, code
generation), after two conv-specific steps: the stages and blocks of
:mod:`compiler.conv_plan`, the lowering of :mod:`compiler.conv_lower`, and
:func:`split_stores`, which cuts a feature-map store where the loads that read its words
change, so that every store can give its words one consumer count.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np

from panther.fixed_point import fixed_one, to_fixed
from panther.isa.image import ProgramImage

from . import fusion, peephole, smem
from .codegen import emit_core
from .conv_lower import MAX_VW, lower_network
from .conv_plan import MapTransfer, plan_blocks, split_stores, stages_of
from .datasets import load_dataset
from .errors import CompileError
from .layers import Conv2d, MaxPool2d
from .partition import needs
from .regalloc import allocate_registers, place_spills
from .report import CompileReport
from .run_state import tile_state

__all__ = ["ConvKernel", "compile_network", "build_network", "network_weights",
           "network_batch", "Built"]


def network_weights(model, config):
    """Raw Q8.24 int64 weights of every layer (``(R, R, C, M)`` for conv2d, ``None`` for a
    layer without weights; round half up, saturate)."""
    return [None if w is None else
            np.asarray(to_fixed(w, config.weight_frac_bits, config.weight_bits)[0], dtype=np.int64)
            for w in model.weights]


def _matrix(raw):
    """The crossbar matrix ``(R*R*C, M)`` of a layer's raw weights (dense ones unchanged)."""
    raw = np.asarray(raw, dtype=np.int64)
    return raw.reshape(-1, raw.shape[-1])


@dataclass
class Built:
    """A conv kernel before code generation (also what the count model counts).

    Members
    -------
    stages, mapping, layout : see :mod:`compiler.conv_plan`, :mod:`compiler.conv_lower`
    scheduled : list of list of list of Op
        Per core, the instruction groups (a group of several ops is one fused ``mcu``).
    registers, deferred : list of int
        Per core.
    transfers, maps : list
    spills : list of (spill transfers, groups) per core
    lr_word : int
    """

    stages: list
    mapping: object
    layout: object
    scheduled: list
    registers: list
    deferred: list
    transfers: list
    maps: list
    spills: list
    lr_word: int


def _lr_word(model, config):
    raw, _ = to_fixed(-model.train.lr / model.train.batch, config.data_frac_bits, config.data_bits)
    if raw == 0:
        raise CompileError(f"lr / batch = {model.train.lr / model.train.batch:g} rounds to 0 in "
                           f"Q{config.data_bits - config.data_frac_bits}.{config.data_frac_bits}")
    return int(raw)


def build_network(model, config, *, crs=False, input_gradient=None, limits=True):
    """Plan, lower, clean up, schedule and allocate registers for a conv kernel.

    ``input_gradient`` (default: ``model.input_gradient``) also computes the input map's
    error. ``limits=False`` (the count model) drops the checks of one tile's MCUs and of
    ``deferred_depth``; the register file is always ``config.rf_depth``.
    """
    if input_gradient is None:
        input_gradient = model.input_gradient
    stages = stages_of(model)
    if not any(st.kind == "weighted" for st in stages):
        raise CompileError("a network needs at least one conv2d or dense layer")
    if config.xbar_size > MAX_VW:
        raise CompileError(f"conv networks need xbar_size <= {MAX_VW} (one vector instruction "
                           f"moves at most {MAX_VW} words), not {config.xbar_size}")
    if any(isinstance(layer, MaxPool2d) for layer in model.layers) \
            and fixed_one(config.data_frac_bits, config.data_bits) != 1 << config.data_frac_bits:
        raise CompileError("maxpool2d routes its error with a multiply by ONE = 2**data_frac_bits, "
                           "which this data format cannot hold (data_bits - data_frac_bits < 2)")
    word = _lr_word(model, config)
    mapping = plan_blocks(stages, config, tile_limit=limits)
    lowered = lower_network(model, stages, mapping, config, lr_raw=word, crs=crs,
                            input_gradient=input_gradient)
    per_core = [[] for _ in range(mapping.cores_used)]
    for op in lowered.ops:
        per_core[op.core].append(op)
    per_core = [peephole.retarget_defs(peephole.elide_reloads(ops)) for ops in per_core]
    split_stores(per_core, lowered.maps)
    scheduled, registers, deferred, spills = [], [], [], []
    for core, ops in enumerate(per_core):
        n_def = sum(1 for op in ops if op.kind == "mcu" and "opa" in op.parts)
        n_def += sum(bin(op.mask).count("1") for op in ops if op.kind == "crs")
        if limits and n_def > config.deferred_depth:
            raise CompileError(
                f"core {core} defers {n_def} OPA/CRS operations to hlt (one OPA per output "
                f"position and block), deferred_depth is {config.deferred_depth}: raise "
                "deferred_depth (variant 3 reserves no shared memory for them) or lower the batch")
        deferred.append(n_def)
        groups = fusion.schedule(ops)
        core_spills = []
        registers.append(allocate_registers(groups, core=core, rf_depth=config.rf_depth,
                                            spills=core_spills))
        scheduled.append(groups)
        spills.append((core_spills, groups))
    return Built(stages, mapping, lowered.layout, scheduled, registers, deferred,
                 lowered.transfers, lowered.maps, spills, word)


@dataclass(eq=False)
class ConvKernel:
    """A compiled training step of a convolutional network (one batch).

    Members
    -------
    model, config, image, report, mapping, layout, listing : as :class:`compiler.kernel.Kernel`
    stages : list of compiler.conv_plan.Stage
    input_gradient : bool
        Whether the kernel also stores the error of its input map (``input_grads``).
    """

    model: object
    config: object
    image: ProgramImage
    report: CompileReport
    mapping: object
    layout: object
    listing: str
    stages: list
    input_gradient: bool = False

    def padded_inputs(self, inputs):
        """Raw ``(B, n_0)`` HWC inputs -> the padded maps of the image, ``(B, input_words)``."""
        first = self.stages[0]
        halo = first.padding if first.kind == "weighted" else 0
        h, w, c = first.in_shape
        x = np.asarray(inputs, dtype=np.int64).reshape(-1, h, w, c)
        return np.pad(x, ((0, 0), (halo, halo), (halo, halo), (0, 0))).reshape(len(x), -1)

    def with_batch(self, inputs, targets):
        """A copy of the image with another batch (raw data words, ``(B, n_0)``, ``(B, n_L)``)."""
        image = copy.copy(self.image)
        image.smem_init = self.image.smem_init.copy()
        for base, values in ((self.layout.inputs, self.padded_inputs(inputs)),
                             (self.layout.targets, targets)):
            values = np.asarray(values, dtype=np.int64).reshape(-1)
            image.smem_init[base:base + values.size] = values
        return image

    def with_weights(self, weights, image=None):
        """A copy of ``image`` (default: the kernel's) with raw layer weights (4-D for conv)."""
        image = copy.copy(image or self.image)
        image.weights = _block_weights(self.mapping, self.model, weights, self.config)
        return image

    def mcu_state(self, run, block):
        """The report entry (``weights``, ``digits``) of the MCU holding ``block`` (a conv
        kernel runs on one tile)."""
        return tile_state(run, block.place.tile)["cores"][block.place.core]["mcus"][block.place.mcu]

    def layer_weights(self, run):
        """Raw weights per layer from a run report: ``(R, R, C, M)`` for conv2d, ``(n_in, n_out)``
        for dense, ``None`` for maxpool2d and flatten."""
        data = run if isinstance(run, dict) else {"cores": run.cores}
        layers = [i for i, w in enumerate(self.model.weights) if w is not None]
        mats = {i: np.zeros(_matrix(self.model.weights[i]).shape, dtype=np.int64) for i in layers}
        for b in self.mapping.blocks:
            w = np.asarray(data["cores"][b.place.core]["mcus"][b.place.mcu]["weights"], dtype=np.int64)
            mats[layers[b.layer]][b.row0:b.row0 + b.rows, b.col0:b.col0 + b.cols] = w[:b.rows, :b.cols]
        return [mats[i].reshape(self.model.weights[i].shape) if i in mats else None
                for i in range(len(self.model.layers))]

    def _region(self, run, base, n):
        data = run if isinstance(run, dict) else {"smem": run.smem}
        batch = self.model.train.batch
        values = np.asarray(data["smem"]["values"][base:base + n * batch])
        return values.reshape(batch, n).astype(np.int64)

    def outputs(self, run):
        """Raw ``(B, n_L)`` outputs (HWC order) from a run report."""
        return self._region(run, self.layout.outputs, self.model.sizes[-1])

    def input_gradients(self, run):
        """Raw ``(B, n_0)`` errors of the input map (HWC), when the kernel computes them."""
        if self.layout.input_grads is None:
            raise ValueError("the kernel stores no input gradients (compiled without "
                             "input_gradient)")
        return self._region(run, self.layout.input_grads, self.model.sizes[0])


def _block_weights(mapping, model, weights, config):
    x = config.xbar_size
    mats = [_matrix(w) for w in weights if w is not None]
    out = {}
    for b in mapping.blocks:
        w = np.zeros((x, x), dtype=np.int64)
        w[:b.rows, :b.cols] = mats[b.layer][b.row0:b.row0 + b.rows, b.col0:b.col0 + b.cols]
        out[(b.place.core, b.place.mcu)] = w
    return out


def compile_network(model, *, config, crs=False, input_gradient=None):
    """Compile one training step of a convolutional ``model`` for one tile of ``config``.

    Parameters
    ----------
    model : compiler.model.Model
        Layers conv2d, maxpool2d, flatten and dense (see :mod:`compiler.layers`).
    config : panther.config.PantherConfig
    crs : bool
        End every core with a carry resolution step of its MCUs.
    input_gradient : bool, optional
        Also compute the error of the input map (MTVMs of the first weighted layer) and keep
        it in shared memory (:meth:`ConvKernel.input_gradients`): the step of a layer inside a
        network (Table 4 layers run alone). Default: ``model.input_gradient``.

    Raises
    ------
    CompileError
        When the network does not fit (MCUs, deferred updates, rf, imem, smem).
    """
    started = time.perf_counter()
    if input_gradient is None:
        input_gradient = model.input_gradient
    built = build_network(model, config, crs=crs, input_gradient=input_gradient)
    mapping, layout = built.mapping, built.layout
    live = [t for t in built.transfers            # a map nobody stores nor reads needs no words
            if not (isinstance(t, MapTransfer) and t.saddr is None and not t.stores and not t.loads)]
    smem_words = smem.allocate(live, layout, config)
    smem_words = place_spills(built.spills, smem_words, config)
    programs, listing = [], []
    mcu_ops = mcu_instrs = fused = 0
    for core, groups in enumerate(built.scheduled):
        words, lines = emit_core(groups, config)
        if len(words) > config.imem_depth:
            raise CompileError(f"core {core} needs {len(words)} instructions, imem_depth is "
                               f"{config.imem_depth} (a conv kernel is unrolled over the output "
                               "positions and the batch; raise imem_depth or lower the batch)")
        for group in groups:
            if group[0].kind == "mcu":
                parts = sum(len(op.parts) for op in group)
                mcu_ops += parts
                mcu_instrs += 1
                fused += parts if parts > 1 else 0
        programs.append(words)
        listing += [f".core {core}"] + lines + [""]
    n_cores = config.cores_per_tile
    programs += [[] for _ in range(n_cores - len(programs))]
    deferred = built.deferred + [0] * (n_cores - len(built.deferred))
    registers = built.registers + [0] * (n_cores - len(built.registers))
    seconds = time.perf_counter() - started
    kernel = ConvKernel(model, config, None, None, mapping, layout, "", built.stages,
                        input_gradient)
    inputs, targets = network_batch(model)
    f, b = config.data_frac_bits, config.data_bits
    image = _image(kernel, built.maps, programs,
                   np.asarray(to_fixed(inputs, f, b)[0], dtype=np.int64),
                   np.asarray(to_fixed(targets, f, b)[0], dtype=np.int64), "\n".join(listing))
    kernel.image = image
    kernel.report = CompileReport(
        model=model.name, config=config.to_dict(), algorithm=model.train.algorithm,
        batch=model.train.batch, lr=model.train.lr, lr_word=built.lr_word,
        layers=_layer_report(model, built), mcus=mapping.mcus_used, cores=mapping.cores_used,
        tiles=needs(mapping.mcus_used, config)[1],
        instructions=[len(p) for p in programs], mcu_operations=mcu_ops,
        mcu_instructions=mcu_instrs, fused_operations=fused, deferred=deferred,
        registers=registers, smem_words=smem_words,
        smem_layout={"inputs": layout.inputs, "targets": layout.targets,
                     "outputs": layout.outputs, "input_grads": layout.input_grads,
                     "accumulators": layout.rings,
                     "transfers_base": layout.dynamic},
        transfers=sum(1 for t in built.transfers if not t.persistent and not isinstance(t, MapTransfer)),
        spills=sum(len(s) for s, _ in built.spills), crs=crs, loop="unrolled", loop_body=[],
        unrolled_error=None, compile_seconds=seconds)
    kernel.listing = image.source
    return kernel


def _layer_report(model, built):
    shapes = model.shapes
    out = []
    by_layer = {st.layer: st for st in built.stages}
    for index, layer in enumerate(model.layers):
        entry = {"type": getattr(layer, "kind", "dense"), "in_shape": list(shapes[index]),
                 "out_shape": list(shapes[index + 1]), "in": int(np.prod(shapes[index])),
                 "out": int(np.prod(shapes[index + 1])), "activation": layer.activation,
                 "row_blocks": 0, "col_blocks": 0, "blocks": []}
        st = by_layer.get(index)
        if st is not None and st.kind == "weighted":
            m = built.mapping
            entry.update(rows=st.rows, cols=st.cols, positions=len(st.positions),
                         row_blocks=m.row_blocks[st.widx], col_blocks=m.col_blocks[st.widx],
                         blocks=[[b.bi, b.bj, b.place.core, b.place.mcu, b.rows, b.cols]
                                 for b in m.blocks if b.layer == st.widx])
            if isinstance(layer, Conv2d):
                entry.update(kernel=layer.kernel, stride=layer.stride, padding=layer.padding)
        out.append(entry)
    return out


def _image(kernel, maps, programs, inputs, targets, listing):
    config, layout = kernel.config, kernel.layout
    depth = config.smem_depth
    smem_init = np.zeros(depth, dtype=np.int64)
    smem_valid = np.zeros(depth, dtype=bool)
    batch = kernel.model.train.batch
    padded = kernel.padded_inputs(inputs)
    smem_init[layout.inputs:layout.inputs + padded.size] = padded.reshape(-1)
    smem_valid[layout.inputs:layout.inputs + padded.size] = True
    t = targets.reshape(-1)
    smem_init[layout.targets:layout.targets + t.size] = t
    smem_valid[layout.targets:layout.targets + t.size] = True
    for m in maps:                          # the zero borders of the produced maps
        if not m.persistent and m.halo:
            smem_valid[[m.saddr + o for o in m.border()]] = True
    assert layout.targets + t.size == layout.outputs and padded.shape[0] == batch
    symbols = {"inputs": layout.inputs, "targets": layout.targets, "outputs": layout.outputs}
    if layout.input_grads is not None:
        symbols["input_grads"] = layout.input_grads
    weights = network_weights(kernel.model, config)
    return ProgramImage(config=config, programs=programs, smem_init=smem_init,
                        smem_count=np.zeros(depth, dtype=np.int64), smem_valid=smem_valid,
                        weights=_block_weights(kernel.mapping, kernel.model, weights, config),
                        symbols=symbols,
                        source=f"# {kernel.model.name}: compiled by compiler.compile_network "
                               "(data in image.npz)\n" + listing)


def network_batch(model):
    """Real ``(inputs (B, n_0), targets (B, n_L))`` of the batch stored in a conv image:
    ``random`` (seeded, inputs in [-1, 1), targets in [0, 1)) or ``digits`` (the 8x8 digit
    images, one-hot targets)."""
    batch, sizes = model.train.batch, model.sizes
    if model.data == "digits":
        data = load_dataset(seed=model.seed, images=True)
        if model.shapes[0] != (8, 8, 1) or sizes[-1] < data.n_classes:
            raise CompileError(f"the digits are 8x8x1 images of {data.n_classes} classes; the "
                               f"model takes {model.shapes[0]} and has {sizes[-1]} outputs")
        t = np.zeros((batch, sizes[-1]))
        t[np.arange(batch), data.y_train[:batch]] = 1.0
        return data.x_train[:batch], t
    rng = np.random.default_rng(model.seed + 1)
    return rng.uniform(-1, 1, (batch, sizes[0])), rng.uniform(0, 1, (batch, sizes[-1]))
