"""``panther explore``: measure many design points (a sweep file) on Dask.

Reads a sweep file (``docs/explore.md``): the configuration fields to vary, the workload and the
metrics. Every metric computation is a task on an embedded Dask ``LocalCluster`` (one worker
per core) or on ``--scheduler``; rows stream into ``DIR/table.csv`` and ``DIR/table.json`` as
points finish, a re-run skips the points already done, and the Pareto fronts and plots are
written at the end.
"""

import os
import sys

from panther.errors import UserError

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "explore"
HELP = ("design-space exploration: run a sweep file (fields to vary, a workload, metrics: accuracy, "
        "energy, area, RTL cycles) on Dask; writes a table, Pareto fronts and plots")

#: Rows printed at the end (the table has them all).
_SHOWN_ROWS = 40


def add_arguments(parser):
    from panther.apps.explore.engine import add_engine_arguments

    parser.add_argument("sweep", help="sweep file (JSON, see docs/explore.md)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="output directory (table.csv/json, pareto.csv/json, plots/); a re-run "
                             "into the same directory resumes")
    add_engine_arguments(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="list the design points and what is already done, run nothing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _number(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None or value == "" else str(value)


def _print_table(run, sweep):
    from panther.table import format_table

    objectives = [c.name for m, o in sweep.metrics for c in m.columns(o) if c.goal]
    varied = [c for c in run.columns if c not in ("point", "id", "status", "notes", "error", "seconds")
              and c not in {c.name for m, o in sweep.metrics for c in m.columns(o)}]
    headers = ["point"] + varied + objectives + ["status"]
    rows = [[_number(r.get(h)) for h in headers] for r in run.rows[:_SHOWN_ROWS]]
    print(format_table(headers, rows), end="")
    if len(run.rows) > _SHOWN_ROWS:
        print(f"... {len(run.rows) - _SHOWN_ROWS} more rows in the table")


def run(args):
    from panther.apps.explore.engine import engine_from_args
    from panther.apps.explore.runner import row_key, run_sweep
    from panther.apps.explore.store import ResultStore
    from panther.apps.explore.sweep_file import load_sweep

    engine = engine_from_args(args)
    sweep = load_sweep(args.sweep)
    points = sweep.points()
    if args.dry_run:
        store = ResultStore(args.output) if os.path.isdir(args.output) else None
        for p in points:
            done = store is not None and not p.invalid and (store.row(row_key(p, sweep.metrics)) or {}).get("status") == "ok"
            state = f"invalid: {p.invalid}" if p.invalid else ("done" if done else "to run")
            print(f"{p.index:5d}  {p.id}  {p.label()}  [{state}]")
        print(f"{len(points)} design points; metrics: {', '.join(m.name for m, _ in sweep.metrics)}")
        return 0
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="point", desc=f"explore {sweep.name}", file=sys.stderr)

    def progress(done, total, running, failed):
        if bar is None:
            return
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.set_postfix(running=running, failed=failed, refresh=False)
        bar.refresh()

    def log(text):
        (bar.write if bar is not None else print)(text)

    try:
        with engine:
            where = engine.describe()
            result = run_sweep(sweep, args.output, engine=engine, progress=progress, log=log)
    except OSError as error:
        raise UserError(f"{error.filename or args.output}: {error.strerror or error}") from None
    finally:
        if bar is not None:
            bar.close()
    _print_table(result, sweep)
    print(f"{len(result.rows)} design points: {result.computed} computed now ({result.tasks} metric "
          f"computations on {where}), {result.reused} done by an earlier run, {result.failed} failed, "
          f"{result.invalid} not valid designs; {result.seconds:.1f} s")
    for name, front in result.fronts.items():
        print(f"Pareto front {name}: points {', '.join(map(str, front['points'])) or '(none)'}")
    print(f"wrote {args.output}/table.csv, table.json, pareto.csv, pareto.json and "
          f"{len(result.plots)} plot(s) in {args.output}/plots")
    return 1 if result.failed else 0
