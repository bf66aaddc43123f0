"""``send`` and ``recv`` of a golden core (docs/semantics.md §7): the network half of
:class:`isa.golden.core.Core`."""

from __future__ import annotations

from ..faults import CoreFault
from .blocking import Blocked, _Fault

__all__ = ["NetworkOps"]


class NetworkOps:
    """``_op_send`` and ``_op_recv`` of :class:`isa.golden.core.Core` (which provides
    ``config``, ``tile``, ``index``, ``network``, ``events``, ``read``, ``write``, ``_check``,
    ``_retire``, ``_progress`` and ``blocked``)."""

    def _channel(self, instr, sending):
        """The channel key of a ``send``/``recv``; faults on a peer the node lacks."""
        c = self.config
        tile, core = instr["tile"], instr["core"]
        if tile >= c.tiles_per_node or core >= c.cores_per_tile:
            raise _Fault(CoreFault.NO_SUCH_TILE,
                         f"{instr.mnemonic} names tile {tile} core {core}, but the node has "
                         f"{c.tiles_per_node} tiles (tiles_per_node) of {c.cores_per_tile} cores")
        if sending:
            return (self.tile, self.index, tile, core)
        return (tile, core, self.tile, self.index)

    def _op_send(self, instr, smem):
        key = self._channel(instr, True)
        src, vw = instr["src"], instr["vw"]
        self._check(src, vw, "operand")
        net = self.network
        moved = 0
        while self._progress < vw:
            n = min(net.room(key), vw - self._progress)
            if n == 0:
                self.blocked = Blocked("send", channel=key)
                return moved > 0
            net.push(key, self.read(src + self._progress, n))
            self._progress += n
            moved += n
        self.blocked = None
        self._progress = 0
        flits, hops = net.count_send(self.tile, key[2], vw)
        self.events.add("noc_words_sent", vw)
        self.events.add("noc_flits", flits)
        self.events.add("noc_flit_hops", hops)
        return self._retire(instr)

    def _op_recv(self, instr, smem):
        key = self._channel(instr, False)
        dst, vw = instr["dst"], instr["vw"]
        self._check(dst, vw, "destination")
        net = self.network
        moved = 0
        while self._progress < vw:
            n = min(net.queued(key), vw - self._progress)
            if n == 0:
                self.blocked = Blocked("recv", channel=key)
                return moved > 0
            self.write(dst + self._progress, net.pop(key, n))
            self._progress += n
            moved += n
        self.blocked = None
        self._progress = 0
        self.events.add("noc_words_received", vw)
        return self._retire(instr)

