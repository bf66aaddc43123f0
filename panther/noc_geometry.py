"""The geometry of a node's network, derived from a :class:`panther.config.PantherConfig`'s
fields (docs/node.md): routers, the mesh they form, hops between tiles, flits of a vector.
:class:`NocGeometry` is a base of the configuration (no fields of its own)."""

import math

__all__ = ["NocGeometry"]


class NocGeometry:
    """The network properties of :class:`panther.config.PantherConfig` (it reads
    ``tiles_per_node``, ``noc_concentration``, ``noc_flit_bits`` and ``data_bits``).

    Members
    -------
    noc_routers, noc_mesh_cols, noc_mesh_rows, noc_words_per_flit : int
    noc_router_xy, noc_hops, noc_flits : methods
    """

    __slots__ = ()

    @property
    def noc_routers(self):
        """Routers of the node: ``ceil(tiles_per_node / noc_concentration)``."""
        return -(-self.tiles_per_node // self.noc_concentration)

    @property
    def noc_mesh_cols(self):
        """Columns of the router mesh: ``ceil(sqrt(noc_routers))``."""
        return math.isqrt(self.noc_routers - 1) + 1

    @property
    def noc_mesh_rows(self):
        """Rows of the router mesh: ``ceil(noc_routers / noc_mesh_cols)``."""
        return -(-self.noc_routers // self.noc_mesh_cols)

    def noc_router_xy(self, tile):
        """``(column, row)`` of the router of ``tile``."""
        router = tile // self.noc_concentration
        return router % self.noc_mesh_cols, router // self.noc_mesh_cols

    def noc_hops(self, src_tile, dst_tile):
        """Router-to-router links a flit crosses from ``src_tile`` to ``dst_tile`` (X then Y
        routing on the mesh: the Manhattan distance of their routers; 0 on one router)."""
        (x0, y0), (x1, y1) = self.noc_router_xy(src_tile), self.noc_router_xy(dst_tile)
        return abs(x1 - x0) + abs(y1 - y0)

    @property
    def noc_words_per_flit(self):
        """Data words one flit carries: ``noc_flit_bits / data_bits``."""
        return self.noc_flit_bits // self.data_bits

    def noc_flits(self, words):
        """Flits of one ``send`` of ``words`` data words: ``ceil(words / noc_words_per_flit)``
        (a vector is packed into flits; its last flit may be partly empty)."""
        return -(-words // self.noc_words_per_flit)
