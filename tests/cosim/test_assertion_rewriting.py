"""One rule for pytest's assertion rewriting in the simulator processes
(``cosim.simulators.run``): a cocotb test module's own file by default, none for the tile,
node and tile-in-the-loop testbenches (``cosim.tile_simulation``), which have no ``assert``.
A fake runner records the environment each run would start the simulator with."""

from pathlib import Path

import pytest

import panther.cosim as cosim_package
from panther.cosim import simulators, tile_simulation

VARIABLE = "COCOTB_REWRITE_ASSERTION_FILES"        # cocotb's name (cocotb/regression.py)


class FakeRunner:
    def __init__(self, build_dir):
        self.build_dir = Path(build_dir)
        self.calls = []

    def test(self, **kwargs):
        self.calls.append(kwargs)


def test_a_test_module_rewrites_its_own_file_only(tmp_path):
    runner = FakeRunner(tmp_path)
    simulators.run(runner, "top", "tests.cosim.cocotb_mcu_tests")
    assert runner.calls[0]["extra_env"][VARIABLE] == "cocotb_mcu_tests.py"
    simulators.run(runner, "top", "cocotb_mcu_tests", rewrite_assertions=False)
    assert runner.calls[1]["extra_env"][VARIABLE] == ""


@pytest.mark.parametrize("module", ["panther.cosim.tile_tb", "panther.cosim.node_tb",
                                    "panther.cosim.tile_in_loop_tb"])
def test_the_testbenches_rewrite_nothing(tmp_path, module):
    runner = FakeRunner(tmp_path)
    tile_simulation._test(runner, "top", tmp_path / "job.json", "run0", None, module=module)
    env = runner.calls[0]["extra_env"]
    assert env[VARIABLE] == ""
    assert env[tile_simulation.JOB_ENV] == str(tmp_path / "job.json")
    assert runner.calls[0]["test_module"] == module


def test_the_caller_chooses_over_the_default(tmp_path):
    runner = FakeRunner(tmp_path)
    simulators.run(runner, "top", "cocotb_mcu_tests", extra_env={VARIABLE: "*.py"})
    assert runner.calls[0]["extra_env"][VARIABLE] == "*.py"


def test_the_rule_has_one_home():
    """Only ``cosim/simulators.py`` names the variable (``REWRITE_ENV``)."""
    assert simulators.REWRITE_ENV == VARIABLE
    root = Path(cosim_package.__file__).parent
    naming = sorted(p.name for p in root.rglob("*.py") if VARIABLE in p.read_text())
    assert naming == ["simulators.py"]
