"""The timing model (apps/evaluation/timing.py): hand-computed cases, the extrapolation to
large batches, and the RTL's cycle counts on every kernel that runs on the RTL."""

import pytest
from simulator_required import require_simulator

from panther.analog_models.energy import EnergyModel
from panther.apps.evaluation.latency import mcu_timing, model_core_timing
from panther.apps.evaluation.rtl_timing import rtl_core_timing, rtl_mcu_timing
from panther.apps.evaluation.timing import schedule
from panther.apps.evaluation.trace import record_run
from panther.config import PRESETS
from panther.isa.assembler import assemble

SMALL = PRESETS["small"]


def _rtl_time(source, variant):
    config = SMALL.replace(variant=variant)
    trace = record_run(assemble(source, config=config))
    return schedule(trace, rtl_core_timing(config), rtl_mcu_timing(config))


def test_a_load_waits_for_the_store_of_another_core():
    """Core 0 stores 4 words (4 cycles each on the RTL), core 1 loads them (3 each) and must
    wait for each word; the tile's port takes one word per cycle. By hand: core 0's words
    end at 4, 8, 12, 16 (port cycles 0, 4, 8, 12), then its st (4: the registered start,
    ST_READ, ST_LAST and the dispatch) and hlt (8, with the run's registered start and the
    front end's check stage): 28.
    Core 1's words wait for them and for a free port cycle: they start at 5, 9, 13, 16 (4, 8
    and 12 are the store's) and end at 8, 12, 16, 19; then ld (3: the dispatch, the
    registered start, and its last word written a cycle after its handshake) and hlt (8):
    30."""
    source = ".core 0\n st 0, 0, 4, 1\n hlt\n.core 1\n ld 0, 0, 4\n hlt\n"
    result = _rtl_time(source, variant=3)
    assert result.core_end == [28, 30]
    alone = _rtl_time(".core 0\n hlt\n.core 1\n .smem 0, 0, 1, 2, 3, 4\n ld 0, 0, 4\n hlt\n", 3)
    assert alone.core_end[1] == 3 * 4 + 3 + 8     # valid words: no wait


@pytest.mark.parametrize("variant, reads", [(1, 2), (2, 1), (3, 1)])
def test_mvm_and_mtvm_of_one_request_run_together_on_two_copies(variant, reads):
    config = PRESETS["paper"].replace(variant=variant)
    trace = record_run(assemble("mcu 0:mvm|mtvm\nhlt\n", config=config))
    lat = EnergyModel(config).latency_ns
    stage = max(lat["mvm_step"], config.xbar_size / config.adcs_per_xbar * lat["adc_conversion"])
    read = (config.input_steps + 2) * stage           # PUMA: 3 pipeline stages
    result = schedule(trace, model_core_timing(config), mcu_timing("panther", config))
    assert result.makespan == pytest.approx(reads * read + 1000 / config.clock_mhz)   # + hlt


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_opas_are_replayed_one_after_the_other_at_hlt(variant):
    """Paper §7.5: the OPAs of a batch are serialised at the end (variants 1-2); variant 3
    applies them at once to its third copy and commits every changed MCU at hlt."""
    config = PRESETS["paper"].replace(variant=variant)
    times = []
    for k in (1, 5):
        trace = record_run(assemble("mcu 0:opa, 1:opa\n" * k + "hlt\n", config=config))
        times.append(schedule(trace, model_core_timing(config), mcu_timing("panther", config)))
    lat = EnergyModel(config).latency_ns
    opa = config.input_steps * lat["opa_step"]
    if variant == 3:                # eager on both MCUs at once
        assert times[1].makespan - times[0].makespan == pytest.approx(4 * opa)
        commit = config.xbar_size * (lat["serial_read_row"] + lat["serial_write_row"])
        assert times[0].busy["hlt"] == pytest.approx(1.0 + commit)
    else:                           # 8 more OPAs replayed one by one, plus their operand words
        assert times[1].busy["hlt"] - times[0].busy["hlt"] == pytest.approx(8 * opa)


@pytest.mark.sim
def test_timing_model_against_rtl_cycles():
    """Every kernel within RTL_RATIO; a kernel on one core (no other core contends for the
    shared memory's port: nothing left that the model does not know) exactly."""
    from panther.apps.evaluation.rtl_check import RTL_RATIO, check_kernels, compare_with_rtl

    require_simulator("verilator")
    kernels = check_kernels()
    rows = compare_with_rtl(kernels)
    for r in rows:
        print(f"{r.name:20s} variant {r.variant}: RTL {r.rtl_cycles} cycles, model "
              f"{r.model_cycles:.0f}, ratio {r.ratio:.3f}")
    assert all(r.ok for r in rows)
    assert len(rows) == 33
    bad = [(r.name, r.variant, round(r.ratio, 3)) for r in rows
           if not RTL_RATIO[0] <= r.ratio <= RTL_RATIO[1]]
    assert not bad, bad
    one_core = {name for name, _, image in kernels if sum(map(bool, image.programs)) == 1}
    assert one_core == {"sgd_fc_step.s", "mlp2_step.s", "minibatch8_step.s", "layer 16x8 b1 crs"}
    inexact = [(r.name, r.variant, r.rtl_cycles, r.model_cycles) for r in rows
               if r.name in one_core and r.model_cycles != r.rtl_cycles]
    assert not inexact, inexact
