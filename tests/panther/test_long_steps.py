"""Long steps say what they do: build estimates, a run's progress lines, tool steps' stage and
elapsed time, and panther fpga's defaults and clock warning (without building anything)."""

import json
import logging
import sys
import threading
import time

import pytest

from panther.apps.cli import main
from panther.config import PRESETS, load_config
from panther.hdl.estimate import expected_seconds, format_seconds


def test_estimates_grow_with_the_design_and_read_well():
    small, paper = PRESETS["small"], PRESETS["paper"]
    for step in ("convert", "verilator", "icarus"):
        assert expected_seconds(step, small) < expected_seconds(step, paper)
        assert expected_seconds(step, paper, cores=1) < expected_seconds(step, paper)
    # The measured points the model is fitted to (hdl/estimate.py): within 10 %.
    assert expected_seconds("convert", paper) == pytest.approx(87.5 * 60, rel=0.1)
    assert expected_seconds("verilator", paper) == pytest.approx(20.6 * 60, rel=0.1)
    assert expected_seconds("verilator", small) == pytest.approx(37, rel=0.1)
    # The hierarchical tile build's units, converted at the same time: minutes, not hours.
    one = paper.replace(tiles_per_node=1)
    assert expected_seconds("convert_mcu", paper) == pytest.approx(52, rel=0.1)
    assert expected_seconds("convert_core", paper) == pytest.approx(8, rel=0.1)
    assert expected_seconds("convert_top", one) == pytest.approx(62, rel=0.1)
    assert expected_seconds("convert_mcu", small) < expected_seconds("convert_mcu", paper)
    assert expected_seconds("convert_top", one) < expected_seconds("convert_top", paper) < 300
    assert [format_seconds(s) for s in (0.2, 40, 200, 6540)] == ["1 s", "40 s", "3 min",
                                                                 "1 h 49 min"]


def test_a_run_reports_its_cycles_while_it_runs(tmp_path, caplog, monkeypatch):
    import panther.cosim.progress as progress

    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    monkeypatch.setattr(progress, "LOG_EVERY", 0.0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    path = tmp_path / "progress.json"
    with caplog.at_level(logging.INFO, logger="panther.cosim"):
        with progress.RunProgress(path, "RTL (icarus)", poll=0.02):
            path.write_text(json.dumps({"image": 0, "images": 1, "cycles": 40000,
                                        "max_cycles": 2000000}))
            time.sleep(0.3)
    assert "RTL (icarus): 40,000 cycles of at most 2,000,000 (--max-cycles)" in caplog.text


def test_a_quiet_run_shows_nothing(tmp_path, caplog):
    import panther.cosim.progress as progress

    with caplog.at_level(logging.INFO, logger="panther.cosim"):
        with progress.RunProgress(tmp_path / "p.json", "RTL", poll=0.01):
            (tmp_path / "p.json").write_text('{"image": 0, "images": 1, "cycles": 1, '
                                             '"max_cycles": 9}')
            time.sleep(0.05)
    assert caplog.text == ""


def test_a_tool_step_logs_its_stage_and_elapsed_time(caplog, monkeypatch, tmp_path):
    import panther.hdl.synth.tools as tools

    monkeypatch.setattr(tools, "QUIET_SECONDS", 0.3)
    monkeypatch.setattr(tools, "HEARTBEAT_SECONDS", 0.3)
    script = "import time; print('Executing SYNTH pass', flush=True); time.sleep(1.0); print('ok')"
    with caplog.at_level(logging.INFO, logger="panther.hdl"):
        out = tools.run_step("yosys synth demo", [sys.executable, "-c", script], cwd=tmp_path)
    assert out.splitlines() == ["Executing SYNTH pass", "ok"]
    assert "yosys synth demo: running, 0 s so far (latest output: Executing SYNTH pass)" \
        in caplog.text
    assert "yosys synth demo: done in 1 s" in caplog.text


def test_a_tool_step_that_times_out_is_stopped(tmp_path):
    import panther.hdl.synth.tools as tools

    start = time.monotonic()
    with pytest.raises(tools.ToolError, match="timed out after 0.5 s"):
        tools.run_step("slow", [sys.executable, "-c", "import time; time.sleep(30)"],
                       cwd=tmp_path, timeout=0.5)
    assert time.monotonic() - start < 10
    assert threading.active_count() < 50


def test_fpga_defaults_fit_the_board_and_a_missed_clock_warns(monkeypatch, capsys, tmp_path):
    import panther.hdl.fpga.build as build
    from panther.hdl.fpga.ulx3s import pll_parameters

    seen = {}

    def fake_build(config, build_dir, *, board, kind, clock_mhz, baud, router, seed, max_fanout,
                   reset_fanout):
        seen.update(config=config, clock=clock_mhz, router=router, seed=seed,
                    max_fanout=max_fanout, reset_fanout=reset_fanout)
        return {"board": board, "device": "LFE5U-85F", "kind": kind, "bitstream": "x.bit",
                "fmax_mhz": {"sync": 32.3}, "constraint_mhz": {"sync": float(clock_mhz)},
                "meets": 32.3 >= clock_mhz, "utilisation": {}}

    monkeypatch.setattr(build, "build_board", fake_build)
    report = tmp_path / "fpga.json"
    assert main(["fpga", "-o", str(tmp_path), "--json", str(report)]) == 0
    board_config = load_config(str(build.Path(build.__file__).parent / "ulx3s_tile_config.json"))
    assert seen == {"config": board_config, "clock": 25, "router": None, "seed": None,
                    "max_fanout": None, "reset_fanout": None}
    assert capsys.readouterr().err == "" and json.loads(report.read_text())["meets"]
    assert main(["fpga", "-o", str(tmp_path), "--clock-mhz", "100"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: the design reaches 32.3 MHz, below its 100 MHz clock" in err
    safe = build.safe_clock_mhz(32.3)
    assert f"rebuild with --clock-mhz {safe}" in err and safe <= 32
    pll_parameters(safe)                                   # the PLL makes it exactly
    assert build.safe_clock_mhz(9.5) is None
