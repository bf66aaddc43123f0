"""The node top: ``tiles_per_node`` tiles on a concentrated mesh of routers (docs/node.md)."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from panther.config import PantherConfig
from panther.hdl.tile.tile import Tile, forward_interface

from .router import MESH_PORTS, Router

__all__ = ["Node", "tile_port_name", "NOC_PORTS"]

#: Tile members the node connects inside (``noc``: the link to the router); every other one
#: is brought out.
NOC_PORTS = ("noc", "noc_busy")


def tile_port_name(tile, name):
    """Top-level name of a tile's port once the node is flattened
    (:mod:`panther.hdl.flatten`): ``t<tile>_`` + the flattened tile's own name
    (``t1_c0_dbg_addr``, ``t3_host_smem_we``)."""
    return f"t{tile}_{name}"


class Node(wiring.Component):
    """A node: tiles, routers and the links between them.

    Tile ``k`` (``hdl.tile.Tile(tile_id=k)``) sits on local port ``k % noc_concentration`` of
    router ``k // noc_concentration``; router ``r`` is at column ``r % noc_mesh_cols``, row
    ``r // noc_mesh_cols`` and links to its existing neighbours (:data:`router.MESH_PORTS`).
    Every port of every tile but its network link is brought out unchanged in the interface
    ``t<k>`` (flattened, :mod:`panther.hdl.flatten`, to the names of :func:`tile_port_name`:
    ``t1_c0_dbg_req``).

    Parameters
    ----------
    config : PantherConfig
    core_factory : callable, optional
        Passed to every :class:`hdl.tile.Tile`.

    Members
    -------
    tiles : list of Tile
    t<k> : Out(the signature of tile k without :data:`NOC_PORTS`)
    all_halted : Out(1)
        Every core of every tile has stopped.
    deadlock : Out(1)
        Every core that has not stopped waits (on a shared-memory word its tile's deadlock
        detector holds stuck, or on the network: no credit, or an empty channel) and no flit
        is anywhere in the network or its interfaces, for two cycles in a row.
    noc_busy : Out(1)
        A flit is buffered somewhere in the network or a tile's interface.
    """

    def __init__(self, *, config, core_factory=None):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.tiles = [Tile(config=config, core_factory=core_factory, tile_id=k)
                      for k in range(config.tiles_per_node)]
        self.routers = [Router(config=config, router=r) for r in range(config.noc_routers)]
        members = {}
        for k, tile in enumerate(self.tiles):
            members[f"t{k}"] = Out(wiring.Signature({
                name: member for name, member in tile.signature.members.items()
                if name not in NOC_PORTS}))
        members.update({"all_halted": Out(1), "deadlock": Out(1), "noc_busy": Out(1)})
        super().__init__(members)

    def elaborate(self, platform):
        c = self.config
        m = Module()
        cols, n_local = c.noc_mesh_cols, c.noc_concentration
        for r, router in enumerate(self.routers):
            m.submodules[f"router{r}"] = router
        for k, tile in enumerate(self.tiles):
            m.submodules[f"tile{k}"] = tile
            forward_interface(m, getattr(self, f"t{k}"), tile)
            router = self.routers[k // n_local]
            up, down = router.inputs[k % n_local], router.outputs[k % n_local]
            link = tile.noc
            m.d.comb += [up.valid.eq(link.tx.valid), up.flit.eq(link.tx.flit),
                         link.tx.ready.eq(up.ready),
                         link.rx.valid.eq(down.valid), link.rx.flit.eq(down.flit),
                         down.ready.eq(link.rx.ready)]
        for r, router in enumerate(self.routers):
            x, y = r % cols, r // cols
            for d, (_, dx, dy) in enumerate(MESH_PORTS):
                out = router.outputs[n_local + d]
                nx, ny = x + dx, y + dy
                neighbour = ny * cols + nx
                if 0 <= nx < cols and 0 <= ny and neighbour < len(self.routers):
                    opposite = [(-dx, -dy) == (ex, ey) for _, ex, ey in MESH_PORTS].index(True)
                    into = self.routers[neighbour].inputs[n_local + opposite]
                    m.d.comb += [into.valid.eq(out.valid), into.flit.eq(out.flit),
                                 out.ready.eq(into.ready)]
                else:                                   # no neighbour: no route leads here
                    m.d.comb += [out.ready.eq(0), router.inputs[n_local + d].valid.eq(0)]
        # -- node status ----------------------------------------------------------------------
        busy = 0
        for router in self.routers:
            busy = busy | router.busy
        for tile in self.tiles:
            busy = busy | tile.noc_busy
        halted = waiting = 1
        any_running = 0
        for tile in self.tiles:
            halted = halted & tile.all_halted
            for i in range(c.cores_per_tile):
                core = getattr(tile, f"c{i}")
                stopped = core.halted
                if "error" in core.signature.members:
                    stopped = stopped | core.error
                blocked = tile.smem_stuck[i] | tile.noc_waiting[i]
                waiting = waiting & (stopped | blocked)
                any_running = any_running | ~stopped
        quiet = Signal()
        m.d.sync += quiet.eq(any_running & waiting & ~busy)
        m.d.comb += [self.all_halted.eq(halted), self.noc_busy.eq(busy),
                     self.deadlock.eq(quiet & any_running & waiting & ~busy)]
        return m
