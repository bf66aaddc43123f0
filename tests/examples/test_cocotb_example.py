"""The bring-your-own-flow example (examples/cocotb, docs/your_own_test.md) runs as a user
would run it: its pytest + cocotb-runner file, and its cocotb Makefile, on Icarus, in a copy
of the folder (the generated Verilog and the simulator builds stay out of the clone)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cocotb"


def _icarus_or_skip():
    from panther.cosim.simulators import availability

    ok, reason = availability("icarus")
    if not ok:
        if os.environ.get("PANTHER_REQUIRE_ICARUS") == "1":
            pytest.fail(f"PANTHER_REQUIRE_ICARUS=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def copy(tmp_path):
    _icarus_or_skip()
    target = tmp_path / "cocotb"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "sim_build",
                                                                   "verilog", "results.xml"))
    return target


def _env():
    env = dict(os.environ, SIM="icarus")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@pytest.mark.sim
@pytest.mark.slow
def test_the_runner_example_passes(copy):
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "test_runner.py"], cwd=copy, env=_env(), capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout


@pytest.mark.sim
def test_the_makefile_example_passes(copy):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "SIM=icarus"], cwd=copy, env=_env(), capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = (copy / "results.xml").read_text()
    assert 'name="mvm_matches_integer_arithmetic"' in results and "<failure" not in results
