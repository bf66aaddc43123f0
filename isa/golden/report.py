"""The result of a golden-model run: final state and event counts, JSON-serialisable."""

from __future__ import annotations

import json

import numpy as np

__all__ = ["GoldenReport", "diff_states", "state_lists", "SUMMARY_KEYS"]

#: The per-core fields that are scalars (what a summary of the run reads).
SUMMARY_KEYS = ("pc", "status", "fault", "fault_code", "fault_message", "overflow",
                "instructions", "instret", "pending_updates")


def _lists(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def state_lists(core):
    """The JSON-ready (Python lists and ints) form of a core state captured with numpy arrays
    (:meth:`isa.golden.core.Core.capture`); an idle core's MCU objects are read here."""
    out = {key: _lists(value) for key, value in core.items() if key != "mcus"}
    out["mcus"] = [{"weights": _lists(np.asarray(m.weights())), "digits": _lists(np.asarray(m.digits()))}
                   if not isinstance(m, dict) else {k: _lists(v) for k, v in m.items()}
                   for m in core["mcus"]]
    return out


class GoldenReport:
    """Final state of a tile and what it did.

    Everything is plain JSON data (ints, bools, strings, lists, dicts), so a report compares
    field by field with the RTL's dump (:func:`diff_states`). A report of the golden model
    (:meth:`isa.golden.Tile.report`) holds the state as numpy arrays and converts it to
    lists only when :attr:`cores`, :attr:`smem`, :meth:`to_dict` or :meth:`state` is read: a
    paper-size tile holds millions of weight digits that a printed report never shows, and
    the MCUs of an idle core are not read at all until then.

    Parameters
    ----------
    config, rounds, cores, smem, events
        See Members.
    captured : tuple, optional
        ``(per-core captures, shared-memory capture)`` (numpy arrays) instead of ``cores``
        and ``smem``.

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

    def __init__(self, *, config, rounds, cores=None, smem=None, events=None, captured=None,
                 noc=None):
        if captured is None and (cores is None or smem is None):
            raise TypeError("GoldenReport needs cores and smem, or captured")
        self.config = config
        self.rounds = rounds
        self.events = events
        self.noc = noc
        self._cores = cores
        self._smem = smem
        self._captured = captured

    @property
    def cores(self):
        if self._cores is None:
            self._cores = [state_lists(core) for core in self._captured[0]]
        return self._cores

    @cores.setter
    def cores(self, value):
        self._cores = value

    @property
    def smem(self):
        if self._smem is None:
            self._smem = {key: _lists(value) for key, value in self._captured[1].items()}
        return self._smem

    @smem.setter
    def smem(self, value):
        self._smem = value

    def summaries(self):
        """Per core, the scalar fields only (:data:`SUMMARY_KEYS`), without converting the
        state."""
        source = self._captured[0] if self._cores is None else self._cores
        return [{key: core[key] for key in SUMMARY_KEYS if key in core} for core in source]

    def core_arrays(self, core):
        """``rf``, ``xbar_in`` and ``xbar_out`` of one core as int64 numpy arrays."""
        source = self._captured[0][core] if self._cores is None else self._cores[core]
        return {key: np.asarray(source[key], dtype=np.int64)
                for key in ("rf", "xbar_in", "xbar_out")}

    def smem_arrays(self):
        """``values``, ``valid`` and ``count`` of the shared memory as numpy arrays."""
        source = self._captured[1] if self._smem is None else self._smem
        return {"values": np.asarray(source["values"], dtype=np.int64),
                "valid": np.asarray(source["valid"], dtype=bool),
                "count": np.asarray(source["count"], dtype=np.int64)}

    @property
    def ok(self):
        """True when every core halted without a fault."""
        return all(core["status"] == "halted" for core in self.summaries())

    @property
    def overflow(self):
        """Per-core sticky overflow flags."""
        return [core["overflow"] for core in self.summaries()]

    def to_dict(self):
        """The report as a dict of its own JSON data (not a deep copy: a report may hold
        megabytes of weights and digits, which only a caller that changes them must copy)."""
        return {"config": self.config, "rounds": self.rounds, "cores": self.cores,
                "smem": self.smem, "events": self.events,
                **({"noc": self.noc} if self.noc is not None else {})}

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
