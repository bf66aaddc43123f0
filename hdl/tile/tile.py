"""The PANTHER tile: ``cores_per_tile`` cores around one synchronised shared memory."""

from amaranth.hdl import Module, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.node.noc_port import CoreNocSignature, FlitLayout
from panther.hdl.node.tile_noc import TileNoc

from ..flat_top import flat_port_name
from .smem_port import COUNT_BITS, SharedMemoryPortSignature
from .smem_system import SharedMemorySystem

__all__ = ["Tile", "core_port_name"]


def core_port_name(core, path):
    """Top-level name of a core's port: ``c<core>_`` + the member path joined by ``_``.

    The ``a_req`` of MCU 1 of core 0 (``core.analog[1].a_req``) is ``c0_analog_1_a_req``:
    the name the core's own top has (:func:`hdl.flat_top.flat_port_name`) with the core's
    prefix.
    """
    return f"c{core}_" + flat_port_name(path)


def _default_core_factory(*, config, core_id):
    from panther.hdl.core import Core
    return Core(config=config, core_id=core_id)


class Tile(wiring.Component):
    """One tile: cores, their shared memory (round robin), host ports and status.

    Every port of every core except its shared-memory port is brought to the top level as a
    PLAIN signal (no layouts or enums, same width and signedness) named by
    :func:`core_port_name` (``c<i>_<member path>``; nested interfaces and arrays are
    flattened, e.g. ``c0_dbg_addr``, ``c0_analog_1_a_req``), with the core's direction. So each MCU analog port appears as ``c<i>_<core's name>`` and can be served
    by :func:`cosim.mcu_bridge.serve_mcu` with that prefix. Shared-memory ports are wired
    to a :class:`~hdl.tile.smem_system.SharedMemorySystem`, network ports (a core's
    ``Out(CoreNocSignature)`` member, if it has one) to the tile's
    :class:`~hdl.node.tile_noc.TileNoc`, whose link to the router is the tile's NoC port.

    Parameters
    ----------
    config : PantherConfig
    core_factory : callable, optional
        ``f(config=..., core_id=...)`` returning a core component (default
        :class:`hdl.core.Core`). Its signature needs exactly one
        ``Out(SharedMemoryPortSignature(config))`` member and a ``halted`` output.
    tile_id : int
        The tile's number on the node (its network address; default 0).

    Members
    -------
    c<i>_<path> : core ports, see above.
    all_halted : Out(1)
        Every core has stopped (its ``halted`` or, if it has one, ``error`` output is high).
    deadlock : Out(1)
        Every core that has not stopped waits on a shared-memory word that cannot change
        (see :class:`~hdl.tile.deadlock.DeadlockDetector`).
    smem_stuck : Out(cores_per_tile)
        The cores caught in the deadlock.
    smem_req, smem_write : Out(cores_per_tile)
        Per core: a shared-memory request is pending / is a store.
    c<i>_smem_addr_out : Out(SMEM_ADDR_BITS)
        Per core: the word its pending request names (to report a deadlock).
    smem_accesses : Out(cores_per_tile)
        Per core: strobe of a completed shared-memory word access.
    host_smem_addr, host_smem_we, host_smem_wvalue, host_smem_wvalid, host_smem_wcount : In
    host_smem_rvalue, host_smem_rvalid, host_smem_rcount : Out
        Shared-memory host port: write a word (value, valid, count) in one cycle; read with
        a latency of one cycle. Use it only while the cores are not running.
    noc_tx_valid, noc_tx_flit : Out; noc_tx_ready : In
    noc_rx_valid, noc_rx_flit : In; noc_rx_ready : Out
        The tile's NoC port (:class:`hdl.node.noc_port.NocPortSignature` as plain signals;
        ``noc_*_flit`` holds a :class:`hdl.node.noc_port.FlitLayout`).
    noc_waiting : Out(cores_per_tile)
        Per core: its ``send``/``recv`` waits on the network (:class:`TileNoc` ``waiting``).
    noc_busy : Out(1)
        The network interface holds a flit or owes credits.
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
        n = config.cores_per_tile
        self.cores = [factory(config=config, core_id=i) for i in range(n)]
        self.noc = TileNoc(config=config, tile_id=tile_id)
        smem_sig = SharedMemoryPortSignature(config)
        noc_sig = CoreNocSignature(config)
        self._passthrough = []     # (core index, path, top name, flow)
        self._smem_path = []
        self._noc_path = []        # per core: its network port's name, or None
        members = {}
        for i, core in enumerate(self.cores):
            smem_paths = [name for name, member in core.signature.members.items()
                          if member.is_signature and member.flow == Out and member.signature == smem_sig]
            if len(smem_paths) != 1:
                raise ValueError(f"core {i} ({type(core).__name__}) must have exactly one "
                                 f"Out(SharedMemoryPortSignature) member, not {smem_paths!r}")
            self._smem_path.append(smem_paths[0])
            if "halted" not in core.signature.members:
                raise ValueError(f"core {i} ({type(core).__name__}) has no 'halted' output")
            noc_paths = [name for name, member in core.signature.members.items()
                         if member.is_signature and member.flow == Out and member.signature == noc_sig]
            self._noc_path.append(noc_paths[0] if noc_paths else None)
            for path, member, value in core.signature.flatten(core):
                flow = member.flow
                if path[0] == smem_paths[0] or path[0] in noc_paths:
                    continue
                name = core_port_name(i, path)
                if "__" in name:
                    raise ValueError(f"core port {path!r} gives the top-level name {name!r} "
                                     "with '__', which Verilog export reserves")
                signal = Value.cast(value)
                members[name] = flow(signal.shape(), init=signal.init)
                self._passthrough.append((i, path, name, flow))
        a, d = config.SMEM_ADDR_BITS, config.data_bits
        for i in range(n):
            members[f"c{i}_smem_addr_out"] = Out(a)
        members.update({
            "all_halted": Out(1), "deadlock": Out(1), "smem_stuck": Out(n),
            "smem_req": Out(n), "smem_write": Out(n), "smem_accesses": Out(n),
            "host_smem_addr": In(a), "host_smem_we": In(1), "host_smem_wvalue": In(d),
            "host_smem_wvalid": In(1), "host_smem_wcount": In(COUNT_BITS),
            "host_smem_rvalue": Out(d), "host_smem_rvalid": Out(1),
            "host_smem_rcount": Out(COUNT_BITS),
        })
        flit = FlitLayout(config).size
        members.update({
            "noc_tx_valid": Out(1), "noc_tx_ready": In(1), "noc_tx_flit": Out(flit),
            "noc_rx_valid": In(1), "noc_rx_ready": Out(1), "noc_rx_flit": In(flit),
            "noc_waiting": Out(n), "noc_busy": Out(1),
        })
        super().__init__(members)

    @property
    def passthrough(self):
        """``(core, member path, top-level name, flow)`` of every core port brought out."""
        return list(self._passthrough)

    def elaborate(self, platform):
        c = self.config
        m = Module()
        m.submodules.smem = smem = SharedMemorySystem(config=c)
        m.submodules.noc = noc = self.noc
        for i, core in enumerate(self.cores):
            m.submodules[f"core{i}"] = core
            port = getattr(core, self._smem_path[i])
            wiring.connect(m, port, smem.ports[i])
            if self._noc_path[i] is not None:
                wiring.connect(m, getattr(core, self._noc_path[i]), noc.cores[i])
            stopped = core.halted
            if "error" in core.signature.members:
                stopped = stopped | core.error
            m.d.comb += [
                smem.halted[i].eq(stopped),
                self.smem_req[i].eq(port.req),
                self.smem_write[i].eq(port.write),
                getattr(self, f"c{i}_smem_addr_out").eq(port.addr),
            ]
        for i, path, name, flow in self._passthrough:
            inner = self.cores[i]
            for p in path:
                inner = inner[p] if isinstance(p, int) else getattr(inner, p)
            inner = Value.cast(inner)
            outer = getattr(self, name)
            if flow == Out:
                m.d.comb += outer.eq(inner)
            else:
                m.d.comb += inner.eq(outer)
        for name in ("addr", "we", "wvalue", "wvalid", "wcount"):
            m.d.comb += getattr(smem, f"host_{name}").eq(getattr(self, f"host_smem_{name}"))
        for name in ("rvalue", "rvalid", "rcount"):
            m.d.comb += getattr(self, f"host_smem_{name}").eq(getattr(smem, f"host_{name}"))
        m.d.comb += [
            self.noc_tx_valid.eq(noc.port.tx.valid), self.noc_tx_flit.eq(noc.port.tx.flit),
            noc.port.tx.ready.eq(self.noc_tx_ready),
            noc.port.rx.valid.eq(self.noc_rx_valid), noc.port.rx.flit.eq(self.noc_rx_flit),
            self.noc_rx_ready.eq(noc.port.rx.ready),
            self.noc_waiting.eq(noc.waiting), self.noc_busy.eq(noc.busy),
            self.all_halted.eq(smem.halted.all()),
            self.deadlock.eq(smem.deadlock),
            self.smem_stuck.eq(smem.stuck),
            self.smem_accesses.eq(smem.accesses),
        ]
        return m
