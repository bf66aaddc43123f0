"""Benchmark: the golden model on the paper-size 128-128-128 SGD step.

Run ``python bench/bench_golden.py [--repeat N] [--rtl]``. It prints

* the wall time of the whole command ``panther run examples/paper/mlp2_128_step.s --sim
  golden --config paper`` (a fresh process each time: imports, assembly, simulation, the
  printed report), next to the wall time of the process start-up alone (``python -c
  "import panther.apps.cli"``); the goal (issue 20) is under 1 s;
* where the time of one run goes, in process: assembly (with the ``.weights_file``
  arrays), the golden model, the printed report, the JSON report;
* what the old report path cost, measured in the same run: turning every core's state into
  Python lists and deep-copying it (``dataclasses.asdict`` did both, for a table that shows
  neither);
* idle cores: the same step on the 8-core paper tile and on a one-core tile;
* with ``--rtl``: the same step on Verilator, on the 8-core paper tile (the ``paper`` preset
  as such, the build ``test_paper_tile_program`` makes), as wall time per program cycle, with the cycles the simulator ran (loading
  and dumping included) beside the program's. The first run builds that tile (minutes); run
  it under ``flock /tmp/panther-heavy.lock``.
"""

import argparse
import copy
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main", "PROGRAM"]

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "examples" / "paper" / "mlp2_128_step.s"


def _wall(argv, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{result.stderr}")
    return min(times), statistics.median(times)


def _timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def _in_process(config):
    from panther.apps.api import load_program, run

    image, t_asm = _timed(lambda: load_program(PROGRAM, config=config))
    report, t_run = _timed(lambda: run(image, sim="golden", program=str(PROGRAM)))
    _, t_text = _timed(report.format)
    _, t_json = _timed(report.to_json)
    return report, {"assemble": t_asm, "golden model": t_run, "text report": t_text,
                    "JSON report": t_json}


def main(argv=()):
    from panther.config import load_config

    parser = argparse.ArgumentParser(prog="bench_golden", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="command runs (default 5)")
    parser.add_argument("--rtl", action="store_true",
                        help="also run the step on Verilator (8-core paper tile)")
    args = parser.parse_args(list(argv))
    command = [sys.executable, "-m", "panther", "run", str(PROGRAM), "--sim", "golden",
               "--config", "paper"]
    best, median = _wall(command, args.repeat)
    start_best, start_median = _wall([sys.executable, "-c", "import panther.apps.cli"],
                                     args.repeat)
    print(f"panther run {PROGRAM.relative_to(ROOT)} --sim golden --config paper "
          f"({args.repeat} runs):")
    print(f"  whole command      {best:6.3f} s best, {median:6.3f} s median (goal: < 1 s)")
    print(f"  process start-up   {start_best:6.3f} s best, {start_median:6.3f} s median "
          "(python + imports of the CLI)")
    paper = load_config("paper")
    _in_process(paper)                                   # warm the imports
    report, parts = _in_process(paper)
    print("in process, one run (8-core paper tile):")
    for name, seconds in parts.items():
        print(f"  {name:<18} {1000 * seconds:8.1f} ms")
    state = report.state
    _, t_lists = _timed(lambda: state.cores and state.smem)
    _, t_copy = _timed(lambda: copy.deepcopy(state.to_dict()))
    print(f"the old report path, measured now: every core's state as Python lists "
          f"{t_lists:.3f} s + a deep copy of it {t_copy:.3f} s = {t_lists + t_copy:.3f} s "
          f"(the printed report now takes {1000 * parts['text report']:.1f} ms)")
    one = paper.replace(cores_per_tile=1)
    _in_process(one)
    _, parts_one = _in_process(one)
    total = sum(parts.values())
    total_one = sum(parts_one.values())
    print(f"idle cores: 8-core tile {1000 * total:.1f} ms, 1-core tile {1000 * total_one:.1f} ms "
          f"in process (ratio {total / total_one:.2f})")
    print(f"program: {report.events['instructions_total']} instructions, "
          f"{report.state.rounds} scheduling rounds")
    if args.rtl:
        _rtl(paper)
    return 0


def _rtl(config):
    from panther.apps.api import load_program, run

    image = load_program(PROGRAM, config=config)
    print("RTL (verilator) on the 8-core paper tile; the first run builds it")
    _, t_build = _timed(lambda: run(image, sim="verilator"))
    report, t_run = _timed(lambda: run(image, sim="verilator"))
    result = report.comparison["result"]
    print(f"  first run (with the build) {t_build:.1f} s; second run {t_run:.1f} s for "
          f"{report.cycles} program cycles: {1e6 * t_run / report.cycles:.1f} us per program "
          f"cycle (comparison with the golden model: {result}); the simulator ran "
          f"{report.rtl['sim_cycles']} cycles ({report.rtl['sim_cycles'] / report.cycles:.3f} x "
          f"the program's), {report.rtl['bridge_wakeups']} bridge wake-ups for "
          f"{report.rtl['analog_transactions']['requests']} analog transactions")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
