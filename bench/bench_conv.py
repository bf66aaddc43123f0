"""Benchmark: conv layer steps (paper §5.4) on the golden model.

Run ``python bench/bench_conv.py [--steps N] [--table]``. Per conv step it prints the compile
time, the golden-model wall time of one training step and the time of a plain numpy float64
step of the same layer (each the best of several runs) (im2col, :func:`compiler.conv_host.float_step_network`), and their
ratio; the count model's events equal the golden run's (checked, printed). The steps: the
digits CNN of ``examples/models/digits_cnn.json`` (all layers, batch 4) and the VGG-16 layer
steps of Table 4 that one tile runs, at paper size on the largest maps that fit one tile's
shared memory (Conv1 16x16, Conv2 12x12, Conv3 and Conv4 8x8 instead of 32/32/16/16) and
Dense16 (on one 16-core tile). ``--table`` also times the count model on every VGG-16 layer
at full size (batch 1).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
VGG_RUNS = {"Conv1": (16, 16), "Conv2": (12, 12), "Conv3": (8, 8), "Conv4": (8, 8), "Dense16": None}


def _time(function, repeat):
    """Best wall time of ``repeat`` calls after a warm-up (the machine is shared: the best
    is the least disturbed), and the last result."""
    result = function()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def _bench_step(name, model, config, input_gradient, steps):
    from panther.compiler.conv_host import float_step_network
    from panther.compiler.conv_kernel import compile_network
    from panther.compiler.counts import network_events
    from panther.isa.golden import run_image

    start = time.perf_counter()
    kernel = compile_network(model, config=config, input_gradient=input_gradient)
    compile_seconds = time.perf_counter() - start
    golden, run = _time(lambda: run_image(kernel.image), steps)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (model.train.batch, model.sizes[0]))
    t = rng.uniform(0, 1, (model.train.batch, model.sizes[-1]))
    weights = [None if w is None else w.copy() for w in model.weights]
    numpy_step, _ = _time(lambda: float_step_network(model, weights, x, t, model.train.lr), 20)
    counted = network_events(model, config, input_gradient=input_gradient, limits=True)["events"]
    r = kernel.report
    print(f"{name}: {r.mcus} MCUs on {r.cores} cores, {sum(r.instructions)} instructions, "
          f"{run.events['mcu_totals']['opa']} OPAs; compile {compile_seconds:.2f} s, golden "
          f"{golden:.2f} s per step, numpy float64 {numpy_step * 1000:.2f} ms: ratio "
          f"{golden / numpy_step:.0f}x; count model {'equals' if counted == run.events else 'DIFFERS FROM'}"
          f" the golden events", flush=True)
    return counted == run.events


def main(argv=()):
    from panther.compiler import load_model
    from panther.compiler.layer_steps import (
        format_layer_table,
        layer_steps,
        layer_table,
        resized,
        run_config,
    )
    from panther.config import PRESETS, load_config

    parser = argparse.ArgumentParser(prog="bench_conv", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2, help="golden runs (best of; default 2)")
    parser.add_argument("--table", action="store_true",
                        help="also time the count model on every VGG-16 layer at full size")
    args = parser.parse_args(list(argv))
    ok = True
    cnn = load_model(ROOT / "examples" / "models" / "digits_cnn.json")
    ok &= _bench_step("digits_cnn (batch 4, 16x16 crossbars)", cnn, load_config(cnn.config), False,
                      args.steps)
    vgg = load_model(ROOT / "examples" / "models" / "vgg16_cifar.json")
    paper = PRESETS["paper"]
    for step in layer_steps(vgg):
        if step.name not in VGG_RUNS:
            continue
        if VGG_RUNS[step.name]:
            step = resized(step, VGG_RUNS[step.name])
        size = "x".join(map(str, step.model.shapes[0][:2])) if VGG_RUNS[step.name] else "full"
        ok &= _bench_step(f"VGG-16 {step.name} ({size} map, paper size)", step.model,
                          run_config(step, paper), step.input_gradient, args.steps)
    if args.table:
        start = time.perf_counter()
        rows = layer_table(vgg, config=paper, batch=1)
        print(format_layer_table(rows, paper))
        each = ", ".join(f"{r['name']} {r['count_seconds']:.1f}" for r in rows)
        print(f"count model of all 16 layers at full size: {time.perf_counter() - start:.0f} s "
              f"({each})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
