"""Conv layers in the evaluation (apps/evaluation/conv_layers.py, conv_timing.py): their counts
equal golden runs (the extrapolated batch too), their schedule-based times stay within a stated
ratio of the timing model over the golden run's trace, Base_opa/mvm prices PipeLayer's work as
derived by hand, and `panther evaluate` reports conv layers."""

import json
import math
from types import SimpleNamespace

import pytest

from panther.analog_models.energy import EnergyModel
from panther.apps.cli import main
from panther.apps.evaluation import Evaluator, evaluate, layers_of_model
from panther.apps.evaluation.architectures import base_mvm_config, read_energy_pj
from panther.apps.evaluation.conv_timing import built_time
from panther.apps.evaluation.latency import mcu_timing, model_core_timing, read_phase_ns
from panther.apps.evaluation.timing import schedule
from panther.apps.evaluation.trace import record_run
from panther.compiler import model_from_dict
from panther.compiler.conv_kernel import compile_network
from panther.compiler.counts import at_batch
from panther.config import PantherConfig

#: A 16x16-crossbar tile that holds the conv layers' golden runs on every variant (variants
#: 1-2 keep every deferred OPA's operands in shared memory).
CONFIG = PantherConfig(xbar_size=16, mcus_per_core=2, cores_per_tile=6, imem_depth=16384,
                       rf_depth=1024, smem_depth=65536, deferred_depth=192, variant=1)

#: The schedule-based time of a conv kernel against the trace's (measured: 0.96-1.00 on VGG-16
#: layer steps at reduced maps; it misses the waits of a store for the loads that free its word).
TIME_RATIO = (0.95, 1.02)


#: A small CNN (the shape of examples/models/digits_cnn.json).
CNN = {
    "name": "cnn",
    "layers": [
        {"type": "conv2d", "in_channels": 1, "out_channels": 8, "kernel": 3, "padding": 1,
         "input": [8, 8], "activation": "relu"},
        {"type": "maxpool2d", "kernel": 2},
        {"type": "conv2d", "in_channels": 8, "out_channels": 16, "kernel": 3, "padding": 1,
         "activation": "relu"},
        {"type": "maxpool2d", "kernel": 2},
        {"type": "flatten"},
        {"type": "dense", "in": 64, "out": 10, "activation": "sigmoid"},
    ],
    "loss": "mse", "algorithm": "sgd", "batch": 1, "lr": 0.5, "seed": 3, "data": "random",
}


def _cnn():
    return model_from_dict(CNN)


@pytest.fixture(scope="module")
def conv2():
    """Conv2 of the CNN: 4x4x8 input, 72 filter rows (5 row blocks on 3 cores), 16 outputs,
    then a 2x2 max-pool; it computes its input error."""
    layers = layers_of_model(_cnn())
    assert [layer.name for layer in layers] == ["Conv1", "Conv2", "Dense3"]
    assert [layer.kind for layer in layers] == ["conv", "conv", "dense"]
    return layers[1]


def _golden(layer, variant, batch):
    config = CONFIG.replace(variant=variant)
    kernel = compile_network(at_batch(layer.step.model, batch), config=config,
                             input_gradient=layer.step.input_gradient)
    trace = record_run(kernel.image)
    assert trace.report.ok
    return trace


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_conv_counts_and_times_against_golden_runs(conv2, variant):
    evaluator = Evaluator(CONFIG)
    core = model_core_timing(CONFIG.replace(variant=variant))
    for batch in (1, 2, 3):               # 3 is extrapolated from the built batches 1 and 2
        trace = _golden(conv2, variant, batch)
        point = evaluator.point(conv2, None, variant, batch)
        assert point["events"] == trace.report.events
        archs = ("panther",) if variant != 3 else ("panther", "base_mvm", "base_digital")
        for arch in archs:
            timing = mcu_timing(arch, trace.config, variant=variant)
            traced = schedule(trace, core, timing).makespan
            key = arch if arch == "panther" else f"{arch}@{variant}"
            ratio = point["times"][key] / traced
            print(f"Conv2 v{variant} batch {batch} {arch}: schedule / trace = {ratio:.4f}")
            assert TIME_RATIO[0] <= ratio <= TIME_RATIO[1]
    assert evaluator.counted == 2 and evaluator.runs == 0     # batches 1 and 2, built once


def test_base_opa_mvm_prices_pipelayer_work(conv2):
    # Conv2: 4x4 positions (padding 1) before the pool, M = 16 = one 16-column block, so dH
    # fills 16 rows of one crossbar set, and each of the 3*3*8 = 72 (tap, channel) inputs
    # is one MVM through it.
    batch = 2
    result = evaluate([conv2], CONFIG, batch=batch, variant=2).layers[0]
    opa_mvm, mvm = result.archs["base_opa_mvm"], result.archs["base_mvm"]
    base = base_mvm_config(CONFIG.replace(variant=3))
    model = EnergyModel(base)
    assert opa_mvm.parts["opa"] == pytest.approx(read_energy_pj(base, batch * 72))
    assert opa_mvm.parts["serial"] - mvm.parts["serial"] == pytest.approx(
        batch * 16 * 16 * model.energy_pj["serial_write_row"])     # 16 rows x 16 slices
    assert opa_mvm.time_ns - mvm.time_ns == pytest.approx(
        batch * (16 * model.latency_ns["serial_write_row"] + 72 * read_phase_ns(base)))
    assert opa_mvm.energy_pj > mvm.energy_pj > result.archs["panther"].energy_pj


def test_dense_layers_have_no_base_opa_mvm():
    layers = layers_of_model(_cnn())
    assert layers[2].step is None
    result = evaluate(layers[2:], CONFIG, batch=1, variant=1).layers[0]
    assert result.archs["base_opa_mvm"] is None and result.ratio("base_opa_mvm") is None


def test_evaluate_a_cnn_model_file(tmp_path, capsys):
    path = tmp_path / "cnn.json"
    path.write_text(json.dumps(CNN))
    config = tmp_path / "tile.json"
    config.write_text(json.dumps(CONFIG.to_dict()))
    out = tmp_path / "out.json"
    assert main(["evaluate", "--workload", str(path), "--config", str(config), "--batch", "4",
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Conv1" in text and "Conv2" in text and "Dense3" in text
    data = json.loads(out.read_text())
    names = [layer["name"] for layer in data["layers"]]
    assert names == ["Conv1", "Conv2", "Dense3"]
    for layer in data["layers"]:
        conv = layer["name"].startswith("Conv")
        assert (layer["archs"]["base_opa_mvm"] is not None) == conv
        if conv:
            assert layer["archs"]["base_opa_mvm"]["time_ns"] > layer["archs"]["base_mvm"]["time_ns"]


def _op(kind, words=0, transfer=None):
    ref = SimpleNamespace(length=words)
    return SimpleNamespace(kind=kind, dst=ref if kind in ("ld", "alu") else None,
                           srcs=(ref,) if kind in ("st", "alu") else (), transfer=transfer,
                           soffset=0, mask=0)


def _times(config, scheduled):
    config = config.replace(variant=3)
    return built_time(SimpleNamespace(scheduled=scheduled), config, model_core_timing(config),
                      mcu_timing("panther", config))


def test_schedule_timing_by_hand():
    config = CONFIG
    core = model_core_timing(config)
    cycle, word = core.scalar, core.word_ld              # 1 ns; 2 ns / 16 words
    # Two cores load 128 words each: one port on one tile, one port each on two tiles.
    loads = [[[_op("ld", 128)], [_op("hlt")]] for _ in range(2)]
    assert _times(config, loads) == pytest.approx(cycle + 256 * word + cycle)
    assert _times(config.replace(cores_per_tile=1), loads) == pytest.approx(2 * cycle + 128 * word)
    # Core 1 loads what core 0 stores after a 16-word VFU operation: it waits for the store.
    data = SimpleNamespace(id=-1)
    alu = math.ceil(16 / config.vfu_lanes) * core.vfu_row
    stored = alu + cycle + 16 * word
    pair = [[[_op("alu", 16)], [_op("st", 16, data)], [_op("hlt")]],
            [[_op("ld", 16, data)], [_op("hlt")]]]
    assert _times(config, pair) == pytest.approx(stored + cycle + 16 * word + cycle)


def test_paper_claims_on_conv_layers():
    # §7.3-7.5 on conv layers, direction and order of magnitude (our figures: docs/evaluation.md).
    layers = layers_of_model(_cnn())[:2]
    evaluator = Evaluator(CONFIG)
    sgd, batch64 = (evaluate(layers, CONFIG, batch=b, variant=v, evaluator=evaluator).layers
                    for b, v in ((1, 1), (64, 2)))
    for one, many in zip(sgd, batch64):
        for layer in (one, many):
            assert layer.ratio("base_digital") > 3 and layer.ratio("base_digital", "time_ns") > 3
            assert layer.ratio("base_mvm") > 1 and layer.ratio("base_opa_mvm") > 1
        assert many.ratio("base_mvm") <= one.ratio("base_mvm")      # the batch amortises it
    assert evaluator.counted == 6       # batches 1, 2 and the CRS kernel, per layer
