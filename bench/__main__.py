"""Run every benchmark script of this folder in turn: ``python -m bench`` (``make bench``).

Each ``bench_*.py`` module prints its own figures; a failing one is reported by name and
makes the run exit non-zero, but the others still run.
"""

import importlib
import pkgutil
import sys
from pathlib import Path

__all__ = ["main"]


def main():
    failed = []
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        print(f"== {info.name} ==", flush=True)
        module = importlib.import_module(f"bench.{info.name}")
        status = module.main()
        if status:
            failed.append(info.name)
        print(flush=True)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
