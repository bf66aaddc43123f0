"""The RTL counts its own digital events (hdl.core.event_counters): the totals of a tile run
equal the golden model's, and the comparison names a count that differs."""

from pathlib import Path

import pytest
from simulator_required import require_simulator

from panther.config import PRESETS
from panther.cosim.program_runner import compare, run_and_compare
from panther.isa.assembler import assemble
from panther.isa.events import DIGITAL_EVENTS
from panther.isa.golden import run_image

pytestmark = pytest.mark.sim

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("example", ["mlp2_pipeline", "sgd_fc_step"])
def test_event_totals_are_the_rtls_own_and_match_the_golden_model(example):
    require_simulator("verilator")
    image = assemble((ROOT / "examples" / f"{example}.s").read_text(), config=PRESETS["small"],
                     filename=f"{example}.s")
    outcome, = run_and_compare([image], simulator="verilator")
    assert outcome.ok, outcome.format()
    golden = run_image(image).events
    rtl = outcome.dump["events"]
    for name in DIGITAL_EVENTS:
        assert rtl[name] == golden.get(name, 0), name
    assert rtl["vfu_ops"] > 0 and rtl["rf_reads"] > 0 and rtl["xbar_out_writes"] > 0
    per_core = [core["events"]["rf_writes"] for core in outcome.dump["cores"]]
    assert sum(per_core) == rtl["rf_writes"]
    # The report's counts are the RTL's: change one and the comparison names it.
    broken = {**outcome.dump, "events": {**rtl, "smem_writes": rtl["smem_writes"] + 1}}
    assert compare(outcome.golden, broken) == [
        f"event count smem_writes: golden {golden.get('smem_writes', 0)}, "
        f"RTL {rtl['smem_writes'] + 1}"]
    assert outcome.report.events["rf_reads"] == rtl["rf_reads"]


def test_the_golden_comparison_of_an_rtl_run_honours_max_rounds():
    """An endless loop: the RTL stops at its cycle limit and the golden comparison at the given
    scheduling-round limit, named once as the golden model's."""
    require_simulator("verilator")
    image = assemble("loop: jmp loop\n", config=PRESETS["small"], filename="loop.s")
    outcome, = run_and_compare([image], simulator="verilator", max_cycles=3000, max_rounds=7)
    assert outcome.stopped == "cycle_limit" and not outcome.ok
    assert "7 scheduling rounds reached" in outcome.golden_error
    text = outcome.format()
    assert "golden model: 7 scheduling rounds" in text and "golden model: golden model" not in text
