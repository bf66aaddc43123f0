"""The modelled analog latency in the tile RTL's cycles, the RTL timing formulas and the
golden model's cycle estimate (Verilator, small preset; one more tile build per variant,
whose MCU and core modules are shared with the ideal build).

A small program runs MVM, MTVM, OPA and CRS on one MCU, on the ideal build (one cycle per
analog transaction) and on the modelled one. The expected difference is integer math by
hand from the transactions the program makes and the PUMA latencies of energy.py at the
small preset's 1000 MHz (MVM/MTVM step 8.25 ns -> 9 cycles, OPA step 2.25 ns -> 3, serial
row read 80.08 ns -> 81, write 85.69 ns -> 86): each transaction costs ``latency - 1``
cycles more, and the core waits for every MCU request.
"""

import pytest
from simulator_required import require_simulator

from panther.apps.evaluation.rtl_timing import rtl_core_timing, rtl_mcu_timing
from panther.apps.evaluation.timing import schedule
from panther.apps.evaluation.trace import record_run
from panther.config import PRESETS
from panther.cosim.program_runner import run_and_compare
from panther.cosim.tile_simulation import get_simulation
from panther.isa.assembler import assemble

pytestmark = pytest.mark.sim

SOURCE = """
.mcu L1, 0
.region x, 0, 4
.data x, 0.5, -0.25, 0.125, 1.0
.weights L1, 0, 0.5, -0.5, 0.25, 0.125
.weights L1, 1, -0.25, 0.75, 0.5, -0.125
        cp      xin(L1), x, 4
        cp      xout(L1), x, 4
        mcu     L1:mvm
        mcu     L1:mtvm
        mcu     L1:opa
        crs     0b1
        hlt
"""

STEPS, ROWS, SLICES = 16, 16, 8           # small preset: 16-bit data, 16x16, 8 slices
STEP_EXTRA = STEPS * (9 - 1) * 2 + STEPS * (3 - 1)       # MVM, MTVM, OPA: 288
SERIAL_EXTRA = ROWS * SLICES * ((81 - 1) + (86 - 1))     # one pass of row reads and writes
#: Per variant: extra cycles of the modelled answer. Variant 1 defers OPA and CRS to hlt;
#: variant 3 applies them at once and commits the third copy at hlt (a read and a write
#: per slice and row, like CRS).
EXTRA = {1: STEP_EXTRA + SERIAL_EXTRA, 3: STEP_EXTRA + 2 * SERIAL_EXTRA}


@pytest.fixture(scope="module", params=[1, 3], ids=["v1", "v3"])
def runs(request):
    require_simulator("verilator")
    out = {}
    for mode in ("ideal", "modelled"):
        config = PRESETS["small"].replace(variant=request.param, analog_latency=mode)
        image = assemble(SOURCE, config=config, filename="latency.s")
        (outcome,) = run_and_compare([image], simulator="verilator")
        estimate = schedule(record_run(image), rtl_core_timing(config), rtl_mcu_timing(config))
        out[mode] = (config, outcome, estimate.makespan)
    return request.param, out


def test_the_modelled_build_is_its_own_top():
    ideal = get_simulation(PRESETS["small"])
    modelled = get_simulation(PRESETS["small"].replace(analog_latency="modelled"))
    assert "_lat_9_9_3_81_86_" in modelled.top and "_lat_" not in ideal.top
    assert modelled.units == ideal.units


def test_both_end_in_the_golden_state(runs):
    _, out = runs
    for mode, (_, outcome, _) in out.items():
        assert outcome.ok, f"{mode}: {outcome.format()}"


def test_rtl_cycles_grow_by_the_modelled_latencies(runs):
    variant, out = runs
    assert out["modelled"][1].cycles - out["ideal"][1].cycles == EXTRA[variant]


def test_the_golden_estimate_grows_by_the_same(runs):
    variant, out = runs
    assert out["modelled"][2] - out["ideal"][2] == EXTRA[variant]


def test_the_golden_estimate_matches_the_rtl(runs):
    _, out = runs
    for mode, (_, outcome, estimate) in out.items():
        assert 0.97 <= estimate / outcome.cycles <= 1.03, (mode, outcome.cycles, estimate)
