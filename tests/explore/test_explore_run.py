"""Running sweeps: the same table serially and on Dask, rows kept when a worker is killed,
resume after an interrupted sweep, failed points, Pareto fronts."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import explore_tasks  # noqa: F401 - registers the metric test_slow
import pytest

from panther.apps.cli import main
from panther.apps.explore.engine import Engine
from panther.apps.explore.pareto import pareto_front
from panther.apps.explore.runner import TIMING_COLUMNS, run_sweep
from panther.apps.explore.sweep_file import sweep_from_dict

HERE = Path(__file__).resolve().parent
#: 64 -> 10 on the small tile's four 16x16 crossbars (2 cores x 2 MCUs), trained on the digits.
MODEL = {"name": "tiny", "layers": [{"type": "dense", "in": 64, "out": 10, "activation": "sigmoid"}],
         "lr": 0.25, "crs_period": 2, "data": "digits", "config": "small"}


def table(out):
    rows = json.loads((Path(out) / "table.json").read_text())["rows"]
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in rows]


def slow_sweep(n_noise=12, sleep_ms=200):
    return sweep_from_dict({"workload": MODEL, "metrics": {"test_slow": {"sleep_ms": sleep_ms}},
                            "vary": {"cores_per_tile": [1, 2],
                                     "noise.read_noise": {"linspace": [0, 1.1, n_noise]}}},
                           source="slow.json")


def check_slow_rows(out, sweep):
    """Every point once, ok, with the figures recomputed here from its configuration."""
    rows = table(out)
    points = sweep.points()
    assert [r["point"] for r in rows] == list(range(len(points)))
    assert len({r["id"] for r in rows}) == len(points)
    assert len(list((Path(out) / "rows").glob("*.json"))) == len(points)
    for row, point in zip(rows, points):
        c = point.config
        assert row["status"] == "ok", row
        assert row["weight_count"] == c.cores_per_tile * c.mcus_per_core * c.xbar_size ** 2
        assert row["noise_sum"] == c.noise.read_noise


def test_dask_gives_the_serial_table(tmp_path):
    from distributed import LocalCluster

    sweep = sweep_from_dict({"workload": MODEL, "metrics": {"accuracy": {"steps": 2}, "energy": {}},
                             "vary": {"slice_bits": ["44466555", "55555555"],
                                      "noise.read_noise": [0, 0.3]}}, source="s.json")
    with Engine(workers=0) as serial:
        first = run_sweep(sweep, tmp_path / "serial", engine=serial, plots=False)
    assert first.computed == 4 and first.tasks == 6       # energy shared across read noise
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        with Engine(scheduler=cluster.scheduler_address) as remote:
            second = run_sweep(sweep, tmp_path / "dask", engine=remote, plots=False)
    assert second.computed == 4
    assert table(tmp_path / "dask") == table(tmp_path / "serial")
    rows = table(tmp_path / "serial")
    for row in rows:
        assert row["status"] == "ok" and 0 <= row["accuracy"] <= 1
        # CRS every 2 steps: the per-step energy is the mean of a plain and a CRS step
        assert row["energy_per_step_pj"] == pytest.approx((row["energy_step_pj"] + row["energy_crs_step_pj"]) / 2)
        assert row["energy_crs_step_pj"] > row["energy_step_pj"] > 0
    # wider slices need wider ADCs (ideal widths): more energy per step
    assert rows[2]["energy_step_pj"] != rows[0]["energy_step_pj"]
    assert rows[1]["energy_step_pj"] == rows[0]["energy_step_pj"]         # noise costs no energy
    assert rows[0]["accuracy"] != rows[1]["accuracy"] or rows[0]["final_loss"] != rows[1]["final_loss"]
    assert (tmp_path / "serial" / "table.csv").read_text().splitlines()[0].startswith(
        "point,id,status,slice_bits,noise.read_noise,accuracy,")
    # a re-run finds everything done
    with Engine(workers=0) as serial:
        again = run_sweep(sweep, tmp_path / "serial", engine=serial, plots=False)
    assert (again.computed, again.reused, again.tasks) == (0, 4, 0)


def test_killing_a_worker_mid_sweep_loses_no_row(tmp_path):
    sweep = slow_sweep()
    killed = []
    with Engine(workers=2) as engine:
        pids = list(engine.worker_pids().values())

        def progress(done, total, running, failed):
            if done >= 2 and not killed:
                killed.append(pids[0])
                os.kill(pids[0], signal.SIGKILL)

        result = run_sweep(sweep, tmp_path, engine=engine, progress=progress, plots=False)
    assert killed and result.computed == 24 and result.failed == 0
    check_slow_rows(tmp_path, sweep)


_INTERRUPTED = """
import sys
sys.path.insert(0, {here!r})
from test_explore_run import slow_sweep
from panther.apps.explore.engine import Engine
from panther.apps.explore.runner import run_sweep
with Engine(workers=0) as engine:
    run_sweep(slow_sweep(sleep_ms=150), {out!r}, engine=engine, plots=False)
"""


def test_resume_after_an_interrupted_sweep(tmp_path):
    rows = tmp_path / "rows"
    child = subprocess.Popen([sys.executable, "-c", _INTERRUPTED.format(here=str(HERE), out=str(tmp_path))])
    try:
        deadline = time.monotonic() + 300
        while len(list(rows.glob("*.json"))) < 5 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)          # as hard as a crash: no clean-up at all
    finally:
        child.wait()
    done = len(list(rows.glob("*.json")))
    assert 5 <= done < 24
    for path in rows.glob("*.json"):
        json.loads(path.read_text())             # every row on disk is whole
    sweep = slow_sweep(sleep_ms=150)
    with Engine(workers=2) as engine:
        result = run_sweep(sweep, tmp_path, engine=engine, plots=False)
    assert result.reused == done and result.computed == 24 - done
    assert result.tasks <= 24 - done
    check_slow_rows(tmp_path, sweep)


def test_a_point_that_fails_is_reported_and_retried(tmp_path, capsys):
    path = tmp_path / "s.json"
    # a node of one tile; one core holds 2 MCUs, the network needs 4: the energy metric
    # cannot compile it with one core per tile
    path.write_text(json.dumps({"workload": MODEL, "config": {"base": "small", "tiles_per_node": 1},
                                "vary": {"cores_per_tile": [1, 2]}, "metrics": ["energy"]}))
    out = tmp_path / "out"
    assert main(["explore", str(path), "-o", str(out), "--workers", "0", "--no-progress"]) == 1
    text = capsys.readouterr().out
    assert "1 failed" in text
    rows = table(out)
    assert rows[0]["status"] == "failed" and rows[1]["status"] == "ok"
    assert rows[0]["error"].startswith("energy: CompileError: the network needs 4 MCUs")
    assert rows[0]["energy_per_step_pj"] is None
    assert main(["explore", str(path), "-o", str(out), "--workers", "0", "--no-progress"]) == 1
    assert "1 computed now (1 metric computations on serially in this process), 1 done by an earlier run" \
        in capsys.readouterr().out
    assert (out / "plots").is_dir() and (out / "pareto.json").is_file()


def _dominated(a, b, x, y, goals):
    """b dominates a: at least as good on both, better on one (written from the definition)."""
    def better_or_equal(u, v, goal):
        return u <= v if goal == "min" else u >= v
    return (better_or_equal(b[x], a[x], goals[x]) and better_or_equal(b[y], a[y], goals[y])
            and (b[x], b[y]) != (a[x], a[y]))


def test_pareto_front_is_the_set_of_non_dominated_rows():
    import random

    rng = random.Random(1)
    goals = {"e": "min", "acc": "max"}
    for _trial in range(30):
        rows = [{"point": i, "status": "ok", "e": rng.randint(0, 6), "acc": rng.randint(0, 6)}
                for i in range(rng.randint(1, 25))]
        rows.append({"point": 99, "status": "failed", "e": -5, "acc": 100})
        rows.append({"point": 98, "status": "ok", "e": None, "acc": 100})
        expected = {r["point"] for r in rows[:-2]
                    if not any(_dominated(r, o, "e", "acc", goals) for o in rows[:-2])}
        got = pareto_front(rows, "e", "acc", goals)
        assert {r["point"] for r in got} == expected
        assert [r["e"] for r in got] == sorted(r["e"] for r in got)
