"""The PANTHER tile: ``cores_per_tile`` cores around one synchronised shared memory."""

from types import SimpleNamespace

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.core import Core, CoreSignature
from panther.hdl.node.noc_port import CoreNocSignature, NocPortSignature
from panther.hdl.node.tile_noc import TileNoc
from panther.hdl.ports import SharedMemoryPortSignature, SmemHostSignature

from .smem_system import SharedMemorySystem

__all__ = ["TileSignature", "Tile", "forward_interface"]


#: A core member the tile drives itself (with the core's index) instead of bringing it out.
CORE_ID_MEMBER = "core_id"


def _core_port(config, index, signature):
    """``(name of the shared-memory member, name of the network member or None, the signature
    of every other member)`` of a core's signature (a ``core_id`` input is the tile's own, see
    :data:`CORE_ID_MEMBER`)."""
    def members_of(sig):
        return [name for name, member in signature.members.items()
                if member.is_signature and member.flow == Out and member.signature == sig]
    smem = members_of(SharedMemoryPortSignature(config))
    if len(smem) != 1:
        raise ValueError(f"core {index} must have exactly one Out(SharedMemoryPortSignature) "
                         f"member, not {smem!r}")
    noc = members_of(CoreNocSignature(config))
    if len(noc) > 1:
        raise ValueError(f"core {index} must have at most one Out(CoreNocSignature) member, "
                         f"not {noc!r}")
    if "halted" not in signature.members:
        raise ValueError(f"core {index} has no 'halted' output")
    inside = {smem[0], *noc, CORE_ID_MEMBER}
    return smem[0], (noc[0] if noc else None), wiring.Signature(
        {name: member for name, member in signature.members.items() if name not in inside})


class TileSignature(wiring.Signature):
    """The ports of a :class:`Tile`.

    Parameters
    ----------
    config : PantherConfig
    core_signatures : list of wiring.Signature, optional
        The signature of each core (default: ``cores_per_tile`` times
        :class:`~panther.hdl.core.CoreSignature`); each needs exactly one
        ``Out(SharedMemoryPortSignature(config))`` member and a ``halted`` output, and may have
        one ``Out(CoreNocSignature(config))`` member (its ``send``/``recv`` port); a
        ``core_id`` input is driven by the tile with the core's index.

    Members
    -------
    c<i> : Out(the signature of core i without its shared-memory and network ports)
        Every other port of core ``i``, with the core's direction.
    c<i>_smem_addr_out : Out(SMEM_ADDR_BITS)
        Per core: the word its pending shared-memory request names (to report a deadlock).
    all_halted : Out(1)
        Every core has stopped (its ``halted`` or, if it has one, ``error`` output is high).
    deadlock : Out(1)
        Every core that has not stopped waits on a shared-memory word that cannot change
        (see :class:`~panther.hdl.tile.deadlock.DeadlockDetector`).
    smem_stuck : Out(cores_per_tile)
        The cores caught in the deadlock.
    smem_req, smem_write : Out(cores_per_tile)
        Per core: a shared-memory request is pending / is a store.
    smem_accesses : Out(cores_per_tile)
        Per core: strobe of a completed shared-memory word access.
    host_smem : In(SmemHostSignature(config))
        Shared-memory host port (read latency 1); use it only while the cores are not
        running.
    noc : Out(NocPortSignature(config))
        The tile's link to its router (:class:`~panther.hdl.node.tile_noc.TileNoc`'s port;
        flattened ``noc_tx_valid``, ``noc_tx_flit`` ..., the flits
        :class:`~panther.hdl.node.noc_port.FlitLayout` bits).
    noc_waiting : Out(cores_per_tile)
        Per core: its ``send``/``recv`` waits on the network (``TileNoc.waiting``).
    noc_busy : Out(1)
        The network interface holds a flit or owes credits.
    smem_members : list of str
        Per core: the name of its shared-memory member.
    noc_members : list of str or None
        Per core: the name of its network member (None: it has none).
    """

    def __init__(self, config, *, core_signatures=None):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        n = config.cores_per_tile
        if core_signatures is None:
            core_signatures = [CoreSignature(config)] * n
        if len(core_signatures) != n:
            raise ValueError(f"core_signatures must have {n} entries, not {len(core_signatures)}")
        self.config = config
        self.smem_members = []
        self.noc_members = []
        members = {}
        for i, signature in enumerate(core_signatures):
            smem, noc, rest = _core_port(config, i, signature)
            self.smem_members.append(smem)
            self.noc_members.append(noc)
            members[f"c{i}"] = Out(rest)
        for i in range(n):
            members[f"c{i}_smem_addr_out"] = Out(config.SMEM_ADDR_BITS)
        members.update({
            "all_halted": Out(1), "deadlock": Out(1), "smem_stuck": Out(n),
            "smem_req": Out(n), "smem_write": Out(n), "smem_accesses": Out(n),
            "host_smem": In(SmemHostSignature(config)),
            "noc": Out(NocPortSignature(config)), "noc_waiting": Out(n), "noc_busy": Out(1),
        })
        super().__init__(members)


def forward_interface(m, outer, inner):
    """Connect ``outer`` (a member of this component) to the same-named members of ``inner`` (a
    subcomponent), as ``wiring.connect(m, wiring.flipped(outer), inner)`` would for a
    signature that ``inner``'s includes. Amaranth 0.5 neither flips nor connects an interface
    with array members as a whole, so each sub-interface (and array element, at any depth:
    a node's ``t<k>`` holds a tile's ``c<i>``, which holds MCU port arrays) is forwarded on
    its own and the plain ports of each level together."""
    ports = {}
    for name, member in outer.signature.members.items():
        if member.is_port:
            ports[name] = member
            continue
        elements = [(getattr(outer, name), getattr(inner, name))]
        for _ in member.dimensions:
            elements = [pair for o, i in elements for pair in zip(o, i)]
        for o, i in elements:
            forward_interface(m, o, i)
    if ports:
        signature = wiring.Signature(ports)
        wiring.connect(m, SimpleNamespace(signature=signature.flip(),
                                          **{n: getattr(outer, n) for n in ports}),
                       SimpleNamespace(signature=signature,
                                       **{n: getattr(inner, n) for n in ports}))


def _default_core_factory(*, config, core_id):
    return Core(config=config, core_id=core_id)


class Tile(wiring.Component):
    """One tile: cores, their shared memory (round robin), host ports and status.

    The shared-memory port of every core is wired to a
    :class:`~panther.hdl.tile.smem_system.SharedMemorySystem`; every other port of core ``i``
    is brought out unchanged as the interface ``c<i>`` (a top level for a simulator flattens
    them: ``c0_dbg_req``, ``c0_analog_1_req``, see :mod:`panther.hdl.flatten`). A core's
    network port (an ``Out(CoreNocSignature)`` member, if it has one) is wired to the tile's
    :class:`~panther.hdl.node.tile_noc.TileNoc`, whose link to the router is the tile's
    ``noc`` port.

    Parameters
    ----------
    config : PantherConfig
    core_factory : callable, optional
        ``f(config=..., core_id=...)`` returning a core component (default
        :class:`panther.hdl.core.Core`); see :class:`TileSignature` for what it needs.
    tile_id : int
        The tile's number on the node (its network address; default 0).

    Members
    -------
    cores : list of wiring.Component
    noc_interface : TileNoc
        The tile's network interface.
    (the members of :class:`TileSignature`)
    """

    def __init__(self, *, config, core_factory=None, tile_id=0):
        try:
            self._build(config, core_factory, tile_id)
        except (TypeError, ValueError):
            self._MustUse__silence = True      # a rejected tile is not an unused one
            raise

    def _build(self, config, core_factory, tile_id):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if core_factory is not None and not callable(core_factory):
            raise TypeError(f"core_factory must be callable, not {core_factory!r}")
        self.config = config
        factory = core_factory or _default_core_factory
        self.cores = [factory(config=config, core_id=i) for i in range(config.cores_per_tile)]
        self.noc_interface = TileNoc(config=config, tile_id=tile_id)
        super().__init__(TileSignature(config, core_signatures=[c.signature for c in self.cores]))

    def elaborate(self, platform):
        c = self.config
        m = Module()
        m.submodules.smem = smem = SharedMemorySystem(config=c)
        m.submodules.noc = noc = self.noc_interface
        for i, core in enumerate(self.cores):
            m.submodules[f"core{i}"] = core
            outer = getattr(self, f"c{i}")
            forward_interface(m, outer, core)
            if CORE_ID_MEMBER in core.signature.members:
                m.d.comb += getattr(core, CORE_ID_MEMBER).eq(i)
            port = getattr(core, self.signature.smem_members[i])
            wiring.connect(m, port, smem.ports[i])
            if self.signature.noc_members[i] is not None:
                wiring.connect(m, getattr(core, self.signature.noc_members[i]), noc.cores[i])
            stopped = core.halted
            if "error" in core.signature.members:
                stopped = stopped | core.error
            m.d.comb += [
                smem.halted[i].eq(stopped),
                self.smem_req[i].eq(port.req),
                self.smem_write[i].eq(port.write),
                getattr(self, f"c{i}_smem_addr_out").eq(port.addr),
            ]
        wiring.connect(m, wiring.flipped(self.host_smem), smem.host)
        wiring.connect(m, wiring.flipped(self.noc), noc.port)
        m.d.comb += [
            self.noc_waiting.eq(noc.waiting), self.noc_busy.eq(noc.busy),
            self.all_halted.eq(smem.halted.all()),
            self.deadlock.eq(smem.deadlock),
            self.smem_stuck.eq(smem.stuck),
            self.smem_accesses.eq(smem.accesses),
        ]
        return m

