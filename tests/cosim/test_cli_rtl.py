"""The user's view of the RTL back ends: `panther demo` and `panther run --sim verilator`,
run as the commands a user types (subprocesses), checked against the golden model."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def panther(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "panther.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.sim
def test_demo_runs_the_mlp_step_on_the_rtl_and_checks_it():
    result = panther("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "on the verilator model" in out
    assert "comparison with the golden model: identical final state" in out
    assert "check against the float reference (mlp2_step): PASS" in out
    assert "ADC conversions" in out and "total" in out          # the energy/latency table
    assert "Traceback" not in result.stderr


@pytest.mark.sim
def test_run_reports_a_mismatch_free_rtl_run_of_the_sgd_example(tmp_path):
    report = tmp_path / "report.json"
    result = panther("run", str(ROOT / "examples" / "sgd_fc_step.s"), "--sim", "verilator",
                     "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "comparison with the golden model: identical" in result.stdout
    assert report.is_file()


def test_run_with_an_unknown_config_is_a_clear_error():
    result = panther("run", str(ROOT / "examples" / "sgd_fc_step.s"), "--sim", "verilator",
                     "--config", "no-such.json")
    assert result.returncode == 2
    assert "no-such.json" in result.stderr and "Traceback" not in result.stderr
