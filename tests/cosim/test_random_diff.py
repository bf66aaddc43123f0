"""Random valid programs: generator properties (golden model) and RTL-vs-golden differences."""

import random

import pytest
from simulator_required import require_simulator

from panther.config import PRESETS
from panther.isa.golden import Tile, run_image
from panther.isa.random_program import ALL_OPCODES, coverage, random_image
from panther.isa.table import ALU_FUNCS, ALU_INT_FUNCS, BRANCH_CONDS

CONFIG = PRESETS["small"]
SEEDS = range(50)


@pytest.fixture(scope="module")
def images():
    return [random_image(CONFIG, seed) for seed in SEEDS]


def test_generator_is_deterministic():
    a, b = random_image(CONFIG, 7), random_image(CONFIG, 7)
    assert a.same_contents(b)
    assert not a.same_contents(random_image(CONFIG, 8))


def test_generator_covers_the_isa(images):
    seen = coverage(images)
    assert seen["opcodes"] == ALL_OPCODES
    assert seen["alu"] == {f.name for f in ALU_FUNCS if not f.imm_only}
    assert seen["alui"] == {f.name for f in ALU_FUNCS}
    assert seen["alu_int"] == {f.name for f in ALU_INT_FUNCS}
    assert seen["br"] == {c.name for c in BRANCH_CONDS}
    assert seen["mcu_masks"] == {(m, k) for m in range(CONFIG.mcus_per_core) for k in range(1, 8)}
    assert seen["crs_masks"] == set(range(1, 1 << CONFIG.mcus_per_core))


def test_programs_halt_on_golden_with_cross_core_traffic(images):
    waited = 0
    for seed, image in zip(SEEDS, images):
        report = run_image(image)
        assert report.ok, (seed, [c["fault_message"] for c in report.cores])
        assert all(c["pending_updates"] == 0 for c in report.cores)
        waited += report.rounds > max(len(p) for p in image.programs) + 5
    assert report.events["smem_reads"] > 0 and report.events["smem_writes"] > 0
    assert waited > 0, "no program ever waited on shared memory"


@pytest.mark.parametrize("seed", range(8))
def test_final_state_does_not_depend_on_the_interleaving(seed):
    # The generator promises every interleaving gives the same final state: step the golden
    # cores in a random order (with random stalls) and compare with the in-order run.
    image = random_image(CONFIG, seed)
    expected = run_image(image).state()
    tile = Tile.from_image(image)
    rng = random.Random(seed)
    for _ in range(200_000):
        if tile.done:
            break
        core = rng.choice(tile.cores)
        core.step(tile.smem)
    assert tile.done
    assert tile.report().state() == expected


#: Seeds per simulator: all of them on the default simulator, a share on the slower Icarus.
RTL_SEEDS = {"verilator": SEEDS, "icarus": range(0, len(SEEDS), 5)}


@pytest.mark.sim
@pytest.mark.parametrize("simulator", sorted(RTL_SEEDS))
def test_rtl_matches_golden_on_random_programs(images, simulator):
    # All programs in one simulator run on one build.
    from panther.cosim.program_runner import run_and_compare

    require_simulator(simulator)
    seeds = RTL_SEEDS[simulator]
    outcomes = run_and_compare([images[seed] for seed in seeds], simulator=simulator)
    bad = [f"seed {seed}:\n{outcome.format()}" for seed, outcome in zip(seeds, outcomes)
           if not outcome.ok]
    assert not bad, "\n".join(bad[:3])
    assert sum(o.dump["events"]["adc_conversions"] for o in outcomes) > 0


VARIANTS = {v: CONFIG.replace(variant=v) for v in (1, 2, 3)}


@pytest.mark.parametrize("seed", range(10))
def test_same_program_same_state_on_every_variant(seed):
    """The variant is microarchitecture (paper §5.2): the same random program ends in the same
    cores and program-visible shared memory on variants 1-3; variants 1-2 used their
    shared-memory OPA region (and left it invalid), variant 3 has none."""
    images = {v: random_image(cfg, seed) for v, cfg in VARIANTS.items()}
    assert images[1].programs == images[2].programs == images[3].programs
    reports = {v: run_image(image).to_dict() for v, image in images.items()}
    user = CONFIG.smem_user_depth
    for v in (2, 3):
        assert reports[v]["cores"] == reports[1]["cores"], v
        for key in ("values", "valid", "count"):
            assert reports[v]["smem"][key][:user] == reports[1]["smem"][key][:user], (v, key)
    for v in (1, 2):
        region = slice(user, CONFIG.smem_depth)
        assert not any(reports[v]["smem"]["valid"][region])
    opas = reports[1]["events"]["mcu_totals"]["opa_applied"]
    moved = 2 * 2 * CONFIG.xbar_size * opas      # saved and loaded back, at least
    assert reports[1]["events"]["smem_writes"] - reports[3]["events"]["smem_writes"] >= moved // 2


#: Random programs on the variant-2 and variant-3 tiles (one build each).
VARIANT_SEEDS = range(100, 110)


@pytest.mark.sim
@pytest.mark.parametrize("variant", [2, 3])
def test_rtl_matches_golden_on_random_programs_of_every_variant(variant):
    from panther.cosim.program_runner import run_and_compare

    require_simulator("verilator")
    images = [random_image(VARIANTS[variant], seed) for seed in VARIANT_SEEDS]
    outcomes = run_and_compare(images, simulator="verilator")
    bad = [f"seed {seed}:\n{outcome.format()}" for seed, outcome in zip(VARIANT_SEEDS, outcomes)
           if not outcome.ok]
    assert not bad, "\n".join(bad[:3])
    assert sum(o.dump["events"]["mcu_totals"]["opa_applied"] for o in outcomes) > 0
