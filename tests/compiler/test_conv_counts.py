"""The count model (compiler/counts.py) against the golden model: the events a compiled conv
kernel's instructions imply equal a golden run's events dict, everything compared; the batch
extrapolation equals kernels built for that batch; the VGG-16 layer steps of Table 4 that run
on one tile (Conv1-Conv4 on reduced maps, Dense16) count exactly what the golden model counts,
and their result equals the independent reference."""

import numpy as np
import pytest
from conv_testing import assert_exact, compile_run_reference, conv_tile
from test_conv_exact import _deep, _partitioned, _small_cnn

from panther.compiler import load_model
from panther.compiler.conv_kernel import build_network, compile_network
from panther.compiler.counts import kernel_events, network_events
from panther.compiler.layer_steps import (
    format_layer_table,
    layer_steps,
    layer_table,
    resized,
    run_config,
)
from panther.config import PRESETS
from panther.isa.golden import run_image

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "models"


def _config(variant, **changes):
    return conv_tile(cores_per_tile=8, variant=variant, deferred_depth=192, smem_depth=65536,
                     **changes)


@pytest.mark.parametrize("variant", [1, 2, 3])
@pytest.mark.parametrize("make", [_small_cnn, _partitioned, _deep])
@pytest.mark.parametrize("batch", [1, 3])
def test_counted_events_equal_the_golden_run(make, variant, batch):
    model, config = make(batch), _config(variant)
    kernel = compile_network(model, config=config, input_gradient=True)
    golden = run_image(kernel.image).events
    counted = network_events(model, config, input_gradient=True, limits=True)["events"]
    assert counted == golden            # batch 3 is extrapolated from batches 1 and 2


def test_counts_of_crs_and_shared_memory_accumulators():
    for config, crs in ((_config(1), True), (_config(3, rf_depth=64), False)):
        model = _partitioned(2)
        kernel = compile_network(model, config=config, crs=crs)
        golden = run_image(kernel.image).events
        assert golden["mcu_totals"]["crs"] == (kernel.report.mcus if crs else 0)
        assert network_events(model, config, crs=crs, limits=True)["events"] == golden


def test_extrapolated_batch_equals_the_built_one():
    model, config = _deep(5), _config(2)
    built = build_network(model, config, limits=False)
    assert network_events(model, config)["events"] == kernel_events(built, config)


@pytest.fixture(scope="module")
def vgg():
    return load_model(MODELS / "vgg16_cifar.json")


def test_vgg16_is_table_4(vgg):
    """Conv1-Conv13 and Dense14-16 with Table 4's C, M, H/W, R/S and E/F (E/F after the
    max-pool that follows a layer), except Conv2's C: 64 (VGG-16's, and Conv1's M), where
    Table 4 prints 32."""
    table4 = [(3, 64, 32, 32), (64, 64, 32, 16), (64, 128, 16, 16), (128, 128, 16, 8),
              (128, 256, 8, 8), (256, 256, 8, 8), (256, 256, 8, 4), (256, 512, 4, 4),
              (512, 512, 4, 4), (512, 512, 4, 2), (512, 512, 2, 2), (512, 512, 2, 2),
              (512, 512, 2, 1)]
    steps = layer_steps(vgg)
    assert [s.name for s in steps] == [f"Conv{k}" for k in range(1, 14)] + ["Dense14", "Dense15",
                                                                            "Dense16"]
    for step, (c, m, h, e) in zip(steps, table4):
        shapes = step.model.shapes
        assert (shapes[0][2], shapes[-1][2], shapes[0][0], shapes[-1][0]) == (c, m, h, e)
        assert step.model.layers[0].kernel == 3
    assert [(s.model.layers[0].n_in, s.model.layers[0].n_out) for s in steps[13:]] == \
        [(512, 4096), (4096, 4096), (4096, 100)]
    assert [s.input_gradient for s in steps] == [False] + [True] * 15


def test_vgg16_layer_table_against_geometry(vgg):
    """MCUs, cores, tiles and MCU operations of the paper-size layer steps from the layer
    geometry alone: ceil(R*R*C / 128) x ceil(M / 128) blocks, one MVM, OPA (and MTVM) per
    block and output position."""
    config = PRESETS["paper"]
    steps = [s for s in layer_steps(vgg) if s.name in ("Conv1", "Conv11", "Conv13", "Dense14", "Dense16")]
    for step in steps:
        counted = network_events(step.model, config, batch=1, input_gradient=step.input_gradient)
        first = step.model.layers[0]
        rows_, cols = (first.rows, first.cols) if hasattr(first, "cols") else (first.n_in, first.n_out)
        mcus = -(-rows_ // 128) * -(-cols // 128)
        positions = step.model.shapes[1][0] * step.model.shapes[1][1]
        assert counted["shape"]["mcus"] == mcus
        assert counted["shape"]["cores"] == -(-mcus // 2)
        assert counted["shape"]["tiles"] == -(-mcus // 16)
        ops = counted["events"]["mcu_totals"]
        assert (ops["mvm"], ops["opa"]) == (mcus * positions, mcus * positions)
        assert ops["mtvm"] == (mcus * positions if step.input_gradient else 0)


def test_layer_table_rows(vgg):
    config = PRESETS["paper"]
    one = layer_table(vgg, config=config, batch=1, names=("Conv1", "Dense16"))
    four = layer_table(vgg, config=config, batch=4, names=("Conv1", "Dense16"))
    assert [r["name"] for r in four] == ["Conv1", "Dense16"]
    for a, b in zip(one, four):        # four samples: four times the MCU operations
        assert b["batch"] == 4 and b["shape"]["tiles"] == a["shape"]["tiles"]
        for op in ("mvm", "mtvm", "opa"):
            assert b["events"]["mcu_totals"][op] == 4 * a["events"]["mcu_totals"][op]
    # PipeLayer's weight gradient of Conv1 (32x32x3 -> 64, 3x3): dH of 1024 positions in
    # crossbars (1024 rows x 1 column block: 8 arrays), 27 taps x 8 row blocks of MVMs.
    assert four[0]["conv"] == {"batch": 4, "error_rows": 1024, "gradient_mvms": 27 * 8,
                               "arrays": 8}
    assert four[1]["conv"] is None
    text = format_layer_table(four, config)
    assert "Conv1" in text and "Dense16" in text and "batch 4" in text


#: The layer steps that run on one golden tile (at most 64 cores), on maps small enough for a
#: test (the full maps of Conv1-Conv4 do not fit one tile's 64K-word shared memory; the
#: benchmark runs the largest that do). Conv9-Conv13 (72 cores) and Dense15 (512) do not.
LAYER_RUNS = {"Conv1": (4, 4), "Conv2": (4, 4), "Conv3": (4, 4), "Conv4": (4, 4),
              "Conv5": (2, 2), "Conv6": (2, 2), "Conv7": (2, 2), "Conv8": (2, 2),
              "Dense14": None, "Dense16": None}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(LAYER_RUNS))
def test_vgg16_layer_step_on_the_golden_model(vgg, name):
    """Paper crossbars and slicing; a layer wider than one paper tile runs on one larger tile
    (Dense16: 16 cores, Conv8: 36, Dense14: 64), without the network between tiles."""
    step = next(s for s in layer_steps(vgg) if s.name == name)
    if LAYER_RUNS[name]:
        step = resized(step, LAYER_RUNS[name])
    config = run_config(step, PRESETS["paper"])
    model = step.model.replace(train=step.model.train.__class__(lr=0.125))
    x = np.random.default_rng(3).uniform(0, 1, (1, model.sizes[0]))
    t = np.random.default_rng(4).uniform(0, 1, (1, model.sizes[-1]))
    kernel, run, ref = compile_run_reference(model, config, input_gradient=step.input_gradient,
                                             batch=(x, t))
    assert_exact(kernel, run, ref)
    counted = network_events(model, config, input_gradient=step.input_gradient, limits=True)
    assert counted["events"] == run.events
