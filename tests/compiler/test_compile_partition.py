"""Partitioning onto the MCUs of one tile, and the limits of the configuration."""

import pytest
from compiler_testing import tile

from panther.compiler import (
    CompileError,
    Model,
    TrainSpec,
    compile_model,
    dense,
    load_model,
    partition,
)
from panther.config import PRESETS

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "models"


def test_blocks_cover_each_matrix_once():
    model = Model(layers=[dense(40, 24, "relu"), dense(24, 10, "sigmoid")])
    mapping = partition(model, tile())
    assert mapping.row_blocks == (3, 2) and mapping.col_blocks == (2, 1)
    assert mapping.mcus_used == 8 and mapping.cores_used == 4
    places = {(b.place.core, b.place.mcu) for b in mapping.blocks}
    assert len(places) == 8                                # one block per MCU
    for layer, (n_in, n_out) in enumerate([(40, 24), (24, 10)]):
        cells = sum(b.rows * b.cols for b in mapping.blocks if b.layer == layer)
        assert cells == n_in * n_out
    assert [b.rows for b in mapping.blocks if b.layer == 0][:3] == [16, 16, 8]


def test_mlp_l4_reports_the_tiles_it_needs():
    model = load_model(MODELS / "mlp_l4.json")
    kernel = compile_model(model, config=PRESETS["paper"])
    assert (kernel.report.mcus, kernel.report.cores, kernel.report.tiles) == (44, 22, 3)
    with pytest.raises(CompileError, match="needs 44 MCUs = 22 cores = 3 tiles"):
        compile_model(model, config=PRESETS["paper"].replace(tiles_per_node=2))


@pytest.mark.parametrize("config, model, message", [
    (tile(imem_depth=12), Model(layers=[dense(40, 24, "tanh"), dense(24, 10)]),
     r"core \d needs \d+ instructions, imem_depth is 12"),
    (tile(rf_depth=16), Model(layers=[dense(40, 24, "tanh"), dense(24, 10)],
                              train=TrainSpec(algorithm="minibatch", batch=6)),
     r"reads 32 register words at once, rf_depth is 16"),
    (tile(), Model(layers=[dense(40, 24, "tanh"), dense(24, 10)],
                   train=TrainSpec(algorithm="minibatch", batch=9)),
     r"defers 18 OPA/CRS operations to hlt, deferred_depth is 16.*at most 8"),
    (tile(), Model(layers=[dense(8, 4)], train=TrainSpec(lr=1e-4)), r"rounds to 0"),
    (tile(smem_depth=3072), Model(layers=[dense(64, 16, "tanh")],
                                  train=TrainSpec(algorithm="minibatch", batch=8)),
     r"shared-memory words"),
])
def test_limits_from_the_configuration(config, model, message):
    with pytest.raises(CompileError, match=message):
        compile_model(model, config=config)


def test_paper_size_network_fits_one_paper_tile():
    kernel = compile_model(load_model(MODELS / "mlp_512_256_10.json"), config=PRESETS["paper"])
    assert kernel.report.mcus == 10 and kernel.report.cores == 5 and kernel.report.tiles == 1
