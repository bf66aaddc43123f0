"""The 2x2 node RTL (4 tiles of the small configuration, Verilator) against the golden node:
hand-written cross-tile programs and compiled networks that need 3 and 4 tiles end in the same
state with the same event counts (NoC words, flits and flit-hops included), and a program
that cannot complete is a deadlock on both. Every run's ``panther.run/1`` report is valid,
with the counts the programs imply."""

import json
import math

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
def images():
    return {
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


@pytest.fixture(scope="module")
def outcomes(images):
    require_simulator("verilator")
    from panther.cosim.node_runner import run_node_and_compare

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


def test_panther_run_runs_a_node_program_on_the_node_rtl(tmp_path, capsys, outcomes, images):
    from panther.apps.cli import main

    require_simulator("verilator")
    (tmp_path / "ring.s").write_text(RING)
    out_json = tmp_path / "ring.json"
    assert main(["run", str(tmp_path / "ring.s"), "--sim", "verilator", "--json",
                 str(out_json), "--max-cycles", "200000"]) == 0
    out = capsys.readouterr().out
    assert "node RTL (verilator): halted" in out
    assert "comparison with the golden node: identical state and event counts on all 4 tiles" in out
    # the CLI's JSON is the report object's (the run is deterministic, cycles included)
    expected = report_of(outcomes["ring"], images["ring"], program=str(tmp_path / "ring.s"))
    expected = json.loads(json.dumps(expected.to_dict()))
    data = json.loads(out_json.read_text())
    assert data.pop("check")["note"] == "the program names no reference check"
    expected.pop("check")
    assert data == expected


def report_of(outcome, image, **kwargs):
    from panther.cosim.node_outcome_report import node_run_report
    from panther.isa.node_image import NodeImage

    if not isinstance(image, NodeImage):
        image = NodeImage(config=image.config, tiles=[image])
    return node_run_report(outcome, image, simulator="verilator", **kwargs)


def hops(src, dst):
    """Links between two tiles of the small node (one tile per router, 2x2 mesh)."""
    return abs(src % 2 - dst % 2) + abs(src // 2 - dst // 2)


@pytest.mark.parametrize("name", ["ring", "to_self", "3 tiles 36-36", "4 tiles 20-33-17-5",
                                  "deadlock", "faults"])
def test_every_node_rtl_run_writes_a_valid_run_report(outcomes, images, name, run_report_valid):
    data = report_of(outcomes[name], images[name]).to_dict()
    assert run_report_valid(data) and data["schema"] == "panther.run/1"
    assert data["sim"] == "verilator" and data["rtl"]["rtl_tile"] is None
    assert all(t["sim"] == "verilator" for t in data["tiles"]) and data["cycles"] > 0
    n_tiles = len(data["tiles"])
    assert n_tiles == len(outcomes[name].dump["tiles"])
    assert [t["tile"] for t in data["tiles"]] == list(range(n_tiles))
    assert data["energy"]["total_pj"] == pytest.approx(
        sum(t["energy"]["total_pj"] for t in data["tiles"]))
    comparison = data["comparison"]
    if name == "deadlock":
        assert data["status"] == "deadlock" and not data["ok"]
        assert comparison["golden_status"] == "deadlock"
        assert data["rtl"]["deadlock"] == [{"tile": 1, "core": 0, "op": "send/recv",
                                            "saddr": None}]
    elif name == "faults":
        assert data["status"] == "error" and not data["ok"]
        assert comparison["result"] == "identical"
        assert [c["fault"] for c in data["cores"]] == ["NO_SUCH_TILE", "NO_SUCH_TILE",
                                                       "ADDRESS_RANGE", "NONE"]
    else:
        assert data["status"] == "halted" and data["ok"] and comparison["result"] == "identical"
        counted = set(comparison["compared_counters"])
        for t in range(n_tiles):        # every tile's counters, the NoC ones included
            assert {f"tile {t}: {c}" for c in ("noc_words_sent", "noc_flits", "noc_flit_hops",
                                               "instructions_total", "rf_reads")} <= counted


def test_ring_counts_follow_from_the_program(outcomes, images):
    """RING sends 20 words 0 -> 1, 1 -> 3 and 3 -> 0; 2 words per flit."""
    data = report_of(outcomes["ring"], images["ring"]).to_dict()
    flits = 3 * math.ceil(20 / (SMALL.noc_flit_bits // SMALL.data_bits))
    flit_hops = flits // 3 * (hops(0, 1) + hops(1, 3) + hops(3, 0))
    noc = data["noc"]
    assert (noc["words_sent"], noc["words_received"], noc["flits"], noc["flit_hops"]) == \
        (60, 60, flits, flit_hops) == (60, 60, 30, 40)
    assert noc["energy_pj"]["total"] == pytest.approx(30 * 17.25 + 40 * 16.13)  # docs/node.md
    assert [t["events"]["noc_words_sent"] for t in data["tiles"]] == [20, 20, 0, 20]
    per_core = {(c["tile"], c["core"]): c["instructions"] for c in data["cores"]}
    assert per_core[(0, 0)] == 3 and per_core[(1, 0)] == 4 and per_core[(3, 1)] == 4
    assert all(c["cycles"] > 0 for c in data["cores"] if not c["idle"])


REGIONS = """
.region v, 0, 4
.sregion out, 8, 2
.tile 0
.data v, 0.5, -0.25, 1.5, 0.125
    send 2, 1, v, 4
    hlt
.tile 2
.core 1
    recv v, 0, 0, 4
    alu add, v, v, v, 4
    st out, v, 2, 1
    hlt
"""


def test_the_api_runs_a_node_program_on_the_node_rtl_with_decoded_values(run_report_valid):
    from panther.apps.api import run

    require_simulator("verilator")
    report = run(assemble(REGIONS, config=SMALL), sim="verilator")
    data = report.to_dict()
    assert report.ok and run_report_valid(data) and data["comparison"]["result"] == "identical"
    x = [0.5, -0.25, 1.5, 0.125]
    assert report.values("v", tile=2)["cores"] == [{"core": 1, "raw": [2 * round(v * 4096) for v in x],
                                                    "real": [2 * v for v in x]}]
    out = {t["tile"]: t for t in data["values"]["out"]["tiles"]}
    assert out[2]["real"] == [1.0, -0.5] and out[2]["valid"] == [True, True]
    assert out[0]["valid"] == [False, False]


def test_a_node_that_never_halts_is_not_compared_when_both_hit_their_limits(run_report_valid):
    from panther.apps.api import run

    require_simulator("verilator")
    image = assemble(".tile 1\nloop: jmp loop\n.tile 0\nsend 1, 1, 0, 1\nhlt\n", config=SMALL)
    report = run(image, sim="verilator", max_cycles=300, max_rounds=50)
    data = report.to_dict()
    assert run_report_valid(data) and data["status"] == "cycle_limit" and not data["ok"]
    assert data["comparison"]["result"] == "not_compared"
    assert data["comparison"]["golden_status"] == "round_limit"
    assert "MISMATCH" not in report.format() and "not compared" in report.format()


def test_network_faults_match_the_golden_model(outcomes):
    outcome = outcomes["faults"]
    assert outcome.ok or outcome.stopped == "halted"
    assert not outcome.diffs, outcome.format()
    codes = [[c["fault"] for c in t["cores"]] for t in outcome.dump["tiles"]]
    assert codes == [["NO_SUCH_TILE", "NO_SUCH_TILE"], ["ADDRESS_RANGE", "NONE"]]
