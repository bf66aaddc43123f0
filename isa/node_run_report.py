"""The ``panther.run/1`` report of a node run: several tiles on the network, golden or RTL.

A node report is a tile report (:class:`isa.run_report.RunReport`) whose top-level members
mean the whole node, plus two members a tile report does not have:

* ``tiles``: per tile of the image, the tile's ``cores``, ``events``, ``energy`` and
  ``values`` in the shapes of a tile report, and which model ran it (``sim``: ``golden`` or the
  simulator; a ``--rtl-tile`` run mixes them);
* ``noc``: the network's totals (words, flits, flit-hops, their energy), the traffic per
  route and the words left in channels.

At the top level, ``cores`` lists every core of the node in tile order (each with its
``tile``), ``events`` and ``energy`` are the tiles' sums, ``values`` merges the tiles'
regions (a ``.region`` per core with its ``tile``; an ``.sregion`` per tile, under
``tiles``), and ``status``, ``cycles`` and ``comparison`` are the node's. docs/report.md says
why this stays ``panther.run/1``.
"""

from __future__ import annotations

import panther
from panther.config import PantherConfig
from panther.errors import UserError

from .golden.node import merge_events
from .node_run_text import format_node_run
from .run_report import SCHEMA, RunOutcome, RunReport, energy_json, json_ready

__all__ = ["NodeRunReport", "merge_values", "flat_counters"]

_REGION_KEYS = ("space", "base", "length", "format")


def merge_values(per_tile):
    """The node's ``values`` from per-tile :func:`isa.run_report.region_values`: a core region
    lists every core with a program on any tile (``tile``, ``core``, ``raw``, ``real``), a
    shared region every tile (``tile``, ``raw``, ``real``, ``valid``). A tile whose region of
    that name lies elsewhere (hand-built images) is left to its own ``tiles[k].values``."""
    out = {}
    for k, values in enumerate(per_tile):
        for name, entry in values.items():
            head = {key: entry[key] for key in _REGION_KEYS}
            shared = entry["space"] == "shared"
            node = out.setdefault(name, {**head, "tiles" if shared else "cores": []})
            if any(node[key] != head[key] for key in _REGION_KEYS):
                continue
            if shared:
                node["tiles"].append({"tile": k, **{key: entry[key]
                                                    for key in ("raw", "real", "valid")}})
            else:
                node["cores"] += [{"tile": k, **core} for core in entry["cores"]]
    return out


def flat_counters(events, prefix=""):
    """The names of every counter in an event dict (``instructions.add``, ``mcu.0.1.mvm``,
    ``rf_reads`` ...), each with ``prefix``."""
    names = []
    for key, value in sorted(events.items()):
        if key == "mcu":
            names += [f"{prefix}mcu.{row['core']}.{row['mcu']}.{name}" for row in value
                      for name in sorted(row) if name not in ("core", "mcu", "tile")]
        elif isinstance(value, dict):
            names += [f"{prefix}{key}.{name}" for name in sorted(value)]
        else:
            names.append(f"{prefix}{key}")
    return names


class NodeRunReport(RunOutcome):
    """The report of one node run (see the module docstring); the same interface as
    :class:`isa.run_report.RunReport` where a node has the same thing.

    Parameters
    ----------
    image : isa.node_image.NodeImage
    tiles : list of RunReport
        Per tile of the image, its report (its own image, final state and event counts, per
        core cycles on the RTL).
    noc : dict
        :meth:`isa.golden.network.Network.snapshot` of the golden node's run (traffic per
        route, words left in channels).
    sim : str
        ``'golden'``, ``'verilator'`` or ``'icarus'``.
    status : str
        One of :data:`isa.run_report.STATUSES`.
    tile_sims : list of str, optional
        Per tile, the model that ran it (default: ``sim`` for every tile).
    rounds : int, optional
        Golden model: node rounds.
    message, mcu_model, program, cycles, rtl, comparison, check_note, notes
        As in :class:`isa.run_report.RunReport`.

    Members
    -------
    The parameters, plus :attr:`config`, :attr:`ok`, :attr:`cores`, :attr:`events`,
    :attr:`check` (always None: reference checks run on one-tile programs) and
    :attr:`wall_seconds`.
    """

    def __init__(self, *, image, tiles, noc, sim, status, tile_sims=None, rounds=None,
                 message=None, mcu_model="exact", program=None, cycles=None, rtl=None,
                 comparison=None, check_note=None, notes=()):
        if len(tiles) != len(image.tiles):
            raise ValueError(f"tiles must hold one report per tile of the image "
                             f"({len(image.tiles)}), not {len(tiles)}")
        super().__init__(sim=sim, status=status, message=message, mcu_model=mcu_model,
                         program=program, cycles=cycles, rtl=rtl, comparison=comparison,
                         check_note=check_note, notes=notes)
        self.image = image
        self.config = image.config if isinstance(image.config, PantherConfig) else \
            PantherConfig.from_dict(image.config)
        self.tiles = list(tiles)
        self.noc = noc
        self.tile_sims = list(tile_sims) if tile_sims is not None else [sim] * len(tiles)
        self.rounds = rounds

    @classmethod
    def from_golden(cls, image, node_report, *, status, message=None, mcu_model="exact",
                    program=None):
        """The report of a golden-node run (an :class:`isa.golden.NodeReport`)."""
        tiles = [RunReport(image=tile, state=node_report.tile(k), sim="golden", status=status,
                           mcu_model=mcu_model)
                 for k, tile in enumerate(image.tiles)]
        return cls(image=image, tiles=tiles, noc=node_report.noc, sim="golden", status=status,
                   rounds=node_report.rounds, message=message, mcu_model=mcu_model,
                   program=program)

    # -- what a user reads -------------------------------------------------------------------

    @property
    def events(self):
        """The node's event counts: the tiles' summed (per-MCU rows with their ``tile``)."""
        return merge_events([tile.events for tile in self.tiles])

    @property
    def cores(self):
        """Every core of the node, tile by tile, as :attr:`RunReport.cores` with ``tile``."""
        return [{"tile": k, **core} for k, tile in enumerate(self.tiles) for core in tile.cores]

    def _tile(self, tile):
        if not (isinstance(tile, int) and 0 <= tile < len(self.tiles)):
            raise UserError(f"tile must be a tile of the program, 0 .. {len(self.tiles) - 1}, "
                            f"not {tile!r}")
        return self.tiles[tile]

    def values(self, symbol=None, *, tile=None):
        """Decoded final values: of the node (:func:`merge_values`), or of one ``tile`` (as
        :meth:`RunReport.values`); of every region, or of ``symbol``."""
        if tile is not None:
            return self._tile(tile).values(symbol)
        values = merge_values([t.values() for t in self.tiles])
        if symbol is None:
            return values
        if symbol not in values:
            raise UserError(f"no region {symbol!r} in the program (regions: "
                            f"{', '.join(values) or 'none'})")
        return values[symbol]

    def weights(self, core, mcu, *, tile=0):
        """The final weights of one MCU of ``tile`` as real numbers (numpy, rows x columns)."""
        return self._tile(tile).weights(core, mcu)

    def energy(self):
        """:func:`isa.run_report.energy_json` of the node's energy events."""
        return energy_json(self.config, self.events["energy_events"])

    def check_json(self):
        return {"name": None, "ok": None, "note": self.check_note, "rows": []}

    def noc_json(self, events, energy):
        """The ``noc`` member: the run's network totals (its own counters: the RTL's on RTL
        tiles), their energy, and the golden node's traffic per route and leftover words."""
        parts = {name: energy["events"].get(name, {}).get("total_pj", 0.0)
                 for name in ("noc_flit", "noc_hop")}
        return {"words_sent": events.get("noc_words_sent", 0),
                "words_received": events.get("noc_words_received", 0),
                "flits": events.get("noc_flits", 0), "flit_hops": events.get("noc_flit_hops", 0),
                "energy_pj": {**parts, "total": sum(parts.values())},
                "traffic": json_ready(self.noc["traffic"]),
                "channels": [{**{k: chan[k] for k in ("src_tile", "src_core", "dst_tile",
                                                      "dst_core")},
                              "words": list(chan["words"])} for chan in self.noc["channels"]]}

    # -- JSON --------------------------------------------------------------------------------

    def to_dict(self, *, state=False):
        """The ``panther.run/1`` JSON of the node (see :data:`isa.run_report.SCHEMA_FILE`);
        ``state`` adds every tile's final state and the words left in channels."""
        c = self.config
        per_tile = [tile.values() for tile in self.tiles]
        events = json_ready(self.events)
        energy = self.energy()
        data = {
            "schema": SCHEMA,
            "generator": {"name": "panther", "version": panther.__version__},
            "program": self.program,
            "sim": self.sim,
            "mcu_model": self.mcu_model,
            "config": c.to_dict(),
            "status": self.status,
            "ok": self.ok,
            "message": self.message,
            "rounds": self.rounds,
            "cycles": self.cycles,
            "clock_mhz": c.clock_mhz,
            "time_ns": None if self.cycles is None else self.cycles * 1000.0 / c.clock_mhz,
            "cores": self.cores,
            "events": events,
            "energy": energy,
            "values": merge_values(per_tile),
            "rtl": json_ready(self.rtl),
            "comparison": json_ready(self.comparison),
            "check": self.check_json(),
            "notes": self.notes,
            "tiles": [{"tile": k, "sim": self.tile_sims[k], "cores": tile.cores,
                       "events": json_ready(tile.events), "energy": tile.energy(),
                       "values": per_tile[k]}
                      for k, tile in enumerate(self.tiles)],
            "noc": self.noc_json(events, energy),
        }
        if state:
            data["state"] = json_ready({
                "tiles": [{"cores": t.state.cores, "smem": t.state.smem} for t in self.tiles],
                "channels": self.noc["channels"]})
        return data

    def format(self, *, notes=True):
        """The readable text of the report (:func:`isa.node_run_text.format_node_run`);
        ``notes=False`` leaves out the notes."""
        return format_node_run(self, notes=notes)
