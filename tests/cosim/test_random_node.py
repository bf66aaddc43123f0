"""Random node programs with cross-tile traffic (isa.random_node_program): generator
properties on the golden node, and 20 of them on the 2x2 node RTL against the golden node."""

import pytest
from simulator_required import require_simulator

from panther.config import PRESETS
from panther.isa.golden import run_image
from panther.isa.random_node_program import random_node_image
from panther.isa.random_program import NODE_OPCODES, coverage

CONFIG = PRESETS["small"]
SEEDS = range(20)


@pytest.fixture(scope="module")
def images():
    return [random_node_image(CONFIG, seed) for seed in SEEDS]


def test_generator_is_deterministic_and_uses_the_network(images):
    assert random_node_image(CONFIG, 3).same_contents(images[3])
    assert not images[3].same_contents(images[4])
    assert coverage(images)["opcodes"] >= NODE_OPCODES | {"ld", "st", "mcu", "hlt"}
    with pytest.raises(ValueError, match="tiles must be an integer from 2 to 4"):
        random_node_image(CONFIG, 0, tiles=5)


def test_programs_halt_on_the_golden_node_with_cross_tile_traffic(images):
    longer = 0
    for seed, image in zip(SEEDS, images):
        report = run_image(image)
        assert report.ok, seed
        assert report.noc["channels"] == [] and report.noc["words"] > 0
        cross = [r for r in report.noc["traffic"] if r["src_tile"] != r["dst_tile"]]
        assert cross, seed
        longer += any(r["words"] > CONFIG.noc_fifo_depth for r in report.noc["traffic"])
    assert longer > len(SEEDS) // 2          # vectors longer than a channel are common


@pytest.mark.sim
def test_node_rtl_matches_the_golden_node_on_random_programs(images):
    from panther.cosim.node_runner import run_node_and_compare

    require_simulator("verilator")
    outcomes = run_node_and_compare(images, simulator="verilator")
    bad = [f"seed {seed}:\n{o.format()}" for seed, o in zip(SEEDS, outcomes) if not o.ok]
    assert not bad, "\n".join(bad[:3])
