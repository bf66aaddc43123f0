"""Analog answer latencies in clock cycles (analog_models/analog_latency.py).

Expected cycles are worked out by hand from the PUMA constants quoted in energy.py
(xbar_ip_lat 100 ns and xbar_op_lat 20 ns over 16 bit-steps, 1 ns DACs and sample-and-hold,
serial array read 328000/32 ns and write 351000/32 ns over 128 rows).
"""

import pytest

from panther.analog_models.analog_latency import (
    ANALOG_OPS,
    latency_cycles,
    modelled_cycles,
    transaction_ns,
)
from panther.config import PRESETS

SMALL = PRESETS["small"]


def test_transaction_ns_composes_the_puma_latencies():
    ns = transaction_ns(SMALL)
    assert ns["MVM"] == ns["MTVM"] == pytest.approx(1 + 100 / 16 + 1)
    assert ns["OPA"] == pytest.approx(1 + 20 / 16)
    assert ns["READ"] == pytest.approx(328_000 / 32 / 128)
    assert ns["WRITE"] == pytest.approx(351_000 / 32 / 128)


@pytest.mark.parametrize("preset", ["small", "paper"])
@pytest.mark.parametrize("mhz, expected", [
    # ceil(8.25 ns, 2.25 ns, 80.08 ns, 85.69 ns in cycles of 1000/mhz ns), at least 1
    (1000.0, {"MVM": 9, "MTVM": 9, "OPA": 3, "READ": 81, "WRITE": 86}),
    (250.0, {"MVM": 3, "MTVM": 3, "OPA": 1, "READ": 21, "WRITE": 22}),
    (100.0, {"MVM": 1, "MTVM": 1, "OPA": 1, "READ": 9, "WRITE": 9}),
    (400.0, {"MVM": 4, "MTVM": 4, "OPA": 1, "READ": 33, "WRITE": 35}),   # 3.3, 0.9, 32.03, 34.28
])
def test_modelled_cycles_round_up_at_the_clock(preset, mhz, expected):
    config = PRESETS[preset].replace(clock_mhz=mhz, analog_latency="modelled")
    assert modelled_cycles(config) == expected
    assert latency_cycles(config) == expected


def test_a_whole_number_of_cycles_is_not_rounded_up_again():
    # 2.25 ns at 4000/9 MHz (2.25 ns per cycle): exactly 1 cycle for OPA; 8.25 ns: ceil(3.67) = 4
    config = SMALL.replace(clock_mhz=4000 / 9)
    assert modelled_cycles(config)["OPA"] == 1
    assert modelled_cycles(config)["MVM"] == 4


def test_ideal_answers_every_operation_in_one_cycle():
    assert latency_cycles(SMALL) == dict.fromkeys(ANALOG_OPS, 1)
    assert latency_cycles(PRESETS["paper"]) == dict.fromkeys(ANALOG_OPS, 1)


def test_a_config_is_required():
    with pytest.raises(TypeError, match="config must be a PantherConfig"):
        latency_cycles({"clock_mhz": 1000})
