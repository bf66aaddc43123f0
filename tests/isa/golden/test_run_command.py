"""`panther run` and `panther demo` on the golden model."""

import json
from pathlib import Path

from panther.apps.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_run_example_prints_report_and_check(capsys, tmp_path):
    out_json = tmp_path / "report.json"
    assert main(["run", str(EXAMPLES / "sgd_fc_step.s"), "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    for needle in ("on the golden model", "instructions (13 retired)", "MCU operations",
                   "ADC conversions", "energy / latency", "adc_conversion",
                   "overflow flags: core 0: clear", "float reference (sgd_fc_step): PASS"):
        assert needle in text, needle
    data = json.loads(out_json.read_text())
    assert data["events"]["mcu_totals"]["mvm"] == 1 and data["cores"][0]["status"] == "halted"


def test_run_reports_a_deadlock_as_an_error(tmp_path, capsys):
    prog = tmp_path / "dead.s"
    prog.write_text("        ld 0, 5, 1\n        hlt\n")
    state = tmp_path / "state.json"
    assert main(["run", str(prog), "--json", str(state)]) == 2
    assert "deadlock: core 0 (pc 0, ld) waits for shared-memory word 5 to become valid" in \
        capsys.readouterr().err
    assert json.loads(state.read_text())["cores"][0]["status"] == "running"   # partial state


def test_run_exits_1_when_a_core_faults(tmp_path, capsys):
    prog = tmp_path / "fault.s"
    prog.write_text("        nop\n")       # runs off the end of the program
    assert main(["run", str(prog)]) == 1
    out = capsys.readouterr().out
    assert "error PC_RANGE" in out and "missing hlt" in out


def test_run_reports_assembly_errors_with_positions(tmp_path, capsys):
    prog = tmp_path / "bad.s"
    prog.write_text("        ad 1, 2\n")
    assert main(["run", str(prog)]) == 2
    assert f"{prog}:1:9: unknown mnemonic 'ad'" in capsys.readouterr().err


def test_run_accepts_an_image_directory(tmp_path, capsys):
    image = tmp_path / "img"
    assert main(["asm", str(EXAMPLES / "mlp2_step.s"), "-o", str(image)]) == 0
    assert main(["run", str(image), "--mcu", "analog"]) == 0
    assert "core 0 MCU 1" in capsys.readouterr().out


def test_demo_passes_on_the_golden_model(capsys):
    assert main(["demo", "--sim", "golden"]) == 0
    out = capsys.readouterr().out
    assert "float reference (mlp2_step): PASS" in out and out.rstrip().endswith(
        "demo: PASS: the golden model's training step matches the float reference")


def test_run_trace_lists_retired_instructions_in_order(capsys):
    assert main(["run", str(EXAMPLES / "sgd_fc_step.s"), "--trace"]) == 0
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("core 0 pc")]
    assert len(lines) == 13
    assert lines[0].endswith("cp xin0, 0, 8") and lines[1].endswith("mcu 0:mvm")
    assert lines[-1].endswith("hlt")
