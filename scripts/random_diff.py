#!/usr/bin/env python3
"""Random differential testing: random valid programs on the tile RTL and the golden model.

    .venv/bin/python scripts/random_diff.py --seeds 1000 --sim verilator [--first 0]
        [--config small|paper|FILE.json] [--variants 1,2,3] [--batch 100] [--steps 60]
        [--workers N | --scheduler tcp://HOST:PORT] [--tiles N]

Each seed's program (isa.random_program.random_image) runs on the RTL (one build per variant,
batches of programs per simulator run) and on the golden model; every difference is printed
with its seed and the first diverging state. With several variants the seeds are dealt out
round-robin (seed s runs on variant variants[s % len(variants)]). With ``--tiles N`` (2 ..
tiles_per_node) each seed is a random node program of N tiles with cross-tile send/recv
traffic (isa.random_node_program.random_node_image) on the node RTL (every tile RTL) against
the golden node. Exit status 1 if any seed differs.

Each batch is an independent task on the engine of ``panther explore``
(``apps/explore/engine.py``): an embedded Dask LocalCluster with one worker per core by
default, ``--workers 0`` in this process, ``--scheduler`` an existing cluster. A worker builds
(or reuses, in build/cosim) the tile of its variant.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panther.apps.explore.engine import add_engine_arguments, engine_from_args  # noqa: E402
from panther.config import load_config  # noqa: E402
from panther.cosim.program_runner import DEFAULT_MAX_CYCLES, get_simulation, run_and_compare  # noqa: E402
from panther.errors import UserError  # noqa: E402
from panther.isa.random_node_program import random_node_image  # noqa: E402
from panther.isa.random_program import RandomProgramOptions, random_image  # noqa: E402


def check_batch(job):
    """Engine task: one batch of seeds on one variant's tile (or node, with ``tiles``);
    ``(seed, ok, report)`` per seed and the RTL cycles, or the batch's error."""
    cfg, simulator, chunk, steps, max_cycles, tiles = job
    options = RandomProgramOptions(steps=steps)
    try:
        if tiles is None:
            sim = get_simulation(cfg, simulator=simulator)
            images = [random_image(cfg, seed, options=options) for seed in chunk]
            outcomes = run_and_compare(images, simulation=sim, max_cycles=max_cycles)
        else:
            from panther.cosim.node_runner import get_node_simulation, run_node_and_compare

            sim = get_node_simulation(cfg, simulator=simulator)
            images = [random_node_image(cfg, seed, tiles=tiles, options=options) for seed in chunk]
            outcomes = run_node_and_compare(images, simulation=sim, max_cycles=max_cycles)
    except UserError as error:
        return {"error": str(error)}
    return {"seeds": [(seed, o.ok, "" if o.ok else o.format()) for seed, o in zip(chunk, outcomes)],
            "cycles": sum(o.dump["cycles"] for o in outcomes)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="number of seeds (default 100)")
    parser.add_argument("--first", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--sim", choices=("verilator", "icarus"), default="verilator")
    parser.add_argument("--config", default="small", help="preset or JSON file (default small)")
    parser.add_argument("--batch", type=int, default=None,
                        help="programs per simulator run, one task each (default: the seeds of a "
                             "variant split evenly over the workers, at most 100)")
    parser.add_argument("--steps", type=int, default=60, help="generation steps per program")
    parser.add_argument("--max-cycles", type=int, default=DEFAULT_MAX_CYCLES)
    parser.add_argument("--variants", default=None,
                        help="comma-separated MCU variants (default: the configuration's)")
    parser.add_argument("--tiles", type=int, default=None,
                        help="random node programs of this many tiles on the node RTL "
                             "(default: tile programs on the tile RTL)")
    add_engine_arguments(parser)
    args = parser.parse_args(argv)
    for name in ("seeds", "batch", "steps", "max_cycles"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, not "
                         f"{getattr(args, name)}")
    if args.first < 0:
        parser.error(f"--first must be >= 0, not {args.first}")
    try:
        config = load_config(args.config)
        variants = ([config.variant] if args.variants is None
                    else [int(v) for v in args.variants.split(",")])
        configs = {v: config.replace(variant=v) for v in variants}
    except ValueError as error:
        parser.error(f"--config/--variants: {error}")
    if args.tiles is not None and not 2 <= args.tiles <= config.tiles_per_node:
        parser.error(f"--tiles must be from 2 to {config.tiles_per_node} (tiles_per_node), not "
                     f"{args.tiles}")
    try:
        engine = engine_from_args(args)
    except UserError as error:
        parser.error(str(error))
    start = time.time()
    failures = 0
    seeds = list(range(args.first, args.first + args.seeds))
    try:
        with engine:
            jobs, names = [], []
            for v, cfg in configs.items():
                mine = [s for s in seeds if variants[s % len(variants)] == v]
                batch = args.batch or max(1, min(100, -(-len(mine) // engine.capacity())))
                for i in range(0, len(mine), batch):
                    chunk = mine[i:i + batch]
                    jobs.append((cfg, args.sim, chunk, args.steps, args.max_cycles, args.tiles))
                    names.append(f"variant {v} seeds {chunk[0]}..{chunk[-1]}")
            print(f"{len(jobs)} batches on {engine.describe()}", flush=True)
            for outcome in engine.run(check_batch, jobs, keys=names):
                name, count = outcome.key, len(jobs[names.index(outcome.key)][2])
                result = outcome.value if outcome.ok else {"error": outcome.error}
                if "error" in result:
                    print(f"{name}: {result['error']}", flush=True)
                    failures += count
                    continue
                for seed, ok, report in result["seeds"]:
                    if not ok:
                        failures += 1
                        variant = name.split()[1]
                        print(f"variant {variant} seed {seed}: MISMATCH\n" + "\n".join(
                            "  " + line for line in report.splitlines()), flush=True)
                print(f"{name}: {sum(ok for _, ok, _ in result['seeds'])}/{count} match "
                      f"({result['cycles']} RTL cycles, {outcome.seconds:.1f} s)", flush=True)
    except UserError as error:
        parser.error(str(error))
    print(f"{len(seeds) - failures}/{len(seeds)} seeds match the golden model "
          f"({time.time() - start:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
