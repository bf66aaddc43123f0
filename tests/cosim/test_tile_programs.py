"""Programs on the tile RTL (Verilator and Icarus; one build and one batch per simulator)
compared with the golden model.

Expected values come from the golden model (isa.golden) run on the same images, never from the
RTL. Covers the example training steps, faults (error codes), a shared-memory deadlock, images
with pre-loaded shared memory, an idle core, the cycle limit, what a run costs (simulated
cycles, bridge wake-ups) and the 8-core paper tile.
"""

from pathlib import Path

import numpy as np
import pytest
from simulator_required import require_simulator

from panther.config import PRESETS
from panther.cosim.program_runner import TileSimulation, compare, get_simulation, run_and_compare
from panther.hdl.core.constants import EVENT_REGS
from panther.hdl.ports import DebugPortSignature
from panther.isa.assembler import assemble
from panther.isa.encoding import encode, make
from panther.isa.faults import CoreFault
from panther.isa.golden import run_image
from panther.isa.golden.errors import DeadlockError
from panther.isa.image import ProgramImage
from panther.isa.random_program import random_image

pytestmark = pytest.mark.sim

ROOT = Path(__file__).resolve().parents[2]
CONFIG = PRESETS["small"]


def _asm(name, text=None):
    text = text if text is not None else (ROOT / "examples" / name).read_text()
    return assemble(text, config=CONFIG, filename=name)


def _words(*instructions):
    return [encode(make(mnemonic, **ops)) for mnemonic, ops in instructions]


def _programs():
    """name -> ProgramImage of the batch."""
    c = CONFIG
    images = {path.stem: _asm(path.name) for path in sorted((ROOT / "examples").glob("*.s"))}
    assert {"sgd_fc_step", "mlp2_step"} <= set(images)
    images["deadlock"] = _asm("deadlock.s", ".core 0\n ld 0, 5, 1\n hlt\n"
                                            ".core 1\n st 9, 3, 1, 1\n ld 1, 6, 1\n hlt\n")
    illegal = (1 << 64) - 1
    images["faults"] = ProgramImage(config=c, programs=[
        _words(("set", {"dst": 3, "imm": 7})) + [illegal],
        _words(("set", {"dst": 4, "imm": -2}), ("mcu", {f"m{m}": (1 if m == 5 else 0) for m in range(6)}),
               ("hlt", {})),
    ])
    rng = np.random.default_rng(5)
    valid = np.zeros(c.smem_depth, bool)
    valid[100:140] = True
    count = np.zeros(c.smem_depth, np.int64)
    count[100:120] = 0          # persistent
    count[120:140] = 2
    images["smem_image"] = ProgramImage(      # a word that is not valid holds no value
        config=c, smem_init=rng.integers(-30000, 30000, c.smem_depth) * valid, smem_valid=valid,
        smem_count=count, rf_init=[rng.integers(-9000, 9000, c.rf_depth) for _ in range(c.cores_per_tile)],
        programs=[_words(("ld", {"dst": 0, "saddr": 100, "vw": 8}), ("ld", {"dst": 8, "saddr": 120, "vw": 4}),
                         ("st", {"saddr": 200, "src": 0, "vw": 8, "count": 3}), ("hlt", {})),
                  _words(("ld", {"dst": 0, "saddr": 120, "vw": 2}), ("ld", {"dst": 2, "saddr": 200, "vw": 8}),
                         ("hlt", {}))])
    for seed in range(3):
        images[f"random{seed}"] = random_image(c, 1000 + seed)
    return images


SIMULATORS = ("verilator", "icarus")


@pytest.fixture(scope="module", params=SIMULATORS)
def batch(request):
    require_simulator(request.param)
    images = _programs()
    outcomes = run_and_compare(list(images.values()), simulator=request.param)
    assert all(o.dump["simulator"] == request.param for o in outcomes)
    return dict(zip(images, outcomes)), images


@pytest.mark.parametrize("name", ["sgd_fc_step", "mlp2_step", "mlp2_pipeline", "smem_image",
                                  "random0", "random1", "random2"])
def test_program_matches_golden(batch, name):
    outcomes, _ = batch
    outcome = outcomes[name]
    assert outcome.stopped == "halted", outcome.format()
    assert outcome.diffs == [], outcome.format()
    assert outcome.ok
    assert outcome.cycles > 0 and outcome.dump["events"]["instructions_total"] > 0


def test_a_run_costs_what_it_simulates(batch):
    """Loading and dumping by direct memory access: the simulated cycles of an image are its
    program's cycles plus a small fixed overhead (reset, PROG_LEN, the status registers),
    whatever its XBar buffers hold (loaded by direct access too)."""
    outcomes, images = batch
    assert any(np.count_nonzero(image.xbar_in) for image in images.values())
    # Debug-port words per core (cores in parallel): PROG_LEN, then STATUS, PC, INSTRET,
    # CYCLES, DEFERRED and the event counters; each takes the port's latency + 1 cycles.
    port = (1 + 5 + len(EVENT_REGS)) * (DebugPortSignature.latency + 1)
    for name, outcome in outcomes.items():
        dump = outcome.dump
        overhead = dump["sim_cycles"] - dump["cycles"]
        assert 0 < overhead <= 28 + port, (name, dump["sim_cycles"], dump["cycles"])


def test_one_bridge_wakeup_per_transaction(batch):
    outcomes, _ = batch
    for outcome in outcomes.values():
        dump = outcome.dump
        per = 3 if dump["simulator"] == "icarus" else 1
        assert dump["bridge_wakeups"] == per * dump["analog_transactions"]["requests"]
    assert outcomes["mlp2_step"].dump["analog_transactions"]["requests"] > 0


def test_example_uses_the_analog_models(batch):
    outcomes, images = batch
    dump = outcomes["mlp2_step"].dump
    golden = run_image(images["mlp2_step"]).to_dict()
    assert dump["events"]["mcu_totals"]["mvm"] == golden["events"]["mcu_totals"]["mvm"] > 0
    assert dump["events"]["adc_conversions"] == golden["events"]["adc_conversions"] > 0
    # The idle core 1 reports like the golden model's idle core: halted at 0, nothing retired.
    assert dump["cores"][1]["status"] == "halted" and dump["cores"][1]["instret"] == 0


def test_faults_report_the_golden_error_codes(batch):
    outcomes, images = batch
    outcome = outcomes["faults"]
    golden = run_image(images["faults"])
    assert [c["fault_code"] for c in golden.cores] == [CoreFault.ILLEGAL_INSTRUCTION, CoreFault.NO_SUCH_MCU]
    assert [c["status"] for c in outcome.dump["cores"]] == ["error", "error"]
    assert [c["fault_code"] for c in outcome.dump["cores"]] == [c["fault_code"] for c in golden.cores]
    assert outcome.diffs == [], outcome.format()


def test_deadlock_is_detected_and_named(batch):
    outcomes, images = batch
    outcome = outcomes["deadlock"]
    with pytest.raises(DeadlockError):
        run_image(images["deadlock"])
    assert outcome.stopped == "deadlock"
    assert outcome.dump["deadlock"] == [{"core": 0, "op": "ld", "saddr": 5},
                                        {"core": 1, "op": "ld", "saddr": 6}]
    assert "deadlock" in outcome.golden_error
    assert not outcome.ok
    assert "waits to ld shared-memory word 5" in outcome.format()
    # Up to the deadlock both agree: core 1's store happened on both.
    assert outcome.dump["smem"]["values"][9] == outcome.golden.smem["values"][9]
    assert outcome.dump["smem"]["valid"][9] is True


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_cycle_limit_stops_a_program_that_never_halts(simulator):
    require_simulator(simulator)
    sim = get_simulation(CONFIG, simulator=simulator)
    image = ProgramImage(config=CONFIG, programs=[_words(("jmp", {"target": 0})), _words(("hlt", {}))])
    dump, = sim.run([image], max_cycles=300)
    assert dump["stopped"] == "cycle_limit"
    assert dump["cycles"] == 300
    assert [c["status"] for c in dump["cores"]] == ["running", "halted"]


def test_compare_names_the_first_diverging_state(batch):
    outcomes, images = batch
    dump = outcomes["sgd_fc_step"].dump
    golden = run_image(images["sgd_fc_step"])
    broken = {**dump, "cores": [dict(c) for c in dump["cores"]]}
    broken["cores"][0] = {**broken["cores"][0], "rf": list(broken["cores"][0]["rf"])}
    broken["cores"][0]["rf"][17] += 1
    diffs = compare(golden, broken)
    assert diffs[0].startswith("core 0 rf[17]: golden ")


def _cross_core_words(image):
    """Shared-memory words stored by one core and loaded by another (ld/st run once each in
    a random image)."""
    from panther.isa.encoding import decode

    stores, loads = {}, {}
    for core, program in enumerate(image.programs):
        for word in program:
            ins = decode(word)
            if ins.mnemonic in ("ld", "st"):
                table = stores if ins.mnemonic == "st" else loads
                for addr in range(ins.operands["saddr"], ins.operands["saddr"] + ins.operands["vw"]):
                    table.setdefault(addr, set()).add(core)
    return sorted(a for a in stores if loads.get(a, set()) - stores[a])


@pytest.mark.slow
def test_paper_tile_program():
    # The paper tile: 8 cores of 2 MCUs with 128x128 crossbars (8 slices 44466555), 64 K words
    # of shared memory, in the paper's node of 138 tiles (its network interface serves
    # 8 x 1104 channels). The MCU and the core are converted once each and instantiated (16
    # MCUs, 8 cores); the analog answers go into hold registers inside the design, so no
    # top-level input carries an ADC code vector. From empty it builds in about 10.6 min on
    # the loaded machine (docs/tile.md, "Build time").
    require_simulator("verilator")
    config = PRESETS["paper"]
    image = random_image(config, 1)
    assert _cross_core_words(image)          # the cores exchange data through shared memory
    sim = TileSimulation(config).build()
    outcome, = run_and_compare([image], simulation=sim)
    assert outcome.ok, outcome.format()
    assert outcome.dump["events"]["adc_conversions"] > 0
    assert all(core["instret"] > 0 for core in outcome.dump["cores"])
    assert outcome.dump["bridge_wakeups"] == outcome.dump["analog_transactions"]["requests"]
