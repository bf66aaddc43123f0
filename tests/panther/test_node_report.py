"""Node runs write ``panther.run/1`` too (golden node here; the node RTL and ``--rtl-tile`` in
tests/cosim/test_node_rtl.py and test_tile_in_loop.py): the schema holds, the schema rejects
a broken node report, and the counts, values and energy follow from the program by integer
and fixed-point arithmetic (the words, flits and hops a `send` makes on the 2x2 mesh)."""

import json
import math

import pytest

from panther.apps.api import load_program, run
from panther.apps.cli import main
from panther.config import PRESETS
from panther.isa.assembler import assemble
from panther.isa.node_run_report import NodeRunReport
from panther.isa.run_report import SCHEMA

SMALL = PRESETS["small"]

# tile 0 core 0 sends 5 words to tile 3 core 1, which doubles them, stores two in its shared
# memory and sends 3 back to tile 0 core 1.
PROGRAM = """
.region v, 0, 5
.sregion out, 4, 2
.check sgd_fc_step
.tile 0
.data v, 0.5, 0.25, -1.0, 2.0, 0.125
    send 3, 1, v, 5
    hlt
.core 1
    recv v, 3, 1, 3
    hlt
.tile 3
.core 1
    recv v, 0, 0, 5
    alu add, v, v, v, 5
    st out, v, 2, 1
    send 0, 1, v, 3
    hlt
"""
X = [0.5, 0.25, -1.0, 2.0, 0.125]


def hops(src, dst, config=SMALL):
    """Links between two tiles of the small node (one tile per router, 2x2 mesh, X then Y)."""
    cols = 2
    return abs(src % cols - dst % cols) + abs(src // cols - dst // cols)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("node") / "node.s"
    path.write_text(PROGRAM)
    return path


@pytest.fixture(scope="module")
def report(program):
    return run(load_program(program), sim="golden", program=str(program))


def test_a_golden_node_run_writes_a_valid_run_report(report, run_report_valid):
    data = report.to_dict()
    assert isinstance(report, NodeRunReport) and data["schema"] == SCHEMA == "panther.run/1"
    assert run_report_valid(data)
    assert data["status"] == "halted" and data["ok"] and data["comparison"] is None
    assert data["cycles"] is None and data["rtl"] is None and data["rounds"] > 0
    assert [t["tile"] for t in data["tiles"]] == [0, 1, 2, 3]
    assert all(t["sim"] == "golden" for t in data["tiles"])
    json.loads(json.dumps(data))


def test_counts_follow_from_the_program(report):
    data = report.to_dict()
    per_core = {(c["tile"], c["core"]): c["instructions"] for c in data["cores"]}
    assert per_core == {(0, 0): 2, (0, 1): 2, (1, 0): 0, (1, 1): 0, (2, 0): 0, (2, 1): 0,
                        (3, 0): 0, (3, 1): 5}
    assert [len(t["cores"]) for t in data["tiles"]] == [2, 2, 2, 2]
    assert data["events"]["instructions_total"] == 9
    words_per_flit = SMALL.noc_flit_bits // SMALL.data_bits          # 2
    flits = math.ceil(5 / words_per_flit) + math.ceil(3 / words_per_flit)
    flit_hops = math.ceil(5 / words_per_flit) * hops(0, 3) + math.ceil(3 / words_per_flit) * hops(3, 0)
    noc = data["noc"]
    assert (noc["words_sent"], noc["words_received"], noc["flits"], noc["flit_hops"]) == \
        (8, 8, flits, flit_hops) == (8, 8, 5, 10)
    assert noc["channels"] == []
    assert {(r["src_tile"], r["dst_tile"]): (r["words"], r["sends"]) for r in noc["traffic"]} == \
        {(0, 3): (5, 1), (3, 0): (3, 1)}
    # the sending tile counts its words
    assert [t["events"]["noc_words_sent"] for t in data["tiles"]] == [5, 0, 0, 3]
    assert [t["events"]["noc_words_received"] for t in data["tiles"]] == [3, 0, 0, 5]


def test_energy_per_tile_adds_up_to_the_node(report):
    data = report.to_dict()
    energy = data["energy"]
    assert energy["total_pj"] == pytest.approx(sum(t["energy"]["total_pj"] for t in data["tiles"]))
    assert energy["total_pj"] == pytest.approx(sum(e["total_pj"] for e in energy["events"].values()))
    for event, row in energy["events"].items():
        assert row["total_pj"] == pytest.approx(row["count"] * row["pj_each"])
        assert row["count"] == sum(t["energy"]["events"].get(event, {"count": 0})["count"]
                                   for t in data["tiles"])
    # docs/node.md: 17.25 pJ per flit, 16.13 pJ per router traversal
    assert data["noc"]["energy_pj"]["noc_flit"] == pytest.approx(5 * 17.25)
    assert data["noc"]["energy_pj"]["noc_hop"] == pytest.approx(10 * 16.13)
    assert data["noc"]["energy_pj"]["total"] == pytest.approx(5 * 17.25 + 10 * 16.13)


def test_values_are_decoded_per_tile_and_for_the_node(report):
    q = 2 ** SMALL.data_frac_bits
    raw = [math.floor(x * q + 0.5) for x in X]
    data = report.to_dict()
    v = data["values"]["v"]
    by_core = {(c["tile"], c["core"]): c for c in v["cores"]}
    assert set(by_core) == {(0, 0), (0, 1), (3, 1)}            # the cores with a program
    assert by_core[(0, 0)]["raw"] == raw and by_core[(0, 0)]["real"] == X
    assert by_core[(3, 1)]["raw"] == [2 * r for r in raw]
    assert by_core[(3, 1)]["real"] == [2 * x for x in X]
    assert by_core[(0, 1)]["real"] == [2 * x for x in X[:3]] + [0.0, 0.0]
    out = {t["tile"]: t for t in data["values"]["out"]["tiles"]}
    assert out[3]["real"] == [1.0, 0.5] and out[3]["valid"] == [True, True]
    assert out[0]["valid"] == [False, False]
    # one tile's view has the shape of a tile report
    assert report.values("out", tile=3) == data["tiles"][3]["values"]["out"]
    assert report.values("out", tile=3)["raw"] == [2 * raw[0], 2 * raw[1]]
    assert report.values("v") == v


def test_the_api_report_is_the_cli_json(program, report, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", str(program), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "tile 3 core 1  halted" in text and "network (8 words, 5 flits, 10 flit-hops)" in text
    assert json.loads(out.read_text()) == report.to_dict()


def test_a_node_program_gets_no_reference_check_and_says_so(program, report, capsys):
    check = report.to_dict()["check"]
    assert check["name"] is None and check["ok"] is None and check["rows"] == []
    assert "'sgd_fc_step' not run" in check["note"] and "one-tile programs" in check["note"]
    assert main(["run", str(program), "--check", "mlp2_step"]) == 2
    err = capsys.readouterr().err
    assert "checks run on one-tile programs" in err and "Traceback" not in err


def test_a_tile_report_has_no_node_members(run_report_valid):
    data = run(assemble("alu relu, 0, 0, 2\nhlt\n", config=SMALL), sim="golden").to_dict()
    assert "tiles" not in data and "noc" not in data and run_report_valid(data)
    assert all("tile" not in core for core in data["cores"])


@pytest.mark.parametrize("change", [
    lambda d: d.pop("noc"),                                   # tiles without the network
    lambda d: d["cores"][0].pop("tile"),                      # a node's core names its tile
    lambda d: d["tiles"][0].pop("energy"),
    lambda d: d["tiles"][1].update(sim="MISMATCH"),
    lambda d: d["noc"].update(flits=None),
    lambda d: d["values"]["out"].pop("tiles"),                # a shared region with no words
    lambda d: d["values"]["v"]["cores"][0].update(real=""),
])
def test_the_schema_rejects_a_broken_node_report(report, change, run_report_valid):
    data = json.loads(json.dumps(report.to_dict()))
    assert run_report_valid(data)
    change(data)
    assert not run_report_valid(data)


def test_a_node_deadlock_writes_a_valid_report(tmp_path, capsys, run_report_valid):
    prog = tmp_path / "dead.s"
    prog.write_text(".tile 1\nrecv 0, 0, 0, 1\nhlt\n.tile 0\nhlt\n")
    out = tmp_path / "r.json"
    assert main(["run", str(prog), "--json", str(out), "--json-state"]) == 2
    assert "node deadlock" in capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["status"] == "deadlock" and not data["ok"] and "deadlock" in data["message"]
    assert [c["status"] for c in data["tiles"][1]["cores"]] == ["running", "halted"]
    assert len(data["state"]["tiles"]) == 2 and data["state"]["channels"] == []
    data["state"]["tiles"] = [{"cores": [], "smem": {}}] * 2     # (a slow validator on 10^4 numbers)
    assert run_report_valid(data)


def test_a_node_image_directory_runs_through_the_api(tmp_path):
    image = assemble(PROGRAM, config=SMALL)
    image.save(tmp_path / "img")
    report = run(tmp_path / "img", sim="golden")
    assert isinstance(report, NodeRunReport) and report.ok
    assert report.values("v", tile=3)["cores"][0]["real"] == [2 * x for x in X]
    with pytest.raises(Exception, match="apply to tile images"):
        load_program(tmp_path / "img", weights={"0": tmp_path / "w.npy"})
