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
from .codegen import emit_core
from .conv_kernel import compile_network, network_batch
from .datasets import load_dataset
from .errors import CompileError
from .layers import is_spatial
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
    """Raw Q8.24 int64 ``(n_in, n_out)`` weights of every layer (round half up, saturate)."""
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
        """A copy of ``image`` (default: the kernel's) with raw ``(n_in, n_out)`` layer weights."""
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
        """Raw ``(n_in, n_out)`` weights per layer from a golden/RTL run report (of a tile
        or a node)."""
        out = [np.zeros((layer.n_in, layer.n_out), dtype=np.int64) for layer in self.model.layers]
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
            values = tile_state(run, b.place.tile)["smem"]["values"]
            for s in range(batch):
                start = base + s * n + b.row0
                out[s, b.row0:b.row0 + b.rows] = values[start:start + b.rows]
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


def compile_model(model, *, config, crs=False):
    """Compile one training step of ``model`` (one batch) for the tiles of ``config``'s node
    it needs (one tile when it fits one: then the image is a :class:`ProgramImage`).

    Parameters
    ----------
    model : compiler.model.Model
    config : panther.config.PantherConfig
    crs : bool
        End every core with a carry resolution step of its MCUs (after the OPAs, at ``hlt``):
        the kernel to run every ``model.train.crs_period``-th invocation.

    Raises
    ------
    CompileError
        When the network or the batch does not fit (tiles, rf, imem, smem, deferred updates).
    """
    if is_spatial(model.layers):
        return compile_network(model, config=config, crs=crs)
    started = time.perf_counter()
    word = lr_word(model, config)
    mapping = partition(model, config)
    lowered = lower(model, mapping, config, lr_raw=word, crs=crs)
    n_tiles = mapping.tiles_used
    who = (lambda unit: f"core {unit}") if n_tiles == 1 else (      # noqa: E731
        lambda unit: "tile {} core {}".format(*mapping.local(unit)))
    per_core = _split(lowered.ops, mapping.cores_used)
    per_core = [peephole.retarget_defs(peephole.elide_reloads(ops)) for ops in per_core]
    smem_top = []
    for tile in range(n_tiles):
        local = [t for t in lowered.transfers if not t.noc and (
            t.persistent or t.store is None or mapping.tile_of(t.store.core) == tile)]
        smem_top.append(smem.allocate(local, lowered.layout, config))
    scheduled, registers, deferred, spills = [], [], [], []
    for core, ops in enumerate(per_core):
        n_def = sum(1 for op in ops if op.kind == "mcu" and "opa" in op.parts)
        n_def += sum(bin(op.mask).count("1") for op in ops if op.kind == "crs")
        if n_def > config.deferred_depth:     # on every variant: the kernel stays portable
            per_sample = n_def // model.train.batch
            raise CompileError(
                f"{who(core)} defers {n_def} OPA/CRS operations to hlt, deferred_depth is "
                f"{config.deferred_depth} (variants 1-2 save each in the shared-memory OPA "
                f"region; the kernel must run on every variant): lower the batch to at most "
                f"{max(1, config.deferred_depth // max(per_sample, 1))}")
        deferred.append(n_def)
        groups = fusion.schedule(ops)
        core_spills = []
        registers.append(allocate_registers(groups, core=core, rf_depth=config.rf_depth,
                                            spills=core_spills))
        scheduled.append(groups)
        spills.append((core_spills, groups))
    for tile in range(n_tiles):
        smem_top[tile] = place_spills([s for unit, s in enumerate(spills)
                                       if mapping.tile_of(unit) == tile], smem_top[tile], config)
    programs, listing = [], []
    mcu_ops = mcu_instrs = fused = 0
    for core, groups in enumerate(scheduled):
        words, lines = emit_core(groups, config)
        if len(words) > config.imem_depth:
            raise CompileError(f"{who(core)} needs {len(words)} instructions, imem_depth is "
                               f"{config.imem_depth} (loops over the batch need register-indirect "
                               "ld/st, a later ISA change; lower the batch)")
        for group in groups:
            if group[0].kind == "mcu":
                parts = sum(len(op.parts) for op in group)
                mcu_ops += parts
                mcu_instrs += 1
                fused += parts if parts > 1 else 0
        programs.append(words)
        tile, local_core = mapping.local(core)
        if n_tiles > 1 and local_core == 0:
            listing.append(f".tile {tile}")
        listing += [f".core {local_core}"] + lines + [""]
    slots = n_tiles * config.cores_per_tile
    programs += [[] for _ in range(slots - len(programs))]
    deferred += [0] * (slots - len(deferred))
    registers += [0] * (slots - len(registers))
    seconds = time.perf_counter() - started       # the sample batch (a data set) not included
    inputs, targets = sample_batch(model, config)
    image = _image(model, config, mapping, lowered.layout, programs, inputs, targets,
                   quantize_weights(model, config), "\n".join(listing))
    network = [t for t in lowered.transfers if t.noc]
    flits = [(config.noc_flits(t.length), config.noc_hops(mapping.tile_of(t.store.core),
                                                            mapping.tile_of(t.loads[0].core)))
             for t in network]
    report = CompileReport(
        model=model.name, config=config.to_dict(), algorithm=model.train.algorithm,
        batch=model.train.batch, lr=model.train.lr, lr_word=word,
        layers=[{"in": layer.n_in, "out": layer.n_out, "activation": layer.activation,
                 "row_blocks": mapping.row_blocks[i], "col_blocks": mapping.col_blocks[i],
                 "blocks": [[b.bi, b.bj, b.place.core, b.place.mcu, b.rows, b.cols]
                            + ([b.place.tile] if n_tiles > 1 else [])
                            for b in mapping.blocks if b.layer == i]}
                for i, layer in enumerate(model.layers)],
        mcus=mapping.mcus_used, cores=mapping.cores_used, tiles=n_tiles,
        instructions=[len(p) for p in programs], mcu_operations=mcu_ops,
        mcu_instructions=mcu_instrs, fused_operations=fused, deferred=deferred,
        registers=registers, smem_words=max(smem_top),
        smem_layout={"inputs": lowered.layout.inputs, "targets": lowered.layout.targets,
                     "outputs": lowered.layout.outputs, "transfers_base": lowered.layout.dynamic,
                     **({"input_grads": lowered.layout.input_grads}
                        if lowered.layout.input_grads is not None else {})},
        transfers=sum(1 for t in lowered.transfers if not t.persistent and not t.noc),
        spills=sum(len(s) for s, _ in spills), crs=crs,
        compile_seconds=seconds, noc_transfers=len(network),
        noc_words=sum(t.length for t in network), noc_flits=sum(f for f, _ in flits),
        noc_flit_hops=sum(f * h for f, h in flits), smem_words_per_tile=smem_top)
    return Kernel(model, config, image, report, mapping, lowered.layout, image.source)


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
