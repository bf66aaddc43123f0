"""One tile in the loop: tile 1 of a node image on the RTL (Verilator), the other tiles on the
golden model, joined at the tile's NoC port; the whole node equals the all-golden run."""

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
def test_one_rtl_tile_among_golden_tiles_equals_the_golden_node(name):
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


@pytest.mark.sim
def test_panther_run_rtl_tile(tmp_path, capsys):
    require_simulator("verilator")
    four_tile_kernel().image.save(tmp_path / "k")
    assert main(["run", str(tmp_path / "k"), "--sim", "verilator", "--rtl-tile",
                 str(RTL_TILE)]) == 0
    out = capsys.readouterr().out
    assert f"tile {RTL_TILE} on the RTL (verilator), the other tiles golden: halted" in out
    assert "comparison with the all-golden node: identical" in out
    assert main(["run", str(tmp_path / "k"), "--sim", "verilator", "--rtl-tile", "7"]) == 2
    assert "--rtl-tile 7: the program has 4 tile(s) (0 .. 3)" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "k"), "--rtl-tile", "1"]) == 2
    assert "use it with --sim verilator or --sim icarus" in capsys.readouterr().err
