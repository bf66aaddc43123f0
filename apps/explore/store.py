"""The output directory of a sweep: results written atomically, and the table.

Layout of ``DIR``:

==============================  ==========================================================
``units/<metric>/<key>.json``   one metric's result for one shared computation (see
                                :mod:`apps.explore.metrics`), ok or failed with its error
``rows/<key>.json``             one design point's row, once every metric of it is in
``table.csv``, ``table.json``   every row of the sweep in sweep order, rewritten (atomically)
                                as rows land
``pareto.csv``, ``pareto.json`` the Pareto front of every pair of objectives
``plots/``                      one PNG per pair of objectives
``sweep.json``                  the sweep as run: its file, the points and their ids
==============================  ==========================================================

Every file is written to a temporary name in its directory, flushed to disk and renamed over
the target (``os.replace``), so a reader (or a re-run after a crash) sees either the old or the
new file, never half of one. A row or a unit that is on disk is done; a re-run skips it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

__all__ = ["ResultStore", "atomic_write"]


def atomic_write(path, text):
    """Write ``text`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None             # missing, or left by something else: not done


class ResultStore:
    """Results of a sweep in ``out_dir`` (see the module docstring).

    Members
    -------
    root : pathlib.Path
    """

    def __init__(self, out_dir):
        self.root = Path(out_dir)
        self.root.mkdir(parents=True, exist_ok=True)

    def _unit_path(self, metric, key):
        return self.root / "units" / metric / f"{key}.json"

    def unit(self, metric, key):
        """The stored result of a shared computation (a dict), or None."""
        return _read_json(self._unit_path(metric, key))

    def put_unit(self, metric, key, result):
        atomic_write(self._unit_path(metric, key), json.dumps(result, sort_keys=True) + "\n")

    def row(self, key):
        """The stored row ``key`` (a dict), or None."""
        return _read_json(self.root / "rows" / f"{key}.json")

    def put_row(self, key, row):
        atomic_write(self.root / "rows" / f"{key}.json", json.dumps(row, sort_keys=True) + "\n")

    def write_json(self, name, data):
        atomic_write(self.root / name, json.dumps(data, indent=1) + "\n")

    def write_csv(self, name, columns, rows):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _cell(row.get(c)) for c in columns})
        atomic_write(self.root / name, buffer.getvalue())

    def write_table(self, columns, rows, *, meta):
        """``table.csv`` and ``table.json`` (``meta`` + columns + rows)."""
        self.write_csv("table.csv", columns, rows)
        self.write_json("table.json", {**meta, "columns": list(columns), "rows": rows})


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return value
