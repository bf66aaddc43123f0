"""Benchmark: programs on the tile, golden model against the RTL on Verilator and Icarus.

Run ``python bench/bench_tile.py [--config small|paper|file.json] [--seeds N] [--repeat N]
[--sim verilator|icarus] [--before DIR] [--before-tree DIR]``. For the examples (``examples/*.s``) and ``N`` random
programs (:func:`isa.random_program.random_image`) it prints, per back end, the build time
(conversion + compilation, or reuse), the wall time of one batch run (all programs in one
simulation, compared with the golden model), the simulated cycles per wall second, and the
ratio of each time to the golden model's, all measured in this one run (``--repeat``: the
best of N, the rows run in turn). Every RTL result is compared with the golden model; a
mismatch makes the benchmark fail. A second table says where the batch's time went
(:attr:`cosim.tile_simulation.TileSimulation.timing`).

``--before DIR`` also runs the batch in the simulations built in ``DIR/verilator`` and
``DIR/icarus`` (copies of ``build/cosim/<tile top>/<simulator>`` made by an older tree) with
this tree's testbench, in the same run, as rows ``<simulator> before``. ``--before-tree DIR``
runs it with an older tree's own code (testbench included): ``DIR`` is a checkout with its
``.venv`` and its build of the tile (made there beforehand, e.g. by running this benchmark
there), run in a subprocess per batch; rows ``<simulator> before-tree``.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]

#: The batch as an older tree runs it (only APIs every tree since the batch runner has);
#: prints the batch's JSON figures. argv: config, seeds, simulator.
TREE_BATCH = """
import json, sys, time
from pathlib import Path
from panther.config import load_config
from panther.cosim.program_runner import TileSimulation, run_and_compare
from panther.isa.assembler import assemble
from panther.isa.golden import run_image
from panther.isa.random_program import random_image
config = load_config(sys.argv[1])
images = [assemble(p.read_text(), config=config, filename=str(p))
          for p in sorted(Path("examples").glob("*.s"))]
images += [random_image(config, seed) for seed in range(int(sys.argv[2]))]
start = time.perf_counter()
for image in images:
    run_image(image)
golden = time.perf_counter() - start
sim = TileSimulation(config, simulator=sys.argv[3]).build()
start = time.perf_counter()
outcomes = run_and_compare(images, simulation=sim)
print(json.dumps({"run": time.perf_counter() - start - golden, "golden": golden,
                  "cycles": sum(o.cycles for o in outcomes),
                  "bad": [k for k, o in enumerate(outcomes) if not o.ok]}))
"""


def _images(config, seeds):
    from panther.isa.assembler import assemble
    from panther.isa.random_program import random_image

    images = [assemble(p.read_text(), config=config, filename=str(p))
              for p in sorted((ROOT / "examples").glob("*.s"))]
    return images + [random_image(config, seed) for seed in range(seeds)]


def _golden(images):
    from panther.isa.golden import run_image

    start = time.perf_counter()
    for image in images:
        run_image(image)
    return time.perf_counter() - start


def _batch(images, simulation, golden):
    """One batch in this process: (seconds without the golden runs, cycles, bad indices,
    the outcomes, where the time went)."""
    from panther.cosim.program_runner import run_and_compare

    start = time.perf_counter()
    outcomes = run_and_compare(images, simulation=simulation)
    run = time.perf_counter() - start - golden   # without the golden runs of the comparison
    return run, sum(o.cycles for o in outcomes), \
        [k for k, o in enumerate(outcomes) if not o.ok], outcomes, simulation.timing


def _tree_batch(tree, config, seeds, simulator):
    """One batch with the code of the checkout ``tree``, in a subprocess."""
    python = Path(tree, ".venv", "bin", "python")
    result = subprocess.run([str(python), "-c", TREE_BATCH, config, str(seeds), simulator],
                            cwd=tree, capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    if result.returncode != 0:
        raise RuntimeError(f"the batch in {tree} failed:\n{result.stderr[-2000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return figures["run"], figures["cycles"], figures["bad"], None, None


def main(argv=()):
    from panther.config import load_config
    from panther.cosim.program_runner import TileSimulation
    from panther.cosim.simulators import SIMULATORS, availability
    from panther.table import format_table

    parser = argparse.ArgumentParser(prog="bench_tile", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="small")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="best of N batches per row")
    parser.add_argument("--sim", action="append", choices=SIMULATORS,
                        help="only this simulator (repeatable; default: every one)")
    parser.add_argument("--before", metavar="DIR",
                        help="also run the builds in DIR/<simulator> (copies of an older tree's "
                             "build/cosim/<tile top>/<simulator>)")
    parser.add_argument("--before-tree", metavar="DIR",
                        help="also run the batch with the code of the checkout DIR (its .venv "
                             "and its build)")
    args = parser.parse_args(list(argv))
    for option, path in (("--before", args.before), ("--before-tree", args.before_tree)):
        if path and not Path(path).is_dir():
            print(f"{option}: {path} is not a directory")
            return 2
    if args.before_tree and not Path(args.before_tree, ".venv", "bin", "python").is_file():
        print(f"--before-tree: {args.before_tree} has no .venv/bin/python")
        return 2
    if args.repeat < 1:
        print(f"--repeat: {args.repeat} is not a positive number")
        return 2
    config = load_config(args.config)
    images = _images(config, args.seeds)
    load = os.getloadavg()[0]
    print(f"{len(images)} programs ({args.seeds} random + the examples), config {args.config}, "
          f"best of {args.repeat}, load {load:.1f} at the start")

    goldens = [_golden(images)]
    rows, phases, status = [], [], 0
    for simulator in args.sim or SIMULATORS:
        ok, reason = availability(simulator)
        if not ok:
            rows.append((simulator, "unavailable", reason, "", ""))
            continue
        start = time.perf_counter()
        sim = TileSimulation(config, simulator=simulator).build()
        build = time.perf_counter() - start
        runs = [(simulator, f"{build:.1f}", lambda g, sim=sim: _batch(images, sim, g))]
        old_dir = Path(args.before or "", simulator)
        if args.before and old_dir.is_dir():
            old = copy.copy(sim)           # the same top, run from the older build
            old._runner = copy.copy(sim._runner)
            old._runner.build_dir = old_dir.resolve()
            runs.insert(0, (f"{simulator} before", "-",
                            lambda g, old=old: _batch(images, old, g)))
        if args.before_tree:
            runs.insert(0, (f"{simulator} before-tree", "-",
                            lambda g, s=simulator: _tree_batch(args.before_tree, args.config,
                                                               args.seeds, s)))
        best = {}
        for _ in range(args.repeat):
            goldens.append(_golden(images))
            for label, built, batch in runs:
                run, cycles, bad, outcomes, timing = batch(goldens[-1])
                if bad:
                    status = 1
                    detail = f":\n{outcomes[bad[0]].format()}" if outcomes else ""
                    print(f"{label}: programs {bad} differ from the golden model{detail}")
                if label not in best or run < best[label][0]:
                    best[label] = (run, cycles, built, timing)
        for label, _, _ in runs:
            run, cycles, built, timing = best[label]
            rows.append((label, built, f"{run:.2f}", f"{cycles / run:,.0f}", run))
            if timing:
                phases.append((label, timing))
    golden = min(goldens)
    rows = [("golden model", "-", f"{golden:.2f}", "-", "1.0")] + \
        [row[:4] + (f"{row[4] / golden:.1f}" if isinstance(row[4], float) else row[4],)
         for row in rows]
    print(format_table(("back end", "build s", "batch run s", "cycles / s", "run vs golden"),
                       rows), end="")
    print("(batch run: loading every program and memory image by backdoor, running it, dumping "
          "the whole state and comparing it, without the golden runs of the comparison; "
          "cycles / s counts only the cycles the programs ran)")
    if phases:
        keys = list(phases[0][1])
        print(format_table(("where the batch's time went (s)", *keys),
                           [(label, *(f"{t[k]:.2f}" for k in keys)) for label, t in phases]),
              end="")
        print("(start_up: the simulator process up to its first program; load, run and dump: "
              "per program, summed; bridge: the analog bridges' Python, inside run; the "
              "comparison with the golden model is not in total)")
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
