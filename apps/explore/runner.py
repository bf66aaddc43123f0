"""Running a sweep: design points -> metric computations on the engine -> rows -> table.

Each metric of each design point is computed once per *shared key* (``Metric.share``: points
that differ only where the metric does not look share the computation, e.g. one synthesis for
a whole noise sweep), and each computation is one task of the :class:`apps.explore.engine.Engine`.
As a computation finishes, its result is stored (``units/``); as soon as every metric of a
point is in, the point's row is stored (``rows/``) and the table is rewritten. Rows and
computations already on disk are not run again, so an interrupted sweep resumes where it
stopped; a failed row is retried on the next run (its successful metrics are kept).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from .pareto import fronts, plot_axis, plot_front
from .points import digest, format_value
from .store import ResultStore

__all__ = ["SweepRun", "run_sweep", "compute_unit", "row_key", "unit_key", "FIXED_COLUMNS",
           "TIMING_COLUMNS"]

#: Columns of every table, before the varied fields.
FIXED_COLUMNS = ("point", "id", "status")
#: Columns after the metrics.
TAIL_COLUMNS = ("notes", "error", "seconds")
#: Columns that measure the run, not the design (two runs of a sweep differ only there).
TIMING_COLUMNS = ("seconds",)
#: Seconds between two rewrites of the table while rows stream in.
_TABLE_EVERY = 1.0


def compute_unit(item):
    """Task body: ``metric.compute(point, options)`` (module level: it is pickled)."""
    compute, point, options = item
    return compute(point, options)


def unit_key(metric, point, options):
    return digest({"metric": metric.name, "version": metric.version,
                   "share": metric.share(point, options), "options": options})


def row_key(point, metrics):
    return digest({"point": point.id, "metrics": [[m.name, m.version, o] for m, o in metrics]})


@dataclass
class SweepRun:
    """What :func:`run_sweep` did.

    Members
    -------
    rows : list of dict
        The table, in sweep order.
    columns : list of str
    computed, reused, failed, invalid : int
        Points computed now, taken from an earlier run, failed, not valid designs.
    tasks : int
        Metric computations run now (shared ones once).
    seconds : float
    fronts : dict
        :func:`apps.explore.pareto.fronts` of the table.
    plots : list of str
    """

    rows: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    computed: int = 0
    reused: int = 0
    failed: int = 0
    invalid: int = 0
    tasks: int = 0
    seconds: float = 0.0
    fronts: dict = field(default_factory=dict)
    plots: list = field(default_factory=list)


def _columns(sweep, points):
    varied = []
    for p in points:
        for name in p.overrides:
            if name not in varied:
                varied.append(name)
    metric_columns = [c.name for m, o in sweep.metrics for c in m.columns(o)]
    return list(FIXED_COLUMNS) + varied + metric_columns + list(TAIL_COLUMNS)


def _row(point, status, *, values=None, notes="", error="", seconds=0.0):
    row = {"point": point.index, "id": point.id, "status": status}
    row.update({k: format_value(v) for k, v in point.overrides.items()})
    row.update(values or {})
    row.update({"notes": notes, "error": error, "seconds": round(seconds, 3)})
    return row


def run_sweep(sweep, out_dir, *, engine, progress=None, log=None, plots=True):
    """Run ``sweep`` into ``out_dir`` on ``engine`` (an entered :class:`Engine`).

    ``plots=False`` skips the PNGs (the Pareto fronts are still written).

    ``progress(done, total, running, failed)`` is called as points finish; ``log(text)`` gets
    one line per failed point. Returns a :class:`SweepRun`.
    """
    start = time.perf_counter()
    store = ResultStore(out_dir)
    points = sweep.points()
    run = SweepRun(columns=_columns(sweep, points))
    store.write_json("sweep.json", {
        "name": sweep.name, "source": sweep.source, "mode": sweep.mode,
        "metrics": {m.name: o for m, o in sweep.metrics},
        "points": [{"point": p.index, "id": p.id, "overrides": {k: format_value(v) for k, v in p.overrides.items()},
                    **({"invalid": p.invalid} if p.invalid else {})} for p in points]})
    rows = {}
    waiting = {}                  # unit key -> [(point, metric name)]
    needs = {}                    # point index -> {metric name: unit key}
    tasks = {}                    # unit key -> (metric, point, options)
    for point in points:
        if point.invalid:
            rows[point.index] = _row(point, "invalid", error=point.invalid)
            run.invalid += 1
            continue
        key = row_key(point, sweep.metrics)
        stored = store.row(key)
        if stored is not None and stored.get("status") == "ok":
            rows[point.index] = {**stored, "point": point.index}
            run.reused += 1
            continue
        needs[point.index] = {}
        for metric, options in sweep.metrics:
            ukey = unit_key(metric, point, options)
            needs[point.index][metric.name] = ukey
            if ukey not in tasks:
                done = store.unit(metric.name, ukey)
                if done is None or not done.get("ok"):
                    tasks[ukey] = (metric, point, options)
            waiting.setdefault(ukey, []).append(point)
    by_index = {p.index: p for p in points}
    total = len(needs)
    last_table = [0.0]

    def write_table(force=False):
        now = time.perf_counter()
        if force or now - last_table[0] >= _TABLE_EVERY:
            last_table[0] = now
            ordered = [{c: rows[i].get(c) for c in run.columns} for i in sorted(rows)]
            store.write_table(run.columns, ordered, meta={"sweep": sweep.name, "source": sweep.source})

    def finish(point):
        units = {}
        for name, ukey in needs[point.index].items():
            units[name] = store.unit(name, ukey)
            if units[name] is None:
                return False
        values, notes, errors, seconds = {}, [], [], 0.0
        for (metric, options) in sweep.metrics:
            unit = units[metric.name]
            seconds += unit.get("seconds", 0.0)
            if unit["ok"]:
                got = dict(unit["values"])
                if metric.derive is not None:
                    got = metric.derive(point, options, got)
                values.update({c.name: got.get(c.name) for c in metric.columns(options)})
                if unit["values"].get("notes"):
                    notes.append(f"{metric.name}: {unit['values']['notes']}")
            else:
                errors.append(f"{metric.name}: {unit['error']}")
        row = _row(point, "failed" if errors else "ok", values=values, notes="; ".join(notes),
                   error="; ".join(errors), seconds=seconds)
        store.put_row(row_key(point, sweep.metrics), row)
        rows[point.index] = row
        run.computed += 1
        if errors:
            run.failed += 1
            if log is not None:
                log(f"point {point.index} ({point.label()}) failed: {row['error']}")
        return True

    state = {"running": 0}

    def report():
        if progress is not None:
            progress(run.computed, total, state["running"], run.failed)

    # Points whose every unit is already stored (an earlier run died before writing the row).
    for index in list(needs):
        if all(ukey not in tasks for ukey in needs[index].values()):
            finish(by_index[index])
    report()
    keys = list(tasks)
    items = [(tasks[k][0].compute, tasks[k][1], tasks[k][2]) for k in keys]
    run.tasks = len(keys)
    pending_points = {i for i in needs if i not in rows}

    def engine_progress(done, running):
        state["running"] = running
        report()

    try:
        for outcome in engine.run(compute_unit, items, keys=keys, progress=engine_progress):
            metric = tasks[outcome.key][0]
            result = {"metric": metric.name, "ok": outcome.ok, "seconds": round(outcome.seconds, 3),
                      "values": _plain(outcome.value) if outcome.ok else None, "error": outcome.error}
            store.put_unit(metric.name, outcome.key, result)
            for point in waiting[outcome.key]:
                if point.index in pending_points and finish(point):
                    pending_points.discard(point.index)
            report()
            write_table()
    finally:
        write_table(force=True)
    run.rows = [{c: rows[i].get(c) for c in run.columns} for i in sorted(rows)]
    goals = {c.name: c.goal for m, o in sweep.metrics for c in m.columns(o) if c.goal}
    run.fronts = fronts(run.rows, sweep.pareto, goals)
    store.write_json("pareto.json", run.fronts)
    by_point = {r["point"]: r for r in run.rows}
    store.write_csv("pareto.csv", ["pair", "x", "y", "point", "id", "x_value", "y_value"], [
        {"pair": name, "x": f["x"], "y": f["y"], "point": i, "id": by_point[i]["id"],
         "x_value": by_point[i][f["x"]], "y_value": by_point[i][f["y"]]}
        for name, f in run.fronts.items() for i in f["points"]])
    run.plots = _plots(sweep, run, goals, Path(out_dir) / "plots") if plots else []
    run.seconds = time.perf_counter() - start
    return run


def _plain(values):
    """Metric values as plain JSON (numpy scalars become Python numbers)."""
    return json.loads(json.dumps(values, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def _plots(sweep, run, goals, directory):
    units = {c.name: c.unit for m, o in sweep.metrics for c in m.columns(o)}
    labels = {r["point"]: ", ".join(f"{a.field}={format_value(r.get(a.field))}" for a in sweep.axes)
              or str(r["point"]) for r in run.rows}
    written = []
    ok = sum(r["status"] == "ok" for r in run.rows)
    for x, y in sweep.pareto:
        path = directory / f"{x}__{y}.png"
        plot_front(run.rows, x, y, goals, units, labels, path,
                   title=f"{sweep.name}: {y} against {x} ({ok} of {len(run.rows)} points measured)")
        written.append(str(path))
    numeric = [a for a in sweep.axes if len(a.values) > 1
               and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                       for v in a.values)]
    if len(sweep.axes) == 1 and numeric:
        field_name = numeric[0].field
        path = directory / f"vs_{field_name}.png"
        if plot_axis(run.rows, field_name, list(goals), units, path,
                     title=f"{sweep.name}: objectives against {field_name}"):
            written.append(str(path))
    return written
