"""Design points: a configuration and a workload, with a stable identity.

A point is what one row of the table describes: the base configuration and workload of the
sweep with some fields changed (its ``overrides``). Its ``id`` is a hash of everything that
defines it (the whole configuration, the network, its training spec and initial weights), so
the same design gets the same id in any sweep, on any machine; results are stored under keys
derived from it, which is what makes a sweep resumable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["DesignPoint", "model_fingerprint", "digest", "format_value"]


def digest(data, length=16):
    """A short hex SHA-256 of JSON-able ``data`` (canonical JSON: sorted keys)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON-able: {value!r}")


def model_fingerprint(model):
    """JSON-able identity of a :class:`compiler.Model`: layers, loss, training spec, data,
    seed and a hash of the initial weights."""
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(w, dtype=np.float64).tobytes())
    return {"layers": [[l.n_in, l.n_out, l.activation] for l in model.layers], "loss": model.loss,
            "train": [model.train.algorithm, model.train.batch, model.train.lr, model.train.crs_period],
            "data": model.data, "seed": model.seed, "weights": h.hexdigest()[:16]}


def format_value(value):
    """A value as the table shows it (slice bits as ``44466555``)."""
    if isinstance(value, (list, tuple)):
        return "".join(str(v) for v in value) if all(isinstance(v, int) and 0 <= v <= 9 for v in value) \
            else json.dumps(list(value))
    return value


@dataclass(frozen=True, eq=False)
class DesignPoint:
    """One design point of a sweep.

    Members
    -------
    index : int
        Position in the sweep (the table's order).
    overrides : dict
        ``{field: value}`` changed from the sweep's base (the table's first columns).
    config : panther.config.PantherConfig or None
        None when the combination is not a valid configuration (see ``invalid``).
    model : compiler.Model or None
    invalid : str
        Why the combination is not a valid design ('' when it is).
    """

    index: int
    overrides: dict
    config: object
    model: object
    invalid: str = ""

    @cached_property
    def id(self):
        """Stable identity of the design (16 hex digits)."""
        if self.invalid:
            return "invalid-" + digest({"overrides": self.overrides, "why": self.invalid}, 8)
        return digest({"config": self.config.to_dict(), "model": model_fingerprint(self.model)})

    def label(self):
        """``field=value, ...`` of the overrides (plot annotations, messages)."""
        return ", ".join(f"{k}={format_value(v)}" for k, v in self.overrides.items()) or "base"
