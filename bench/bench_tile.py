"""Benchmark: programs on the tile, golden model against the RTL on Verilator and Icarus.

Run ``python bench/bench_tile.py [--config small|paper|file.json] [--seeds N] [--before DIR]``.
For the examples (``examples/*.s``) and ``N`` random programs
(:func:`isa.random_program.random_image`) it prints, per back end, the build time (conversion +
compilation, or reuse), the wall time of one batch run (all programs in one simulation), the
simulated cycles per wall second, and the ratio of each time to the golden model's, all
measured in this one run. Every RTL result is compared with the golden model; a mismatch makes
the benchmark fail.

``--before DIR`` also runs the batch in the simulations built in ``DIR/verilator`` and
``DIR/icarus`` (copies of ``build/cosim/<tile top>/<simulator>`` made by an older tree) with
this tree's testbench, in the same run, as rows ``<simulator> before``.
"""

import argparse
import copy
import sys
import time
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]


def _images(config, seeds):
    from panther.isa.assembler import assemble
    from panther.isa.random_program import random_image

    images = [assemble(p.read_text(), config=config, filename=str(p))
              for p in sorted((ROOT / "examples").glob("*.s"))]
    return images + [random_image(config, seed) for seed in range(seeds)]


def main(argv=()):
    from panther.config import load_config
    from panther.cosim.program_runner import TileSimulation, run_and_compare
    from panther.cosim.simulators import SIMULATORS, availability
    from panther.isa.golden import run_image
    from panther.table import format_table

    parser = argparse.ArgumentParser(prog="bench_tile", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="small")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--before", metavar="DIR",
                        help="also run the builds in DIR/<simulator> (copies of an older tree's "
                             "build/cosim/<tile top>/<simulator>)")
    args = parser.parse_args(list(argv))
    if args.before and not Path(args.before).is_dir():
        print(f"--before: {args.before} is not a directory")
        return 2
    config = load_config(args.config)
    images = _images(config, args.seeds)
    print(f"{len(images)} programs ({args.seeds} random + the examples), config {args.config}")

    start = time.perf_counter()
    for image in images:
        run_image(image)
    golden = time.perf_counter() - start
    rows = [("golden model", "-", f"{golden:.2f}", "-", "1.0")]
    status = 0
    for simulator in SIMULATORS:
        ok, reason = availability(simulator)
        if not ok:
            rows.append((simulator, "unavailable", reason, "", ""))
            continue
        start = time.perf_counter()
        sim = TileSimulation(config, simulator=simulator).build()
        build = time.perf_counter() - start
        runs = [(simulator, sim, f"{build:.1f}")]
        old_dir = Path(args.before or "", simulator)
        if args.before and old_dir.is_dir():
            old = copy.copy(sim)           # the same top, run from the older build
            old._runner = copy.copy(sim._runner)
            old._runner.build_dir = old_dir.resolve()
            runs.insert(0, (f"{simulator} before", old, "-"))
        for label, simulation, built in runs:
            start = time.perf_counter()
            outcomes = run_and_compare(images, simulation=simulation)
            run = time.perf_counter() - start   # includes the golden runs of the comparison
            run -= golden
            cycles = sum(o.cycles for o in outcomes)
            bad = [k for k, o in enumerate(outcomes) if not o.ok]
            if bad:
                status = 1
                print(f"{label}: programs {bad} differ from the golden model:\n"
                      f"{outcomes[bad[0]].format()}")
            rows.append((label, built, f"{run:.2f}", f"{cycles / run:,.0f}",
                         f"{run / golden:.1f}"))
    print(format_table(("back end", "build s", "batch run s", "cycles / s", "run vs golden"),
                       rows), end="")
    print("(batch run: loading every program and memory image through the host ports, running "
          "it and dumping the whole state, without the golden runs of the comparison; cycles / s "
          "counts only the cycles the programs ran)")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
