"""The architectures' energy models and the workloads' pieces (apps/evaluation)."""

import pytest

from panther.analog_models import baselines
from panther.analog_models.energy import EnergyModel
from panther.apps.evaluation.architectures import (
    base_digital_energy,
    base_mvm_config,
    base_mvm_energy,
    base_opa_mvm_energy,
    panther_energy,
)
from panther.apps.evaluation.counts import run_kernel
from panther.apps.evaluation.workloads import WORKLOADS, Layer, Piece, pieces
from panther.compiler import compile_model
from panther.config import PRESETS

SMALL = PRESETS["small"].replace(cores_per_tile=4, smem_depth=8192, imem_depth=1024)
LAYER = Layer(name="L", kind="dense", n_in=40, n_out=24, activation="relu", input_gradient=True)


def _events(variant, batch):
    config = SMALL.replace(variant=variant)
    return run_kernel(LAYER, Piece(40, 24, 1), config, batch=batch)[1].report.events, config


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_panther_energy_is_the_golden_counts_priced(variant):
    events, config = _events(variant, 2)
    whole = EnergyModel(config).breakdown(events["energy_events"]).total_energy_pj
    assert panther_energy(events, config).total_pj == pytest.approx(whole, rel=1e-12)


def test_baselines_price_the_same_program_and_operations():
    (b2, config), (b3, _) = _events(3, 2), _events(3, 3)
    mvm2, mvm3 = base_mvm_energy(b2, config, variant=2), base_mvm_energy(b3, config, variant=2)
    digital = base_digital_energy(b2, config)
    assert digital.parts["program"] == mvm2.parts["program"] > 0
    assert digital.parts["mvm_mtvm"] == pytest.approx(
        baselines.CMOS_MVM_ENERGY_RATIO * mvm2.parts["mvm_mtvm"])
    assert digital.parts["opa"] == mvm2.parts["opa"]
    assert digital.parts["serial"] == 0
    # the read-modify-write happens once per batch, the outer products once per sample
    assert mvm3.parts["serial"] == mvm2.parts["serial"] > 0
    assert mvm3.parts["opa"] == pytest.approx(1.5 * mvm2.parts["opa"])
    # two copies to write back when compared with variant 2, one with variant 1
    one = base_mvm_energy(b2, config, variant=1)
    model = EnergyModel(base_mvm_config(config))
    rows = 16 * config.xbar_size * 6                       # 16 slices, 6 blocks
    assert mvm2.parts["serial"] - one.parts["serial"] == pytest.approx(
        rows * model.energy_pj["serial_write_row"])


def test_base_mvm_crossbars_are_16_two_bit_slices():
    base = base_mvm_config(PRESETS["paper"])
    assert base.slice_bits == (2,) * 16 and base.nominal_bits == 2
    assert base.adc_code_bits == 10                         # 7 + 2 + 1: exact for 128 rows
    assert base_mvm_config(PRESETS["paper"].replace(adc_bits=8)).adc_code_bits == 8
    assert base_mvm_config(PRESETS["paper"].replace(adc_bits=12)).adc_code_bits == 10


def test_base_opa_mvm_applies_to_convolutions_only():
    events, config = _events(3, 2)
    assert base_opa_mvm_energy(events, config, variant=2) is None
    conv = {"batch": 2, "gradient_mvms": 9, "error_rows": 16}
    pipelayer = base_opa_mvm_energy(events, config, variant=2, conv=conv)
    mvm = base_mvm_energy(events, config, variant=2)
    assert pipelayer.parts["serial"] > mvm.parts["serial"]     # dH written serially
    assert pipelayer.total_pj == pytest.approx(sum(pipelayer.parts.values()))


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_pieces_cover_each_layer_and_fit_a_tile(name):
    config = PRESETS["paper"]
    for layer in WORKLOADS[name]:
        parts = pieces(layer, config)
        assert sum(p.n_in * p.n_out * p.count for p in parts) == layer.n_in * layer.n_out
        for p in parts:
            compile_model(layer.model(batch=1, n_in=p.n_in, n_out=p.n_out), config=config)
