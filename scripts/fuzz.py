#!/usr/bin/env python3
"""Fuzz the input handling for as long as asked: assembly (API and CLI), images, configs.

    .venv/bin/python scripts/fuzz.py --minutes 10 [--seed 0] [--kinds asm,cli,image,config]
        [--chunk 50] [--worst]

Round robin over the kinds, each a chunk of hypothesis examples at a time from the
strategies of ``tests/fuzz/fuzz_inputs.py`` and ``fuzz_files.py``, checked by their oracles
(accepted, or refused with ``file[:line:col]: message`` and exit 2, no traceback, no other
exception, within one second per kilobyte). Prints the inputs tried and the failures found
per kind, one sample input per distinct failure, and with ``--worst`` the time per KB and
peak memory of the assembler on the worst inputs known.
Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

import fuzz_files as ff  # noqa: E402
import fuzz_inputs as fz  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

KINDS = ("asm", "cli", "image", "config")


def _oracles(workdir):
    template = Path(workdir) / "template"
    ff.base_image().save(template)

    def image(mutation):
        target = Path(workdir) / "img"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(template, target)
        ff.apply_mutation(target, mutation)
        return ff.check_image(target)

    return {
        "asm": (fz.assembly_texts(), fz.check_assembly),
        "cli": (fz.assembly_texts(), lambda text: fz.check_asm_cli(text, workdir)),
        "image": (ff.image_mutations(), image),
        "config": (ff.config_texts(), lambda text: ff.check_config(text, workdir)),
    }


def run_chunk(strategy, oracle, examples, seed_value, record):
    """``examples`` hypothesis examples of ``strategy``, each checked by ``oracle``."""

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def chunk(value):
        with warnings.catch_warnings():
            warnings.simplefilter("error")       # as in the test suite
            try:
                failures = oracle(value)
            except Exception as error:           # noqa: BLE001 - an oracle's own crash counts
                failures = [f"oracle crashed: {type(error).__name__}: {error}"]
        record(value, failures)

    chunk()


def worst_inputs():
    """The slowest and largest inputs known: (name, text)."""
    chain = "1" + "<<256" * 15
    squares = "\n".join([".equ A0, 1<<256"] + [f".equ A{i + 1}, A{i}*A{i}" for i in range(22)])
    many = "".join(f".equ S{i}, {i}\n" for i in range(3000)) + "".join(
        f"set 0, S{i}x\n" for i in range(3000))
    return [
        ("82 nested parentheses", "set 0, " + "(" * 82 + "1" + ")" * 82 + "\n"),
        ("1000 unary minus", "set 0, " + "-" * 1000 + "1\n"),
        ("5000-digit literal", "set 0, " + "7" * 5000 + "\n"),
        ("60 shifts by 256", ".equ BIG, 1" + "<<256" * 60 + "\n"),
        ("real times a huge integer", f"set 0, 1.0*({chain}<<256)\n"),
        ("22 squarings from 1<<256", squares + "\n"),
        ("3000 undefined names among 3000 symbols", many),
        ("a 100 KB program", (fz.EXAMPLES["mlp2_step.s"] * 26)[:100_000]),
        ("4000 lines of 32-deep expressions",
         "".join(f".equ E{i}, " + "(" * 31 + "1" + ")" * 31 + "\n" for i in range(4000))),
    ]


def measure_worst():
    print("worst inputs known (assembler API, small configuration):")
    print(f"  {'input':<42} {'KB':>7} {'seconds':>8} {'s/KB':>7} {'peak MB':>8}  outcome")
    for name, text in worst_inputs():
        start = time.perf_counter()
        failures = fz.check_assembly(text, round_trip=False)
        seconds = time.perf_counter() - start
        tracemalloc.start()             # a second run: tracing slows the first one down
        fz.check_assembly(text, round_trip=False)
        peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
        kb = len(text.encode()) / 1024
        outcome = "ok" if not failures else "FAIL: " + failures[0][:60]
        print(f"  {name:<42} {kb:7.1f} {seconds:8.3f} {seconds / kb:7.3f} {peak:8.1f}  {outcome}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: random)")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--chunk", type=int, default=50, help="examples per chunk (default 50)")
    parser.add_argument("--worst", action="store_true",
                        help="also time the worst known inputs (time per KB, peak memory)")
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or args.minutes <= 0 or args.chunk < 1:
        parser.error(f"unknown kinds {unknown}" if unknown else "--minutes and --chunk must be positive")
    first = args.seed if args.seed is not None else random.randrange(2 ** 32)
    tried, failed = Counter(), Counter()
    samples = defaultdict(dict)
    deadline = time.monotonic() + 60 * args.minutes
    with tempfile.TemporaryDirectory(prefix="panther-fuzz-") as workdir:
        oracles = _oracles(workdir)
        n = 0
        while time.monotonic() < deadline:
            kind = kinds[n % len(kinds)]
            strategy, oracle = oracles[kind]

            def record(value, failures, kind=kind):
                tried[kind] += 1
                if failures:
                    failed[kind] += 1
                    for failure in failures:
                        key = failure.splitlines()[0][:90]
                        samples[kind].setdefault(key, (value, failure))

            run_chunk(strategy, oracle, args.chunk, first + n, record)
            n += 1
    print(f"fuzz: {args.minutes:g} min, seeds {first} .. {first + n - 1}")
    print(f"  {'kind':<8} {'tried':>8} {'failed':>8} {'distinct':>9}")
    for kind in kinds:
        print(f"  {kind:<8} {tried[kind]:>8} {failed[kind]:>8} {len(samples[kind]):>9}")
    for kind in kinds:
        for _key, (value, failure) in samples[kind].items():
            print(f"\n[{kind}] {failure[:600]}\n  input: {value!r:.300}")
    if args.worst:
        print()
        measure_worst()
    return 1 if sum(failed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
