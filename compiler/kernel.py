"""``compile_model``: a :class:`compiler.model.Model` -> a :class:`Kernel` (program image +
report), and the helpers that move data in and out of a kernel's image and run report."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np

from panther.fixed_point import to_fixed
from panther.isa.image import ProgramImage
from panther.isa.node_image import NodeImage

from . import fusion, peephole, smem
from .codegen import address, emit_core
from .conv_kernel import compile_network, network_batch
from .datasets import load_dataset
from .errors import CompileError
from .layers import is_spatial
from .loop import LOOP_MODES, LOOP_REGISTERS, loop_control
from .lower import lower
from .partition import partition
from .regalloc import allocate_registers, place_spills
from .report import CompileReport
from .run_state import tile_state

__all__ = ["Kernel", "compile_model", "sample_batch", "quantize_weights", "lr_word",
           "block_weights", "tile_block_weights", "tile_state"]


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
    if is_spatial(model.layers):
        return network_batch(model)
    batch, sizes = model.train.batch, model.sizes
    if model.data in ("digits", "digits32"):
        data = load_dataset(seed=model.seed, upsample=4 if model.data == "digits32" else None)
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
    image : isa.image.ProgramImage or isa.node_image.NodeImage
        Programs, the initial weights of every block, the batch in shared memory (a node
        image when the network needs several tiles; every tile holds the batch).
    report : compiler.report.CompileReport
    mapping : compiler.partition.Mapping
    layout : compiler.lower.Layout
    listing : str
        Commented assembly of every core (assembles to the same program words).
    """

    model: object
    config: object
    image: object
    report: CompileReport
    mapping: object
    layout: object
    listing: str

    @property
    def tiles(self):
        """The tile images (one for a single-tile kernel)."""
        return getattr(self.image, "tiles", [self.image])

    def _rebuild(self, tiles):
        if isinstance(self.image, NodeImage):
            node = copy.copy(self.image)
            node.tiles = tiles
            return node
        return tiles[0]

    def with_batch(self, inputs, targets):
        """A copy of the image with another batch (raw data words, ``(B, n_0)``, ``(B, n_L)``)."""
        tiles = []
        for tile in self.tiles:
            image = copy.copy(tile)          # shares the programs and weights (read-only)
            image.smem_init = tile.smem_init.copy()
            for base, values in ((self.layout.inputs, inputs), (self.layout.targets, targets)):
                values = np.asarray(values, dtype=np.int64).reshape(-1)
                image.smem_init[base:base + values.size] = values
            tiles.append(image)
        return self._rebuild(tiles)

    def with_weights(self, weights, image=None):
        """A copy of ``image`` (default: the kernel's) with raw ``(rows, n_out)`` layer weights
        (a bias is the last row)."""
        image = image or self.image
        per_tile = tile_block_weights(self.mapping, weights, self.config)
        tiles = []
        for k, tile in enumerate(getattr(image, "tiles", [image])):
            tile = copy.copy(tile)
            tile.weights = per_tile[k]
            tiles.append(tile)
        if isinstance(image, NodeImage):
            node = copy.copy(image)
            node.tiles = tiles
            return node
        return tiles[0]

    def mcu_state(self, run, block):
        """The report entry (``weights``, ``digits``) of the MCU holding ``block``."""
        state = tile_state(run, block.place.tile)
        return state["cores"][block.place.core]["mcus"][block.place.mcu]

    def layer_weights(self, run):
        """Raw ``(rows, n_out)`` weights per layer from a golden/RTL run report (of a tile
        or a node; a bias is the last row)."""
        out = [np.zeros((layer.rows, layer.n_out), dtype=np.int64) for layer in self.model.layers]
        for b in self.mapping.blocks:
            w = np.asarray(self.mcu_state(run, b)["weights"], dtype=np.int64)
            out[b.layer][b.row0:b.row0 + b.rows, b.col0:b.col0 + b.cols] = w[:b.rows, :b.cols]
        return out

    def outputs(self, run):
        """Raw ``(B, n_L)`` outputs of the batch from a run report (each output block is in
        the shared memory of the tile of its reducer)."""
        n, batch = self.model.sizes[-1], self.model.train.batch
        last = len(self.model.layers) - 1
        out = np.zeros((batch, n), dtype=np.int64)
        for bj in range(self.mapping.col_blocks[last]):
            b = self.mapping.block(last, 0, bj)
            values = tile_state(run, self.mapping.tile_of(self.mapping.reducer(last, bj)))
            values = values["smem"]["values"]
            for s in range(batch):
                base = self.layout.outputs + s * n + b.col0
                out[s, b.col0:b.col0 + b.cols] = values[base:base + b.cols]
        return out

    def input_gradients(self, run):
        """Raw ``(B, n_0)`` input gradients ``dL/dx`` from a run report (a kernel compiled
        with ``model.input_gradient``; row block ``bi`` is in the shared memory of the tile of
        block ``(0, bi, 0)``)."""
        if self.layout.input_grads is None:
            raise ValueError("the kernel stores no input gradients (model.input_gradient is false)")
        n, batch, base = self.model.sizes[0], self.model.train.batch, self.layout.input_grads
        out = np.zeros((batch, n), dtype=np.int64)
        for bi in range(self.mapping.row_blocks[0]):
            b = self.mapping.block(0, bi, 0)
            rows = min(b.rows, n - b.row0)          # the bias row has no input gradient
            values = tile_state(run, b.place.tile)["smem"]["values"]
            for s in range(batch):
                start = base + s * n + b.row0
                out[s, b.row0:b.row0 + rows] = values[start:start + rows]
        return out



def block_weights(mapping, weights, config):
    """``{(core, mcu): (xbar_size, xbar_size)}`` crossbar contents of raw layer weights
    (zero-padded blocks) of a single-tile mapping."""
    per_tile = tile_block_weights(mapping, weights, config)
    if len(per_tile) != 1:
        raise ValueError("block_weights: the mapping spans several tiles; use tile_block_weights")
    return per_tile[0]


def tile_block_weights(mapping, weights, config):
    """Per tile, ``{(core, mcu): (xbar_size, xbar_size)}`` crossbar contents of raw layer
    weights (zero-padded blocks)."""
    x = config.xbar_size
    out = [{} for _ in range(mapping.tiles_used)]
    for b in mapping.blocks:
        w = np.zeros((x, x), dtype=np.int64)
        w[:b.rows, :b.cols] = np.asarray(weights[b.layer])[b.row0:b.row0 + b.rows,
                                                            b.col0:b.col0 + b.cols]
        out[b.place.tile][(b.place.core, b.place.mcu)] = w
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
    smem_words: list
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
    """Lower, schedule, allocate and emit every core of every tile (raises CompileError when
    it does not fit). ``built.smem_words`` lists the words used per tile."""
    lowered = lower(model, mapping, config, lr_raw=word, crs=crs, rolled=rolled)
    n_tiles = mapping.tiles_used
    who = (lambda unit: f"core {unit}") if n_tiles == 1 else (      # noqa: E731
        lambda unit: "tile {} core {}".format(*mapping.local(unit)))
    per_core = _split(lowered.ops, mapping.cores_used)
    reps = model.train.batch if rolled else 1
    built = _Built([], [], lowered.layout, lowered.transfers, [], [], [], 0, [])
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
                f"{who(core)} defers {n_def} OPA/CRS operations to hlt, deferred_depth is "
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
    for tile in range(n_tiles):
        local = [t for t in lowered.transfers if not t.noc and (
            t.persistent or t.store is None or mapping.tile_of(t.store.core) == tile)]
        words = smem.allocate(local, lowered.layout, config, rolled=rolled)
        built.smem_words.append(place_spills(
            [(sp, g) for unit, (sp, g, _, _) in enumerate(scheduled) if mapping.tile_of(unit) == tile],
            words, config))
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
            raise CompileError(f"{who(core)} needs {len(words)} instructions, imem_depth is "
                               f"{config.imem_depth} ({how})")
        for group in groups:
            if group[0].kind == "mcu":
                parts = sum(len(op.parts) for op in group)
                built.mcu_ops += parts * reps
                built.mcu_instrs += reps
                built.fused += (parts if parts > 1 else 0) * reps
        built.programs.append(words)
        tile, local_core = mapping.local(core)
        if n_tiles > 1 and local_core == 0:
            built.listing.append(f".tile {tile}")
        built.listing += [f".core {local_core}"] + lines + [""]
    return built


def compile_model(model, *, config, crs=False, loop="auto"):
    """Compile one training step of ``model`` (one batch) for the tiles of ``config``'s node
    it needs (one tile when it fits one: then the image is a :class:`ProgramImage`).

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
        When the network or the batch does not fit (tiles, rf, imem, smem, deferred updates).
    """
    if loop not in LOOP_MODES:
        raise ValueError(f"loop must be one of {', '.join(LOOP_MODES)}, not {loop!r}")
    if is_spatial(model.layers):
        if loop == "rolled":
            raise CompileError("loop 'rolled': a network with conv2d/maxpool2d/flatten layers is "
                               "compiled unrolled only (loops over the batch cover dense networks)")
        return compile_network(model, config=config, crs=crs)
    started = time.perf_counter()
    word = lr_word(model, config)
    mapping = partition(model, config)
    multi_tile = mapping.tiles_used > 1
    if multi_tile and loop == "rolled":
        raise CompileError(f"loop 'rolled': the network needs {mapping.tiles_used} tiles, and a "
                           "loop over the batch is supported on one tile only (send/recv in a "
                           "loop body are not supported yet); use loop 'unrolled' or 'auto'")
    unrolled_error = None
    if loop in ("auto", "unrolled"):
        try:
            built, rolled = _build(model, mapping, config, word, crs, rolled=False), False
        except CompileError as error:
            if loop == "unrolled" or isinstance(error, _SameRolled):
                raise
            if multi_tile:
                raise CompileError(f"{error} (rolling the batch into a loop is not tried: "
                                   f"loops are supported on one tile only, the network needs "
                                   f"{mapping.tiles_used} tiles)") from None
            unrolled_error = str(error)
    if loop == "rolled" or unrolled_error is not None:
        try:
            built, rolled = _build(model, mapping, config, word, crs, rolled=True), True
        except CompileError as error:
            if unrolled_error is None:
                raise
            raise CompileError(f"{unrolled_error}; and rolled: {error}") from None
    n_tiles = mapping.tiles_used
    slots = n_tiles * config.cores_per_tile
    programs = built.programs + [[] for _ in range(slots - len(built.programs))]
    deferred = built.deferred + [0] * (slots - len(built.deferred))
    registers = built.registers + [0] * (slots - len(built.registers))
    seconds = time.perf_counter() - started       # the sample batch (a data set) not included
    inputs, targets = sample_batch(model, config)
    layout = built.layout
    image = _image(model, config, mapping, layout, programs, inputs, targets,
                   quantize_weights(model, config), "\n".join(built.listing))
    network = [t for t in built.transfers if t.noc]
    flits = [(config.noc_flits(t.length), config.noc_hops(mapping.tile_of(t.store.core),
                                                            mapping.tile_of(t.loads[0].core)))
             for t in network]
    report = CompileReport(
        model=model.name, config=config.to_dict(), algorithm=model.train.algorithm,
        batch=model.train.batch, lr=model.train.lr, lr_word=word,
        layers=[{"in": layer.n_in, "out": layer.n_out, "activation": layer.activation,
                 "bias": layer.bias,
                 "row_blocks": mapping.row_blocks[i], "col_blocks": mapping.col_blocks[i],
                 "blocks": [[b.bi, b.bj, b.place.core, b.place.mcu, b.rows, b.cols]
                            + ([b.place.tile] if n_tiles > 1 else [])
                            for b in mapping.blocks if b.layer == i]}
                for i, layer in enumerate(model.layers)],
        mcus=mapping.mcus_used, cores=mapping.cores_used, tiles=n_tiles,
        instructions=[len(p) for p in programs], mcu_operations=built.mcu_ops,
        mcu_instructions=built.mcu_instrs, fused_operations=built.fused, deferred=deferred,
        registers=registers, smem_words=max(built.smem_words),
        smem_layout={"inputs": layout.inputs, "targets": layout.targets,
                     "outputs": layout.outputs, "transfers_base": layout.dynamic,
                     **({"input_grads": layout.input_grads}
                        if layout.input_grads is not None else {})},
        transfers=sum(1 for t in built.transfers if not t.persistent and not t.noc),
        spills=built.spills, crs=crs, loop="rolled" if rolled else "unrolled",
        loop_body=built.body, unrolled_error=unrolled_error,
        compile_seconds=seconds, noc_transfers=len(network),
        noc_words=sum(t.length for t in network), noc_flits=sum(f for f, _ in flits),
        noc_flit_hops=sum(f * h for f, h in flits), smem_words_per_tile=built.smem_words)
    return Kernel(model, config, image, report, mapping, layout, image.source)


def _image(model, config, mapping, layout, programs, inputs, targets, weights, source):
    """The kernel's image: per tile its programs, its blocks' weights and the batch."""
    depth = config.smem_depth
    smem_init = np.zeros(depth, dtype=np.int64)
    smem_valid = np.zeros(depth, dtype=bool)
    for base, values in ((layout.inputs, inputs), (layout.targets, targets)):
        raw = np.asarray(to_fixed(values, config.data_frac_bits, config.data_bits)[0],
                         dtype=np.int64).reshape(-1)
        smem_init[base:base + raw.size] = raw
        smem_valid[base:base + raw.size] = True
    symbols = {"inputs": layout.inputs, "targets": layout.targets, "outputs": layout.outputs}
    header = f"# {model.name}: compiled by compiler.compile_model (data in image.npz)\n"
    n = config.cores_per_tile
    per_tile = tile_block_weights(mapping, weights, config)
    tiles = [ProgramImage(config=config, programs=programs[t * n:(t + 1) * n],
                          smem_init=smem_init, smem_count=np.zeros(depth, dtype=np.int64),
                          smem_valid=smem_valid, weights=per_tile[t], symbols=symbols,
                          source=header + source if len(per_tile) == 1 else
                          f"# {model.name}: tile {t} of a node kernel (the source is the node's)\n")
             for t in range(len(per_tile))]
    if len(tiles) == 1:
        return tiles[0]
    return NodeImage(config=config, tiles=tiles, symbols=symbols, source=header + source)
