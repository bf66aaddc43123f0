"""Lowering: the training step of a batch as one global sequence of per-core operations.

The dataflow is the paper's (Table 1 for SGD, Table 2 for mini-batch): the forward passes of
the ``B`` samples, then their backward passes, each sample's OPAs issued as soon as their
operands exist (they take effect at ``hlt`` on every variant, so MVM and MTVM always see the
weights the kernel started with). For layer ``l``, sample ``s``:

* forward: every block ``(bi, bj)`` loads ``a_l[bi]`` into its XBarIn and runs MVM; the
  reducer of ``bj`` adds the partial sums in ``bi`` order (VFU ``add``; partial sums of other
  cores come through shared memory), applies the activation and owns ``a_{l+1}[bj]``;
* output error (MSE): ``delta = (y - t) * f'(y)`` on the reducer;
* backward: every block puts ``-(lr/B) * delta[bj]`` into XBarOut and issues OPA (XBarIn
  holds ``a_l[bi]``), then ``delta[bj]`` and MTVM; the reducer of row block ``bi`` (the core
  that owns ``a_l[bi]``) adds the MTVM partial sums in ``bj`` order and multiplies by
  ``f'(a_l[bi])``.

Values move between cores through :class:`compiler.ir.Transfer` s: one ``st`` by the owner,
one ``ld`` per use elsewhere. The global order of the returned operations is a valid
sequential execution; :mod:`compiler.smem` and :mod:`compiler.fusion` rely on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ir import Buf, Op, Ref, Transfer, Value
from .model import ACTIVATIONS

__all__ = ["Layout", "Lowered", "lower"]


@dataclass(frozen=True)
class Layout:
    """Fixed shared-memory regions of a kernel (word addresses).

    Members
    -------
    inputs, targets, outputs : int
        Bases of the ``B x n_0`` samples, ``B x n_L`` targets (both persistent) and the
        ``B x n_L`` outputs (valid, count 1, after the run), row-major by sample.
    dynamic : int
        First word of the transfer area.
    """

    inputs: int
    targets: int
    outputs: int
    dynamic: int


@dataclass
class Lowered:
    """Result of :func:`lower`: the operations in global order and the transfers."""

    ops: list
    transfers: list
    layout: Layout
    lr_raw: int


class _Lowering:
    def __init__(self, model, mapping, config, lr_raw):
        self.model, self.mapping, self.config = model, mapping, config
        self.lr_raw = lr_raw
        self.ops, self.transfers = [], []
        self.owner = {}      # key -> (core, Ref) of a value that lives in a core's registers
        self.persistent = {}  # key -> Transfer
        self.published = {}  # key -> Transfer written by the owner
        self.kept = {}       # (key, core) -> Ref of a loaded copy
        sizes = model.sizes
        batch = model.train.batch
        inputs = 0
        targets = inputs + batch * sizes[0]
        outputs = targets + batch * sizes[-1]
        self.layout = Layout(inputs, targets, outputs, outputs + batch * sizes[-1])

    # -- emission ---------------------------------------------------------------------------

    def emit(self, kind, core, **fields):
        op = Op(kind, core, gidx=len(self.ops), **fields)
        self.ops.append(op)
        if op.transfer is not None:
            if kind == "st":
                op.transfer.store = op
            else:
                op.transfer.loads.append(op)
        return op

    def value(self, core, length, name):
        return Ref(Value(core, length, name), 0, length)

    def alu(self, core, fn, a, b=None, *, name, comment=""):
        dst = self.value(core, a.length, name)
        srcs = (a,) if b is None else (a, b)
        self.emit("alu", core, dst=dst, srcs=srcs, fn=fn, comment=comment)
        return dst

    def as_value(self, core, ref, name):
        """A register copy of a buffer reference (buffers are overwritten by later ops)."""
        if isinstance(ref.base, Value):
            return ref
        dst = self.value(core, ref.length, name)
        self.emit("cp", core, dst=dst, srcs=(ref,))
        return dst

    def transfer(self, length, name, **kwargs):
        t = Transfer(length, name, **kwargs)
        self.transfers.append(t)
        return t

    # -- values across cores ------------------------------------------------------------------

    def own(self, key, core, ref):
        self.owner[key] = (core, ref)

    def fetch(self, key, core, *, dst=None, keep=False, name="in"):
        """A reference to value ``key`` usable on ``core`` (written into ``dst`` if given)."""
        if key in self.persistent:
            t = self.persistent[key]
        else:
            owner, ref = self.owner[key]
            if owner == core:
                if dst is None:
                    return ref
                self.emit("cp", core, dst=dst, srcs=(ref,), comment=f"{name}")
                return dst
            if keep and (key, core) in self.kept:
                ref = self.kept[(key, core)]
                if dst is not None:
                    self.emit("cp", core, dst=dst, srcs=(ref,))
                    return dst
                return ref
            t = self.published.get(key)
            if t is None:
                t = self.published[key] = self.transfer(ref.length, name)
                self.emit("st", owner, srcs=(ref,), transfer=t, comment=f"publish {name}")
        target = dst if dst is not None and not keep else self.value(core, t.length, name)
        self.emit("ld", core, dst=target, transfer=t, comment=f"{name}")
        if keep:
            self.kept[(key, core)] = target
            if dst is not None:
                self.emit("cp", core, dst=dst, srcs=(target,))
                return dst
        return target

    def reduce(self, parts, core, length, name):
        """Sum of ``[(core, ref), ...]`` in order, on ``core`` (saturating VFU adds)."""
        acc = None
        for index, (source, ref) in enumerate(parts):
            if source != core:
                t = self.transfer(length, f"{name}.part{index}")
                self.emit("st", source, srcs=(ref,), transfer=t, comment=f"partial sum {index} of {name}")
                ref = self.value(core, length, f"{name}.p{index}")
                self.emit("ld", core, dst=ref, transfer=t, comment=f"partial sum {index} of {name}")
            acc = ref if acc is None else self.alu(core, "add", acc, ref, name=name,
                                                   comment=f"+ partial sum {index}")
        return acc

    # -- the training step --------------------------------------------------------------------

    def data(self):
        sizes, batch, lay = self.model.sizes, self.model.train.batch, self.layout
        x = self.config.xbar_size
        for s in range(batch):
            for seg, start in enumerate(range(0, sizes[0], x)):
                n = min(x, sizes[0] - start)
                self.persistent[("a", 0, s, seg)] = self.transfer(
                    n, f"x{s}[{seg}]", persistent=True, saddr=lay.inputs + s * sizes[0] + start)
            for seg, start in enumerate(range(0, sizes[-1], x)):
                n = min(x, sizes[-1] - start)
                self.persistent[("t", s, seg)] = self.transfer(
                    n, f"t{s}[{seg}]", persistent=True, saddr=lay.targets + s * sizes[-1] + start)

    def forward(self, s):
        m, last = self.mapping, len(self.model.layers) - 1
        for l, layer in enumerate(self.model.layers):
            fn = ACTIVATIONS[layer.activation][0]
            for bj in range(m.col_blocks[l]):
                blocks = [m.block(l, bi, bj) for bi in range(m.row_blocks[l])]
                parts = []
                for b in blocks:
                    c, u = b.place.core, b.place.mcu
                    self.fetch(("a", l, s, b.bi), c, dst=Ref(Buf(u, "in"), 0, b.rows),
                               name=f"a{l}.s{s}[{b.bi}]")
                    self.emit("mcu", c, mcu=u, mop="mvm", comment=f"L{l} block ({b.bi},{bj}) s{s}")
                    parts.append((c, Ref(Buf(u, "out"), 0, b.cols)))
                core = m.reducer(l, bj)
                name = f"a{l + 1}.s{s}[{bj}]"
                z = self.reduce(parts, core, blocks[0].cols, f"z{l + 1}.s{s}[{bj}]")
                if fn is None:
                    act = self.as_value(core, z, name)
                else:
                    act = self.alu(core, fn, z, name=name, comment=f"{layer.activation}")
                self.own(("a", l + 1, s, bj), core, act)
                if l == last:
                    sizes = self.model.sizes
                    t = self.transfer(act.length, f"y{s}[{bj}]", extra_count=1,
                                      saddr=self.layout.outputs + s * sizes[-1] + blocks[0].col0)
                    self.published[("a", l + 1, s, bj)] = t
                    self.emit("st", core, srcs=(act,), transfer=t, comment=f"output y{s}[{bj}]")

    def backward(self, s):
        m, layers = self.mapping, self.model.layers
        last = len(layers) - 1
        dfn = ACTIVATIONS[layers[last].activation][1]
        for bj in range(m.col_blocks[last]):
            core = m.reducer(last, bj)
            y = self.fetch(("a", last + 1, s, bj), core)
            t = self.fetch(("t", s, bj), core, name=f"t{s}[{bj}]")
            delta = self.alu(core, "sub", y, t, name=f"e{last}.s{s}[{bj}]", comment="y - t")
            if dfn is not None:
                d = self.alu(core, dfn, y, name=f"df{last}.s{s}[{bj}]")
                delta = self.alu(core, "mul", delta, d, name=f"d{last}.s{s}[{bj}]", comment="delta")
            self.own(("d", last, s, bj), core, delta)
        for l in range(last, -1, -1):
            for bj in range(m.col_blocks[l]):
                for bi in range(m.row_blocks[l]):
                    b = m.block(l, bi, bj)
                    c, u = b.place.core, b.place.mcu
                    d = self.fetch(("d", l, s, bj), c, keep=True, name=f"d{l}.s{s}[{bj}]")
                    self.emit("alui", c, dst=Ref(Buf(u, "out"), 0, b.cols), srcs=(d,), fn="mul",
                              imm=self.lr_raw, comment="-(lr/B) * delta")
                    self.fetch(("a", l, s, bi), c, dst=Ref(Buf(u, "in"), 0, b.rows),
                               name=f"a{l}.s{s}[{bi}]")
                    self.emit("mcu", c, mcu=u, mop="opa", comment=f"L{l} block ({bi},{bj}) s{s}")
                    if l:
                        self.emit("cp", c, dst=Ref(Buf(u, "out"), 0, b.cols), srcs=(d,))
                        self.emit("mcu", c, mcu=u, mop="mtvm", comment=f"L{l} block ({bi},{bj}) s{s}")
            if not l:
                break
            dfn = ACTIVATIONS[layers[l - 1].activation][1]
            for bi in range(m.row_blocks[l]):
                core = m.reducer(l - 1, bi)
                parts = [(m.block(l, bi, bj).place.core,
                          Ref(Buf(m.block(l, bi, bj).place.mcu, "in"), 0, m.block(l, bi, bj).rows))
                         for bj in range(m.col_blocks[l])]
                g = self.reduce(parts, core, parts[0][1].length, f"g{l}.s{s}[{bi}]")
                if dfn is None:
                    delta = self.as_value(core, g, f"d{l - 1}.s{s}[{bi}]")
                else:
                    a = self.fetch(("a", l, s, bi), core)
                    d = self.alu(core, dfn, a, name=f"df{l - 1}.s{s}[{bi}]")
                    delta = self.alu(core, "mul", g, d, name=f"d{l - 1}.s{s}[{bi}]", comment="delta")
                self.own(("d", l - 1, s, bi), core, delta)

    def finish(self, crs):
        for core in range(self.mapping.cores_used):
            mcus = sorted(b.place.mcu for b in self.mapping.blocks_on(core))
            if crs and mcus:
                self.emit("crs", core, mask=sum(1 << u for u in mcus), comment="carry resolution")
            self.emit("hlt", core)


def lower(model, mapping, config, *, lr_raw, crs=False):
    """The global operation sequence of one kernel (one batch). Returns :class:`Lowered`."""
    low = _Lowering(model, mapping, config, lr_raw)
    low.data()
    for s in range(model.train.batch):
        low.forward(s)
    for s in range(model.train.batch):
        low.backward(s)
    low.finish(crs)
    return Lowered(low.ops, low.transfers, low.layout, lr_raw)
