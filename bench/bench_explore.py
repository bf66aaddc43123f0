"""Benchmark: ``panther explore``'s engine, a 32-point sweep serially and on the LocalCluster.

Run ``python bench/bench_explore.py [--points 32] [--steps 8] [--workers N]``. The sweep trains
the 64-10 digits layer on the small tile's analog models for ``--steps`` kernel invocations
and prices one step's energy, for ``--points`` design points (slice configurations x ADC
widths x device read noise). It runs the sweep twice in one process, into fresh directories:
serially (``--workers 0``: every computation here, one after the other) and on an embedded
LocalCluster (one worker per core), checks both tables are equal, and prints both wall times
and their ratio. It then measures the engine's own cost: the start-up of the cluster and the
wall time per task of a sweep of no-op tasks. Both runs start warm (imports done, data set
loaded: in this process before the serial run, on every worker before the LocalCluster run);
the start-up is printed and the ratio given with and without it.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main", "noop", "warm_up"]

ROOT = Path(__file__).resolve().parents[1]
MODEL = {"name": "digits_linear", "layers": [{"type": "dense", "in": 64, "out": 10, "activation": "sigmoid"}],
         "lr": 0.25, "crs_period": 4, "data": "digits", "config": "small"}
SLICINGS = ("44466555", "55555555", "34455555", "55566666")


def noop(item):
    """A task that does nothing (the engine's overhead alone)."""
    return item


def warm_up():
    """What every fresh worker pays once: importing the models and loading the digits."""
    from panther.apps.explore import metric_accuracy, metric_energy  # noqa: F401
    from panther.compiler.datasets import load_dataset

    load_dataset(seed=0)


def _sweep(points, steps):
    from panther.apps.explore.sweep_file import sweep_from_dict

    noise = max(1, points // (len(SLICINGS) * 2))
    return sweep_from_dict({
        "name": "bench", "workload": MODEL,
        "vary": {"slice_bits": list(SLICINGS), "adc_bits": [0, 9],
                 "noise.read_noise": {"linspace": [0.0, 0.3, noise]}},
        "metrics": {"accuracy": {"steps": steps}, "energy": {}}}, source="bench_explore")


def _table(out):
    rows = json.loads((Path(out) / "table.json").read_text())["rows"]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def main(argv=()):
    from panther.apps.explore.engine import Engine, default_workers
    from panther.apps.explore.runner import run_sweep

    parser = argparse.ArgumentParser(prog="bench_explore", description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=32, help="design points (default 32)")
    parser.add_argument("--steps", type=int, default=8, help="training steps per point (default 8)")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="LocalCluster workers (default: one per core)")
    parser.add_argument("--tasks", type=int, default=400, help="no-op tasks for the overhead (default 400)")
    args = parser.parse_args(list(argv))
    sweep = _sweep(args.points, args.steps)
    n = len(sweep.points())
    work = Path(tempfile.mkdtemp(prefix="bench-explore-"))
    try:
        print(f"sweep: {n} points ({', '.join(f'{a.field} x{len(a.values)}' for a in sweep.axes)}), "
              f"accuracy ({args.steps} steps, analog) + energy; {os.cpu_count()} cores, load "
              f"{os.getloadavg()[0]:.1f} at the start", flush=True)
        warm_up()
        start = time.perf_counter()
        with Engine(workers=0) as engine:
            serial = run_sweep(sweep, work / "serial", engine=engine, plots=False)
        t_serial = time.perf_counter() - start
        print(f"serial (in this process): {t_serial:.1f} s for {serial.tasks} computations", flush=True)
        start = time.perf_counter()
        with Engine(workers=args.workers) as engine:
            started = time.perf_counter() - start
            engine.client.run(warm_up)
            warmed = time.perf_counter() - start - started
            dask = run_sweep(sweep, work / "dask", engine=engine, plots=False)
        t_dask = time.perf_counter() - start
        print(f"LocalCluster, {args.workers} workers: {t_dask:.1f} s (of which {started:.1f} s "
              f"starting the cluster and {warmed:.1f} s for each worker's imports and data set, "
              f"which the serial run had paid before)", flush=True)
        same = _table(work / "serial") == _table(work / "dask")
        print(f"tables equal: {same}")
        print(f"speed-up serial / LocalCluster: {t_serial / t_dask:.2f}x with the start-up, "
              f"{t_serial / (t_dask - started - warmed):.2f}x without it "
              f"(goal: near {args.workers}); load {os.getloadavg()[0]:.1f} at the end")
        with Engine(workers=args.workers) as engine:
            keys = [str(i) for i in range(args.tasks)]
            list(engine.run(noop, range(args.tasks), keys=keys))        # warm the workers
            start = time.perf_counter()
            list(engine.run(noop, range(args.tasks), keys=keys))
            per_task = (time.perf_counter() - start) / args.tasks
        print(f"engine overhead: {1000 * per_task:.2f} ms per task ({args.tasks} no-op tasks on "
              f"{args.workers} workers), cluster start-up {started:.1f} s")
        return 0 if same and serial.failed == dask.failed == 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
