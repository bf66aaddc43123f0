"""Compiled conv kernels on the tile RTL (Verilator and Icarus, the `small` preset) compared
with the golden model: every core's state, the shared memory and every event counter.

Two networks: a padded 3x3 convolution, a max-pool that drops a row and a column, and a dense
layer (patch loads from a zero border, VFU ``eq`` routing, OPAs per position); and two stacked
convolutions and a dense layer (the layer gradient by MTVM scattered back, partial sums moved
between the two cores). Expected values come from the golden model, never from the RTL; the
golden model itself equals the independent reference in tests/compiler.
"""

import numpy as np
import pytest
from simulator_required import require_simulator

from panther.compiler import Model, TrainSpec, compile_model
from panther.compiler.layers import conv2d, flatten, maxpool2d
from panther.compiler.model import dense
from panther.config import PRESETS
from panther.cosim.program_runner import run_and_compare

pytestmark = pytest.mark.sim

CONFIG = PRESETS["small"]

NETWORKS = {
    "pool": [conv2d(1, 2, 3, padding=1, input=(3, 3), activation="relu"), maxpool2d(2), flatten(),
             dense(2, 2, "sigmoid")],
    "stacked": [conv2d(1, 2, 2, input=(3, 3), activation="relu"),
                conv2d(2, 3, 2, activation="tanh"), flatten(), dense(3, 2, "sigmoid")],
}


def _kernels():
    return {name: compile_model(Model(layers=layers, train=TrainSpec(lr=0.25), seed=1), config=CONFIG)
            for name, layers in NETWORKS.items()}


@pytest.fixture(scope="module", params=("verilator", "icarus"))
def outcomes(request):
    require_simulator(request.param)
    kernels = _kernels()
    results = run_and_compare([k.image for k in kernels.values()], simulator=request.param)
    return dict(zip(kernels, results)), kernels


@pytest.mark.parametrize("name", list(NETWORKS))
def test_conv_kernel_on_the_rtl_equals_the_golden_model(outcomes, name):
    results, kernels = outcomes
    outcome = results[name]
    assert outcome.stopped == "halted", outcome.format()
    assert outcome.diffs == [], outcome.format()
    assert outcome.ok
    mcu = outcome.dump["events"]["mcu_totals"]
    report = kernels[name].report
    assert mcu["opa_applied"] == sum(report.deferred) > 0      # variant 1: applied at hlt
    if name == "stacked":
        assert mcu["mtvm"] > 0 and report.cores == 2


def test_the_kernels_learn(outcomes):
    """The final weights differ from the initial ones (the OPAs were applied at hlt)."""
    results, kernels = outcomes
    for name, kernel in kernels.items():
        before = kernel.image.weights
        after = {key: np.asarray(results[name].dump["cores"][key[0]]["mcus"][key[1]]["weights"])
                 for key in before}
        assert any(not np.array_equal(before[key], after[key]) for key in before), name
