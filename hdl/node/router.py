"""A router of the node's concentrated mesh: ``noc_concentration`` local ports and four mesh
ports, dimension-ordered (X then Y) routing, one flit per output per cycle."""

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

from .noc_port import FlitLayout, LinkSignature

__all__ = ["Router", "MESH_PORTS", "route_table"]

#: The mesh ports after the local ones, and the (dx, dy) each leads to (y grows southwards).
MESH_PORTS = (("north", 0, -1), ("east", 1, 0), ("south", 0, 1), ("west", -1, 0))

#: Flits each input port buffers.
INPUT_DEPTH = 2


def route_table(config, router):
    """Output port of ``router`` for every destination tile (a list indexed by tile): local
    port ``tile % concentration`` on the tile's own router, else the mesh port of the next
    step of its route.

    Routes go X then Y, except from a router of the last mesh row to another row, which goes
    north first: when the routers do not fill the mesh, the holes are at the east end of the
    last row, and neither leg then crosses one. Only north-to-X turns are added to X-to-Y
    routing, so no route turns from south to X and the turn cycles a deadlock needs cannot
    form. Every route has the Manhattan length ``config.noc_hops``.
    """
    c = config
    cols, last_row = c.noc_mesh_cols, c.noc_mesh_rows - 1
    x, y = router % cols, router // cols
    out = []
    for tile in range(c.tiles_per_node):
        r = tile // c.noc_concentration
        tx, ty = r % cols, r // cols
        if (tx, ty) == (x, y):
            out.append(tile % c.noc_concentration)
            continue
        if tx != x and not (y == last_row and ty != y):
            step = (1 if tx > x else -1, 0)
        else:
            step = (0, 1 if ty > y else -1)
        out.append(c.noc_concentration + [(dx, dy) for _, dx, dy in MESH_PORTS].index(step))
    return out


class Router(wiring.Component):
    """One router.

    Ports ``0 .. noc_concentration - 1`` are the local tiles (tile ``router * c + k`` on port
    ``k``), then north, east, south, west (:data:`MESH_PORTS`). Every input buffers
    :data:`INPUT_DEPTH` flits; every output grants one requesting input per cycle, round
    robin, and forwards its oldest flit when the output's ``ready`` is high. A flit spends at
    least one cycle per router.

    Parameters
    ----------
    config : PantherConfig
    router : int
        The router's number, ``0 .. config.noc_routers - 1``.

    Members
    -------
    inputs : In(LinkSignature(config)).array(n_ports)
    outputs : Out(LinkSignature(config)).array(n_ports)
    busy : Out(1)
        A flit is buffered.
    """

    def __init__(self, *, config, router):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if not (isinstance(router, int) and not isinstance(router, bool)
                and 0 <= router < config.noc_routers):
            raise ValueError(f"router must be an integer from 0 to {config.noc_routers - 1}, "
                             f"not {router!r}")
        self.config = config
        self.router = router
        self.n_ports = config.noc_concentration + len(MESH_PORTS)
        super().__init__({
            "inputs": In(LinkSignature(config)).array(self.n_ports),
            "outputs": Out(LinkSignature(config)).array(self.n_ports),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        c = self.config
        m = Module()
        n = self.n_ports
        layout = FlitLayout(c)
        table = Array(Const(port, range(n)) for port in route_table(c, self.router))
        heads, wants, valids, pops = [], [], [], []
        for i in range(n):
            fifo = SyncFIFO(width=layout.size, depth=INPUT_DEPTH)
            m.submodules[f"in{i}"] = fifo
            link = self.inputs[i]
            m.d.comb += [fifo.w_data.eq(link.flit.as_value()), fifo.w_en.eq(link.valid),
                         link.ready.eq(fifo.w_rdy)]
            head = layout(fifo.r_data)
            want = Signal(range(n), name=f"want{i}")
            m.d.comb += want.eq(table[head.dst_tile])
            pop = Signal(name=f"pop{i}")
            m.d.comb += fifo.r_en.eq(pop)
            heads.append(head)
            wants.append(want)
            valids.append(fifo.r_rdy)
            pops.append(pop)
        busy = 0
        for valid in valids:
            busy = busy | valid
        m.d.comb += self.busy.eq(busy)
        for o in range(n):
            out = self.outputs[o]
            pointer = Signal(range(n), name=f"rr{o}")
            requests = [valids[i] & (wants[i] == o) for i in range(n)]
            grant = Signal(range(n), name=f"grant{o}")
            any_request = Signal(name=f"any{o}")
            # first requesting input at or after the pointer (round robin)
            for shift in reversed(range(n)):          # the smallest shift is assigned last
                for i in range(n):
                    with m.If((pointer == (i - shift) % n) & requests[i]):
                        m.d.comb += [grant.eq(i), any_request.eq(1)]
            m.d.comb += [out.valid.eq(any_request), out.flit.eq(Array(heads)[grant])]
            with m.If(any_request & out.ready):
                m.d.sync += pointer.eq(Mux(grant == n - 1, 0, grant + 1))
                for i in range(n):
                    with m.If(grant == i):
                        m.d.comb += pops[i].eq(1)
        return m
