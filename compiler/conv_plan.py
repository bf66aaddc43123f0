"""The plan of a convolutional network: stages, crossbar blocks and feature-map storage.

* **Stages.** Every ``conv2d`` and ``dense`` layer is a *weighted stage* (a dense layer is a
  1x1 convolution of a ``(1, 1, n)`` map); every ``maxpool2d`` is a *pool stage*;
  ``flatten`` is no stage at all: the map before it and the map after it are the same words
  (HWC order). Boundary ``b`` is the map between stage ``b - 1`` and stage ``b``.
* **Blocks.** A weighted stage's ``(R*R*C, M)`` matrix (linearised filters, one output
  channel per column) is cut into ``xbar_size``-square blocks exactly like a dense layer's
  (:mod:`compiler.partition`), and the blocks are placed in the same order (stage, column
  block, row block) onto MCU 0, 1, ... of core 0, then core 1, ...
* **Maps.** Each sample's activation map and error map at every boundary is a
  :class:`MapTransfer` in shared memory, stored with a zero border of ``halo`` words
  (the padding of the conv stage that reads it), so a patch row is always one contiguous
  run of ``R*C`` words: the border words are persistent zeros (valid, count 0), written by
  the image, never by a store.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .errors import CompileError
from .ir import Op, Ref, Transfer
from .layers import Conv2d, Flatten, MaxPool2d, network_shapes
from .partition import Block, Mapping, Placement, needs, segments

__all__ = ["Stage", "MapTransfer", "stages_of", "plan_blocks", "weighted_layers", "split_stores"]


@dataclass(frozen=True)
class Stage:
    """One stage of a convolutional network.

    Members
    -------
    index : int
        Stage number (boundaries ``index`` and ``index + 1`` are its input and output).
    layer : int
        Index of the model layer.
    kind : str
        ``'weighted'`` (conv2d or dense) or ``'pool'``.
    widx : int or None
        Weighted-layer number (the block mapping's layer index), ``None`` for a pool.
    in_shape, out_shape : tuple of int
        ``(H, W, C)`` and ``(E, F, M)``.
    kernel, stride, padding : int
        ``R``, ``S``, ``P`` (1, 1, 0 for dense; ``K``, ``K``, 0 for a pool).
    activation : str
    """

    index: int
    layer: int
    kind: str
    widx: int
    in_shape: tuple
    out_shape: tuple
    kernel: int
    stride: int
    padding: int
    activation: str

    @property
    def rows(self):
        return self.kernel * self.kernel * self.in_shape[2]

    @property
    def cols(self):
        return self.out_shape[2]

    @property
    def positions(self):
        """Output positions ``(i, j)`` in raster order."""
        return [(i, j) for i in range(self.out_shape[0]) for j in range(self.out_shape[1])]

    def tap(self, i, j, r, s):
        """Input position of tap ``(r, s)`` of output ``(i, j)`` (may be in the padding)."""
        return i * self.stride - self.padding + r, j * self.stride - self.padding + s


def weighted_layers(model):
    """Model layer index of every weighted layer, in order."""
    return [i for i, layer in enumerate(model.layers) if not isinstance(layer, (MaxPool2d, Flatten))]


def stages_of(model):
    """The stages of a model (flatten layers folded into the map shapes)."""
    shapes = network_shapes(model.layers)
    stages, widx = [], 0
    for index, layer in enumerate(model.layers):
        if isinstance(layer, Flatten):
            continue
        n = len(stages)
        if isinstance(layer, MaxPool2d):
            stages.append(Stage(n, index, "pool", None, shapes[index], shapes[index + 1],
                                layer.kernel, layer.kernel, 0, "identity"))
            continue
        if isinstance(layer, Conv2d):
            geometry = (layer.kernel, layer.stride, layer.padding)
        else:
            geometry = (1, 1, 0)
        stages.append(Stage(n, index, "weighted", widx, shapes[index], shapes[index + 1],
                            *geometry, layer.activation))
        widx += 1
    return stages


def plan_blocks(stages, config, *, tile_limit=True):
    """Blocks of every weighted stage, placed like dense layers (see the module docstring).

    With ``tile_limit`` a network needing more MCUs than one tile has is a
    :class:`CompileError`; without it (the count model) cores are numbered on.
    """
    x = config.xbar_size
    order, row_blocks, col_blocks = [], [], []
    for st in stages:
        if st.kind != "weighted":
            continue
        rows, cols = segments(st.rows, x), segments(st.cols, x)
        row_blocks.append(len(rows))
        col_blocks.append(len(cols))
        for bj, (col0, ncols) in enumerate(cols):
            for bi, (row0, nrows) in enumerate(rows):
                order.append((st.widx, bi, bj, row0, nrows, col0, ncols))
    per_tile = config.mcus_per_core * config.cores_per_tile
    if tile_limit and len(order) > per_tile:
        cores, tiles = needs(len(order), config)
        per_layer = ", ".join(f"weighted layer {i}: {r}x{c} = {r * c}"
                              for i, (r, c) in enumerate(zip(row_blocks, col_blocks)))
        raise CompileError(
            f"the network needs {len(order)} MCUs = {cores} cores = {tiles} tiles "
            f"({x}x{x} crossbars; {per_layer}); one tile has {config.cores_per_tile} cores x "
            f"{config.mcus_per_core} MCUs = {per_tile} MCUs, and multi-tile kernels are not "
            "supported yet")
    blocks = []
    for slot, (layer, bi, bj, row0, rows, col0, cols) in enumerate(order):
        core, mcu = divmod(slot, config.mcus_per_core)
        blocks.append(Block(layer, bi, bj, row0, rows, col0, cols, Placement(0, core, mcu)))
    return Mapping(tuple(blocks), tuple(row_blocks), tuple(col_blocks), needs(len(order), config)[0])


@dataclass(eq=False)
class MapTransfer(Transfer):
    """A feature map ``(H, W, C)`` of one sample in shared memory, with a zero border.

    Written by several stores (one per position and channel range) and read by window loads;
    each store's count is the number of loads that read its words (the lowering splits stores
    so that the words of one store are read by the same loads).

    Members
    -------
    shape : tuple of int
    halo : int
        Zero rows and columns on every side (persistent, count 0).
    stores : list of Op
    """

    shape: tuple = (1, 1, 1)
    halo: int = 0
    stores: list = field(default_factory=list)

    reusable = False

    @property
    def row_words(self):
        return (self.shape[1] + 2 * self.halo) * self.shape[2]

    def word(self, y, x, c=0):
        """Offset of element ``(y, x, c)`` (``y, x`` may lie in the border)."""
        h = self.halo
        return ((y + h) * (self.shape[1] + 2 * h) + (x + h)) * self.shape[2] + c

    def border(self):
        """Offsets of the border words (persistent zeros)."""
        h, (height, width, channels) = self.halo, self.shape
        if not h:
            return []
        out = []
        for y in range(-h, height + h):
            for x in range(-h, width + h):
                if not (0 <= y < height and 0 <= x < width):
                    start = self.word(y, x)
                    out.extend(range(start, start + channels))
        return out

    def add_store(self, op):
        if self.store is None:
            self.store = op
        self.stores.append(op)

    def index_loads(self):
        """Sort the loads by offset (after the last change to them) for :meth:`readers`."""
        self._index = sorted(self.loads, key=lambda ld: ld.soffset)
        self._starts = [ld.soffset for ld in self._index]
        self._longest = max((ld.dst.length for ld in self._index), default=0)

    def readers(self, store):
        """Loads that read any word of ``store`` (``index_loads`` first, for speed)."""
        lo, hi = store.soffset, store.soffset + store.srcs[0].length
        index = getattr(self, "_index", None)
        if index is None or len(index) != len(self.loads):
            return [ld for ld in self.loads if ld.soffset < hi and lo < ld.soffset + ld.dst.length]
        first = bisect.bisect_left(self._starts, lo - self._longest + 1)
        last = bisect.bisect_left(self._starts, hi)
        return [ld for ld in index[first:last] if lo < ld.soffset + ld.dst.length]

    def count_for(self, store):
        return len(self.readers(store)) + self.extra_count

    @property
    def count(self):
        return max((self.count_for(op) for op in self.stores), default=self.extra_count)

    @property
    def producers(self):
        return {op.core for op in self.stores}


def split_stores(per_core, maps):
    """Cut every feature-map store where the set of loads reading its words changes.

    Every word of a store then has the same readers, so the store's consumer count
    (:meth:`MapTransfer.count_for`) is right for each of them; words that nobody reads (a
    map position outside every pool window) are not stored at all. Works in place on the
    per-core operation lists (after the peephole pass, which may drop loads).
    """
    replace = {}
    for t in maps:
        if not t.stores:
            continue
        t.index_loads()
        new_stores = []
        for op in t.stores:
            lo, hi = op.soffset, op.soffset + op.srcs[0].length
            cuts = {lo, hi}
            readers = t.readers(op)
            for ld in readers:
                cuts.update(v for v in (ld.soffset, ld.soffset + ld.dst.length) if lo < v < hi)
            cuts = sorted(cuts)
            pieces, last_key = [], None
            for a, b in zip(cuts, cuts[1:]):
                key = frozenset(id(ld) for ld in readers
                                if ld.soffset < b and a < ld.soffset + ld.dst.length)
                if pieces and key == last_key:
                    pieces[-1][1] = b
                else:
                    pieces.append([a, b, key])
                last_key = key
            if not t.extra_count:               # words that nobody reads are not stored
                pieces = [piece for piece in pieces if piece[2]]
            pieces = [piece[:2] for piece in pieces]
            if pieces == [[lo, hi]]:
                new_stores.append(op)
                continue
            src = op.srcs[0]
            parts = [Op("st", op.core, srcs=(Ref(src.base, src.offset + a - lo, b - a),),
                        transfer=t, soffset=a, comment=op.comment, gidx=op.gidx)
                     for a, b in pieces]
            replace[id(op)] = parts
            new_stores += parts
        t.stores = new_stores
        t.store = new_stores[0] if new_stores else None
    if replace:
        for ops in per_core:
            ops[:] = [piece for op in ops for piece in replace.get(id(op), [op])]
