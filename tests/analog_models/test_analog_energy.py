"""Energy model: per-event constants, breakdown sums, ADC table, orders of magnitude."""

import math

import pytest

from panther.analog_models import AnalogMCU, EnergyModel
from panther.analog_models.energy import EVENTS, adc_energy_pj
from panther.config import PRESETS

PAPER = PRESETS["paper"]


def test_breakdown_rows_and_totals_add_up():
    model = EnergyModel(PAPER)
    counts = {"mvm_step": 128, "adc_conversion": 128 * 128, "opa_step": 128, "vfu_op": 7,
              "serial_write_row": 0}
    report = model.breakdown(counts)
    assert [r.event for r in report.rows] == ["mvm_step", "opa_step", "adc_conversion", "vfu_op"]
    total_e = sum(counts[e] * model.energy_pj[e] for e in counts)
    total_t = sum(counts[e] * model.latency_ns[e] for e in counts)
    assert report.total_energy_pj == pytest.approx(total_e)
    assert report.total_latency_ns == pytest.approx(total_t)
    row = report.row("adc_conversion")
    assert row.count == 128 * 128 and row.total_energy_pj == pytest.approx(row.count * row.energy_pj)
    assert "total" in report.format()
    with pytest.raises(KeyError):
        report.row("serial_write_row")


def test_breakdown_rejects_unknown_events_and_bad_counts():
    model = EnergyModel(PAPER)
    with pytest.raises(ValueError, match="unknown energy event.*'mvm'"):
        model.breakdown({"mvm": 1})
    with pytest.raises(ValueError, match=">= 0"):
        model.breakdown({"opa_step": -1})
    with pytest.raises(ValueError, match="integer"):
        model.breakdown({"opa_step": 1.5})


def test_every_event_has_energy_and_latency():
    model = EnergyModel(PAPER)
    for event in EVENTS:
        assert model.energy_pj[event] > 0 and model.latency_ns[event] > 0


def test_published_figures_by_hand():
    model = EnergyModel(PAPER)
    # PUMA training constants: MVM without ADC 100 ns * 1.70 mW per slice over 16 steps
    assert model.energy_pj["mvm_step"] == pytest.approx(170.0 / 16)
    # OPA: 20 ns * 4.44 mW per slice over 16 steps
    assert model.energy_pj["opa_step"] == pytest.approx(88.8 / 16)
    # serial write of a whole array: 676 nJ / 32, per row / 128
    assert model.energy_pj["serial_write_row"] == pytest.approx(676e3 / 32 / 128)
    assert model.energy_pj["serial_read_row"] == pytest.approx(208e3 / 32 / 128)
    # ADC: the paper's ideal width at 128x128, 44466555 is 7 + 6 + 1 = 14 bits
    assert PAPER.adc_ideal_bits == 14
    assert model.energy_pj["adc_conversion"] == pytest.approx(0.225 * 14)
    assert model.latency_ns["adc_conversion"] == pytest.approx(PAPER.adc_latency * 1.0)


def test_adc_energy_by_resolution():
    table = EnergyModel(PAPER).adc_table()
    assert sorted(table) == [8, 9, 10, 11, 12, 14]
    assert table[8] == pytest.approx(1.8)               # PUMA adc_pow_dyn_dict['8'] * 1 ns
    values = [table[b] for b in sorted(table)]
    assert values == sorted(values)
    assert adc_energy_pj(12) / adc_energy_pj(8) == pytest.approx(12 / 8)


def test_orders_of_magnitude_the_paper_relies_on():
    model = EnergyModel(PAPER)
    e = model.energy_pj
    # updating a whole slice by OPA (16 steps) vs rewriting it serially (128 rows)
    opa_slice = 16 * e["opa_step"]
    write_slice = 128 * e["serial_write_row"]
    assert write_slice / opa_slice > 100
    # reading a whole slice serially costs more than a whole MVM on it (16 steps)
    assert 128 * e["serial_read_row"] > 16 * e["mvm_step"]
    # Eq. 5: a 4-bit DAC costs 5/3 of a 1-bit one
    assert e["dac_conversion"] / e["row_drive"] == pytest.approx(5 / 3)


def test_crossbar_events_scale_with_array_size():
    small = EnergyModel(PRESETS["small"])
    paper = EnergyModel(PAPER)
    assert small.energy_pj["mvm_step"] == pytest.approx(paper.energy_pj["mvm_step"] / 64)
    assert small.energy_pj["serial_write_row"] == pytest.approx(paper.energy_pj["serial_write_row"] / 8)


def test_analog_mcu_counts_feed_the_energy_model():
    cfg = PRESETS["small"].replace(variant=2)
    mcu = AnalogMCU(cfg)
    n = cfg.xbar_size
    mcu.mvm(0, [1] * n)
    mcu.mtvm(1, [1] * n)
    mcu.opa(0, [3] * n, [5] * n)
    mcu.copy_to(0, 1)
    counts = mcu.energy_counts()
    assert counts["mvm_step"] == 16 * 8 and counts["mtvm_step"] == 16 * 8
    assert counts["opa_step"] == 16 * 8
    assert counts["adc_conversion"] == counts["shift_add"] == 2 * 16 * 8 * n
    assert counts["sample_hold"] == 2 * 16 * 8 * n and counts["row_drive"] == 3 * 16 * n
    assert counts["dac_conversion"] == 16 * 8 * n
    assert counts["serial_read_row"] == 8 * n and counts["serial_write_row"] == 8 * n
    report = EnergyModel(cfg).breakdown(counts)
    assert math.isclose(report.total_energy_pj, sum(r.total_energy_pj for r in report.rows))


def test_network_events_are_priced_per_flit_and_hop():
    """PUMA: 16.13 mW routers (constants.py noc_pow_dyn_dict['4']) at 1 GHz, one flit per router
    and cycle; a 256-bit receive-buffer access of 4.48*sqrt(4) mW, per 32-bit flit."""
    from panther.analog_models.energy import EnergyModel
    from panther.config import PRESETS

    model = EnergyModel(PRESETS["paper"])
    assert model.energy_pj["noc_hop"] == pytest.approx(16.13)
    assert model.energy_pj["noc_flit"] == pytest.approx(16.13 + 8.96 / 8)
    report = model.breakdown({"noc_flit": 3, "noc_hop": 5})
    assert report.total_energy_pj == pytest.approx(3 * (16.13 + 1.12) + 5 * 16.13)
    assert report.row("noc_hop").latency_ns == 6.0
