"""The sweep file: values and ranges, points, and errors that name the JSON path (exit 2)."""

import json
from pathlib import Path

import pytest

from panther.apps.cli import main
from panther.apps.explore.sweep_file import SweepError, load_sweep, sweep_from_dict

MODEL = {"name": "tiny", "layers": [{"type": "dense", "in": 64, "out": 10, "activation": "sigmoid"}],
         "lr": 0.25, "crs_period": 2, "data": "digits"}


def sweep(**changes):
    data = {"workload": MODEL, "vary": {"adc_bits": [6, 8]}, "metrics": ["energy"], **changes}
    return sweep_from_dict(data, source="s.json")


def error(**changes):
    with pytest.raises(SweepError) as info:
        sweep(**changes).points()
    return str(info.value)


def test_grid_zip_and_explicit_points():
    grid = sweep(vary={"slice_bits": ["44466555", [5, 5, 5, 5, 5, 5, 5, 5]],
                       "noise.read_noise": {"linspace": [0, 0.5, 3]}},
                 points=[{"variant": 3, "model.lr": 0.5}])
    points = grid.points()
    assert [p.overrides for p in points[:3]] == [
        {"slice_bits": "44466555", "noise.read_noise": 0.0},
        {"slice_bits": "44466555", "noise.read_noise": 0.25},
        {"slice_bits": "44466555", "noise.read_noise": 0.5}]
    assert len(points) == 7 and points[6].overrides == {"variant": 3, "model.lr": 0.5}
    assert points[3].config.slice_bits == (5,) * 8 and points[5].config.noise.read_noise == 0.5
    assert points[6].config.variant == 3 and points[6].model.train.lr == 0.5
    assert len({p.id for p in points}) == 7
    only = sweep(vary={}, points=[{"variant": 2}, {}]).points()
    assert [p.overrides for p in only] == [{"variant": 2}, {}]     # no implicit base point
    zipped = sweep(mode="zip", vary={"adc_bits": [6, 8], "variant": [2, 3]}).points()
    assert [p.overrides for p in zipped] == [{"adc_bits": 6, "variant": 2}, {"adc_bits": 8, "variant": 3}]


def test_ranges():
    def values(spec):
        return sweep(vary={"noise.read_noise": spec}).axes[0].values

    assert sweep(vary={"adc_bits": {"from": 4, "to": 10, "step": 3}}).axes[0].values == (4, 7, 10)
    assert values({"from": 0, "to": 0.3, "step": 0.1}) == (0.0, 0.1, 0.2, 0.3)
    assert values({"geomspace": [0.01, 1, 3]}) == (0.01, 0.1, 1.0)
    assert values({"linspace": [0, 1, 1]}) == (0,)


def test_ids_are_stable_and_follow_the_design_not_the_sweep():
    a = sweep(vary={"adc_bits": [6, 8]}).points()
    b = sweep(vary={"adc_bits": [8]}, points=[{"variant": 2}]).points()
    assert a[1].id == b[0].id and a[0].id != a[1].id


def test_a_combination_that_is_not_a_design_is_an_invalid_point():
    points = sweep(vary={"xbar_size": [16, 4], "adc_bits": [2, 11]}).points()
    invalid = [p for p in points if p.invalid]
    assert [p.overrides for p in invalid] == [{"xbar_size": 4, "adc_bits": 11}]
    assert "adc_bits must be 0 (ideal) or from 2 to 9, not 11" in invalid[0].invalid


@pytest.mark.parametrize("changes, message", [
    ({"vary": {"adc_bits": [6, 99]}}, "s.json: $.vary.adc_bits[1]: adc_bits must be 0 (ideal) or from 2 to 11, not 99"),
    ({"vary": {"read_noise": [0.1]}}, "s.json: $.vary.read_noise: unknown field \"read_noise\" (did you mean \"noise.read_noise\"?)"),
    ({"vary": {"noise.read_noise": [-1]}}, "s.json: $.vary.noise.read_noise[0]: noise.read_noise must be a number from 0 to 1000, not -1"),
    ({"vary": {"adc_bits": []}}, "s.json: $.vary.adc_bits: expected a non-empty list of values"),
    ({"vary": {"adc_bits": {"from": 8, "to": 4, "step": 1}}}, "s.json: $.vary.adc_bits: expected from <= to and step > 0"),
    ({"vary": {"adc_bits": {"linspace": [1, 2]}}}, "s.json: $.vary.adc_bits.linspace: expected [start, stop, count]"),
    ({"vary": {"adc_bits": {"upto": 3}}}, "s.json: $.vary.adc_bits: unknown range object with keys ['upto']"),
    ({"vary": {"model.lr": [0.25, -1]}}, "s.json: $.vary.model.lr[1]: $.lr: must be a positive number, not -1"),
    ({"vary": {"slice_bits": ["4446"]}}, "s.json: $.vary.slice_bits[0]: weight_bits (32) must equal nominal_bits (4) * len(slice_bits)"),
    ({"mode": "zip", "vary": {"adc_bits": [6, 8], "variant": [1]}}, "s.json: $.vary: mode \"zip\" needs the same number of values on every axis, not adc_bits: 2, variant: 1"),
    ({"metrics": ["energy", "speed"]}, "s.json: $.metrics.speed: unknown metric 'speed'; expected one of"),
    ({"metrics": {"accuracy": {"steps": 0}}}, "s.json: $.metrics.accuracy.steps: expected an integer >= 1, not 0"),
    ({"metrics": {"accuracy": {"stepz": 3}}}, "s.json: $.metrics.accuracy.stepz: unknown option; accuracy takes steps, mcu"),
    ({"metrics": {"area": {"tops": ["chip"]}}}, "s.json: $.metrics.area.tops: expected a non-empty list of distinct names from 'mcu', 'core', 'tile'"),
    ({"pareto": [["energy_per_step_pj", "accuracy"]]}, "s.json: $.pareto[0][1]: \"accuracy\" is not an objective of the chosen metrics"),
    ({"points": [{"variant": 4}]}, "s.json: $.points[0].variant: variant must be 1, 2 or 3, not 4"),
    ({"workload": "missing.json"}, "s.json: $.workload: cannot read missing.json"),
    ({"workload": {"layers": []}}, "s.json: $.workload: $.workload: $.layers: expected a non-empty list of layers"),
    ({"config": {"base": "small", "xbar_size": 3}}, "s.json: $.config: xbar_size must be a power of two >= 2, not 3"),
    ({"colour": "red"}, "s.json: $.colour: unknown key; expected some of name, workload"),
    ({"vary": {}}, "s.json: $: nothing to sweep: give 'vary' or 'points'"),
])
def test_errors_name_the_json_path(changes, message):
    assert message in error(**changes)


def test_the_command_reports_a_bad_sweep_with_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"workload": MODEL, "vary": {"adc_bits": [6, 99]}, "metrics": ["energy"]}))
    assert main(["explore", str(bad), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip().startswith(f"{bad}: $.vary.adc_bits[1]: adc_bits must be")
    assert not (tmp_path / "out").exists()
    broken = tmp_path / "broken.json"
    broken.write_text('{"workload": "m.json",\n "vary": [1,}')
    assert main(["explore", str(broken), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip().startswith(f"{broken}:2:")
    assert main(["explore", str(bad), "-o", str(tmp_path / "out"), "--workers", "-1"]) == 2
    assert "--workers: expected a non-negative integer, not '-1'" in capsys.readouterr().err


def test_dry_run_lists_the_points(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"workload": MODEL, "vary": {"adc_bits": [6, 10], "xbar_size": [16, 4]},
                                "metrics": ["energy"]}))
    assert main(["explore", str(path), "-o", str(tmp_path / "out"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("[to run]") == 3 and out.count("[invalid: ") == 1
    assert "4 design points; metrics: energy" in out


def test_load_sweep_reads_relative_paths(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps(MODEL))
    (tmp_path / "c.json").write_text(json.dumps({"xbar_size": 8}))
    (tmp_path / "s.json").write_text(json.dumps({"workload": "m.json", "config": "c.json",
                                                 "vary": {"variant": [1, 2]}, "metrics": ["energy"]}))
    s = load_sweep(tmp_path / "s.json")
    assert s.config.xbar_size == 8 and s.name == "s" and s.model.name == "tiny"


def test_every_shipped_sweep_is_valid():
    sweeps = sorted((Path(__file__).resolve().parents[2] / "examples" / "sweeps").glob("*.json"))
    assert {p.name for p in sweeps} >= {"quick.json", "fig10.json"}
    for path in sweeps:
        points = load_sweep(path).points()
        assert points and not any(p.invalid for p in points), path
