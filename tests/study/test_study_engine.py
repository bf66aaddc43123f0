"""The slicing study's runs on the Dask engine give the serial results, shared runs included."""

from panther.apps.explore.engine import Engine
from panther.apps.study.sweep import plan_sweep, run_sweep
from panther.config import PRESETS


def test_slicing_runs_on_a_local_cluster_like_serially():
    plan = plan_sweep(quick=True, steps=30)
    keep = ("float", "44444444@64", "44444444@256", "55555555@64")      # two share one run
    plan = type(plan)(tuple(s for s in plan.runs if s.name in keep), True, 0)
    serial = run_sweep(plan, PRESETS["small"])
    steps = []
    with Engine(workers=2) as engine:
        dask = run_sweep(plan, PRESETS["small"], engine=engine, progress=steps.append)
    assert sum(steps) == plan.total_steps
    for a, b in zip(serial, dask):
        assert a.spec == b.spec and a.shared_with == b.shared_with
        assert (a.train_acc, a.test_acc, a.saturation, a.clipped_updates) == \
               (b.train_acc, b.test_acc, b.saturation, b.clipped_updates)
    assert dask[2].shared_with == "44444444@64"
