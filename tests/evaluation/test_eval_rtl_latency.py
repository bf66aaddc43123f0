"""The RTL timing profile of the evaluation (apps/evaluation/rtl_timing.py) with the
configuration's analog answer latencies; expected differences by hand from the small
preset (16 bit-steps, 16 rows, 8 slices) and the modelled cycles 9, 9, 3, 81, 86."""

import pytest

from panther.apps.evaluation.rtl_timing import rtl_mcu_timing
from panther.config import PRESETS
from panther.hdl.mcu import McuOp

SMALL = PRESETS["small"]
MVM, MTVM = McuOp.MVM.value, McuOp.MTVM.value


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_the_rtl_timing_profile_takes_the_configured_latencies(variant):
    ideal = rtl_mcu_timing(SMALL.replace(variant=variant))
    modelled = rtl_mcu_timing(SMALL.replace(variant=variant, analog_latency="modelled"))
    serial = 16 * 8 * ((81 - 1) + (86 - 1))        # rows x slices, a read and a write each
    assert modelled.read - ideal.read == 16 * 8
    assert modelled.opa - ideal.opa == 16 * 2
    assert modelled.crs - ideal.crs == serial
    assert modelled.commit - ideal.commit == serial
    both = modelled.per_request(MVM | MTVM) - ideal.per_request(MVM | MTVM)
    assert both == (16 * 8 if variant >= 2 else 2 * 16 * 8)
