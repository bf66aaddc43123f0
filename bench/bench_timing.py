"""Benchmark: the evaluation's timing model against the RTL, and the evaluation's cost.

Run ``python bench/bench_timing.py``. It prints

1. per-instruction cycles of the RTL (single-instruction programs on the small tile,
   Verilator) beside the timing model's RTL profile (apps/evaluation/rtl_timing.py);
2. the RTL's and the model's cycles on every kernel that runs on the RTL (the examples and
   compiled small-tile kernels, variants 1-3) and their ratio;
3. the wall time of ``evaluate('mlp-l4', paper, batch=64, variant=2)`` and its golden runs.
"""

import sys
import time

__all__ = ["main"]

PROBES = {
    "nop": "nop", "set": "set 5, 0.5", "cp 16": "cp 0, 32, 16", "alu add 16": "alu add, 0, 32, 64, 16",
    "alu add 64": "alu add, 0, 100, 170, 64", "alui mul 16": "alui mul, 0, 32, 0.5, 16",
    "alu_int": "alu_int add, 7, 7, 6", "bne (not taken)": "bne 7, 7, 0", "beq (taken)": "beq 7, 7, 1",
    "mcu mvm": "mcu 0:mvm", "mcu mvm|mtvm": "mcu 0:mvm|mtvm", "mcu opa x4": "mcu 0:opa\n" * 4,
    "crs": "crs 0b1", "st 16": "st 100, 0, 16, 1", "ld 16": ".smem 0, 0, " + ", ".join(["0.5"] * 16)
    + "\nld 0, 0, 16",
    "stx 16": "stx 7, 100, 0, 16, 1", "ldx 16": ".smem 0, 0, " + ", ".join(["0.5"] * 16)
    + "\nldx 0, 7, 0, 16",
}


def main(argv=()):
    from panther.apps.evaluation import Evaluator, evaluate
    from panther.apps.evaluation.rtl_check import RTL_RATIO, check_kernels, compare_with_rtl
    from panther.apps.evaluation.rtl_timing import rtl_core_timing, rtl_mcu_timing
    from panther.apps.evaluation.timing import schedule
    from panther.apps.evaluation.trace import record_run
    from panther.config import PRESETS
    from panther.cosim.program_runner import run_and_compare
    from panther.cosim.simulators import availability
    from panther.isa.assembler import assemble

    ok, reason = availability("verilator")
    if not ok:
        print(f"skipped the RTL comparisons: {reason}")
    else:
        for variant in (1, 3):
            config = PRESETS["small"].replace(variant=variant)
            images = [assemble(body + "\nhlt\n", config=config) for body in PROBES.values()]
            outcomes = run_and_compare(images, simulator="verilator")
            print(f"per-instruction cycles, small tile, variant {variant} (program = instruction + hlt)")
            for name, image, outcome in zip(PROBES, images, outcomes):
                model = schedule(record_run(image), rtl_core_timing(config), rtl_mcu_timing(config))
                print(f"  {name:18s} RTL {outcome.cycles:6d}  model {model.makespan:8.0f}")
        rows = compare_with_rtl(check_kernels())
        print("kernels: RTL cycles, timing-model cycles, model / RTL")
        for r in rows:
            print(f"  {r.name:20s} v{r.variant}  {r.rtl_cycles:7d} {r.model_cycles:9.0f}  {r.ratio:.3f}"
                  f"{'' if r.ok else '  (RTL state differs from the golden model!)'}")
        ratios = [r.ratio for r in rows]
        print(f"  model / RTL from {min(ratios):.3f} to {max(ratios):.3f} over {len(rows)} kernels")
    started = time.perf_counter()
    evaluator = Evaluator(PRESETS["paper"])
    result = evaluate("mlp-l4", PRESETS["paper"], batch=64, variant=2, evaluator=evaluator)
    seconds = time.perf_counter() - started
    print(f"evaluate mlp-l4, paper tile, batch 64, variant 2: {seconds:.1f} s, "
          f"{evaluator.runs} golden runs; PANTHER {result.total() / 1e6:.1f} uJ per batch")
    return 0 if not ok or all(RTL_RATIO[0] <= r <= RTL_RATIO[1] for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
