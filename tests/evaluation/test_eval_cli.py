"""``panther evaluate``: a small run end to end, and bad input (exit 2, no traceback)."""

import json

import pytest

from panther.apps.cli import main

MODEL = {"name": "tiny", "layers": [{"in": 24, "out": 16, "activation": "tanh"},
                                    {"in": 16, "out": 8, "activation": "sigmoid"}]}


def test_evaluate_a_model_file(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(MODEL))
    out = tmp_path / "out"
    status = main(["evaluate", "--workload", str(path), "--config", "small", "--batch", "16",
                   "--variant", "2", "--json", str(out / "r.json"), "--plots", str(out)])
    text = capsys.readouterr().out
    assert status == 0
    assert "tiny: PANTHER variant 2, batch 16" in text and "Dense2" in text
    data = json.loads((out / "r.json").read_text())
    assert [layer["name"] for layer in data["layers"]] == ["Dense1", "Dense2"]
    for layer in data["layers"]:
        assert layer["source"] == "count model"            # 16 > the 8 the tile can run
        assert layer["archs"]["base_opa_mvm"] is None       # dense layers
        panther = layer["archs"]["panther"]["energy_pj"]
        assert layer["ratios"]["base_mvm"]["energy"] == pytest.approx(
            layer["archs"]["base_mvm"]["energy_pj"] / panther)
    assert (out / "tiny_b16_v2.png").stat().st_size > 1000


@pytest.mark.parametrize("argv, message", [
    (["--workload", "resnet"], "--workload: expected mlp-l4, vgg16 or a model JSON file"),
    (["--workload", "missing.json"], "missing.json: cannot read"),
    (["--config", "nope"], "nope: not a preset"),
])
def test_bad_input_exits_2(argv, message, capsys):
    assert main(["evaluate"] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_model_names_the_json_path(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layers": [{"in": 4, "out": 3}, {"in": 5, "out": 2}]}))
    assert main(["evaluate", "--workload", str(path)]) == 2
    assert "$.layers[1].in: must be 3" in capsys.readouterr().err


def test_batch_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--batch", "0"])
    assert exit_.value.code == 2
    assert "expected a positive integer" in capsys.readouterr().err
