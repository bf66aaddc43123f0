"""``panther study devices``: the plan, the summary (where a parameter breaks) and a tiny run."""

import json

import pytest

from panther.apps.cli import main
from panther.apps.study import devices
from panther.apps.study.devices import PARAMETERS, Parameter, device_sweep, summarise


def test_the_plan_sweeps_each_parameter_alone_after_one_ideal_run():
    points = device_sweep().points()
    assert points[0].overrides == {} and points[0].config.noise.ideal and points[0].config.adc_bits == 0
    assert len(points) == 1 + sum(len(p.values) for p in PARAMETERS)
    for point in points[1:]:
        (field, value), = point.overrides.items()
        changed = {f for f in ("program_noise", "read_noise", "d2d_update_variation",
                               "c2c_update_variation", "update_nonlinearity", "update_asymmetry",
                               "stuck_on_rate", "stuck_off_rate", "adc_offset", "adc_noise")
                   if getattr(point.config.noise, f)}
        expected = set() if field == "adc_bits" else {field.removeprefix("noise.")}
        assert changed == expected
        assert point.config.adc_bits == (value if field == "adc_bits" else 0)
    assert len(device_sweep(quick=True).points()) == 1 + 3 * len(PARAMETERS)


def test_summary_finds_where_each_parameter_breaks():
    params = (Parameter("noise.read_noise", (0.1, 0.2, 0.4), "levels"),
              Parameter("adc_bits", (8, 6), "bits", log=False))

    def row(field=None, value=None, acc=0.8, status="ok"):
        r = {"noise.read_noise": None, "adc_bits": None, "accuracy": acc, "readout_accuracy": acc,
             "float_accuracy": 0.85, "status": status, "error": ""}
        if field:
            r[field] = value
        return r

    rows = [row(acc=0.80), row("noise.read_noise", 0.1, 0.79), row("noise.read_noise", 0.2, 0.70),
            row("noise.read_noise", 0.4, 0.78),           # recovers: still broken at 0.2
            row("adc_bits", 8, 0.76), row("adc_bits", 6, 0.751)]
    original = devices.PARAMETERS
    devices.PARAMETERS = params
    try:
        summary = summarise(rows)
    finally:
        devices.PARAMETERS = original
    assert summary["ideal_accuracy"] == 0.80 and summary["float_accuracy"] == 0.85
    noise, adc = summary["parameters"]
    assert (noise["tolerated"], noise["breaks_at"]) == (0.1, 0.2)
    assert (adc["tolerated"], adc["breaks_at"]) == (6, None)
    assert [r["value"] for r in noise["runs"]] == [0.1, 0.2, 0.4]


def test_a_tiny_study_runs_end_to_end(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(devices, "PARAMETERS", (Parameter("noise.stuck_on_rate", (0.05,), "fraction"),
                                                Parameter("adc_bits", (6,), "bits", log=False)))
    out = tmp_path / "dev"
    assert main(["study", "devices", "--steps", "2", "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "noise.stuck_on_rate" in text and "adc_bits" in text
    summary = json.loads((out / "devices.json").read_text())
    assert summary["steps"] == 2 and len(summary["parameters"]) == 2
    assert all(r["status"] == "ok" for p in summary["parameters"] for r in p["runs"])
    assert (out / "devices.png").stat().st_size > 0 and (out / "table.csv").is_file()
    # a re-run resumes: every run is done
    assert main(["study", "devices", "--steps", "2", "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    assert "(0 runs now, 3 from an earlier run)" in capsys.readouterr().out


@pytest.mark.parametrize("jobs", ["0", "x"])
def test_bad_jobs_is_refused(jobs, capsys):
    with pytest.raises(SystemExit) as info:              # a typed argparse option: exit 2
        main(["study", "devices", "--jobs", jobs])
    assert info.value.code == 2
    assert f"argument --jobs: expected a positive integer, not '{jobs}'" in capsys.readouterr().err
