"""The timing model against the RTL's cycle counts, on every kernel that runs on the RTL.

Kernels: the example programs (``examples/*.s``) and compiled kernels that fit the small
tile (``examples/models/small_tile_mlp.json`` at batches 1 and 4, and a one-layer kernel
with ``input_gradient`` at batches 1 and 3, and at batch 3 rolled into a loop: ``ldx``/``stx``,
``alu_int`` and a branch; with a CRS, ``small_tile_mlp`` and a 16x8 layer on one core, at
batch 1), each on variants 1, 2 and 3. Each runs on the RTL
(:func:`cosim.program_runner.run_and_compare`, which also checks the final state against
the golden model) and is timed by :mod:`apps.evaluation.timing` over its recorded golden
run with the RTL's per-instruction latencies (:mod:`apps.evaluation.rtl_timing`).

Like with like: both sides answer an analog transaction in the latencies of the kernel's
``analog_latency`` (the presets': ideal, one cycle per transaction; the ADC rounds of the MCU
are in both). What the model does not know of the RTL:
its fetch/decode overlap beyond the measured per-instruction cycles, and the arbiter's
round-robin order (it takes any free port cycle instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from panther.compiler import Model, TrainSpec, compile_model, dense, load_model
from panther.config import PRESETS
from panther.isa.assembler import assemble

from .rtl_timing import rtl_core_timing, rtl_mcu_timing
from .timing import schedule
from .trace import record_run

__all__ = ["Comparison", "check_kernels", "compare_with_rtl", "EXAMPLES", "RTL_RATIO"]

_ROOT = Path(__file__).resolve().parents[2]
#: The example programs (examples/*.s).
EXAMPLES = ("sgd_fc_step", "mlp2_step", "mlp2_pipeline", "minibatch8_step")
#: Model cycles over RTL cycles that the check accepts on every kernel (measured 0.990 ..
#: 1.011, docs/evaluation.md; the rest is the arbiter's order, which the model does not know).
RTL_RATIO = (0.985, 1.015)


@dataclass
class Comparison:
    """One kernel on one variant.

    Members
    -------
    name : str
    variant : int
    rtl_cycles : int
    model_cycles : float
    ok : bool
        The RTL run ended in the golden model's state.
    """

    name: str
    variant: int
    rtl_cycles: int
    model_cycles: float
    ok: bool

    @property
    def ratio(self):
        """Model cycles over RTL cycles."""
        return self.model_cycles / self.rtl_cycles


def check_kernels(variants=(1, 2, 3)):
    """``[(name, image)]`` of every kernel of the check, per variant."""
    out = []
    model = load_model(_ROOT / "examples" / "models" / "small_tile_mlp.json")
    layer = Model(layers=[dense(32, 24, "relu")], train=TrainSpec(), seed=3, input_gradient=True)
    small = Model(layers=[dense(16, 8, "relu")], train=TrainSpec(), seed=3)
    for variant in variants:
        config = PRESETS["small"].replace(variant=variant)
        for name in EXAMPLES:
            path = _ROOT / "examples" / f"{name}.s"
            out.append((f"{name}.s", variant, assemble(path.read_text(), config=config,
                                                       filename=str(path))))
        for label, m in (("small_tile_mlp b1", model),
                         ("small_tile_mlp b4", model.replace(train=TrainSpec(algorithm="minibatch",
                                                                             batch=4))),
                         ("layer 32x24 b1", layer),
                         ("layer 32x24 b3", layer.replace(train=TrainSpec(algorithm="minibatch",
                                                                          batch=3)))):
            out.append((label, variant, compile_model(m, config=config).image))
        rolled = layer.replace(train=TrainSpec(algorithm="minibatch", batch=3))
        out.append(("layer 32x24 b3 loop", variant,
                    compile_model(rolled, config=config, loop="rolled").image))
        for label, m in (("small_tile_mlp b1 crs", model), ("layer 16x8 b1 crs", small)):
            out.append((label, variant, compile_model(m, config=config, crs=True).image))
    return out


def compare_with_rtl(kernels, *, simulator="verilator"):
    """Run ``kernels`` (from :func:`check_kernels`) on the RTL and time them with the model.
    Returns a list of :class:`Comparison`."""
    from panther.cosim.program_runner import run_and_compare  # a simulator is needed only here

    out = []
    by_variant = {}
    for name, variant, image in kernels:
        by_variant.setdefault(variant, []).append((name, image))
    for variant, items in sorted(by_variant.items()):
        outcomes = run_and_compare([image for _, image in items], simulator=simulator)
        for (name, image), outcome in zip(items, outcomes):
            trace = record_run(image)
            model = schedule(trace, rtl_core_timing(image.config), rtl_mcu_timing(image.config))
            out.append(Comparison(name, variant, outcome.cycles, model.makespan, outcome.ok))
    return out
