"""Partitioning (paper §5.3): weight matrices -> ``xbar_size``-square blocks -> MCUs.

Layer ``l`` with an ``(n_in, n_out)`` matrix (``n_in + 1`` rows with a bias, whose row is
driven by the constant 1.0) is cut into row blocks ``bi`` (inputs ``bi*X .. bi*X+X-1``) and
column blocks ``bj`` (outputs), ``X = config.xbar_size``; the last block of each kind may be
short, and its crossbar is padded with zero weights. Each block
gets one MCU. Blocks are placed in the order (layer, column block, row block) onto MCU 0, 1,
... of core 0, then core 1, ..., so the row blocks whose partial sums add up to one output
block sit on as few cores as possible. The *reducer* of output block ``(l, bj)`` is the core
of block ``(l, 0, bj)``: it adds the partial sums, applies the activation, and later owns
that segment's error.

Cores are numbered node-wide (a *unit*: ``tile * cores_per_tile + core``), so a network that
needs more MCUs than one tile has continues on tile 1, 2, ...: core ``c`` of the mapping sits
on tile ``c // cores_per_tile``. A network that needs more tiles than the node has
(``tiles_per_node``) is refused with a :class:`CompileError` that says how many MCUs, cores and
tiles it needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import CompileError

__all__ = ["Placement", "Block", "Mapping", "partition", "segments"]


def segments(n, size):
    """``[(start, length), ...]`` of a vector of ``n`` words cut into ``size``-word pieces."""
    return [(start, min(size, n - start)) for start in range(0, n, size)]


@dataclass(frozen=True)
class Placement:
    """Where a block lives: tile, core (in the tile) and MCU (in the core)."""

    tile: int
    core: int
    mcu: int

    def unit(self, cores_per_tile):
        """The node-wide number of the block's core."""
        return self.tile * cores_per_tile + self.core


@dataclass(frozen=True)
class Block:
    """One crossbar-sized block of a layer's weight matrix.

    Members
    -------
    layer, bi, bj : int
        Layer, row-block and column-block indices.
    row0, rows : int
        First input and number of inputs (crossbar rows used).
    col0, cols : int
        First output and number of outputs (crossbar columns used).
    place : Placement
    """

    layer: int
    bi: int
    bj: int
    row0: int
    rows: int
    col0: int
    cols: int
    place: Placement


@dataclass(frozen=True)
class Mapping:
    """The blocks of every layer and where they live.

    Members
    -------
    blocks : tuple of Block
        In placement order.
    row_blocks, col_blocks : tuple of int
        Per layer.
    cores_used : int
        Cores used in all (node-wide units ``0 .. cores_used - 1``).
    cores_per_tile : int
        Of the configuration (``unit = tile * cores_per_tile + core``).
    """

    blocks: tuple
    row_blocks: tuple
    col_blocks: tuple
    cores_used: int
    cores_per_tile: int = 1 << 30

    def block(self, layer, bi, bj):
        return self._index[(layer, bi, bj)]

    def __post_init__(self):
        object.__setattr__(self, "_index", {(b.layer, b.bi, b.bj): b for b in self.blocks})

    def unit(self, block):
        """Node-wide core number of ``block``."""
        return block.place.unit(self.cores_per_tile)

    def tile_of(self, unit):
        """Tile of node-wide core ``unit``."""
        return unit // self.cores_per_tile

    def local(self, unit):
        """``(tile, core in the tile)`` of node-wide core ``unit``."""
        return divmod(unit, self.cores_per_tile)

    def reducer(self, layer, bj):
        """Core (node-wide) that reduces output block ``bj`` of ``layer`` (and owns its error)."""
        return self.unit(self.block(layer, 0, bj))

    def blocks_on(self, unit):
        return [b for b in self.blocks if self.unit(b) == unit]

    @property
    def mcus_used(self):
        return len(self.blocks)

    @property
    def tiles_used(self):
        return -(-self.cores_used // self.cores_per_tile)


def needs(n_mcus, config):
    """``(cores, tiles)`` needed for ``n_mcus`` MCUs."""
    cores = math.ceil(n_mcus / config.mcus_per_core)
    return cores, math.ceil(cores / config.cores_per_tile)


def partition(model, config):
    """Cut every layer into blocks and place them on the MCUs of the node's tiles, tile 0
    first.

    Raises :class:`CompileError` when the network needs more tiles than the node has.
    """
    x = config.xbar_size
    order, row_blocks, col_blocks = [], [], []
    for index, layer in enumerate(model.layers):
        rows, cols = segments(layer.rows, x), segments(layer.n_out, x)
        row_blocks.append(len(rows))
        col_blocks.append(len(cols))
        for bj, (col0, ncols) in enumerate(cols):
            for bi, (row0, nrows) in enumerate(rows):
                order.append((index, bi, bj, row0, nrows, col0, ncols))
    per_tile = config.mcus_per_core * config.cores_per_tile
    cores, tiles = needs(len(order), config)
    if tiles > config.tiles_per_node:
        per_layer = ", ".join(f"layer {i}: {r}x{c} = {r * c}"
                              for i, (r, c) in enumerate(zip(row_blocks, col_blocks)))
        raise CompileError(
            f"the network needs {len(order)} MCUs = {cores} cores = {tiles} tiles "
            f"({x}x{x} crossbars; {per_layer}); a tile has {config.cores_per_tile} cores x "
            f"{config.mcus_per_core} MCUs = {per_tile} MCUs and the node "
            f"{config.tiles_per_node} tiles (tiles_per_node)")
    blocks = []
    for slot, (layer, bi, bj, row0, rows, col0, cols) in enumerate(order):
        unit, mcu = divmod(slot, config.mcus_per_core)
        tile, core = divmod(unit, config.cores_per_tile)
        blocks.append(Block(layer, bi, bj, row0, rows, col0, cols, Placement(tile, core, mcu)))
    return Mapping(tuple(blocks), tuple(row_blocks), tuple(col_blocks), cores,
                   config.cores_per_tile)
