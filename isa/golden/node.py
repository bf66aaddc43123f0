"""The golden model of a node: tiles on one network, scheduled round by round.

A round gives every tile, in tile order, one tile round (every running core of it one
instruction, in core order). The order is fixed, so a run is reproducible; it does not
change the result either, because the channels make the node a Kahn process network
(:mod:`isa.golden.network`). A round in which no core of any tile makes progress is a
deadlock: every running core waits on shared memory or on a channel, and
:class:`isa.golden.errors.DeadlockError` names each core, its tile, its PC and what it
waits for (a shared-memory word and the state it needs, or a channel and whether it is full
or empty).

Only the tiles an image holds are built (tile ``k`` of a :class:`isa.node_image.NodeImage`
is ``image.tiles[k]``); the node's other tiles are idle, and words sent to them stay in their
channels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from ..image import ProgramImage
from ..node_image import NodeImage
from .core import RUNNING
from .errors import DeadlockError, StepLimitError
from .network import Network, channel_name
from .report import GoldenReport
from .tile import DEFAULT_MAX_ROUNDS, Tile

__all__ = ["Node", "NodeReport", "run_node", "run_image", "merge_events"]


def merge_events(per_tile):
    """Node totals of per-tile event dicts (:meth:`isa.events.EventCounter.to_dict`): numbers
    and dicts of numbers are summed; the per-MCU rows are concatenated with their ``tile``."""
    out = {}
    for tile, events in enumerate(per_tile):
        for key, value in events.items():
            if key == "mcu":
                out.setdefault("mcu", []).extend({"tile": tile, **row} for row in value)
            elif isinstance(value, dict):
                target = out.setdefault(key, {})
                for name, n in value.items():
                    target[name] = target.get(name, 0) + n
            else:
                out[key] = out.get(key, 0) + value
    return out


@dataclass
class NodeReport:
    """Final state of a node and what it did (plain JSON data).

    Members
    -------
    config : dict
    rounds : int
        Node rounds.
    tiles : list of dict
        Per tile, a :class:`GoldenReport` as a dict (``config``, ``rounds``, ``cores``,
        ``smem``, ``events``); its events are the tile's own (NoC words, flits and flit-hops
        on the sending tile).
    noc : dict
        :meth:`isa.golden.network.Network.snapshot`: the words left in every channel, the
        traffic per (source tile, destination tile) and its totals ``words``, ``flits``,
        ``flit_hops``, ``sends``.
    events : dict
        The tiles' events summed (:func:`merge_events`).
    """

    config: dict
    rounds: int
    tiles: list
    noc: dict
    events: dict

    @property
    def ok(self):
        """True when every core of every tile halted without a fault."""
        return all(core["status"] == "halted" for tile in self.tiles for core in tile["cores"])

    @property
    def overflow(self):
        """Sticky overflow flags, per tile and core."""
        return [[core["overflow"] for core in tile["cores"]] for tile in self.tiles]

    def tile(self, k):
        """The :class:`GoldenReport` of tile ``k``."""
        return GoldenReport.from_dict(self.tiles[k])

    def to_dict(self):
        """The fields as a dict (not copied, as :meth:`GoldenReport.to_dict`)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self, **kwargs):
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data):
        return cls(**{k: data[k] for k in ("config", "rounds", "tiles", "noc", "events")})

    def state(self):
        """The architectural part: every tile's cores and shared memory, and the words left
        in the network's channels."""
        return {"tiles": [{"cores": t["cores"], "smem": t["smem"]} for t in self.tiles],
                "channels": self.noc["channels"]}


class Node:
    """An instruction-level model of a node: tiles sharing one :class:`Network`.

    Parameters
    ----------
    config : panther.config.PantherConfig
    tiles : list of Tile
        Tile ``k`` must have ``index == k`` and share ``network``.
    network : Network

    Members
    -------
    tiles : list of Tile
    network : Network
    rounds : int
    """

    def __init__(self, *, config, tiles, network):
        if not 1 <= len(tiles) <= config.tiles_per_node:
            raise ValueError(f"a node takes 1 to {config.tiles_per_node} tiles, not {len(tiles)}")
        for k, tile in enumerate(tiles):
            if tile.index != k or tile.network is not network:
                raise ValueError(f"tile {k}: must have index {k} and the node's network")
        self.config = config
        self.tiles = list(tiles)
        self.network = network
        self.rounds = 0

    @classmethod
    def from_image(cls, image, *, mcu_factory=None, trace=None):
        """A node loaded with a :class:`NodeImage` (or a :class:`ProgramImage` as tile 0).

        ``mcu_factory`` is one factory for every tile or a sequence of one per tile;
        ``trace(tile, core, pc, instruction)`` is called for every retired instruction.
        """
        if isinstance(image, ProgramImage):
            image = NodeImage(config=image.config, tiles=[image])
        network = Network(config=image.config)
        tiles = []
        for k, tile_image in enumerate(image.tiles):
            factory = mcu_factory[k] if isinstance(mcu_factory, (list, tuple)) else mcu_factory
            tile_trace = None if trace is None else (
                lambda core, pc, instr, k=k: trace(k, core, pc, instr))
            tiles.append(Tile.from_image(tile_image, mcu_factory=factory, trace=tile_trace,
                                         index=k, network=network))
        return cls(config=image.config, tiles=tiles, network=network)

    @property
    def done(self):
        return all(tile.done for tile in self.tiles)

    def step(self):
        """One node round. Returns True if any core of any tile made progress."""
        progress = False
        for tile in self.tiles:
            if not tile.done:
                progress |= tile.step()
        self.rounds += 1
        return progress

    def run(self, *, max_rounds=DEFAULT_MAX_ROUNDS):
        """Run until every core of every tile halted (or faulted). Returns a
        :class:`NodeReport`; raises :class:`DeadlockError` or :class:`StepLimitError`."""
        while not self.done:
            if self.rounds >= max_rounds:
                running = [f"tile {t.index} core {c.index} (pc {c.pc})" for t in self.tiles
                           for c in t.cores if c.status == RUNNING]
                raise StepLimitError(f"golden model: {max_rounds} node rounds reached with "
                                     f"{', '.join(running)} still running", report=self.report())
            if not self.step():
                waits = [w for tile in self.tiles for w in tile.waits(node=True)]
                waiting = {tuple(w["channel"]) for w, _ in waits if "channel" in w}
                held = [f"channel {channel_name(k)} holds {len(q)} word(s) no core waits for"
                        for k, q in sorted(self.network.channels.items()) if q and k not in waiting]
                raise DeadlockError("golden model: node deadlock: "
                                    + "; ".join([text for _, text in waits] + held),
                                    waits=[w for w, _ in waits], report=self.report())
        return self.report()

    def report(self):
        """The current state and event counts as a :class:`NodeReport`."""
        tiles = [tile.report(noc=False).to_dict() for tile in self.tiles]
        for tile in tiles:
            tile["rounds"] = self.rounds
            tile.pop("noc", None)
        return NodeReport(config=self.config.to_dict(), rounds=self.rounds, tiles=tiles,
                          noc=self.network.snapshot(),
                          events=merge_events([t["events"] for t in tiles]))


def run_node(image, *, mcu_factory=None, max_rounds=DEFAULT_MAX_ROUNDS, trace=None):
    """Load a :class:`NodeImage` (or a :class:`ProgramImage` as a one-tile node) into a
    :class:`Node` and run it; returns a :class:`NodeReport`."""
    return Node.from_image(image, mcu_factory=mcu_factory, trace=trace).run(max_rounds=max_rounds)


def run_image(image, *, mcu_factory=None, max_rounds=DEFAULT_MAX_ROUNDS, trace=None):
    """Run an image on the golden model: a :class:`ProgramImage` on a :class:`Tile` (returns
    a :class:`GoldenReport`; ``trace(core, pc, instruction)``), a :class:`NodeImage` on a
    :class:`Node` (returns a :class:`NodeReport`; ``trace(tile, core, pc, instruction)``)."""
    if isinstance(image, NodeImage):
        return run_node(image, mcu_factory=mcu_factory, max_rounds=max_rounds, trace=trace)
    return Tile.from_image(image, mcu_factory=mcu_factory, trace=trace).run(max_rounds=max_rounds)
