"""Benchmark: the compiler on the shipped models (``examples/models/*.json``).

Run ``python bench/bench_compiler.py [--steps N] [--no-rtl]``. It prints, all measured in this
one run:

* per shipped model: the compile time, the MCUs and cores used and the tile's MCU utilisation
  (share of its MCUs that hold a block), the instructions per core, the unrolled or rolled
  form, and the MCU operations and how many were fused (or the compile error, e.g. the tiles
  MLP-L4 needs);
* the analytic bound of each kernel's MCU operations: per core, the sum over the ``mcu``
  instructions it executes of the slowest of its MCUs (``hdl.mcu.controller.analytic_cycles``
  of what the MCU starts: on variants 1-2 without the OPA, which is deferred) plus, on
  variants 1-2, one OPA-only phase per OPA replayed at ``hlt``; the kernel's bound is its
  busiest core's. The instructions executed come from a golden-model trace, so a rolled loop
  counts once per sample;
* for the kernels that fit the ``small`` tile, their cycles on the tile RTL (Verilator), each
  run checked against the golden model, as a ratio to that bound (the rest is VFU work, loads
  and stores, waiting on other cores, and the MCU's handshakes: ``rtl_cycles`` vs
  ``analytic_cycles``), for the shipped small-tile models and a mini-batch of 4 pipelined and
  rolled;
* for the paper-size one-tile network, the golden-model wall time of one training step (one
  kernel invocation) against a plain numpy float64 step of the same network and batch.
"""

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main", "mcu_bound"]

ROOT = Path(__file__).resolve().parents[1]
PAPER_SIZE = "mlp_512_256_10"


def _float_step(model, x, t):
    from panther.compiler.train import float_train_step as step

    weights = [w.copy() for w in model.weights]
    acts = [layer.activation for layer in model.layers]
    return step(weights, acts, x, t, model.train.lr, [layer.bias for layer in model.layers],
                model.loss)


def mcu_bound(image):
    """Analytic cycles of the MCU operations of one kernel run (see the module docstring):
    ``(bound of the busiest core, per-core bounds)``."""
    from panther.hdl.mcu.controller import analytic_cycles
    from panther.isa import variants
    from panther.isa.golden import run_image

    config = image.config
    eager = variants.eager_updates(config)
    cycles = [0] * config.cores_per_tile
    replays = [0] * config.cores_per_tile

    def trace(core, pc, instr):
        if instr.mnemonic != "mcu":
            return
        masks = [instr[f"m{m}"] for m in range(config.mcus_per_core)]
        started = [mask if eager else mask & 3 for mask in masks]
        cycles[core] += max((analytic_cycles(config, s) for s in started if s), default=0)
        replays[core] += 0 if eager else sum(1 for mask in masks if mask & 4)

    run_image(image, trace=trace)
    opa = analytic_cycles(config, 4)
    per_core = [c + r * opa for c, r in zip(cycles, replays)]
    return max(per_core), per_core


def _rtl_kernels():
    """Kernels for the small tile: the shipped small-tile models and a softmax mini-batch of 4,
    pipelined and rolled."""
    from panther.compiler import Model, TrainSpec, compile_model, dense, load_model
    from panther.config import load_config

    config = load_config("small")
    out = []
    for name in ("small_tile_mlp", "digits_small_tile"):
        out.append((name, compile_model(load_model(ROOT / "examples" / "models" / f"{name}.json"),
                                        config=config)))
    batch = Model(layers=[dense(24, 16, "tanh", True), dense(16, 8, "identity", True)],
                  loss="softmax_cross_entropy", train=TrainSpec(algorithm="minibatch", batch=4))
    for loop in ("unrolled", "rolled"):
        kernel = compile_model(batch, config=config, loop=loop)
        out.append((f"24-16-8 softmax batch 4, {loop}", kernel))
    return out


def _rtl_cycles():
    from panther.cosim.program_runner import run_and_compare
    from panther.cosim.simulators import availability

    ok, reason = availability("verilator")
    if not ok:
        print(f"RTL cycles: Verilator unavailable ({reason})")
        return 0
    kernels = _rtl_kernels()
    outcomes = run_and_compare([k.image for _, k in kernels], simulator="verilator")
    status = 0
    print("kernel cycles on the RTL (Verilator, small tile) against the analytic bound of their "
          "MCU operations:")
    for (name, kernel), outcome in zip(kernels, outcomes):
        if not outcome.ok:
            print(f"  {name}: RTL differs from the golden model:\n{outcome.format()}")
            status = 1
            continue
        bound, _ = mcu_bound(kernel.image)
        print(f"  {name}: {outcome.cycles} cycles, bound {bound} ({kernel.report.loop}, "
              f"{sum(kernel.report.instructions)} instructions): {outcome.cycles / bound:.1f}x the "
              f"bound (MCUs busy {100 * bound / outcome.cycles:.0f}% of the time on the busiest "
              f"core)")
    return status


def main(argv=()):
    from panther.compiler import CompileError, compile_model, load_model, sample_batch
    from panther.config import load_config
    from panther.isa.golden import run_image

    parser = argparse.ArgumentParser(prog="bench_compiler", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="golden runs to average (default 3)")
    parser.add_argument("--no-rtl", action="store_true", help="skip the RTL cycle counts")
    args = parser.parse_args(list(argv))
    kernels = {}
    for path in sorted((ROOT / "examples" / "models").glob("*.json")):
        if path.name.endswith("_tile.json") and "layers" not in path.read_text():
            continue                        # a configuration, not a model
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
        bound = mcu_bound(kernel.image)[0] if r.tiles == 1 else "(one tile only)"
        print(f"{model.name}: compiled in {r.compile_seconds:.3f} s; {r.mcus} MCUs on {r.cores} "
              f"cores of {r.tiles} tile(s) ({100 * r.mcus / (r.tiles * tile_mcus):.0f}% of their "
              f"{r.tiles * tile_mcus} MCUs); "
              f"instructions per core {per_core} (max {max(per_core)} of imem {config.imem_depth}, "
              f"{r.loop}); {r.mcu_operations} MCU operations in {r.mcu_instructions} mcu "
              f"instructions, {r.fused_operations} fused; MCU bound {bound} cycles")
        kernels[model.name] = (model, config, kernel)
    status = 0 if args.no_rtl else _rtl_cycles()
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
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
