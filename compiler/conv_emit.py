"""Emission helpers of the conv lowering: operations, values, feature-map loads and stores,
transfers between cores and partial-sum reductions (:class:`Emitter`, the base of
:mod:`compiler.conv_lower`'s lowering)."""

from __future__ import annotations

from panther.isa.table import BY_MNEMONIC

from .conv_plan import MapTransfer
from .ir import Op, Ref, Transfer, Value

__all__ = ["Emitter", "MAX_VW"]

#: Longest vector of one instruction (the ``vw`` field).
MAX_VW = BY_MNEMONIC["ld"].field("vw").value_range[1]


class Emitter:
    """The global operation list of a kernel being lowered.

    Members
    -------
    ops : list of Op
        In global (sequential) order; ``Op.gidx`` is the position.
    transfers, maps : list
        Every transfer, and the feature maps among them.
    max_vw : int
    """

    def __init__(self):
        self.ops, self.transfers, self.maps = [], [], []
        self.max_vw = MAX_VW

    # -- emission -----------------------------------------------------------------------------

    def emit(self, kind, core, **fields):
        op = Op(kind, core, gidx=len(self.ops), **fields)
        self.ops.append(op)
        t = op.transfer
        if t is not None:
            if kind == "st":
                if isinstance(t, MapTransfer):
                    t.add_store(op)
                else:
                    t.store = op
            else:
                t.loads.append(op)
        return op

    def value(self, core, length, name):
        return Ref(Value(core, length, name), 0, length)

    def alu(self, core, fn, a, b=None, *, name, comment=""):
        dst = self.value(core, a.length, name)
        self.emit("alu", core, dst=dst, srcs=(a,) if b is None else (a, b), fn=fn, comment=comment)
        return dst

    def zero(self, core, length, name):
        """A new value of zeros (``a - a``)."""
        v = self.value(core, length, name)
        self.emit("alu", core, dst=v, srcs=(v, v), fn="sub", comment="zero")
        return v

    def map(self, shape, halo, name, **kwargs):
        length = (shape[0] + 2 * halo) * (shape[1] + 2 * halo) * shape[2]
        t = MapTransfer(length, name, shape=tuple(shape), halo=halo, **kwargs)
        self.maps.append(t)
        self.transfers.append(t)
        return t

    def load(self, core, t, offset, dst, comment=""):
        """``dst`` (a Ref) := words ``offset ..`` of map ``t`` (split into MAX_VW pieces)."""
        for start in range(0, dst.length, MAX_VW):
            n = min(MAX_VW, dst.length - start)
            self.emit("ld", core, dst=Ref(dst.base, dst.offset + start, n), transfer=t,
                      soffset=offset + start, comment=comment)
        return dst

    def load_value(self, core, t, offset, length, name):
        return self.load(core, t, offset, self.value(core, length, name), comment=name)

    def store(self, core, t, offset, src, comment=""):
        for start in range(0, src.length, MAX_VW):
            n = min(MAX_VW, src.length - start)
            self.emit("st", core, srcs=(Ref(src.base, src.offset + start, n),), transfer=t,
                      soffset=offset + start, comment=comment)

    def send(self, ref, src, dst, name):
        """``ref`` of core ``src`` made available on core ``dst`` (a transfer if they differ)."""
        if src == dst:
            return ref
        t = Transfer(ref.length, name)
        self.transfers.append(t)
        self.emit("st", src, srcs=(ref,), transfer=t, comment=f"send {name}")
        out = self.value(dst, ref.length, name)
        self.emit("ld", dst, dst=out, transfer=t, comment=f"receive {name}")
        return out

    def reduce(self, parts, name):
        """Sum of ``[(core, ref), ...]`` in order (saturating VFU adds) along a chain: the
        running sum moves to the next part's core when it changes (one transfer per core
        boundary, one value in flight), so it ends on the last part's core. Returns
        ``(core, ref)``."""
        core, acc = parts[0]
        for index, (source, ref) in enumerate(parts[1:], 1):
            acc = self.send(acc, core, source, f"{name}.sum{index}")
            core = source
            acc = self.alu(core, "add", acc, ref, name=name, comment=f"+ partial sum {index}")
        return core, acc

