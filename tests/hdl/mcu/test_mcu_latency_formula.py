"""rtl_cycles with per-operation answer latencies (hdl/mcu/controller.py).

Expected counts are the controller's state sequence counted by hand for the small preset
(16 bit-steps, 16 / 4 = 4 ADC rounds of 1 cycle): per sampling step ISSUE, WAIT until the
answer (latency L) plus the capture cycle, 4 rounds, CONV exit -> 1 + (L + 1) + 4 + 1; per
sampling phase PHASE, FIN, FIN_WAIT (4 rounds), END_PHASE -> 1 + 1 + 4 + 1; per OPA-only
phase one transaction of 16 steps of L cycles each; plus the start cycle. The Verilator
tests of the MCU and of the tile check the formula against the RTL.
"""

import pytest

from panther.config import PRESETS
from panther.hdl.mcu import AnalogOp, McuOp, rtl_cycles, transaction_latency

SMALL = PRESETS["small"]
MVM, MTVM, OPA = McuOp.MVM.value, McuOp.MTVM.value, McuOp.OPA.value
MODELLED = {"MVM": 9, "MTVM": 9, "OPA": 3, "READ": 81, "WRITE": 86}


def sampling_phase(latency):
    return 1 + 16 * (1 + (latency + 1) + 4 + 1) + 1 + 1 + 4 + 1


def opa_phase(latency):
    return 16 * latency         # one transaction: the analog half applies 16 steps


@pytest.mark.parametrize("variant, mask, expected", [
    (1, MVM, 1 + sampling_phase(9)),                                   # 265
    (1, OPA, 1 + opa_phase(3)),                                        # 49
    (1, MVM | MTVM | OPA, 1 + 2 * sampling_phase(9) + opa_phase(3)),   # 577
    (2, MVM | MTVM | OPA, 1 + sampling_phase(9) + opa_phase(3)),       # 313
    (3, MVM | MTVM | OPA, 1 + sampling_phase(9)),                      # one phase, longest 9
    (3, OPA, 1 + opa_phase(3)),
])
def test_latencies_per_operation(variant, mask, expected):
    config = SMALL.replace(variant=variant)
    assert rtl_cycles(config, mask, latencies=MODELLED) == expected
    by_flag = {AnalogOp[name]: cycles for name, cycles in MODELLED.items()}
    assert rtl_cycles(config, mask, latencies=by_flag) == expected


def test_one_cycle_everywhere_is_the_ideal_count():
    ideal = dict.fromkeys(MODELLED, 1)
    assert rtl_cycles(SMALL, MVM, latencies=ideal) == rtl_cycles(SMALL, MVM) == 1 + sampling_phase(1)
    assert rtl_cycles(SMALL, OPA, ack_latency=4) == 1 + opa_phase(1) + 3   # answer 3 cycles late


def test_a_transaction_waits_for_its_longest_operation():
    assert transaction_latency([MVM, OPA], latencies=MODELLED) == 9
    assert transaction_latency([AnalogOp.READ], latencies=MODELLED) == 81
    assert transaction_latency([MVM], ack_latency=2) == 2
    with pytest.raises(ValueError, match=r"latencies must give \['OPA'\]"):
        transaction_latency([OPA], latencies={"MVM": 2})
    with pytest.raises(ValueError, match="latency of MVM must be an integer >= 1, not 0"):
        transaction_latency([MVM], latencies={"MVM": 0})

