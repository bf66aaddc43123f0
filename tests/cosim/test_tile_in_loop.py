"""One tile in the loop: tile 1 of a node image on the RTL (Verilator), the other tiles on the
golden model, joined at the tile's NoC port; the whole node equals the all-golden run, and
the mixed run writes a valid ``panther.run/1`` report that says which tile ran where."""

import json

import pytest
from simulator_required import require_simulator

from panther.apps.cli import main
from panther.compiler import Model, TrainSpec, compile_model, dense
from panther.config import PRESETS
from panther.isa.random_node_program import random_node_image

SMALL = PRESETS["small"]
RTL_TILE = 1            # one tile build serves every test of this file


def four_tile_kernel():
    model = Model(layers=[dense(20, 33, "tanh"), dense(33, 17, "relu"), dense(17, 5)], seed=0,
                  train=TrainSpec(algorithm="minibatch", batch=2, lr=0.25))
    return compile_model(model, config=SMALL)


@pytest.mark.sim
@pytest.mark.parametrize("name", ["kernel", "random 5", "random 6"])
def test_one_rtl_tile_among_golden_tiles_equals_the_golden_node(name, run_report_valid):
    from panther.cosim.node_outcome_report import node_run_report
    from panther.cosim.tile_in_loop import run_tile_in_loop

    require_simulator("verilator")
    if name == "kernel":
        image = four_tile_kernel().image
    else:
        image = random_node_image(SMALL, int(name.split()[1]))
    outcome = run_tile_in_loop(image, RTL_TILE)
    assert outcome.ok, outcome.format()
    rtl = outcome.dump["rtl"]["events"]
    golden = outcome.golden.tiles[RTL_TILE]["events"]
    assert rtl["noc_words_sent"] == golden["noc_words_sent"]
    assert rtl["noc_words_received"] == golden["noc_words_received"] > 0
    data = node_run_report(outcome, image, simulator="verilator").to_dict()
    check_mixed_report(data, len(image.tiles), run_report_valid)
    # the RTL tile's own counts, the golden tiles' of the mixed run
    assert data["tiles"][RTL_TILE]["events"]["noc_words_sent"] == rtl["noc_words_sent"]
    assert data["noc"]["words_sent"] == outcome.golden.noc["words"]


def check_mixed_report(data, n_tiles, run_report_valid):
    assert run_report_valid(data) and data["ok"] and data["status"] == "halted"
    assert [t["sim"] for t in data["tiles"]] == ["verilator" if t == RTL_TILE else "golden"
                                                 for t in range(n_tiles)]
    assert data["rtl"]["rtl_tile"] == RTL_TILE and data["cycles"] > 0
    comparison = data["comparison"]
    assert comparison["result"] == "identical" and comparison["differences"] == []
    counted = set(comparison["compared_counters"])
    # the RTL tile's counters, and every event count of every golden tile
    assert {f"tile {RTL_TILE}: rf_reads", f"tile {RTL_TILE}: noc_flits"} <= counted
    for t in set(range(n_tiles)) - {RTL_TILE}:
        assert {f"tile {t}: instructions_total", f"tile {t}: noc_words_sent"} <= counted
    cycles = [c["cycles"] for c in data["cores"]]
    assert all(c is None for c, core in zip(cycles, data["cores"]) if core["tile"] != RTL_TILE)
    assert all(c["cycles"] >= 0 for c in data["tiles"][RTL_TILE]["cores"])


@pytest.mark.sim
def test_panther_run_rtl_tile(tmp_path, capsys, run_report_valid):
    require_simulator("verilator")
    four_tile_kernel().image.save(tmp_path / "k")
    assert main(["run", str(tmp_path / "k"), "--sim", "verilator", "--rtl-tile",
                 str(RTL_TILE), "--json", str(tmp_path / "k.json")]) == 0
    out = capsys.readouterr().out
    assert f"tile {RTL_TILE} on the RTL (verilator), the other tiles golden: halted" in out
    assert "comparison with the all-golden node: identical" in out
    check_mixed_report(json.loads((tmp_path / "k.json").read_text()), 4, run_report_valid)
    assert main(["run", str(tmp_path / "k"), "--sim", "verilator", "--rtl-tile", "7"]) == 2
    assert "--rtl-tile 7: the program has 4 tile(s) (0 .. 3)" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "k"), "--rtl-tile", "1"]) == 2
    assert "use it with --sim verilator or --sim icarus" in capsys.readouterr().err
