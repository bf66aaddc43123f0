"""The area and RTL-cycle metrics (Yosys, co-simulation) on small designs."""

import pytest

from panther.apps.explore.engine import Engine
from panther.apps.explore.runner import run_sweep
from panther.apps.explore.sweep_file import sweep_from_dict
from panther.compiler import compile_model, load_model
from panther.config import PRESETS
from panther.isa.golden import run_image

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "models"
#: The smallest MCU the configuration allows: 2x2 crossbars, 8-bit data, 4 slices.
TINY = {"base": "small", "xbar_size": 2, "data_bits": 8, "data_frac_bits": 4, "weight_bits": 16,
        "weight_frac_bits": 8, "slice_bits": [4, 4, 5, 5], "mcus_per_core": 1, "cores_per_tile": 1,
        "adcs_per_xbar": 1, "rf_depth": 16, "imem_depth": 16, "smem_depth": 256, "deferred_depth": 2}


@pytest.mark.slow
def test_area_grows_with_the_crossbar_and_ignores_the_noise(tmp_path):
    sweep = sweep_from_dict({"workload": str(MODELS / "small_tile_mlp.json"), "config": TINY,
                             "vary": {"xbar_size": [2, 4], "noise.read_noise": [0, 0.1]},
                             "metrics": {"area": {"tops": ["mcu"]}}}, source="area.json")
    with Engine(workers=2) as engine:
        result = run_sweep(sweep, tmp_path, engine=engine, plots=False)
    assert result.tasks == 2                           # one synthesis per RTL, not per point
    rows = result.rows
    assert all(r["status"] == "ok" for r in rows)
    assert rows[0]["mcu_cells"] == rows[1]["mcu_cells"] and rows[2]["mcu_cells"] == rows[3]["mcu_cells"]
    assert rows[2]["mcu_cells"] > rows[0]["mcu_cells"] > 1000
    assert rows[2]["mcu_flip_flops"] > rows[0]["mcu_flip_flops"] > 0


@pytest.mark.sim
def test_rtl_cycles_of_a_step_on_the_small_tile(tmp_path):
    model = load_model(MODELS / "small_tile_mlp.json")
    sweep = sweep_from_dict({"workload": str(MODELS / "small_tile_mlp.json"),
                             "vary": {"clock_mhz": [1000.0, 500.0]},
                             "metrics": {"rtl_cycles": {}}}, source="rtl.json")
    with Engine(workers=0) as engine:
        result = run_sweep(sweep, tmp_path / "a", engine=engine, plots=False)
    assert result.tasks == 1                 # the clock changes no cycle: one build, one run
    fast, row = result.rows
    assert fast["rtl_cycles"] == row["rtl_cycles"] and fast["rtl_time_ns"] == row["rtl_cycles"]
    assert row["status"] == "ok" and row["rtl_matches_golden"] is True
    golden = run_image(compile_model(model, config=PRESETS["small"]).image)
    longest = max(core["instructions"] for core in golden.cores)
    assert row["rtl_cycles"] > longest                # a pipelined core retires <= 1 per cycle
    assert row["rtl_time_ns"] == pytest.approx(row["rtl_cycles"] * 2.0)      # 500 MHz
    assert row["notes"] == ""


def test_points_too_large_to_co_simulate_are_noted_not_run(tmp_path):
    sweep = sweep_from_dict({"workload": str(MODELS / "small_tile_mlp.json"), "points": [{"variant": 2}],
                             "metrics": {"rtl_cycles": {"max_cores": 1}}}, source="rtl.json")
    with Engine(workers=0) as engine:
        row = run_sweep(sweep, tmp_path, engine=engine, plots=False).rows[0]
    assert row["status"] == "ok" and row["rtl_cycles"] is None
    assert row["notes"] == ("rtl_cycles: not co-simulated: 2 cores of 16x16 crossbars exceed "
                            "max_cores 1 / max_xbar_size 16")


def test_evaluation_metric_is_panther_evaluate_per_point(tmp_path):
    from panther.apps.evaluation import evaluate

    sweep = sweep_from_dict({"workload": str(MODELS / "small_tile_mlp.json"),
                             "vary": {"variant": [1, 3], "noise.read_noise": [0, 0.1]},
                             "metrics": {"evaluation": {}}}, source="eval.json")
    with Engine(workers=0) as engine:
        result = run_sweep(sweep, tmp_path, engine=engine, plots=False)
    assert result.tasks == 2                       # the noise does not change event counts
    rows = result.rows
    assert all(r["status"] == "ok" for r in rows)
    model = load_model(MODELS / "small_tile_mlp.json")
    for row in rows:
        direct = evaluate(model, PRESETS["small"].replace(variant=row["variant"]),
                          batch=model.train.batch, variant=row["variant"],
                          crs_period=model.train.crs_period)
        panther = sum(layer.archs["panther"].energy_pj for layer in direct.layers)
        digital = sum(layer.archs["base_digital"].energy_pj for layer in direct.layers)
        assert row["eval_energy_pj"] == pytest.approx(panther)
        assert row["base_digital_energy_ratio"] == pytest.approx(digital / panther)
        assert row["base_digital_energy_ratio"] > 1          # ReRAM beats the digital baseline
        assert row["eval_time_ns"] > 0
