"""The paper's claims (§7), checked on our own model at the paper's evaluation point: the
direction of each comparison and its order of magnitude. Where our figures differ from the
paper's, the bound follows ours and docs/evaluation.md gives both with the reason."""

import pytest

from panther.apps.evaluation import Evaluator, evaluate, workload
from panther.apps.evaluation.figures import primitives, storage
from panther.config import PRESETS

pytestmark = pytest.mark.slow

PAPER = PRESETS["paper"]
#: Two FC layers of MLP-L4: a hidden one with MTVMs (16 MCUs) and the output layer.
LAYERS = tuple(layer for layer in workload("mlp-l4") if layer.name in ("Dense3", "Dense4"))


@pytest.fixture(scope="module")
def results():
    evaluator = Evaluator(PAPER)
    run = lambda batch, variant: evaluate(LAYERS, PAPER, batch=batch, variant=variant,  # noqa: E731
                                          evaluator=evaluator)
    return {"sgd": run(1, 1), "b1": run(1, 2), "b64": run(64, 2), "b1024": run(1024, 2),
            "v3": {b: run(b, 3) for b in (1, 64, 1024)}, "evaluator": evaluator}


def _ratios(result, baseline, what="energy_pj"):
    return [layer.ratio(baseline, what) for layer in result.layers]


def test_several_times_less_energy_than_base_digital(results):
    """Paper: 7.01-8.02x (SGD). Ours: about 5.9x, because PUMA's CMOS MVM is 4.17x a ReRAM
    MVM on 2-bit slices and our PANTHER MVM (8 wider slices, every column converted) is a
    little cheaper than that one."""
    for key in ("sgd", "b64", "b1024"):
        assert all(3 <= r <= 12 for r in _ratios(results[key], "base_digital")), key


def test_advantage_over_base_mvm_shrinks_with_the_batch(results):
    """Paper on FC layers: 31-54x at batch 1, 1.61-2.16x at 64, about 1.18x at 1024. Ours:
    5-6x at batch 1 (the serial read-modify-write of PUMA's array costs is 5x PANTHER's MVMs
    and OPAs of one sample, not 30-50x), then the paper's 1.6x at 64 and 1.5x at 1024."""
    sgd, b64, b1024 = (_ratios(results[k], "base_mvm") for k in ("sgd", "b64", "b1024"))
    for r1, r64, r1024 in zip(sgd, b64, b1024):
        assert r1 >= 4
        assert r1 > 2 * r64
        assert r64 > r1024 > 1.0
        assert r1024 < 2.0


def test_faster_than_the_baselines_where_the_paper_says(results):
    """Faster than Base_digital at every batch; faster than Base_mvm at batch 1, where its
    serial writes are not amortised (from batch 64 on our Base_mvm hides its CMOS OPA under
    the MVMs and keeps pace: docs/evaluation.md)."""
    for key in ("b1", "b64", "b1024"):
        assert all(r > 2 for r in _ratios(results[key], "base_digital", "time_ns")), key
    assert all(r > 2 for r in _ratios(results["b1"], "base_mvm", "time_ns"))
    assert all(0.7 < r < 1.5 for r in _ratios(results["b1024"], "base_mvm", "time_ns"))


def test_crs_every_1024_invocations_costs_a_few_percent_at_most(results):
    """Paper: <= 4.8% (§7.1). Worst case: batch 1."""
    for key in ("sgd", "b1", "b64"):
        for layer in results[key].layers:
            assert 0 < layer.crs["energy_fraction"] < 0.05
            assert 0 < layer.crs["time_fraction"] < 0.05


def test_variant_3_needs_less_shared_memory_at_large_batches(results):
    """Variant 2 saves every OPA's operands in shared memory until the end of the batch
    (§4.3, Fig. 14); variant 3 saves none but commits a third copy at every hlt: more energy
    at small batches, comparable at large ones."""
    evaluator = results["evaluator"]
    for layer in LAYERS:
        v2 = [storage(evaluator, layer, batch=b, variant=2) for b in (1, 64, 1024)]
        v3 = [storage(evaluator, layer, batch=b, variant=3) for b in (1, 64, 1024)]
        assert v2[0] > v2[1] > v2[2]                   # density falls as the operands pile up
        assert v3[0] == v3[1] == v3[2]
        assert v3[2] > 10 * v2[2]
    for index, layer in enumerate(LAYERS):
        e2 = {b: results[k].layers[index].archs["panther"].energy_pj
              for b, k in ((1, "b1"), (64, "b64"), (1024, "b1024"))}
        e3 = {b: results["v3"][b].layers[index].archs["panther"].energy_pj for b in (1, 64, 1024)}
        assert e3[1] > 2 * e2[1], layer.name
        assert e3[1024] == pytest.approx(e2[1024], rel=0.05), layer.name


def test_reram_primitives_against_cmos():
    """Fig. 1: ReRAM MVM cheaper and faster than CMOS (paper: 10.4x, 8.9x); reading and
    writing a whole matrix costlier in ReRAM, writing by about an order of magnitude."""
    p = primitives(PAPER)
    mvm_energy = p["MVM"]["cmos"][0] / p["MVM"]["reram"][0]
    mvm_time = p["MVM"]["cmos"][1] / p["MVM"]["reram"][1]
    assert 3 < mvm_energy < 30 and 5 < mvm_time < 15
    assert p["read matrix"]["reram"][0] > p["read matrix"]["cmos"][0]
    assert p["write matrix"]["reram"][0] > 5 * p["write matrix"]["cmos"][0]
    assert p["write matrix"]["reram"][1] > 3 * p["write matrix"]["cmos"][1]
    assert p["OPA"]["reram"][0] < p["OPA"]["cmos"][0]
