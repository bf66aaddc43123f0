"""Lowering: the training step of a batch as one global sequence of per-core operations.

The dataflow is the paper's (Table 1 for SGD, Table 2 for mini-batch): a software pipeline
in which, at step ``tau``, layer ``l`` runs the forward pass of sample ``tau - l`` and the
backward pass of sample ``tau - (2L - 1 - l)``, so the forward passes of later samples
overlap the backward passes of earlier ones; a block that has both issues them as one
``mvm+mtvm`` (concurrent on variants 2 and 3, serialised on variant 1). OPAs take effect at
``hlt`` on every variant, so MVM and MTVM always see the weights the kernel started with.
For layer ``l``, sample ``s``:

* forward: every block ``(bi, bj)`` loads ``a_l[bi]`` into its XBarIn and runs MVM; the
  reducer of ``bj`` adds the partial sums in ``bi`` order (VFU ``add``; partial sums of other
  cores come through shared memory), applies the activation and owns ``a_{l+1}[bj]``;
* output error (MSE): ``delta = (y - t) * f'(y)`` on the reducer;
* backward: every block runs MTVM on ``delta[bj]`` and OPA with ``-(lr/B) * delta[bj]`` in
  XBarOut and ``a_l[bi]`` in XBarIn (OPA first when the MTVM is not paired, so XBarIn still
  holds the input in SGD); the reducer of row block ``bi`` (the core that owns ``a_l[bi]``)
  adds the MTVM partial sums in ``bj`` order and multiplies by ``f'(a_l[bi])``. Layer 0 does
  the MTVMs only with ``model.input_gradient``: the core of block ``(0, bi, 0)`` reduces them
  and stores ``dL/da_0[bi]`` in the ``input_grads`` region (the input has no activation).

Values move between cores through :class:`compiler.ir.Transfer` s: one ``st`` by the owner,
one ``ld`` per use elsewhere. The global order of the returned operations is a valid
sequential execution; :mod:`compiler.smem` and :mod:`compiler.fusion` rely on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from panther.fixed_point import fixed_one

from .ir import Buf, Op, Ref, Transfer, Value
from .model import ACTIVATIONS
from .softmax import softmax_error, softmax_shift

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
    input_grads : int or None
        With ``model.input_gradient``: base of the ``B x n_0`` input gradients (valid, count
        1, after the run), between the outputs and the transfers.
    """

    inputs: int
    targets: int
    outputs: int
    dynamic: int
    input_grads: int = None


@dataclass
class Lowered:
    """Result of :func:`lower`: the operations in global order and the transfers."""

    ops: list
    transfers: list
    layout: Layout
    lr_raw: int


class _Lowering:
    def __init__(self, model, mapping, config, lr_raw, rolled):
        self.model, self.mapping, self.config = model, mapping, config
        self.lr_raw = lr_raw
        self.rolled = rolled
        self.batch = 1 if rolled else model.train.batch
        self.one = fixed_one(config.data_frac_bits, config.data_bits)
        self.softmax_shift = softmax_shift(model, config) if model.loss != "mse" else 0
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
        end = outputs + batch * sizes[-1]
        if model.input_gradient:
            self.layout = Layout(inputs, targets, outputs, end + batch * sizes[0], input_grads=end)
        else:
            self.layout = Layout(inputs, targets, outputs, end)

    # -- emission ---------------------------------------------------------------------------

    def emit(self, kind, core, **fields):
        op = Op(kind, core, gidx=len(self.ops), **fields)
        self.ops.append(op)
        if op.transfer is not None:
            if kind in ("st", "send"):
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
            if self.mapping.tile_of(owner) != self.mapping.tile_of(core):
                target = dst if dst is not None and not keep else self.value(core, ref.length, name)
                self.over_network(owner, ref, core, target, name)
                if keep:
                    self.kept[(key, core)] = target
                    if dst is not None:
                        self.emit("cp", core, dst=dst, srcs=(target,))
                        return dst
                return target
            # A rolled kernel reuses a transfer's words every iteration, which is safe only
            # with one consumer core (docs/compiler.md, Loops): one transfer per consumer.
            pkey = (key, core) if self.rolled else key
            t = self.published.get(pkey)
            if t is None:
                t = self.published[pkey] = self.transfer(ref.length, name)
                self.emit("st", owner, srcs=(ref,), transfer=t, comment=f"publish {name}")
        target = dst if dst is not None and not keep else self.value(core, t.length, name)
        self.emit("ld", core, dst=target, transfer=t, comment=f"{name}")
        if keep:
            self.kept[(key, core)] = target
            if dst is not None:
                self.emit("cp", core, dst=dst, srcs=(target,))
                return dst
        return target

    def over_network(self, source, ref, core, target, name):
        """Move ``ref`` of core ``source`` into ``target`` of ``core`` (on another tile): a
        ``send`` immediately followed by its ``recv`` in the global order, which is what keeps
        bounded channels deadlock-free (docs/node.md)."""
        t = self.transfer(ref.length, name, noc=True)
        src_tile, src_core = self.mapping.local(source)
        dst_tile, dst_core = self.mapping.local(core)
        self.emit("send", source, srcs=(ref,), transfer=t, peer=core,
                  comment=f"{name} to tile {dst_tile} core {dst_core}")
        self.emit("recv", core, dst=target, transfer=t, peer=source,
                  comment=f"{name} from tile {src_tile} core {src_core}")

    def reduce(self, parts, core, length, name):
        """Sum of ``[(core, ref), ...]`` in order, on ``core`` (saturating VFU adds)."""
        acc = None
        for index, (source, ref) in enumerate(parts):
            if source != core and self.mapping.tile_of(source) != self.mapping.tile_of(core):
                received = self.value(core, length, f"{name}.p{index}")
                self.over_network(source, ref, core, received, f"partial sum {index} of {name}")
                ref = received
            elif source != core:
                t = self.transfer(length, f"{name}.part{index}")
                self.emit("st", source, srcs=(ref,), transfer=t, comment=f"partial sum {index} of {name}")
                ref = self.value(core, length, f"{name}.p{index}")
                self.emit("ld", core, dst=ref, transfer=t, comment=f"partial sum {index} of {name}")
            acc = ref if acc is None else self.alu(core, "add", acc, ref, name=name,
                                                   comment=f"+ partial sum {index}")
        return acc

    # -- the training step --------------------------------------------------------------------

    def data(self):
        """The samples and targets (persistent); a rolled kernel addresses sample 0 through
        the pointer registers ``x`` and ``t``, which advance by one sample per iteration."""
        sizes, lay = self.model.sizes, self.layout
        x = self.config.xbar_size
        xi, ti = ("x", "t") if self.rolled else (None, None)
        for s in range(self.batch):
            for seg, start in enumerate(range(0, sizes[0], x)):
                n = min(x, sizes[0] - start)
                self.persistent[("a", 0, s, seg)] = self.transfer(
                    n, f"x{s}[{seg}]", persistent=True, saddr=lay.inputs + s * sizes[0] + start,
                    index=xi)
            for seg, start in enumerate(range(0, sizes[-1], x)):
                n = min(x, sizes[-1] - start)
                self.persistent[("t", s, seg)] = self.transfer(
                    n, f"t{s}[{seg}]", persistent=True, saddr=lay.targets + s * sizes[-1] + start,
                    index=ti)

    # One pipeline step of one layer: the MVM of sample ``sf`` and the MTVM and OPA of sample
    # ``sb`` (either may be None). With both (and a layer that back-propagates), each block
    # pairs them in one ``mvm+mtvm`` op; its OPA follows once the partial sums are read.

    def backprops(self, l):
        """True when layer ``l`` runs its MTVMs (every layer but the first, which does too
        with ``model.input_gradient``)."""
        return l > 0 or self.model.input_gradient

    def layer_step(self, l, sf, sb):
        m = self.mapping
        blocks = [m.block(l, bi, bj) for bj in range(m.col_blocks[l]) for bi in range(m.row_blocks[l])]
        pending = []
        for b in blocks:
            c, u = self.mapping.unit(b), b.place.mcu
            tag = f"L{l} block ({b.bi},{b.bj})"
            # a bias-only row block has no input of the layer below to send an error to
            backprop = self.backprops(l) and self.act_rows(b) > 0
            paired = sf is not None and sb is not None and backprop
            if sf is not None:
                self.load_input(b, sf)
            if paired:
                d = self.fetch(("d", l, sb, b.bj), c, keep=True, name=f"d{l}.s{sb}[{b.bj}]")
                self.emit("cp", c, dst=Ref(Buf(u, "out"), 0, b.cols), srcs=(d,))
                self.emit("mcu", c, mcu=u, mop="mvm+mtvm", comment=f"{tag} MVM s{sf}, MTVM s{sb}")
                pending.append(b)
            elif sf is not None:
                self.emit("mcu", c, mcu=u, mop="mvm", comment=f"{tag} s{sf}")
                if sb is not None:
                    pending.append(b)          # OPA after the partial sums are read
            elif sb is not None:
                self.opa(b, sb)                 # OPA first: XBarIn may still hold the input
                if backprop:
                    d = self.fetch(("d", l, sb, b.bj), c, keep=True, name=f"d{l}.s{sb}[{b.bj}]")
                    self.emit("cp", c, dst=Ref(Buf(u, "out"), 0, b.cols), srcs=(d,))
                    self.emit("mcu", c, mcu=u, mop="mtvm", comment=f"{tag} s{sb}")
        if sf is not None:
            self.forward_reduce(l, sf)
        if sb is not None and self.backprops(l):
            self.backward_reduce(l, sb)
        for b in pending:
            self.opa(b, sb)

    def act_rows(self, b):
        """Rows of block ``b`` driven by the layer's input (the bias row is not)."""
        return min(b.rows, max(0, self.model.layers[b.layer].n_in - b.row0))

    def load_input(self, b, s):
        """XBarIn of block ``b`` := its part of the layer input of sample ``s``, and 1.0 on the
        bias row if the block holds it."""
        c, u, l = self.mapping.unit(b), b.place.mcu, b.layer
        act = self.act_rows(b)
        if act:
            self.fetch(("a", l, s, b.bi), c, dst=Ref(Buf(u, "in"), 0, act), name=f"a{l}.s{s}[{b.bi}]")
        if act < b.rows:
            self.emit("set", c, dst=Ref(Buf(u, "in"), act, 1), imm=self.one,
                      comment="bias input 1.0")

    def opa(self, b, s):
        c, u, l = self.mapping.unit(b), b.place.mcu, b.layer
        d = self.fetch(("d", l, s, b.bj), c, keep=True, name=f"d{l}.s{s}[{b.bj}]")
        self.emit("alui", c, dst=Ref(Buf(u, "out"), 0, b.cols), srcs=(d,), fn="mul",
                  imm=self.lr_raw, comment="-(lr/B) * delta")
        self.load_input(b, s)
        self.emit("mcu", c, mcu=u, mop="opa", comment=f"L{l} block ({b.bi},{b.bj}) s{s}")

    def forward_reduce(self, l, s):
        m, layer = self.mapping, self.model.layers[l]
        fn = ACTIVATIONS[layer.activation][0]
        for bj in range(m.col_blocks[l]):
            blocks = [m.block(l, bi, bj) for bi in range(m.row_blocks[l])]
            parts = [(self.mapping.unit(b), Ref(Buf(b.place.mcu, "out"), 0, b.cols)) for b in blocks]
            core = m.reducer(l, bj)
            name = f"a{l + 1}.s{s}[{bj}]"
            z = self.reduce(parts, core, blocks[0].cols, f"z{l + 1}.s{s}[{bj}]")
            if fn is None:
                act = self.as_value(core, z, name)
            else:
                act = self.alu(core, fn, z, name=name, comment=f"{layer.activation}")
            self.own(("a", l + 1, s, bj), core, act)
            if l == len(self.model.layers) - 1 and self.model.loss == "mse":
                self.store_output(core, act, s, blocks[0].col0, key=("a", l + 1, s, bj))

    def store_output(self, core, ref, s, col0, key=None):
        """``ref`` to the outputs region (count 1 more than its loads: valid for the host)."""
        t = self.transfer(ref.length, f"y{s}[{col0}:]", extra_count=1,
                          saddr=self.layout.outputs + s * self.model.sizes[-1] + col0,
                          index="t" if self.rolled else None)
        if key is not None and not self.rolled:    # rolled: other cores get transfers of their own
            self.published[key] = t
        self.emit("st", core, srcs=(ref,), transfer=t, comment=f"output y{s}[{col0}:]")

    def output_error(self, s):
        m, layers = self.mapping, self.model.layers
        last = len(layers) - 1
        if self.model.loss == "softmax_cross_entropy":
            return softmax_error(self, s)
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

    def backward_reduce(self, l, s):
        m = self.mapping
        dfn = ACTIVATIONS[self.model.layers[l - 1].activation][1] if l else None
        for bi in range(m.row_blocks[l]):

            blocks = [m.block(l, bi, bj) for bj in range(m.col_blocks[l])]
            rows = self.act_rows(blocks[0])
            if not rows:            # the bias row alone: nothing to propagate
                continue
            core = m.reducer(l - 1, bi) if l else m.unit(m.block(0, bi, 0))
            parts = [(m.unit(b), Ref(Buf(b.place.mcu, "in"), 0, rows)) for b in blocks]
            g = self.reduce(parts, core, rows, f"g{l}.s{s}[{bi}]")
            if not l:
                grad = self.as_value(core, g, f"dx.s{s}[{bi}]")
                t = self.transfer(grad.length, f"dx{s}[{bi}]", extra_count=1,
                                  saddr=self.layout.input_grads + s * self.model.sizes[0] + blocks[0].row0,
                                  index="x" if self.rolled else None)
                self.emit("st", core, srcs=(grad,), transfer=t, comment=f"input gradient dx{s}[{bi}]")
                continue
            if dfn is None:
                delta = self.as_value(core, g, f"d{l - 1}.s{s}[{bi}]")
            else:
                a = self.fetch(("a", l, s, bi), core)
                d = self.alu(core, dfn, a, name=f"df{l - 1}.s{s}[{bi}]")
                delta = self.alu(core, "mul", g, d, name=f"d{l - 1}.s{s}[{bi}]", comment="delta")
            self.own(("d", l - 1, s, bi), core, delta)

    def steps(self):
        """Software pipeline of Table 2: at step ``tau`` layer ``l`` runs the forward pass of
        sample ``tau - l`` and the backward pass of sample ``tau - (2L - 1 - l)``; the output
        error of sample ``tau - L`` comes first. SGD (batch 1) is the same loop."""
        batch, n_layers = self.batch, len(self.model.layers)
        valid = lambda s: s if 0 <= s < batch else None       # noqa: E731
        for tau in range(batch + 2 * n_layers - 1):
            if valid(tau - n_layers) is not None:
                self.output_error(tau - n_layers)
            for l in range(n_layers):
                sf, sb = valid(tau - l), valid(tau - (2 * n_layers - 1 - l))
                if sf is not None or sb is not None:
                    self.layer_step(l, sf, sb)

    def finish(self, crs):
        for core in range(self.mapping.cores_used):
            mcus = sorted(b.place.mcu for b in self.mapping.blocks_on(core))
            if crs and mcus:
                self.emit("crs", core, mask=sum(1 << u for u in mcus), comment="carry resolution")
            self.emit("hlt", core)


def lower(model, mapping, config, *, lr_raw, crs=False, rolled=False):
    """The global operation sequence of one kernel (one batch). Returns :class:`Lowered`.

    ``rolled``: the operations of one sample (the body of a loop over the batch), with the
    per-sample data addressed through pointer registers; ``crs``/``hlt`` end the list."""
    low = _Lowering(model, mapping, config, lr_raw, rolled)
    low.data()
    low.steps()
    low.finish(crs)
    return Lowered(low.ops, low.transfers, low.layout, lr_raw)
