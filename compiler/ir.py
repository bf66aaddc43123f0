"""The compiler's intermediate representation: vector values, buffer references, operations.

* :class:`Value`: a virtual register vector of one core (given a register-file address by
  :mod:`compiler.regalloc`); defined once.
* :class:`Buf`: the XBarIn (``'in'``) or XBarOut (``'out'``) buffer of an MCU.
* :class:`Ref`: ``length`` words of a Value or a Buf from ``offset``.
* :class:`Transfer`: a vector in shared memory: written once by a ``st`` (or present in the
  image, ``persistent``) and read by one ``ld`` per consumer; its consumer count is the number
  of those loads. Or, between cores of two tiles, a vector on the node's network
  (``noc``): one ``send`` and one ``recv``.
* :class:`Op`: one instruction of one core, before fusion (an ``mcu`` op names one MCU and
  one operation; :mod:`compiler.fusion` merges them).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

__all__ = ["Value", "Buf", "Ref", "Transfer", "Op", "MCU_OPS", "locations"]

#: ``mcu`` operations and their mask bits (isa.table.MCU_OPS order).
MCU_OPS = {"mvm": 1, "mtvm": 2, "opa": 4}

_ids = itertools.count()


class Value:
    """A virtual register vector of one core."""

    __slots__ = ("id", "core", "length", "name", "addr")

    def __init__(self, core, length, name):
        self.id = next(_ids)
        self.core = core
        self.length = length
        self.name = name
        self.addr = None

    def __repr__(self):
        return f"%{self.name}.{self.id}"


@dataclass(frozen=True)
class Buf:
    """XBarIn (``kind='in'``) or XBarOut (``'out'``) of MCU ``mcu``."""

    mcu: int
    kind: str

    def __repr__(self):
        return f"x{self.kind}{self.mcu}"


@dataclass(frozen=True)
class Ref:
    """``length`` words of a :class:`Value` or :class:`Buf`, from ``offset``."""

    base: object
    offset: int
    length: int

    @property
    def loc(self):
        """Dependency location: the whole value or buffer."""
        if isinstance(self.base, Value):
            return ("v", self.base.id)
        return (self.base.kind, self.base.mcu)

    def whole(self):
        return isinstance(self.base, Value) and self.offset == 0 and self.length == self.base.length


@dataclass(eq=False)
class Transfer:
    """A vector in shared memory.

    Members
    -------
    length : int
    name : str
    persistent : bool
        In the image with count 0 (samples, targets): loads never consume it.
    saddr : int or None
        Fixed address (persistent data, outputs) or the allocator's choice.
    extra_count : int
        Consumer count beyond the loads (1 for outputs, which stay valid for the host).
    index : str or None
        In a rolled (looped) kernel, the per-sample shared-memory data are addressed through a
        pointer register: ``'x'`` (stride ``n_0``: the samples) or ``'t'`` (stride ``n_L``:
        targets and outputs); ``saddr`` is then the offset of sample 0 (``ldx``/``stx``).
    store : Op or None
        The ``st`` (or the ``send`` of a network transfer).
    loads : list of Op
        The ``ld`` s (or the one ``recv`` of a network transfer).
    noc : bool
        A transfer over the node's network: no shared memory.
    """

    length: int
    name: str
    persistent: bool = False
    saddr: int = None
    extra_count: int = 0
    index: str = None
    store: object = None
    loads: list = field(default_factory=list)
    noc: bool = False
    id: int = field(default_factory=lambda: next(_ids))

    #: Whether :mod:`compiler.smem` may give the words to a later transfer once every load
    #: is done (a feature map with persistent zero borders never frees them).
    reusable = True

    @property
    def count(self):
        return len(self.loads) + self.extra_count

    def count_for(self, store):
        """Consumer count written by ``store`` (one of this transfer's stores)."""
        return self.count

    @property
    def producers(self):
        """Cores that store into the transfer."""
        return {self.store.core}


@dataclass(eq=False)
class Op:
    """One (unfused) instruction of one core.

    ``kind`` is ``ld``, ``st``, ``send``, ``recv``, ``cp``, ``alu``, ``alui``, ``mcu``, ``crs``
    or ``hlt``, and in the loop control of a rolled kernel ``set``, ``alu_int`` and ``br``
    (``fn`` is the branch condition, ``target`` the instruction index). ``core`` is the
    node-wide core number (``tile * cores_per_tile + core``); ``peer`` is the other core of a
    ``send``/``recv``. An ``mcu`` op's ``mop`` is ``mvm``, ``mtvm``, ``opa`` or ``mvm+mtvm``:
    MVM and MTVM of one MCU that read XBarIn and XBarOut before either writes (the pipelined
    mini-batch pairs the MVM of a later sample with the MTVM of an earlier one, paper Table 2).
    Every ``ld``/``st``/``send``/``recv`` reads and writes the location ``('smem',)``, so each
    core keeps them in their original order.
    """

    kind: str
    core: int
    dst: Ref = None
    srcs: tuple = ()
    fn: str = None
    imm: int = None
    transfer: Transfer = None
    mcu: int = None
    mop: str = None
    mask: int = 0
    comment: str = ""
    gidx: int = -1
    target: int = None
    #: Word offset of a ``ld``/``st`` inside its transfer (a window of a feature map).
    soffset: int = 0
    peer: int = None

    @property
    def parts(self):
        """The MCU operations of an ``mcu`` op (``('mvm', 'mtvm')`` for a pair)."""
        return tuple(self.mop.split("+")) if self.mop else ()

    def reads(self):
        locs = [s.loc for s in self.srcs]
        if self.kind == "mcu":
            parts = self.parts
            if "mvm" in parts or "opa" in parts:
                locs.append(("in", self.mcu))
            if "mtvm" in parts or "opa" in parts:
                locs.append(("out", self.mcu))
        if self.kind in ("ld", "st", "send", "recv"):
            locs.append(("smem",))
        return locs

    def writes(self):
        locs = [self.dst.loc] if self.dst is not None else []
        if self.kind == "mcu":
            for part in self.parts:
                locs.append({"mvm": ("out", self.mcu), "mtvm": ("in", self.mcu),
                             "opa": ("w", self.mcu)}[part])
        if self.kind in ("ld", "st", "send", "recv"):
            locs.append(("smem",))
        return locs


def locations(op):
    """``(reads, writes)`` location lists of an op (see :class:`Ref.loc`)."""
    return op.reads(), op.writes()
