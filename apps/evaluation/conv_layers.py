"""Convolutional layers in the evaluation: layer steps counted and timed without running.

A conv layer step of :mod:`compiler.layer_steps` (VGG-16's Conv1-Conv13, Table 4) needs up
to 72 cores and its full feature maps do not fit one tile's shared memory, so it cannot run
on the golden model at paper size. Its figures come from the compiler's own schedule of the
whole layer (no tile limits: cores numbered on past one tile, as the count model does):

* **counts**: :func:`compiler.counts.kernel_events` (the count model, equal to golden runs
  counter for counter wherever a layer step runs: ``tests/compiler/test_conv_counts.py`` and
  ``tests/evaluation``);
* **times**: :func:`apps.evaluation.conv_timing.built_time` over the same schedule, with the
  latencies of every architecture (:mod:`apps.evaluation.latency`);
* batches 1 and 2 are built; larger ones are ``c(1) + (B - 1) (c(2) - c(1))``
  (:func:`compiler.counts.extrapolate`: samples run one after another with the same code).

A conv layer is one piece (the layers' many tiles run at once; the network between them is
not modelled, as for the dense pieces).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from panther.compiler import load_model
from panther.compiler.conv_kernel import build_network
from panther.compiler.counts import at_batch, kernel_events
from panther.compiler.layers import Conv2d

from .conv_timing import built_time
from .latency import mcu_timing, model_core_timing

__all__ = ["VGG16_MODEL", "vgg16_model", "is_conv", "conv_run", "arch_times"]

#: The VGG-16 of Table 4 (``examples/models/vgg16_cifar.json``, package data).
VGG16_MODEL = "models/vgg16_cifar.json"


def vgg16_model():
    """The VGG-16 model of Table 4 (:mod:`compiler`)."""
    return load_model(Path(str(files("panther.examples") / VGG16_MODEL)))


def is_conv(model):
    """Whether ``model`` has a convolutional layer."""
    return any(isinstance(layer, Conv2d) for layer in model.layers)


def arch_times(config, timer):
    """``{'panther': t, 'base_digital@1': t, ...}``: ``timer(mcu_timing)`` for PANTHER on
    ``config`` and, on a variant-3 run, for the baselines compared with each variant."""
    timings = {"panther": mcu_timing("panther", config)}
    if config.variant == 3:
        for compared in (1, 2, 3):
            for arch in ("base_digital", "base_mvm"):
                timings[f"{arch}@{compared}"] = mcu_timing(arch, config, variant=compared)
    done = {}                   # equal latency profiles (e.g. Base_digital's) are timed once
    return {name: done.setdefault(timing, timer(timing)) if timing not in done else done[timing]
            for name, timing in timings.items()}


def conv_run(step, config, *, batch, crs=False, variants=(1, 2, 3)):
    """``{variant: {'events': ..., 'times': ...}}`` of layer step ``step`` at ``batch`` on
    ``config`` with each of ``variants``, from the compiler's schedule (module docstring). The
    schedule of a conv kernel does not depend on the variant (only how its OPAs and CRSs take
    effect does), so it is built once."""
    built = build_network(at_batch(step.model, batch), config, crs=crs,
                          input_gradient=step.input_gradient, limits=False)
    out = {}
    for variant in variants:
        cfg = config.replace(variant=variant)
        core = model_core_timing(cfg)
        out[variant] = {"events": kernel_events(built, cfg),
                        "times": arch_times(cfg, lambda t, cfg=cfg, core=core:
                                            built_time(built, cfg, core, t))}
    return out
