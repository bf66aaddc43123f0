"""Lowering of a convolutional network (paper §5.4) to one global sequence of per-core operations.

Per sample: the forward pass of every stage, the output error, then the backward pass of
every stage, last first (no pipelining across samples; OPAs take effect at ``hlt``). Maps
live in shared memory (:class:`compiler.conv_plan.MapTransfer`). For a weighted stage
(``X`` = the input map, ``P`` the padding, ``S`` the stride, rows ``q = (r*R + s)*C + c``):

* **Activation** (§5.4.1, Fig. 7b): an iterative MVM, one iteration per output position
  ``(i, j)`` in raster order. Every block ``(bi, bj)`` loads rows ``bi`` of the patch
  ``X[i*S - P + r, j*S - P + s, c]`` into its XBarIn (one load per tap row, straight from
  the padded map) and runs MVM; the partial sums are added in ``bi`` order along a chain
  of cores (the running sum moves to the next block's core: :meth:`Emitter.reduce`), and the
  core of the last row block (the *reducer* of ``bj``)
  applies the activation and stores the output channels ``bj`` of ``(i, j)``.
* **Weight gradient** (§5.4.2, Fig. 7c): an OPA per position and block: XBarOut :=
  ``-(lr/B) * dZ[i, j, bj]`` (the output errors of ``(i, j)`` on the columns, depth-major),
  XBarIn := the patch of ``(i, j)`` (rows ``bi``); the ``E*F`` OPAs accumulate the weight
  gradient convolution in the crossbar.
* **Layer gradient**: the flipped-filter convolution ``dX = dZ (*) rot180(W)`` regrouped by
  output position: ``dX[y, x, c] = sum_{i,j} sum_m W[y - i*S + P, x - j*S + P, c, m] dZ[i, j, m]``,
  and for one ``(i, j)`` the inner sum over ``m`` is row ``(r, s, c)`` of the MTVM
  ``W dZ[i, j, :]`` of the same crossbar. So each position runs MTVM with ``dZ[i, j, bj]`` on
  the columns; the partial patch gradients of row block ``bi`` are added in ``bj`` order
  along a chain of cores; one core (the *scatter owner*, the core of block ``(0, 0)``) adds row ``(r, s, c)``
  into ``dX[i*S - P + r, j*S - P + s, c]`` (taps in the padding are dropped), positions in
  raster order, in registers or in a ring of shared-memory slots
  (:mod:`compiler.conv_accum`). A finished input position is multiplied by the previous
  activation's derivative and stored as the previous stage's error.

A pool stage stores the maximum of each window; its backward routes the error of a window to
its first maximum in raster order (VFU ``eq``, then ``e := e - routed`` so that a tie does
not route twice). The previous activation's derivative is applied once per window, to the
window's error before routing: the error lands only where ``a == m``, so ``f'(a) = f'(m)``
there, and ``0 * f'(a) = 0`` elsewhere (the same words as routing first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .conv_accum import MemoryAccumulators, RegisterAccumulators, RingTransfer, open_positions
from .conv_emit import MAX_VW, Emitter
from .ir import Buf, Ref
from .model import ACTIVATIONS
from .partition import segments

__all__ = ["ConvLayout", "ConvLowered", "lower_network", "MAX_VW"]

@dataclass(frozen=True)
class ConvLayout:
    """Fixed shared-memory regions of a conv kernel (word addresses).

    Members
    -------
    inputs : int
        ``B`` padded input maps (their zero border included), ``input_words`` each.
    rings : int
        The shared-memory accumulator slots (:mod:`compiler.conv_accum`), if any.
    targets, outputs : int
        ``B x n_L`` words each (HWC order); outputs stay valid after the run.
    input_grads : int or None
        ``B x n_0`` input errors (when the kernel computes them), valid after the run.
    dynamic : int
        First word of the transfer area.
    input_words : int
    """

    inputs: int
    targets: int
    outputs: int
    input_grads: int
    rings: int
    dynamic: int
    input_words: int


@dataclass
class ConvLowered:
    """Result of :func:`lower_network`."""

    ops: list
    transfers: list
    maps: list
    layout: ConvLayout


class _ConvLowering(Emitter):
    def __init__(self, model, stages, mapping, config, lr_raw, input_gradient):
        super().__init__()
        self.model, self.stages, self.mapping, self.config = model, stages, mapping, config
        self.lr_raw, self.input_gradient = lr_raw, input_gradient
        self.rings = {}
        self.blocks = {}
        for b in mapping.blocks:
            self.blocks.setdefault(b.layer, []).append(b)
        batch = model.train.batch
        first, last = stages[0], stages[-1]
        halo = first.padding if first.kind == "weighted" else 0
        h, w, c = first.in_shape
        in_words = (h + 2 * halo) * (w + 2 * halo) * c
        n_in, n_out = h * w * c, _words(last.out_shape)
        inputs = 0
        targets = inputs + batch * in_words
        outputs = targets + batch * n_out
        grads = outputs + batch * n_out
        dynamic = grads + (batch * n_in if input_gradient else 0)
        self.layout = ConvLayout(inputs, targets, outputs, grads if input_gradient else None,
                                 dynamic, dynamic, in_words)
        self.A, self.D, self.T = [], [], []
        n = len(stages)
        for s in range(batch):
            acts = [self.map(first.in_shape, halo, f"x{s}", persistent=True,
                             saddr=inputs + s * in_words)]
            for b in range(1, n + 1):
                shape = stages[b - 1].out_shape
                if b == n:
                    acts.append(self.map(shape, 0, f"y{s}", saddr=outputs + s * n_out, extra_count=1))
                else:
                    nxt = stages[b]
                    acts.append(self.map(shape, nxt.padding if nxt.kind == "weighted" else 0,
                                         f"a{b}.s{s}"))
            errors = [None] * (n + 1)
            for b in range(n, 0, -1):
                errors[b] = self.map(stages[b - 1].out_shape, 0, f"d{b}.s{s}")
            if input_gradient:
                errors[0] = self.map(first.in_shape, 0, f"dx{s}", saddr=grads + s * n_in,
                                     extra_count=1)
            self.A.append(acts)
            self.D.append(errors)
            self.T.append(self.map(last.out_shape, 0, f"t{s}", persistent=True,
                                   saddr=targets + s * n_out))

    # -- pieces of a stage ------------------------------------------------------------------------

    def stage_blocks(self, st):
        """Blocks of a weighted stage in placement order (column block, then row block)."""
        return self.blocks[st.widx]

    def block(self, st, bi, bj):
        return self.mapping.block(st.widx, bi, bj)

    def fill_patch(self, st, b, amap, i, j):
        """XBarIn[0 .. rows) of block ``b`` := rows ``b.row0 ..`` of the patch of ``(i, j)``."""
        c, r_words = st.in_shape[2], st.kernel * st.in_shape[2]
        core, mcu = b.place.core, b.place.mcu
        q, end = b.row0, b.row0 + b.rows
        while q < end:
            r, rem = divmod(q, r_words)
            run = min(end, (r + 1) * r_words) - q
            y, x = st.tap(i, j, r, rem // c)
            self.load(core, amap, amap.word(y, x, rem % c), Ref(Buf(mcu, "in"), q - b.row0, run),
                      comment=f"patch ({i},{j}) r{r}")
            q += run

    def owner(self, st, c0):
        """Core that pools channels ``c0 ..`` of a pool stage: the one that produced them (the
        end of column block ``c0 // xbar_size``'s reduction chain, its last row block)."""
        for prev in reversed(self.stages[:st.index]):
            if prev.kind == "weighted":
                m = self.mapping
                return m.block(prev.widx, m.row_blocks[prev.widx] - 1,
                               c0 // self.config.xbar_size).place.core
        return 0

    def segments(self, channels):
        return segments(channels, min(self.config.xbar_size, MAX_VW))

    def loss(self, s, core, i, j, c0, y, dfn):
        """Output error ``(y - t) * f'(y)`` of channels ``c0 ..`` of position ``(i, j)``."""
        n = len(self.stages)
        t = self.load_value(core, self.T[s], self.T[s].word(i, j, c0), y.length, f"t{s}({i},{j})")
        e = self.alu(core, "sub", y, t, name=f"e.s{s}({i},{j})", comment="y - t")
        if dfn is not None:
            e = self.alu(core, "mul", e, self.alu(core, dfn, y, name="df"), name="dL", comment="delta")
        self.store(core, self.D[s][n], self.D[s][n].word(i, j, c0), e, comment="output error")

    def prev_derivative(self, st):
        """The derivative a finished input error of ``st`` is multiplied by (or None)."""
        if st.index == 0:
            return None
        prev = self.stages[st.index - 1]
        return ACTIVATIONS[prev.activation][1] if prev.kind == "weighted" else None

    # -- forward ----------------------------------------------------------------------------------

    def forward_weighted(self, st, s):
        amap, out = self.A[s][st.index], self.A[s][st.index + 1]
        fn, dfn = ACTIVATIONS[st.activation]
        last = st.index == len(self.stages) - 1
        blocks = self.stage_blocks(st)
        for i, j in st.positions:
            for b in blocks:
                self.fill_patch(st, b, amap, i, j)
                self.emit("mcu", b.place.core, mcu=b.place.mcu, mop="mvm",
                          comment=f"S{st.index} ({i},{j}) block ({b.bi},{b.bj})")
            for bj in range(self.mapping.col_blocks[st.widx]):
                col = [self.block(st, bi, bj) for bi in range(self.mapping.row_blocks[st.widx])]
                parts = [(b.place.core, Ref(Buf(b.place.mcu, "out"), 0, b.cols)) for b in col]
                core, z = self.reduce(parts, f"z{st.index + 1}.s{s}({i},{j})[{bj}]")
                a = z if fn is None else self.alu(core, fn, z, name=f"a{st.index + 1}", comment=st.activation)
                self.store(core, out, out.word(i, j, col[0].col0), a, comment=f"a({i},{j})[{bj}]")
                if last:
                    self.loss(s, core, i, j, col[0].col0, a, dfn)

    def forward_pool(self, st, s):
        amap, out = self.A[s][st.index], self.A[s][st.index + 1]
        k = st.kernel
        last = st.index == len(self.stages) - 1
        for i, j in st.positions:
            for c0, n in self.segments(st.in_shape[2]):
                core = self.owner(st, c0)
                m = None
                for dy in range(k):
                    for dx in range(k):
                        v = self.load_value(core, amap, amap.word(i * k + dy, j * k + dx, c0), n,
                                            f"w({i * k + dy},{j * k + dx})")
                        m = v if m is None else self.alu(core, "max", m, v, name="pool")
                self.store(core, out, out.word(i, j, c0), m, comment=f"max ({i},{j})")
                if last:
                    self.loss(s, core, i, j, c0, m, None)

    # -- backward ---------------------------------------------------------------------------------

    def completion(self, st):
        """``(done, first, never)``: ``done[(i, j)]`` the input positions whose last
        contribution comes from output ``(i, j)`` (raster order), ``first[(y, x)]`` the output
        of its first one, and the positions no output reads."""
        h, w = st.in_shape[:2]
        e, f = st.out_shape[:2]

        def outputs(v, size):
            return [i for i in range(size) if 0 <= v - (i * st.stride - st.padding) < st.kernel]
        done, first, never = {}, {}, []
        for y in range(h):
            rows = outputs(y, e)
            for x in range(w):
                cols = outputs(x, f)
                if not rows or not cols:
                    never.append((y, x))
                else:
                    done.setdefault((rows[-1], cols[-1]), []).append((y, x))
                    first[(y, x)] = (rows[0], cols[0])
        return done, first, never

    def finish(self, st, s, pos, acc, core):
        """Store the finished error of input position ``pos`` (times the derivative)."""
        dfn = self.prev_derivative(st)
        dmap, amap = self.D[s][st.index], self.A[s][st.index]
        y, x = pos
        for k0, v in acc.take(pos):
            if dfn is not None:
                a = self.load_value(core, amap, amap.word(y, x, k0), v.length, f"a{pos}")
                v = self.alu(core, "mul", v, self.alu(core, dfn, a, name="df"), name=f"d{pos}")
            self.store(core, dmap, dmap.word(y, x, k0), v, comment=f"error {pos}")

    def accumulators(self, st, owner, done, first):
        """Register accumulators when the open positions fit a quarter of the register file,
        else a shared-memory ring (one per stage, shared by the samples)."""
        channels = st.in_shape[2]
        if open_positions(done, first, st.positions) * channels <= self.config.rf_depth // 4:
            return RegisterAccumulators(self, owner, channels)
        if st.index not in self.rings:
            self.rings[st.index] = RingTransfer(0, f"dX ring S{st.index}")
            self.transfers.append(self.rings[st.index])
        return MemoryAccumulators(self, owner, channels, self.rings[st.index])

    def scatter(self, st, i, j, b, g, acc):
        """Add the patch gradient ``g`` (rows of block ``b``) of output ``(i, j)`` into ``acc``."""
        c_in, r_words = st.in_shape[2], st.kernel * st.in_shape[2]
        h, w = st.in_shape[:2]
        q, end = b.row0, b.row0 + b.rows
        while q < end:
            r, rem = divmod(q, r_words)
            s_, c = divmod(rem, c_in)
            n = min(end, q + c_in - c) - q
            y, x = st.tap(i, j, r, s_)
            if 0 <= y < h and 0 <= x < w:
                acc.add((y, x), c, Ref(g.base, g.offset + q - b.row0, n))
            q += n

    def backward_weighted(self, st, s):
        dout, amap = self.D[s][st.index + 1], self.A[s][st.index]
        need = st.index > 0 or self.input_gradient
        blocks = self.stage_blocks(st)
        owner = self.block(st, 0, 0).place.core
        done, first, never = self.completion(st) if need else ({}, {}, [])
        acc = self.accumulators(st, owner, done, first) if need else None
        for i, j in st.positions:
            kept = {}
            for b in blocks:
                core, mcu = b.place.core, b.place.mcu
                key = (core, b.bj)
                if key not in kept:
                    kept[key] = self.load_value(core, dout, dout.word(i, j, b.col0), b.cols,
                                                f"dZ({i},{j})[{b.bj}]")
                d = kept[key]
                self.emit("alui", core, dst=Ref(Buf(mcu, "out"), 0, b.cols), srcs=(d,), fn="mul",
                          imm=self.lr_raw, comment="-(lr/B) * delta")
                self.fill_patch(st, b, amap, i, j)
                self.emit("mcu", core, mcu=mcu, mop="opa", comment=f"S{st.index} ({i},{j}) block ({b.bi},{b.bj})")
                if need:
                    self.emit("cp", core, dst=Ref(Buf(mcu, "out"), 0, b.cols), srcs=(d,))
                    self.emit("mcu", core, mcu=mcu, mop="mtvm", comment=f"S{st.index} ({i},{j})")
            if not need:
                continue
            for bi in range(self.mapping.row_blocks[st.widx]):
                row = [self.block(st, bi, bj) for bj in range(self.mapping.col_blocks[st.widx])]
                parts = [(b.place.core, Ref(Buf(b.place.mcu, "in"), 0, b.rows)) for b in row]
                reducer, g = self.reduce(parts, f"g{st.index}.s{s}({i},{j})[{bi}]")
                g = self.send(g, reducer, owner, f"g({i},{j})[{bi}]")
                self.scatter(st, i, j, row[0], g, acc)
            for pos in done.get((i, j), ()):
                self.finish(st, s, pos, acc, owner)
        for pos in never:
            self.finish(st, s, pos, acc, owner)

    def backward_pool(self, st, s):
        if not (st.index > 0 or self.input_gradient):
            return
        dout, dmap = self.D[s][st.index + 1], self.D[s][st.index]
        amap, pooled = self.A[s][st.index], self.A[s][st.index + 1]
        dfn = self.prev_derivative(st)
        k = st.kernel
        h, w, channels = st.in_shape
        for i, j in st.positions:
            for c0, n in self.segments(channels):
                core = self.owner(st, c0)
                e = self.load_value(core, dout, dout.word(i, j, c0), n, f"dP({i},{j})")
                m = self.load_value(core, pooled, pooled.word(i, j, c0), n, f"P({i},{j})")
                if dfn is not None:     # the error lands where a == m: f'(a) there is f'(m)
                    e = self.alu(core, "mul", e, self.alu(core, dfn, m, name="df"), name="dP'")
                for index in range(k * k):
                    y, x = i * k + index // k, j * k + index % k
                    a = self.load_value(core, amap, amap.word(y, x, c0), n, f"a({y},{x})")
                    hit = self.alu(core, "eq", a, m, name="hit", comment="first maximum?")
                    o = self.alu(core, "mul", e, hit, name=f"d({y},{x})", comment="routed error")
                    if index < k * k - 1:
                        e = self.alu(core, "sub", e, o, name="rest", comment="not routed yet")
                    self.store(core, dmap, dmap.word(y, x, c0), o, comment=f"error ({y},{x})")
        covered_h, covered_w = st.out_shape[0] * k, st.out_shape[1] * k
        for y in range(h):
            for x in range(w):
                if y < covered_h and x < covered_w:
                    continue
                for c0, n in self.segments(channels):
                    core = self.owner(st, c0)
                    self.store(core, dmap, dmap.word(y, x, c0), self.zero(core, n, "dx0"),
                               comment=f"error ({y},{x}): outside every window")

    # -- the kernel -------------------------------------------------------------------------------

    def run(self, crs):
        for s in range(self.model.train.batch):
            for st in self.stages:
                (self.forward_weighted if st.kind == "weighted" else self.forward_pool)(st, s)
            for st in reversed(self.stages):
                (self.backward_weighted if st.kind == "weighted" else self.backward_pool)(st, s)
        for core in range(self.mapping.cores_used):
            mcus = sorted(b.place.mcu for b in self.mapping.blocks_on(core))
            if crs and mcus:
                self.emit("crs", core, mask=sum(1 << u for u in mcus), comment="carry resolution")
            self.emit("hlt", core)
        top = self.layout.dynamic
        for ring in self.rings.values():           # fixed words below the transfers
            ring.saddr, top = top, top + ring.length
        self.layout = replace(self.layout, dynamic=top)


def _words(shape):
    return shape[0] * shape[1] * shape[2]


def lower_network(model, stages, mapping, config, *, lr_raw, crs=False, input_gradient=False):
    """The global operation sequence of one conv kernel (one batch): :class:`ConvLowered`."""
    low = _ConvLowering(model, stages, mapping, config, lr_raw, input_gradient)
    low.run(crs)
    return ConvLowered(low.ops, low.transfers, low.maps, low.layout)
