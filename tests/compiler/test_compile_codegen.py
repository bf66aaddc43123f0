"""Code generation, fusion and the command line."""

import json

import numpy as np
from compiler_testing import tile

from panther.apps.cli import main
from panther.compiler import Model, TrainSpec, compile_model, dense
from panther.compiler.fusion import schedule
from panther.compiler.ir import Buf, Op, Ref
from panther.isa.assembler import assemble
from panther.isa.image import ProgramImage

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "models"


def test_listing_assembles_to_the_same_program_words():
    model = Model(layers=[dense(40, 24, "tanh"), dense(24, 10, "sigmoid")],
                  train=TrainSpec(algorithm="minibatch", batch=2))
    kernel = compile_model(model, config=tile())
    image = assemble(kernel.listing, config=kernel.config, filename="listing.s")
    assert image.programs == kernel.image.programs


def test_fusion_merges_independent_mcu_operations():
    mvm = lambda m: Op("mcu", 0, mcu=m, mop="mvm")                   # noqa: E731
    load = lambda m: Op("cp", 0, dst=Ref(Buf(m, "in"), 0, 4), srcs=(Ref(Buf(m, "out"), 0, 4),))  # noqa: E731
    groups = schedule([load(0), mvm(0), load(1), mvm(1)])
    assert [len(g) for g in groups] == [1, 1, 2]                   # both MVMs in one mcu
    # OPA then MVM (or MTVM) on one MCU: only a write-after-read between them (the mcu
    # instruction reads every operand first), so they fuse.
    for other in ("mvm", "mtvm"):
        groups = schedule([Op("mcu", 0, mcu=0, mop="opa"), Op("mcu", 0, mcu=0, mop=other)])
        assert [len(g) for g in groups] == [2]
    # MVM then MTVM on one MCU: MTVM would read the MVM's result (read-after-write): no.
    groups = schedule([mvm(0), Op("mcu", 0, mcu=0, mop="mtvm")])
    assert [len(g) for g in groups] == [1, 1]
    # An MVM that needs the other's result (read-after-write through a copy) does not.
    groups = schedule([mvm(0), Op("cp", 0, dst=Ref(Buf(1, "in"), 0, 4), srcs=(Ref(Buf(0, "out"), 0, 4),)),
                       mvm(1)])
    assert [len(g) for g in groups] == [1, 1, 1]


def test_report_counts_fused_operations():
    kernel = compile_model(Model(layers=[dense(40, 24, "tanh"), dense(24, 10, "sigmoid")]),
                           config=tile())
    r = kernel.report
    assert r.mcu_operations == 18 and r.mcu_instructions < r.mcu_operations
    assert r.fused_operations > 0 and sum(r.instructions) > 0
    assert r.instructions[:r.cores] == [len(p) for p in kernel.image.programs[:r.cores]]


def test_compile_then_run_on_the_golden_model(tmp_path, capsys):
    out, report = tmp_path / "img", tmp_path / "report.json"
    assert main(["compile", str(MODELS / "small_tile_mlp.json"), "-o", str(out),
                 "--json", str(report)]) == 0
    text = capsys.readouterr().out
    assert "operations fused" in text and "instructions" in text
    data = json.loads(report.read_text())
    assert data["mcus"] == 3 and data["cores"] == 2 and data["fused_operations"] >= 2
    image = ProgramImage.load(out)
    assert [len(p) for p in image.programs] == data["instructions"]
    assert main(["run", str(out), "--sim", "golden"]) == 0
    assert "halted" in capsys.readouterr().out
    assert np.any(image.smem_valid)


def test_minibatch_pairs_mvm_and_mtvm_of_different_samples_on_one_mcu():
    """Table 2: a later sample's MVM and an earlier one's MTVM in one mcu instruction."""
    model = Model(layers=[dense(40, 24, "relu"), dense(24, 10, "sigmoid")],
                  train=TrainSpec(algorithm="minibatch", batch=4))
    kernel = compile_model(model, config=tile())
    paired = [line for line in kernel.listing.splitlines() if "mvm|mtvm" in line]
    assert len(paired) == 3                      # samples (1,0), (2,1), (3,2) on layer 1
    assert "MVM s1, MTVM s0" in paired[0]
    sgd = compile_model(model.replace(train=TrainSpec()), config=tile())
    assert "mvm|mtvm" not in sgd.listing         # SGD: the three operations are dependent
