"""Compiled training kernels on the tile RTL (Verilator and Icarus): every run ends in the
golden model's state (cores, weights and slice digits, shared memory, every event counter),
and the golden state equals the independent fixed-point reference (tests/compiler checks that
for every kernel; the first test here repeats it for these). Then ``panther train --sim``:
several invocations on the RTL carrying the slice digits, identical to golden training.

Kernels for the small tile (2 cores x 2 MCUs, 16x16): the shipped small_tile_mlp (SGD,
straight-line code) and its CRS kernel; a 24-16-8 network with biases and the softmax
cross-entropy loss (VFU exp and recip) as a mini-batch of 3, once pipelined (mvm|mtvm) and
once rolled into a loop (ldx/stx, alu_int, blt)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from simulator_required import require_simulator

from panther.compiler import Model, TrainSpec, dense, load_model
from panther.config import PRESETS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler"))
from compiler_testing import assert_exact, compile_run_reference  # noqa: E402

pytestmark = pytest.mark.sim

MODELS = Path(__file__).resolve().parents[2] / "examples" / "models"


def _softmax_model():
    return Model(layers=[dense(24, 16, "tanh", True), dense(16, 8, "identity", True)],
                 loss="softmax_cross_entropy", seed=2,
                 train=TrainSpec(algorithm="minibatch", batch=3, lr=0.25))


def _kernels(config):
    """``name -> (model, kernel kwargs)`` of the kernels run on the RTL."""
    mlp = load_model(MODELS / "small_tile_mlp.json")
    return {"small_tile_mlp": (mlp, {}), "small_tile_mlp crs": (mlp, {"crs": True}),
            "softmax pipelined": (_softmax_model(), {"loop": "unrolled"}),
            "softmax rolled": (_softmax_model(), {"loop": "rolled"})}


@pytest.mark.parametrize("simulator, variant", [("verilator", 1), ("verilator", 2),
                                                ("verilator", 3), ("icarus", 1)])
def test_compiled_kernels_on_the_rtl_equal_the_golden_model(simulator, variant):
    from panther.cosim.program_runner import run_and_compare

    require_simulator(simulator)
    config = PRESETS["small"].replace(variant=variant)
    kernels, references = {}, {}
    for name, (model, kwargs) in _kernels(config).items():
        kernel, run, ref_w, ref_y = compile_run_reference(model, config, **kwargs)
        assert_exact(kernel, run, ref_w, ref_y)          # golden == independent reference
        kernels[name], references[name] = kernel, (ref_w, ref_y)
    assert kernels["softmax rolled"].report.loop == "rolled"
    assert kernels["softmax pipelined"].report.loop == "unrolled"
    outcomes = run_and_compare([k.image for k in kernels.values()], simulator=simulator)
    for (name, kernel), outcome in zip(kernels.items(), outcomes):
        assert outcome.ok, f"{name}:\n{outcome.format()}"
        # and so the RTL's own final weights and outputs are the reference's
        ref_w, ref_y = references[name]
        for got, want in zip(kernel.layer_weights(outcome.dump), ref_w):
            np.testing.assert_array_equal(got, want, err_msg=name)
        np.testing.assert_array_equal(kernel.outputs(outcome.dump), ref_y, err_msg=name)


@pytest.mark.parametrize("simulator, steps", [("verilator", 4), ("icarus", 2)])
def test_train_on_the_rtl_is_golden_training(tmp_path, capsys, simulator, steps):
    """digits_small_tile (61-10 softmax, CRS every 4): each invocation on the RTL starts from
    the slice digits the previous one left and matches the golden model; the curves equal
    those of training on the golden model."""
    from panther.apps.cli import main

    require_simulator(simulator)
    model = MODELS / "digits_small_tile.json"
    out = tmp_path / "rtl.json"
    assert main(["train", str(model), "--steps", str(steps), "--sim", simulator, "--json",
                 str(out), "--no-progress"]) == 0
    assert "every invocation ended in the golden model's state" in capsys.readouterr().out
    rtl = json.loads(out.read_text())
    assert rtl["simulator"] == simulator and len(rtl["rtl_cycles"]) == steps
    assert rtl["crs_steps"] == ([4] if steps >= 4 else [])
    golden = tmp_path / "golden.json"
    assert main(["train", str(model), "--steps", str(steps), "--json", str(golden),
                 "--no-progress"]) == 0
    gold = json.loads(golden.read_text())
    assert rtl["loss"] == gold["loss"] and rtl["accuracy"] == gold["accuracy"]
