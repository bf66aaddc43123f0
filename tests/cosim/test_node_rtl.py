"""The 2x2 node RTL (4 tiles of the small configuration, Verilator) against the golden node:
hand-written cross-tile programs and compiled networks that need 3 and 4 tiles end in the same
state with the same event counts (NoC words, flits and flit-hops included), and a program
that cannot complete is a deadlock on both."""

import pytest
from simulator_required import require_simulator

from panther.compiler import Model, TrainSpec, compile_model, dense
from panther.config import PRESETS
from panther.isa.assembler import assemble
from panther.isa.encoding import encode, make

SMALL = PRESETS["small"]

RING = """
.tile 0
.data 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19
    send 1, 0, 0, 20         # longer than a channel: waits for credits
    recv 100, 3, 1, 20
    hlt
.tile 1
.data 300, 7
    recv 0, 0, 0, 20
    alu add, 0, 0, 300, 1
    send 3, 1, 0, 20
    hlt
.tile 3
.core 1
    recv 0, 1, 0, 20
    alu add, 0, 0, 0, 20
    send 0, 0, 0, 20
    hlt
"""

TO_SELF = """
.tile 2
.data 0, -5, 6, -7
    send 2, 1, 0, 3          # to the other core of this tile, through the router
    send 2, 0, 0, 2          # and to itself
    recv 10, 2, 0, 2
    hlt
.core 1
    recv 0, 2, 0, 3
    st 0, 0, 3, 1
    hlt
"""


def _model(layers, batch):
    return Model(layers=[dense(*l) for l in layers], seed=0,
                 train=TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch,
                                 lr=0.25))


@pytest.fixture(scope="module")
def outcomes():
    require_simulator("verilator")
    from panther.cosim.node_runner import run_node_and_compare

    images = {
        "ring": assemble(RING, config=SMALL),
        "to_self": assemble(TO_SELF, config=SMALL),
        "3 tiles 36-36": compile_model(_model([(36, 36, "sigmoid")], 1), config=SMALL).image,
        "4 tiles 20-33-17-5": compile_model(
            _model([(20, 33, "tanh"), (33, 17, "relu"), (17, 5, "identity")], 2),
            config=SMALL).image,
        "deadlock": assemble(".tile 1\nrecv 0, 0, 0, 1\nhlt\n.tile 0\nsend 1, 1, 0, 2\nhlt",
                             config=SMALL),
        # words the assembler refuses: a tile and a core the node lacks, then a vector past
        # the operand space
        "faults": assemble(f".word {encode(make('send', tile=5, core=0, src=0, vw=1)):#x}\n"
                           f".core 1\n.word {encode(make('recv', dst=0, tile=0, core=3, vw=1)):#x}\n"
                           f".tile 1\n.word {encode(make('send', tile=0, core=0, src=310, vw=16)):#x}",
                           config=SMALL),
    }
    results = run_node_and_compare(list(images.values()), max_cycles=200_000)
    return dict(zip(images, results))


@pytest.mark.parametrize("name", ["ring", "to_self", "3 tiles 36-36", "4 tiles 20-33-17-5"])
def test_node_rtl_equals_the_golden_node(outcomes, name):
    outcome = outcomes[name]
    assert outcome.ok, outcome.format()
    events = [t["events"] for t in outcome.dump["tiles"]]
    assert sum(e["noc_words_sent"] for e in events) == outcome.golden.noc["words"] > 0
    assert sum(e["noc_flit_hops"] for e in events) == outcome.golden.noc["flit_hops"]


def test_ring_result(outcomes):
    rf = outcomes["ring"].dump["tiles"][0]["cores"][0]["rf"]
    assert rf[100:120] == [2 * (i + (7 if i == 0 else 0)) for i in range(20)]


def test_networks_spread_over_three_and_four_tiles(outcomes):
    assert len(outcomes["3 tiles 36-36"].dump["tiles"]) == 3
    assert len(outcomes["4 tiles 20-33-17-5"].dump["tiles"]) == 4


def test_an_unmatched_receive_is_a_deadlock_on_both(outcomes):
    outcome = outcomes["deadlock"]
    assert outcome.stopped == "deadlock"
    assert "node deadlock" in outcome.golden_error
    assert {(w["tile"], w["core"]) for w in outcome.dump["deadlock"]} == {(1, 0)}


def test_panther_run_runs_a_node_program_on_the_node_rtl(tmp_path, capsys):
    from panther.apps.cli import main

    require_simulator("verilator")
    (tmp_path / "ring.s").write_text(RING)
    assert main(["run", str(tmp_path / "ring.s"), "--sim", "verilator"]) == 0
    out = capsys.readouterr().out
    assert "node RTL (verilator): halted" in out
    assert "comparison with the golden node: identical state and event counts on all 4 tiles" in out


def test_network_faults_match_the_golden_model(outcomes):
    outcome = outcomes["faults"]
    assert outcome.ok or outcome.stopped == "halted"
    assert not outcome.diffs, outcome.format()
    codes = [[c["fault"] for c in t["cores"]] for t in outcome.dump["tiles"]]
    assert codes == [["NO_SUCH_TILE", "NO_SUCH_TILE"], ["ADDRESS_RANGE", "NONE"]]
