"""Benchmark: the compiler on the shipped models (``examples/models/*.json``).

Run ``python bench/bench_compiler.py [--steps N]``. Per model it prints the compile time, the
MCUs and cores used and the tile's MCU utilisation, the instructions per core and the fused
MCU operations (or the compile error, e.g. the tiles MLP-L4 needs). For the paper-size
one-tile network it also prints the golden-model wall time of one training step (one
kernel invocation) against a plain numpy float64 step of the same network and batch.
"""

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
PAPER_SIZE = "mlp_512_256_10"


def _float_step(model, x, t):
    from panther.compiler.train import float_train_step as step

    weights = [w.copy() for w in model.weights]
    acts = [layer.activation for layer in model.layers]
    return step(weights, acts, x, t, model.train.lr)


def main(argv=()):
    from panther.compiler import CompileError, compile_model, load_model, sample_batch
    from panther.config import load_config
    from panther.isa.golden import run_image

    parser = argparse.ArgumentParser(prog="bench_compiler", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="golden runs to average (default 3)")
    args = parser.parse_args(list(argv))
    kernels = {}
    for path in sorted((ROOT / "examples" / "models").glob("*.json")):
        if path.name.endswith("_tile.json"):
            continue
        model = load_model(path)
        config = load_config(model.config or "small")
        start = time.perf_counter()
        try:
            kernel = compile_model(model, config=config)
        except CompileError as error:
            print(f"{model.name}: {time.perf_counter() - start:.3f} s: {error}")
            continue
        r = kernel.report
        tile_mcus = config.cores_per_tile * config.mcus_per_core
        per_core = r.instructions[:r.cores]
        print(f"{model.name}: compiled in {r.compile_seconds:.3f} s; {r.mcus} MCUs on {r.cores} "
              f"cores of {r.tiles} tile(s) ({100 * r.mcus / (r.tiles * tile_mcus):.0f}% of their "
              f"{r.tiles * tile_mcus} MCUs); "
              f"instructions per core {per_core} (max {max(per_core)} of imem {config.imem_depth}); "
              f"{r.mcu_operations} MCU operations in {r.mcu_instructions} mcu instructions, "
              f"{r.fused_operations} fused")
        kernels[model.name] = (model, config, kernel)
    if PAPER_SIZE in kernels:
        model, config, kernel = kernels[PAPER_SIZE]
        run_image(kernel.image)                                    # warm up
        start = time.perf_counter()
        for _ in range(args.steps):
            run_image(kernel.image)
        golden = (time.perf_counter() - start) / args.steps
        x, t = sample_batch(model, config)
        start = time.perf_counter()
        for _ in range(100):
            _float_step(model, x, t)
        numpy_step = (time.perf_counter() - start) / 100
        print(f"{PAPER_SIZE} (batch {model.train.batch}, {config.xbar_size}x{config.xbar_size} "
              f"crossbars): golden model {golden * 1000:.0f} ms per training step, numpy float64 "
              f"{numpy_step * 1000:.2f} ms: ratio {golden / numpy_step:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
