"""The PANTHER tile: ``cores_per_tile`` cores around one synchronised shared memory."""

from types import SimpleNamespace

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.core import Core, CoreSignature
from panther.hdl.ports import SharedMemoryPortSignature, SmemHostSignature

from .smem_system import SharedMemorySystem

__all__ = ["TileSignature", "Tile", "forward_interface"]


def _core_port(config, index, signature):
    """``(name of the shared-memory member, the signature of every other member)`` of a
    core's signature."""
    smem = SharedMemoryPortSignature(config)
    names = [name for name, member in signature.members.items()
             if member.is_signature and member.flow == Out and member.signature == smem]
    if len(names) != 1:
        raise ValueError(f"core {index} must have exactly one Out(SharedMemoryPortSignature) "
                         f"member, not {names!r}")
    if "halted" not in signature.members:
        raise ValueError(f"core {index} has no 'halted' output")
    return names[0], wiring.Signature({name: member for name, member in
                                       signature.members.items() if name != names[0]})


class TileSignature(wiring.Signature):
    """The ports of a :class:`Tile`.

    Parameters
    ----------
    config : PantherConfig
    core_signatures : list of wiring.Signature, optional
        The signature of each core (default: ``cores_per_tile`` times
        :class:`~panther.hdl.core.CoreSignature`); each needs exactly one
        ``Out(SharedMemoryPortSignature(config))`` member and a ``halted`` output.

    Members
    -------
    c<i> : Out(the signature of core i without its shared-memory port)
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
    smem_members : list of str
        Per core: the name of its shared-memory member.
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
        members = {}
        for i, signature in enumerate(core_signatures):
            smem, rest = _core_port(config, i, signature)
            self.smem_members.append(smem)
            members[f"c{i}"] = Out(rest)
        for i in range(n):
            members[f"c{i}_smem_addr_out"] = Out(config.SMEM_ADDR_BITS)
        members.update({
            "all_halted": Out(1), "deadlock": Out(1), "smem_stuck": Out(n),
            "smem_req": Out(n), "smem_write": Out(n), "smem_accesses": Out(n),
            "host_smem": In(SmemHostSignature(config)),
        })
        super().__init__(members)


def forward_interface(m, outer, inner):
    """Connect ``outer`` (a member of this component) to the same-named members of ``inner`` (a
    subcomponent), as ``wiring.connect(m, wiring.flipped(outer), inner)`` would for a
    signature that ``inner``'s includes. Amaranth 0.5 neither flips nor connects an interface
    with array members as a whole, so each sub-interface (and array element) is connected on
    its own and the plain ports together."""
    ports = {}
    for name, member in outer.signature.members.items():
        if member.is_port:
            ports[name] = member
            continue
        elements = [(getattr(outer, name), getattr(inner, name))]
        for _ in member.dimensions:
            elements = [pair for o, i in elements for pair in zip(o, i)]
        for o, i in elements:
            wiring.connect(m, wiring.flipped(o), i)
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
    them: ``c0_dbg_req``, ``c0_analog_1_req``, see :mod:`panther.hdl.flatten`).

    Parameters
    ----------
    config : PantherConfig
    core_factory : callable, optional
        ``f(config=..., core_id=...)`` returning a core component (default
        :class:`panther.hdl.core.Core`); see :class:`TileSignature` for what it needs.

    Members
    -------
    cores : list of wiring.Component
    (the members of :class:`TileSignature`)
    """

    def __init__(self, *, config, core_factory=None):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if core_factory is not None and not callable(core_factory):
            raise TypeError(f"core_factory must be callable, not {core_factory!r}")
        self.config = config
        factory = core_factory or _default_core_factory
        self.cores = [factory(config=config, core_id=i) for i in range(config.cores_per_tile)]
        super().__init__(TileSignature(config, core_signatures=[c.signature for c in self.cores]))

    def elaborate(self, platform):
        c = self.config
        m = Module()
        m.submodules.smem = smem = SharedMemorySystem(config=c)
        for i, core in enumerate(self.cores):
            m.submodules[f"core{i}"] = core
            outer = getattr(self, f"c{i}")
            forward_interface(m, outer, core)
            port = getattr(core, self.signature.smem_members[i])
            wiring.connect(m, port, smem.ports[i])
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
        m.d.comb += [
            self.all_halted.eq(smem.halted.all()),
            self.deadlock.eq(smem.deadlock),
            self.smem_stuck.eq(smem.stuck),
            self.smem_accesses.eq(smem.accesses),
        ]
        return m

