"""``compile_model``: a :class:`compiler.model.Model` -> a :class:`Kernel` (program image +
report), and the helpers that move data in and out of a kernel's image and run report."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np

from panther.fixed_point import to_fixed
from panther.isa.image import ProgramImage

from . import fusion, peephole, smem
from .codegen import address, emit_core
from .datasets import load_dataset
from .errors import CompileError
from .loop import LOOP_MODES, LOOP_REGISTERS, loop_control
from .lower import lower
from .partition import needs, partition
from .regalloc import allocate_registers, place_spills
from .report import CompileReport

__all__ = ["Kernel", "compile_model", "sample_batch", "quantize_weights", "lr_word",
           "block_weights"]


def lr_word(model, config):
    """``-(lr / batch)`` as a raw data word; refuses one that rounds to 0."""
    raw, _ = to_fixed(-model.train.lr / model.train.batch, config.data_frac_bits, config.data_bits)
    if raw == 0:
        raise CompileError(f"lr / batch = {model.train.lr / model.train.batch:g} rounds to 0 in "
                           f"Q{config.data_bits - config.data_frac_bits}.{config.data_frac_bits}")
    return int(raw)


def quantize_weights(model, config):
    """Raw Q8.24 int64 ``(rows, n_out)`` weights of every layer (round half up, saturate; the
    last row of a layer with a bias is the bias)."""
    return [np.asarray(to_fixed(w, config.weight_frac_bits, config.weight_bits)[0], dtype=np.int64)
            for w in model.weights]


def sample_batch(model, config):
    """Real ``(inputs (B, n_0), targets (B, n_L))`` of the batch stored in the image."""
    batch, sizes = model.train.batch, model.sizes
    if model.data == "digits":
        data = load_dataset(seed=model.seed)
        if sizes[0] < data.n_features or sizes[-1] < data.n_classes:
            raise CompileError(f"the digits need at least {data.n_features} inputs and "
                               f"{data.n_classes} outputs, the model has {sizes[0]} and {sizes[-1]}")
        x = np.zeros((batch, sizes[0]))
        x[:, :data.n_features] = data.x_train[:batch]
        t = np.zeros((batch, sizes[-1]))
        t[np.arange(batch), data.y_train[:batch]] = 1.0
        return x, t
    rng = np.random.default_rng(model.seed + 1)
    return rng.uniform(-1, 1, (batch, sizes[0])), rng.uniform(0, 1, (batch, sizes[-1]))


@dataclass(eq=False)
class Kernel:
    """A compiled training step (one batch).

    Members
    -------
    model : compiler.model.Model
    config : panther.config.PantherConfig
    image : isa.image.ProgramImage
        Programs, the initial weights of every block, the batch in shared memory.
    report : compiler.report.CompileReport
    mapping : compiler.partition.Mapping
    layout : compiler.lower.Layout
    listing : str
        Commented assembly of every core (assembles to the same program words).
    """

    model: object
    config: object
    image: ProgramImage
    report: CompileReport
    mapping: object
    layout: object
    listing: str

    def with_batch(self, inputs, targets):
        """A copy of the image with another batch (raw data words, ``(B, n_0)``, ``(B, n_L)``)."""
        image = copy.copy(self.image)          # shares the programs and weights (read-only)
        image.smem_init = self.image.smem_init.copy()
        for base, values in ((self.layout.inputs, inputs), (self.layout.targets, targets)):
            values = np.asarray(values, dtype=np.int64).reshape(-1)
            image.smem_init[base:base + values.size] = values
        return image

    def with_weights(self, weights, image=None):
        """A copy of ``image`` (default: the kernel's) with raw ``(rows, n_out)`` layer weights."""
        image = copy.copy(image or self.image)
        image.weights = block_weights(self.mapping, weights, self.config)
        return image

    def layer_weights(self, run):
        """Raw ``(rows, n_out)`` weights per layer from a golden/RTL run report (a bias is the
        last row)."""
        data = run if isinstance(run, dict) else {"cores": run.cores}
        out = [np.zeros((layer.rows, layer.n_out), dtype=np.int64) for layer in self.model.layers]
        for b in self.mapping.blocks:
            w = np.asarray(data["cores"][b.place.core]["mcus"][b.place.mcu]["weights"], dtype=np.int64)
            out[b.layer][b.row0:b.row0 + b.rows, b.col0:b.col0 + b.cols] = w[:b.rows, :b.cols]
        return out

    def outputs(self, run):
        """Raw ``(B, n_L)`` outputs of the batch from a run report."""
        data = run if isinstance(run, dict) else {"smem": run.smem}
        n, batch = self.model.sizes[-1], self.model.train.batch
        values = np.asarray(data["smem"]["values"][self.layout.outputs:self.layout.outputs + n * batch])
        return values.reshape(batch, n).astype(np.int64)

    def input_gradients(self, run):
        """Raw ``(B, n_0)`` input gradients ``dL/dx`` from a run report (a kernel compiled
        with ``model.input_gradient``)."""
        if self.layout.input_grads is None:
            raise ValueError("the kernel stores no input gradients (model.input_gradient is false)")
        data = run if isinstance(run, dict) else {"smem": run.smem}
        n, batch, base = self.model.sizes[0], self.model.train.batch, self.layout.input_grads
        values = np.asarray(data["smem"]["values"][base:base + n * batch])
        return values.reshape(batch, n).astype(np.int64)


def block_weights(mapping, weights, config):
    """``{(core, mcu): (xbar_size, xbar_size)}`` crossbar contents of raw layer weights
    (zero-padded blocks)."""
    x = config.xbar_size
    out = {}
    for b in mapping.blocks:
        w = np.zeros((x, x), dtype=np.int64)
        w[:b.rows, :b.cols] = np.asarray(weights[b.layer])[b.row0:b.row0 + b.rows,
                                                            b.col0:b.col0 + b.cols]
        out[(b.place.core, b.place.mcu)] = w
    return out


def _split(ops, cores):
    per_core = [[] for _ in range(cores)]
    for op in ops:
        per_core[op.core].append(op)
    return per_core


@dataclass
class _Built:
    """Per-core programs and figures of one lowering (unrolled or rolled)."""

    programs: list
    listing: list
    layout: object
    transfers: list
    smem_words: int
    deferred: list
    registers: list
    spills: int
    body: list
    mcu_ops: int = 0
    mcu_instrs: int = 0
    fused: int = 0


class _SameRolled(CompileError):
    """A limit that rolling the batch into a loop does not change (deferred updates)."""


def _build(model, mapping, config, word, crs, *, rolled):
    """Lower, schedule, allocate and emit every core (raises CompileError when it does not fit)."""
    lowered = lower(model, mapping, config, lr_raw=word, crs=crs, rolled=rolled)
    per_core = _split(lowered.ops, mapping.cores_used)
    reps = model.train.batch if rolled else 1
    built = _Built([], [], lowered.layout, lowered.transfers, 0, [], [], 0, [])
    scheduled = []
    for core, ops in enumerate(per_core):
        body = [op for op in ops if not (rolled and op.kind in ("crs", "hlt"))]
        tail = [op for op in ops if rolled and op.kind in ("crs", "hlt")]
        body = peephole.retarget_defs(peephole.elide_reloads(body))
        n_def = reps * sum(1 for op in body if op.kind == "mcu" and "opa" in op.parts)
        n_def += sum(bin(op.mask).count("1") for op in ops if op.kind == "crs")
        if n_def > config.deferred_depth:     # on every variant: the kernel stays portable
            per_sample = n_def // model.train.batch
            raise _SameRolled(
                f"core {core} defers {n_def} OPA/CRS operations to hlt, deferred_depth is "
                f"{config.deferred_depth} (variants 1-2 save each in the shared-memory OPA "
                f"region; the kernel must run on every variant): lower the batch to at most "
                f"{max(1, config.deferred_depth // max(per_sample, 1))}")
        built.deferred.append(n_def)
        groups = fusion.schedule(body)
        core_spills = []
        built.registers.append(allocate_registers(
            groups, core=core, rf_depth=config.rf_depth, spills=core_spills,
            low=len(LOOP_REGISTERS) if rolled else 0))
        scheduled.append((core_spills, groups, body, tail))
    built.smem_words = smem.allocate(lowered.transfers, lowered.layout, config, rolled=rolled)
    built.smem_words = place_spills([(sp, g) for sp, g, _, _ in scheduled], built.smem_words, config)
    built.spills = sum(len(sp) for sp, _, _, _ in scheduled)
    for core, (_, groups, body, tail) in enumerate(scheduled):
        # a copy onto itself (a value that took the words of the one it copies) is dropped
        groups = [g for g in groups if not (g[0].kind == "cp" and address(g[0].dst, config)
                                            == address(g[0].srcs[0], config))]
        labels = {}
        if rolled:
            prologue, control = loop_control(core, body, model, config)
            labels = {len(prologue): f"c{core}_sample"}
            built.body.append(len(groups) + len(control))
            groups = [[op] for op in prologue] + groups + [[op] for op in control] + [[op] for op in tail]
        words, lines = emit_core(groups, config, pointers=LOOP_REGISTERS, labels=labels)
        if len(words) > config.imem_depth:
            how = "rolled into a loop over the batch" if rolled else "batch unrolled"
            raise CompileError(f"core {core} needs {len(words)} instructions, imem_depth is "
                               f"{config.imem_depth} ({how})")
        for group in groups:
            if group[0].kind == "mcu":
                parts = sum(len(op.parts) for op in group)
                built.mcu_ops += parts * reps
                built.mcu_instrs += reps
                built.fused += (parts if parts > 1 else 0) * reps
        built.programs.append(words)
        built.listing += [f".core {core}"] + lines + [""]
    return built


def compile_model(model, *, config, crs=False, loop="auto"):
    """Compile one training step of ``model`` (one batch) for one tile of ``config``.

    Parameters
    ----------
    model : compiler.model.Model
    config : panther.config.PantherConfig
    crs : bool
        End every core with a carry resolution step of its MCUs (after the OPAs, at ``hlt``):
        the kernel to run every ``model.train.crs_period``-th invocation.
    loop : str
        One of :data:`LOOP_MODES`: ``auto`` (default) unrolls the batch as the Table 2
        software pipeline and rolls it into a loop over the samples (``ldx``/``stx`` through
        pointer registers, an ``alu_int`` counter and a branch) when the unrolled kernel does
        not fit a core's ``imem_depth`` (or its register file or shared memory); ``unrolled``
        and ``rolled`` force one form. The report says which (``loop``).

    Raises
    ------
    CompileError
        When the network or the batch does not fit (MCUs, rf, imem, smem, deferred updates).
    """
    if loop not in LOOP_MODES:
        raise ValueError(f"loop must be one of {', '.join(LOOP_MODES)}, not {loop!r}")
    started = time.perf_counter()
    word = lr_word(model, config)
    mapping = partition(model, config)
    unrolled_error = None
    if loop in ("auto", "unrolled"):
        try:
            built, rolled = _build(model, mapping, config, word, crs, rolled=False), False
        except CompileError as error:
            if loop == "unrolled" or isinstance(error, _SameRolled):
                raise
            unrolled_error = str(error)
    if loop == "rolled" or unrolled_error is not None:
        try:
            built, rolled = _build(model, mapping, config, word, crs, rolled=True), True
        except CompileError as error:
            if unrolled_error is None:
                raise
            raise CompileError(f"{unrolled_error}; and rolled: {error}") from None
    n_cores = config.cores_per_tile
    programs = built.programs + [[] for _ in range(n_cores - len(built.programs))]
    deferred = built.deferred + [0] * (n_cores - len(built.deferred))
    registers = built.registers + [0] * (n_cores - len(built.registers))
    seconds = time.perf_counter() - started       # the sample batch (a data set) not included
    inputs, targets = sample_batch(model, config)
    layout = built.layout
    image = _image(model, config, mapping, layout, programs, inputs, targets,
                   quantize_weights(model, config), "\n".join(built.listing))
    report = CompileReport(
        model=model.name, config=config.to_dict(), algorithm=model.train.algorithm,
        batch=model.train.batch, lr=model.train.lr, lr_word=word,
        layers=[{"in": layer.n_in, "out": layer.n_out, "activation": layer.activation,
                 "bias": layer.bias,
                 "row_blocks": mapping.row_blocks[i], "col_blocks": mapping.col_blocks[i],
                 "blocks": [[b.bi, b.bj, b.place.core, b.place.mcu, b.rows, b.cols]
                            for b in mapping.blocks if b.layer == i]}
                for i, layer in enumerate(model.layers)],
        mcus=mapping.mcus_used, cores=mapping.cores_used,
        tiles=needs(mapping.mcus_used, config)[1],
        instructions=[len(p) for p in programs], mcu_operations=built.mcu_ops,
        mcu_instructions=built.mcu_instrs, fused_operations=built.fused, deferred=deferred,
        registers=registers, smem_words=built.smem_words,
        smem_layout={"inputs": layout.inputs, "targets": layout.targets,
                     "outputs": layout.outputs, "transfers_base": layout.dynamic,
                     **({"input_grads": layout.input_grads}
                        if layout.input_grads is not None else {})},
        transfers=sum(1 for t in built.transfers if not t.persistent),
        spills=built.spills, crs=crs, loop="rolled" if rolled else "unrolled",
        loop_body=built.body, unrolled_error=unrolled_error,
        compile_seconds=seconds)
    return Kernel(model, config, image, report, mapping, layout, image.source)


def _image(model, config, mapping, layout, programs, inputs, targets, weights, source):
    depth = config.smem_depth
    smem_init = np.zeros(depth, dtype=np.int64)
    smem_valid = np.zeros(depth, dtype=bool)
    for base, values in ((layout.inputs, inputs), (layout.targets, targets)):
        raw = np.asarray(to_fixed(values, config.data_frac_bits, config.data_bits)[0],
                         dtype=np.int64).reshape(-1)
        smem_init[base:base + raw.size] = raw
        smem_valid[base:base + raw.size] = True
    symbols = {"inputs": layout.inputs, "targets": layout.targets, "outputs": layout.outputs}
    return ProgramImage(config=config, programs=programs, smem_init=smem_init,
                        smem_count=np.zeros(depth, dtype=np.int64), smem_valid=smem_valid,
                        weights=block_weights(mapping, weights, config), symbols=symbols,
                        source=f"# {model.name}: compiled by compiler.compile_model "
                               "(data in image.npz)\n" + source)
