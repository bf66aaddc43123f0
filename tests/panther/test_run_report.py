"""The ``panther.run/1`` report: its JSON Schema holds for every shipped example on the golden
model (the RTL runs are checked in tests/cosim/test_cli_rtl.py), the schema rejects what it
must, decoded values match an independent float reference, and reference checks are chosen
by directive or option, never by file name."""

import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from panther.apps.api import load_program, run
from panther.apps.cli import main
from panther.isa.golden.reference import ACT_TOL, mlp2_reference
from panther.isa.run_report import SCHEMA, SCHEMA_FILE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.s"))




def test_the_schema_is_a_valid_json_schema_and_ships_with_the_package(run_report_valid):
    assert (files("panther") / "schemas" / "run.schema.json").is_file()
    assert SCHEMA_FILE.read_text().startswith("{")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_writes_a_valid_report(path, run_report_valid):
    config = "small"
    report = run(load_program(path, config=config), sim="golden", program=str(path))
    data = report.to_dict()
    assert data["schema"] == SCHEMA and run_report_valid(data)
    assert data["status"] == "halted" and data["ok"] and data["check"]["ok"] is True
    assert data["comparison"] is None and data["cycles"] is None and data["rounds"] > 0
    energy = data["energy"]
    assert energy["total_pj"] == pytest.approx(sum(e["total_pj"] for e in energy["events"].values()))
    assert {k: e["count"] for k, e in energy["events"].items()} == \
        {k: v for k, v in data["events"]["energy_events"].items() if v}
    json.loads(json.dumps(data))        # plain JSON, no numpy values


@pytest.mark.parametrize("change", [
    lambda d: d.update(status="MISMATCH"),
    lambda d: d.pop("energy"),
    lambda d: d.update(cycles=""),                                 # missing is null, never ""
    lambda d: d["cores"][0].update(status="stopped"),
    lambda d: d.update(comparison={"result": "identical"}),
    lambda d: d["values"]["h"]["cores"][0].pop("real"),
    lambda d: d.update(extra=1),
])
def test_the_schema_rejects_a_broken_report(change, run_report_valid):
    data = run(load_program(ROOT / "examples" / "mlp2_step.s"), sim="golden").to_dict()
    assert run_report_valid(data)
    change(data)
    assert not run_report_valid(data)


def test_decoded_values_match_the_float_reference():
    image = load_program(ROOT / "examples" / "mlp2_step.s")
    values = run(image, sim="golden").to_dict()["values"]
    W1 = image.weights[(0, 0)][:8, :8] / 2**24
    W2 = image.weights[(0, 1)][:8, :4] / 2**24
    x = image.smem_init[0:8] / 4096
    t = image.smem_init[16:20] / 4096
    ref = mlp2_reference(W1, W2, x, t, 1 / 8)
    (h,) = values["h"]["cores"]
    assert h["core"] == 0 and np.max(np.abs(np.array(h["real"]) - ref["h"])) <= ACT_TOL
    assert h["real"] == [r / 4096 for r in h["raw"]] and values["h"]["format"] == "Q4.12"
    xs = values["xs"]
    assert xs["space"] == "shared" and xs["real"] == pytest.approx(x) and all(xs["valid"])


def user_step(tmp_path, name="mlp2_step.s"):
    """A user's own program that happens to share an example's file name."""
    prog = tmp_path / name
    prog.write_text(".region a, 0, 2\n.data a, 0.5, 0.25\nalu relu, a, a, 2\nhlt\n")
    return prog


def test_a_program_gets_no_check_by_its_file_name(tmp_path, capsys):
    """The old crash: a user's mlp2_step.s ran the example's check (KeyError LR_DIV)."""
    report_file = tmp_path / "r.json"
    assert main(["run", str(user_step(tmp_path)), "--json", str(report_file)]) == 0
    out = capsys.readouterr().out
    assert "check against a float reference: none (the program names no reference check" in out
    data = json.loads(report_file.read_text())
    assert data["check"] == {"name": None, "ok": None, "rows": [],
                             "note": data["check"]["note"]} and "'.check NAME'" in data["check"]["note"]
    assert data["values"]["a"]["cores"][0]["real"] == [0.5, 0.25]


def test_an_explicit_check_that_does_not_fit_is_a_clear_error(tmp_path, capsys):
    assert main(["run", str(user_step(tmp_path)), "--check", "mlp2_step"]) == 2
    err = capsys.readouterr().err
    assert "reference check 'mlp2_step' reads the symbol 'NI'" in err and "Traceback" not in err


def test_check_option_overrides_and_disables_the_directive(tmp_path, capsys):
    example = ROOT / "examples" / "sgd_fc_step.s"
    assert main(["run", str(example), "--check", "none"]) == 0
    assert "check against a float reference: none (none requested)" in capsys.readouterr().out
    copy = tmp_path / "renamed.s"
    copy.write_text(example.read_text())
    assert main(["run", str(copy)]) == 0                 # the directive, not the name, decides
    assert "float reference (sgd_fc_step): PASS" in capsys.readouterr().out


def test_a_deadlocked_run_still_writes_a_valid_report(tmp_path, capsys, run_report_valid):
    prog = tmp_path / "dead.s"
    prog.write_text("ld 0, 5, 1\nhlt\n")
    out = tmp_path / "r.json"
    assert main(["run", str(prog), "--json", str(out), "--json-state"]) == 2
    data = json.loads(out.read_text())
    assert len(data["state"]["cores"][0]["rf"]) == 256 and data["state"]["smem"]["valid"][5] is False
    data["state"]["cores"] = []             # (the schema validator is slow on 10^4 numbers)
    data["state"]["smem"] = {k: v[:8] for k, v in data["state"]["smem"].items()}
    assert run_report_valid(data) and data["status"] == "deadlock" and not data["ok"]
    assert data["cores"][0]["status"] == "running" and "deadlock" in data["message"]
    assert data["check"]["name"] is None


def test_run_takes_arrays_from_numpy_files(tmp_path, capsys):
    """--weights replaces the program's own weights: the forward pass follows a float
    reference computed from the file's values."""
    rng = np.random.default_rng(7)
    W2 = rng.uniform(-0.5, 0.5, (8, 4))
    np.save(tmp_path / "w2.npy", W2)
    image = load_program(ROOT / "examples" / "mlp2_step.s", weights={"L2": tmp_path / "w2.npy"})
    assert np.array_equal(image.weights[(0, 1)][:8, :4], np.floor(W2 * 2**24 + 0.5))
    W1 = image.weights[(0, 0)][:8, :8] / 2**24
    x, t = image.smem_init[0:8] / 4096, image.smem_init[16:20] / 4096
    ref = mlp2_reference(W1, W2, x, t, 1 / 8)
    out = tmp_path / "r.json"
    argv = ["run", str(ROOT / "examples" / "mlp2_step.s"), "--weights",
            f"L2={tmp_path / 'w2.npy'}", "--check", "none", "--json", str(out)]
    assert main(argv) == 0
    (y,) = json.loads(out.read_text())["values"]["y"]["cores"]
    assert np.max(np.abs(np.array(y["real"]) - ref["y"])) <= ACT_TOL
    capsys.readouterr()
    assert main(argv[:2] + ["--weights", "L9=x.npy"]) == 2
    assert "no such name" in capsys.readouterr().err
