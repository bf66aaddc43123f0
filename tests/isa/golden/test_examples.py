"""The example programs against float numpy references of the same training steps."""

import re
from pathlib import Path

import numpy as np
import pytest

from panther.config import PRESETS
from panther.fixed_point import from_fixed
from panther.isa.assembler import assemble
from panther.isa.golden import DeadlockError, Tile, run_image
from panther.isa.golden.reference import (
    ACT_TOL,
    UPDATE_REL_TOL,
    WEIGHT_TOL,
    check_example,
    plan_sigmoid,
    plan_tanh,
)

from ._golden_refs import S

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SMALL = PRESETS["small"]


def _image(name, text=None):
    text = (EXAMPLES / f"{name}.s").read_text() if text is None else text
    return assemble(text, config=SMALL, filename=f"{name}.s")


@pytest.mark.parametrize("name", ["sgd_fc_step", "mlp2_step", "mlp2_pipeline"])
def test_example_matches_the_float_reference(name):
    image = _image(name)
    report = run_image(image)
    assert report.ok and report.overflow == [False, False]
    check = check_example(name, image, report)
    assert check.ok, check.format()
    for quantity, err, tol, _ in check.rows:
        assert tol in (ACT_TOL, WEIGHT_TOL, UPDATE_REL_TOL)
        assert err <= tol, quantity


@pytest.mark.parametrize("name", ["sgd_fc_step", "mlp2_step", "mlp2_pipeline"])
def test_a_wrong_learning_rate_sign_fails_the_check(name):
    # The check must be able to fail: ascending the gradient moves the weights the other way.
    text = (EXAMPLES / f"{name}.s").read_text().replace("-1.0/LR_DIV", "1.0/LR_DIV")
    image = _image(name, text)
    check = check_example(name, image, run_image(image))
    assert not check.ok
    assert any(q.startswith("W") and err > tol for q, err, tol, _ in check.rows)


def test_sgd_example_weights_moved_and_opa_clipping_is_counted():
    image = _image("sgd_fc_step")
    tile = Tile.from_image(image)
    report = tile.run()
    before = from_fixed(image.weights[(0, 0)], 24)
    after = from_fixed(np.array(report.cores[0]["mcus"][0]["weights"]), 24)
    assert np.abs(after - before).max() > 5 * WEIGHT_TOL    # a real update, not noise
    assert report.events["mcu_totals"]["opa_applied"] == 1
    # carries stay in the slices: some cells of this OPA clipped (documented in reference.py)
    assert tile.cores[0].mcus[0].inexact_updates > 0


def test_lower_learning_rate_reduces_the_update():
    base = (EXAMPLES / "sgd_fc_step.s").read_text()
    slow = re.sub(r"\.equ LR_DIV, \d+", ".equ LR_DIV, 64", base)
    deltas = []
    for text in (base, slow):
        image = _image("sgd_fc_step", text)
        report = run_image(image)
        w0 = image.weights[(0, 0)]
        deltas.append(np.abs(np.array(report.cores[0]["mcus"][0]["weights"]) - w0).max())
    assert deltas[1] < deltas[0] / 4


def test_float_plan_reference_agrees_with_the_integer_formula():
    # the float reference's activations are the same function as the table's integer one
    raw = np.arange(-32768, 32768, 7)
    assert np.abs(plan_sigmoid(raw / 4096) - np.array([S(int(v)) for v in raw]) / 4096).max() <= 1 / 4096
    tanh_int = np.array([2 * S(2 * int(v)) - 4096 for v in raw]) / 4096
    assert np.abs(plan_tanh(raw / 4096) - tanh_int).max() <= 2 / 4096


def test_unknown_example_has_no_check():
    assert check_example("nonexistent", None, None) is None


@pytest.mark.slow
def test_mlp2_example_at_paper_size():
    config = PRESETS["paper"]
    image = assemble((EXAMPLES / "mlp2_step.s").read_text(), config=config, filename="mlp2_step.s")
    report = run_image(image)
    assert report.ok and len(report.cores) == config.cores_per_tile
    assert check_example("mlp2_step", image, report).ok
    assert report.events["adc_conversions"] == 3 * config.input_steps * 128 * config.n_slices


def test_pipeline_equals_the_single_core_step_bit_for_bit():
    single = run_image(_image("mlp2_step"))
    order = []
    pipeline = run_image(_image("mlp2_pipeline"),
                         trace=lambda core, pc, instr: order.append((core, instr.name)))
    assert pipeline.cores[0]["mcus"][0] == single.cores[0]["mcus"][0]       # layer 1
    assert pipeline.cores[1]["mcus"][0] == single.cores[0]["mcus"][1]       # layer 2
    assert pipeline.smem["valid"][32:56] == [False] * 24     # hand-offs consumed
    # core 1 stores gh only after core 0 stored h and core 1 loaded it
    assert order.index((0, "st")) < order.index((1, "st"))


def test_pipeline_without_the_reply_deadlocks_naming_core_and_word():
    text = (EXAMPLES / "mlp2_pipeline.s").read_text().replace(
        "        st      ghs, xin(L2), NH, 1", "        nop")
    with pytest.raises(DeadlockError) as info:
        run_image(_image("mlp2_pipeline", text))
    assert info.value.waits == [dict(core=0, pc=6, op="ld", saddr=48, wants="valid")]
