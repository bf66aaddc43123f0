#!/usr/bin/env python3
"""Random differential testing: random valid programs on the tile RTL and the golden model.

    .venv/bin/python scripts/random_diff.py --seeds 1000 --sim verilator [--first 0]
        [--config small|paper|FILE.json] [--variants 1,2,3] [--batch 100] [--steps 60]
        [--tiles N]

Each seed's program (isa.random_program.random_image) runs on the RTL (one build per variant,
batches of programs per simulator run) and on the golden model; every difference is printed
with its seed and the first diverging state. With several variants the seeds are dealt out
round-robin (seed s runs on variant variants[s % len(variants)]). With ``--tiles N`` (2 ..
tiles_per_node) each seed is a random node program of N tiles with cross-tile send/recv
traffic (isa.random_node_program.random_node_image) on the node RTL (every tile RTL) against
the golden node. Exit status 1 if any seed differs.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panther.config import load_config  # noqa: E402
from panther.cosim.node_runner import get_node_simulation, run_node_and_compare  # noqa: E402
from panther.cosim.program_runner import DEFAULT_MAX_CYCLES, get_simulation, run_and_compare  # noqa: E402
from panther.errors import UserError  # noqa: E402
from panther.isa.random_node_program import random_node_image  # noqa: E402
from panther.isa.random_program import RandomProgramOptions, random_image  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="number of seeds (default 100)")
    parser.add_argument("--first", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--sim", choices=("verilator", "icarus"), default="verilator")
    parser.add_argument("--config", default="small", help="preset or JSON file (default small)")
    parser.add_argument("--batch", type=int, default=100, help="programs per simulator run")
    parser.add_argument("--steps", type=int, default=60, help="generation steps per program")
    parser.add_argument("--max-cycles", type=int, default=DEFAULT_MAX_CYCLES)
    parser.add_argument("--variants", default=None,
                        help="comma-separated MCU variants (default: the configuration's)")
    parser.add_argument("--tiles", type=int, default=None,
                        help="random node programs of this many tiles on the node RTL "
                             "(default: tile programs on the tile RTL)")
    args = parser.parse_args(argv)
    for name in ("seeds", "batch", "steps", "max_cycles"):
        if getattr(args, name) < 1:
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
    options = RandomProgramOptions(steps=args.steps)
    start = time.time()
    failures = 0
    seeds = list(range(args.first, args.first + args.seeds))
    for v, cfg in configs.items():
        t0 = time.time()
        if args.tiles is None:
            sim = get_simulation(cfg, simulator=args.sim)
            make, compare = (lambda seed: random_image(cfg, seed, options=options)), run_and_compare
        else:
            sim = get_node_simulation(cfg, simulator=args.sim)
            make = lambda seed: random_node_image(cfg, seed, tiles=args.tiles, options=options)  # noqa: E731
            compare = run_node_and_compare
        print(f"variant {v}: built the {'node' if args.tiles else 'tile'} for {args.sim} in "
              f"{time.time() - t0:.1f} s", flush=True)
        mine = [s for s in seeds if variants[s % len(variants)] == v]
        for i in range(0, len(mine), args.batch):
            chunk = mine[i:i + args.batch]
            t0 = time.time()
            images = [make(seed) for seed in chunk]
            try:
                outcomes = compare(images, simulation=sim, max_cycles=args.max_cycles)
            except UserError as error:
                print(f"variant {v} seeds {chunk[0]}..{chunk[-1]}: {error}", flush=True)
                failures += len(chunk)
                continue
            for seed, outcome in zip(chunk, outcomes):
                if not outcome.ok:
                    failures += 1
                    print(f"variant {v} seed {seed}: MISMATCH\n" + "\n".join(
                        "  " + line for line in outcome.format().splitlines()), flush=True)
            cycles = sum(o.dump["cycles"] for o in outcomes)
            print(f"variant {v} seeds {chunk[0]}..{chunk[-1]}: {sum(o.ok for o in outcomes)}/"
                  f"{len(chunk)} match ({cycles} RTL cycles, {time.time() - t0:.1f} s)", flush=True)
    print(f"{len(seeds) - failures}/{len(seeds)} seeds match the golden model "
          f"({time.time() - start:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
