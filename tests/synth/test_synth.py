"""``panther synth``: a quick Yosys run on the small MCU, stats parsing, named failing steps."""

import json
import sys

import pytest

from panther.apps.cli import main
from panther.config import PRESETS
from panther.hdl.export import export_verilog
from panther.hdl.synth import ToolError, parse_stats, run_step, synthesize
from panther.table import format_table


def test_small_mcu_synthesises(tmp_path):
    export_verilog(PRESETS["small"], tmp_path, tops=["mcu"], lint=False)
    stats = synthesize(tmp_path, "panther_mcu.v", "panther_mcu")
    cfg = PRESETS["small"]
    # Lower bounds from the architecture, not from the RTL: both XBar buffers hold
    # xbar_size data words, and the two shift-and-add result paths need at least that much.
    assert stats["flip_flops"] >= 2 * cfg.xbar_size * cfg.data_bits
    assert stats["cells"] > stats["flip_flops"] > 0
    assert stats["transistors"] > 4 * stats["cells"]
    assert stats["cells"] == sum(stats["cells_by_type"].values())
    assert all(k.startswith("$_") for k in stats["cells_by_type"])
    # Every level of the longest path is a cell (exact depths: tests/synth/test_logic_depth).
    assert 0 < stats["logic_levels"] < stats["cells"]
    assert stats["logic_loop"] is None and stats["logic_path"]["from"]


def test_parse_stats_counts_flip_flops_and_memories():
    coarse = {"design": {"num_memories": 2, "num_memory_bits": 4096}}
    fine = {"design": {"num_cells_by_type": {"$_AND_": 10, "$_DFF_P_": 3, "$_SDFFE_PP0P_": 4,
                                             "$_DFFE_PN0P_": 1, "$_MUX_": 5, "$scopeinfo": 2},
                       "estimated_num_transistors": "1234+"}}
    s = parse_stats(coarse, fine)
    assert (s["cells"], s["flip_flops"], s["memories"], s["memory_bits"]) == (23, 8, 2, 4096)
    assert s["transistors"] == 1234 and s["transistors_lower_bound"]
    with pytest.raises(ToolError, match="parse stats_fine.json"):
        parse_stats(coarse, {"design": {"estimated_num_transistors": "lots"}})


def test_a_failing_step_is_named():
    with pytest.raises(ToolError) as info:
        run_step("demo step", [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
                 cwd=".")
    assert info.value.step == "demo step" and info.value.returncode == 3
    assert "step 'demo step' failed" in str(info.value) and "boom" in str(info.value)
    with pytest.raises(ToolError, match="step 'missing' failed: cannot run"):
        run_step("missing", ["/nonexistent/tool"], cwd=".")


def test_yosys_failure_names_the_step(tmp_path):
    (tmp_path / "broken.v").write_text("module broken(input a; endmodule\n")
    with pytest.raises(ToolError, match="step 'yosys synth broken' failed"):
        synthesize(tmp_path, "broken.v", "broken")


def test_cli_reports_a_failed_step_with_exit_2(tmp_path, capsys, monkeypatch):
    import panther.hdl.synth.yosys_stats as ys

    def fail(*args, **kwargs):
        raise ToolError("yosys synth panther_mcu", "injected")

    monkeypatch.setattr(ys, "synthesize", fail)
    assert main(["synth", "--top", "mcu", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "yosys synth panther_mcu" in err and "Traceback" not in err
    assert not (tmp_path / "synth_report.json").exists()


def test_table_alignment():
    text = format_table(["name", "cells"], [("a", 5), ("longer", 1234)], title="T")
    lines = text.splitlines()
    assert lines[0] == "T" and lines[1].startswith("name") and lines[3].endswith("    5")
    assert len({len(line) for line in lines[1:]}) == 1


def test_cli_writes_table_and_json(tmp_path, capsys, monkeypatch):
    import panther.hdl.synth.yosys_stats as ys

    def fake(directory, filename, top):
        assert (directory / filename).is_file() and filename == f"{top}.v"
        return {"cells": 10, "flip_flops": 4, "memories": 0, "memory_bits": 0,
                "transistors": 99, "transistors_lower_bound": True, "cells_by_type": {},
                "logic_levels": 37, "logic_path": {"from": "q[1]", "to": "d[2]"},
                "logic_loop": None, "logic_levels_netlist": "n"}

    monkeypatch.setattr(ys, "synthesize", fake)
    assert main(["synth", "--top", "mcu", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "panther_mcu" in out and "99+" in out
    assert "logic levels" in out and "q[1] -> d[2]" in out
    row = next(line for line in out.splitlines() if line.startswith("panther_mcu"))
    assert row.split()[5] == "37"
    report = json.loads((tmp_path / "synth_report.json").read_text())
    assert report["schema"] == "panther.synth/2"
    assert report["components"]["panther_mcu"]["flip_flops"] == 4
    assert report["components"]["panther_mcu"]["logic_levels"] == 37
    assert report["config"]["xbar_size"] == PRESETS["small"].xbar_size
