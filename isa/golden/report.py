"""The result of a golden-model run: final state and event counts, JSON-serialisable."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

__all__ = ["GoldenReport", "diff_states"]


@dataclass
class GoldenReport:
    """Final state of a tile and what it did.

    Everything is plain JSON data (ints, bools, strings, lists, dicts), so a report compares
    field by field with the RTL's dump (:func:`diff_states`).

    Members
    -------
    config : dict
        ``PantherConfig.to_dict()`` of the run.
    rounds : int
        Scheduling rounds (each running core issues or continues one instruction per round).
    cores : list of dict
        Per core: ``pc``, ``status`` (``halted``/``error``/``running``), ``fault``,
        ``fault_code``, ``fault_message``, ``overflow`` (sticky flag), ``instructions`` (retired,
        ``hlt`` included), ``rf`` (words),
        ``xbar_in``/``xbar_out`` (per MCU, words), ``mcus`` (per MCU: ``weights`` rows x cols
        raw Q8.24 = ``sum_k digits[k] << (p*k)``, ``digits`` n_slices x rows x cols, LSB slice
        first), ``pending_updates``.
    smem : dict
        ``values``, ``valid``, ``count`` per shared-memory word.
    events : dict
        See :meth:`isa.events.EventCounter.to_dict`.
    noc : dict or None
        The network (:meth:`isa.golden.network.Network.snapshot`: words left in channels,
        traffic) when the tile ran alone and used ``send``/``recv``; ``None`` otherwise (a
        node reports its network once, :class:`isa.golden.node.NodeReport`).
    """

    config: dict
    rounds: int
    cores: list
    smem: dict
    events: dict
    noc: dict = None

    @property
    def ok(self):
        """True when every core halted without a fault."""
        return all(core["status"] == "halted" for core in self.cores)

    @property
    def overflow(self):
        """Per-core sticky overflow flags."""
        return [core["overflow"] for core in self.cores]

    def to_dict(self):
        """The fields as a dict (the report's own lists and dicts, not copies: a paper tile's
        digits are millions of numbers, and a deep copy took seconds)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self, **kwargs):
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data):
        return cls(**{k: data[k] for k in ("config", "rounds", "cores", "smem", "events")},
                   noc=data.get("noc"))

    def state(self):
        """The architectural part only (what an RTL dump must match): cores and smem (and the
        words left in network channels, when the tile used its network)."""
        state = {"cores": self.cores, "smem": self.smem}
        if self.noc is not None:
            state["channels"] = self.noc["channels"]
        return state


def diff_states(expected, actual, *, path="", limit=20):
    """Human-readable differences between two JSON-like values (at most ``limit`` lines)."""
    out = []

    def walk(a, b, where):
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                if key not in a or key not in b:
                    out.append(f"{where}.{key}: only in {'actual' if key not in a else 'expected'}")
                else:
                    walk(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"{where}: length {len(a)} != {len(b)}")
                return
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
        elif a != b:
            out.append(f"{where}: expected {a!r}, got {b!r}")

    walk(expected, actual, path or "state")
    return out
