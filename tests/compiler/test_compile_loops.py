"""Rolled kernels: the batch as a loop over the samples (ldx/stx through pointer registers,
an alu_int counter, a branch), exact against the independent reference like unrolled ones."""

import numpy as np
import pytest
from compiler_testing import assert_exact, compile_run_reference, tile

from panther.compiler import CompileError, Model, TrainSpec, compile_model, dense
from panther.isa.assembler import assemble
from panther.isa.encoding import decode
from panther.isa.golden import run_image

NETWORKS = {
    "partitioned 40-24-10": [(40, 24, "relu"), (24, 10, "sigmoid")],
    "three layers 20-33-17-5": [(20, 33, "tanh"), (33, 17, "relu"), (17, 5, "identity")],
}


def _model(layers, batch, lr=0.25, seed=0):
    spec = TrainSpec(algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=lr)
    return Model(layers=[dense(*l) for l in layers], train=spec, seed=seed)


@pytest.mark.parametrize("variant", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_rolled_kernel_equals_the_reference(name, batch, variant):
    kernel, run, ref_w, ref_y = compile_run_reference(
        _model(NETWORKS[name], batch), tile(variant=variant, cores_per_tile=8), loop="rolled")
    assert kernel.report.loop == "rolled"
    assert_exact(kernel, run, ref_w, ref_y)


def test_rolled_program_loops_over_the_samples():
    model = _model(NETWORKS["partitioned 40-24-10"], 6)
    rolled = compile_model(model, config=tile(), loop="rolled")
    unrolled = compile_model(model, config=tile(), loop="unrolled")
    names = {decode(w).name for p in rolled.image.programs for w in p}
    assert {"ldx", "stx", "alu_int", "blt"} <= names
    assert not {"ldx", "stx", "blt"} & {decode(w).name for p in unrolled.image.programs for w in p}
    # the loop body runs once per sample: the program is shorter than the unrolled one, and
    # the golden model retires each body instruction batch times
    assert sum(rolled.report.instructions) < sum(unrolled.report.instructions) / 2
    run = run_image(rolled.image)
    for core, (length, body) in enumerate(zip(rolled.report.instructions, rolled.report.loop_body)):
        assert run.cores[core]["instructions"] == length + (model.train.batch - 1) * body
    # same final state as the unrolled (pipelined) kernel
    run_u = run_image(unrolled.image)
    assert np.array_equal(rolled.outputs(run), unrolled.outputs(run_u))
    for a, b in zip(rolled.layer_weights(run), unrolled.layer_weights(run_u)):
        assert np.array_equal(a, b)
    # the listing, labels included, assembles to the same words
    image = assemble(rolled.listing, config=rolled.config, filename="rolled.s")
    assert image.programs == rolled.image.programs


@pytest.mark.parametrize("variant", [1, 3])
def test_auto_rolls_the_batch_where_imem_is_the_limit(variant):
    model = _model(NETWORKS["partitioned 40-24-10"], 5)
    unrolled = compile_model(model, config=tile(), loop="unrolled")
    imem = max(unrolled.report.instructions) - 1
    config = tile(imem_depth=imem, variant=variant)
    with pytest.raises(CompileError, match=rf"needs \d+ instructions, imem_depth is {imem} "
                                           r"\(batch unrolled\)"):
        compile_model(model, config=config, loop="unrolled")
    kernel, run, ref_w, ref_y = compile_run_reference(model, config)
    assert kernel.report.loop == "rolled" and "imem_depth" in kernel.report.unrolled_error
    assert max(kernel.report.instructions) <= imem
    assert "rolled into a loop of 5 iterations" in kernel.report.format()
    assert_exact(kernel, run, ref_w, ref_y)
    # where it fits, auto keeps the pipelined (unrolled) form
    assert compile_model(model, config=tile()).report.loop == "unrolled"


def test_neither_form_fits():
    model = _model(NETWORKS["partitioned 40-24-10"], 2)
    with pytest.raises(CompileError, match=r"imem_depth is 10 \(batch unrolled\); and rolled: "
                                           r"core \d needs \d+ instructions, imem_depth is 10"):
        compile_model(model, config=tile(imem_depth=10))


def test_spills_in_a_rolled_body_stay_exact():
    model = _model(NETWORKS["three layers 20-33-17-5"], 3)
    config = tile(rf_depth=32 + 7, cores_per_tile=8)      # 7 words hold the loop registers
    kernel, run, ref_w, ref_y = compile_run_reference(model, config, loop="rolled")
    assert kernel.report.spills > 0
    assert_exact(kernel, run, ref_w, ref_y)


def test_loop_mode_is_checked():
    with pytest.raises(ValueError, match="loop must be one of auto, unrolled, rolled"):
        compile_model(_model(NETWORKS["partitioned 40-24-10"], 1), config=tile(), loop="yes")


def test_compile_command_rolls_on_request(tmp_path, capsys):
    from pathlib import Path

    from panther.apps.cli import main
    models = Path(__file__).resolve().parents[2] / "examples" / "models"
    out = tmp_path / "img"
    assert main(["compile", str(models / "small_tile_mlp.json"), "-o", str(out), "--loop",
                 "rolled"]) == 0
    assert "rolled into a loop of 1 iteration " in capsys.readouterr().out
    assert main(["run", str(out), "--sim", "golden"]) == 0
