"""The study's opa_model switch, its update statistics and the opa-fidelity measurement tools."""

import json

import numpy as np
import pytest

from panther.analog_models import Crossbar, mcu_ops
from panther.apps.study.opa_fidelity import _drives, opa_delta, replay, streamed_sums
from panther.apps.study.sliced_layer import SlicedLayer
from panther.apps.study.sweep import plan_sweep, run_sweep, write_results
from panther.apps.study.trainer import RunSpec, train, update_summary
from panther.compiler.datasets import load_dataset
from panther.config import PRESETS, PantherConfig

CONFIG = PRESETS["small"]


def _cfg(slice_bits, size=8):
    return PantherConfig(xbar_size=size, slice_bits=tuple(slice_bits), weight_bits=32)


def test_sliced_layer_functional_opa_is_one_clipped_chunk_add_per_slice():
    cfg = CONFIG.replace(slice_bits=(4, 4, 4, 6, 6, 5, 5, 5))
    w = np.array([[0, 5], [-(1 << 20), 7], [3, 0]], dtype=np.int64)
    layer = SlicedLayer(w, cfg, opa_model="functional")
    x = np.array([4096, 0, -2048])
    v = np.array([300, -1])
    layer.opa(x, v)
    # by hand: 4096*300 = 0x12C000 adds 12, 2, 1 to slices 3, 4, 5 (zero digits), 2048*300 =
    # 0x96000 adds 6, 9 to slices 3, 4, 2048 = 0x800 adds 8 to slice 2: nothing clips
    assert layer.weights().tolist() == [[0 + 4096 * 300, 5 - 4096], [-(1 << 20), 7], [3 - 2048 * 300, 2048]]
    assert layer.crossbar.events["opa_adds"] == 1


def test_sliced_layer_rejects_a_bad_opa_model():
    with pytest.raises(ValueError, match="opa_model must be 'streamed' or 'functional', not 'fast'"):
        SlicedLayer(np.zeros((2, 2), dtype=np.int64), CONFIG, opa_model="fast")
    with pytest.raises(ValueError, match="opa_model must be 'streamed' or 'functional', not 'fast'"):
        RunSpec(name="x", mode="float", opa_model="fast")


def test_update_summary_on_a_hand_built_case():
    s = update_summary([np.array([1, 2, 0])], [np.array([3, 0])])
    assert s["cells"] == 6 and s["nonzero_fraction"] == pytest.approx(2 / 6)
    assert (s["median"], s["max"]) == (4.5, 6.0)                # products 3 and 6
    assert (s["v_median"], s["x_bits_mean"]) == (3.0, 1.0)


def test_sweep_records_the_opa_model(tmp_path):
    plan = plan_sweep(quick=True, steps=40, opa_model="functional")
    plan = type(plan)(tuple(s for s in plan.runs if s.name in ("float", "fixed", "55555555@64")), True, 0)
    results = run_sweep(plan, CONFIG)
    summary = write_results(plan, results, tmp_path, energy_config=PRESETS["paper"], seconds=1.0)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert summary["opa_model"] == on_disk["opa_model"] == "functional"
    assert [r["opa_model"] for r in on_disk["runs"]] == [None, None, "functional"]
    assert on_disk["update_stats"][0]["opas"] == 40 and on_disk["update_stats"][0]["median"] > 0


def test_functional_and_streamed_training_differ_and_log_updates():
    data = load_dataset(seed=0)
    runs = {}
    for model in ("streamed", "functional"):
        spec = RunSpec(name=model, mode="sliced", slice_bits=(4, 4, 4, 6, 6, 5, 5, 5), steps=60,
                       eval_every=60, opa_model=model)
        log = []
        runs[model] = train(spec, data, CONFIG, update_log=log)
        assert len(log) == 2 * 60 and log[0][:2] == (1, 0)
    assert runs["streamed"].clipped_updates != runs["functional"].clipped_updates


def test_streamed_closed_form_equals_the_bit_serial_crossbar():
    """Per-step clipping of one OPA = one clip of the summed partial products (same sign)."""
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    rng = np.random.default_rng(4)
    xbar = Crossbar(cfg)
    digits = np.stack([rng.integers(lo, hi + 1, (8, 8))
                       for lo, hi in (cfg.digit_range(k) for k in range(8))])
    xbar.program_digits(digits)
    for _ in range(4):
        x = rng.integers(-32768, 32768, 8)
        v = rng.integers(-4000, 4000, 8)
        digits = opa_delta(digits, x, v, cfg)
        mcu_ops.opa(xbar, x, v)
    assert np.array_equal(xbar.digits(), digits)
    assert xbar.saturation_events.sum() > 0


def test_streaming_order_does_not_matter_in_ideal_mode():
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    rng = np.random.default_rng(8)
    x = rng.integers(-32768, 32768, 8)
    v = rng.integers(-32768, 32768, 8)
    from panther.analog_models import all_row_drives, opa_col_chunks
    a, b = Crossbar(cfg), Crossbar(cfg)
    drives = all_row_drives(x, cfg)
    for n in range(16):
        a.opa_step(drives[n], opa_col_chunks(v, n, cfg))
        b.opa_step(drives[15 - n], opa_col_chunks(v, 15 - n, cfg))     # MSB first
    assert np.array_equal(a.digits(), b.digits()) and a.saturation_events.sum() > 0


def test_streamed_sums_of_a_hand_built_case():
    """x = 3 (bits 0, 1), v = 15: slice 0 gets 15 + 14 = 29, slice 1 gets 1."""
    cfg = _cfg((5,) * 8)
    sums = streamed_sums(np.array([3] + [0] * 7), np.array([15] + [0] * 7), cfg)
    assert sums[:, 0, 0].tolist() == [29, 1, 0, 0, 0, 0, 0, 0]


def test_naf_drives_are_nonadjacent_and_sum_to_x():
    cfg = _cfg((5,) * 8)
    x = np.array([0, 1, 3, 7, 255, 32767, -32768, -11])
    drives = _drives(x, cfg, naf=True)
    assert (drives * (1 << np.arange(17))[:, None]).sum(axis=0).tolist() == x.tolist()
    assert not np.any((drives[1:] != 0) & (drives[:-1] != 0))


def test_replay_is_exact_with_crs_every_opa_on_wide_slices():
    """Functional OPAs on 66666666 from canonical digits never clip: zero error."""
    rng = np.random.default_rng(9)
    pairs = [(rng.integers(-32768, 32768, 8), rng.integers(-32768, 32768, 8)) for _ in range(5)]
    w0 = rng.integers(-(1 << 27), 1 << 27, (8, 8))
    r = replay(w0, pairs, (6,) * 8, _cfg((6,) * 8), opa_model="functional", crs_every=1)
    assert (r["max"], r["clipped"]) == (0.0, 0.0)
    s = replay(w0, pairs, (6,) * 8, _cfg((6,) * 8), opa_model="streamed", crs_every=1)
    assert s["max"] > 0.01
