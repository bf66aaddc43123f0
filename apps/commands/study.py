"""``panther study slicing``: the bit-slicing accuracy study (paper Figs. 9 and 10).

Trains a small MLP on scikit-learn's bundled 8x8 digits with bit-sliced OPA weight updates for
every slice configuration and CRS period of the sweep, and writes CSV/JSON results and PNG
plots. See ``docs/study.md``.
"""

import os
import time

from panther.config import PRESETS, load_config
from panther.errors import UserError

from ._common import non_negative_int, positive_int

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "study"
HELP = ("run a design-space study: 'slicing' reproduces the paper's bit-slicing accuracy study (Figs. 9, 10); "
        "'opa-fidelity' measures the OPA error of the streamed and functional OPA models")


def _only(plan, text):
    from dataclasses import replace

    names = {name.strip() for name in text.split(",") if name.strip()}
    known = {spec.name for spec in plan.runs}
    unknown = sorted(names - known)
    if unknown:
        raise UserError(f"--only: no such run {', '.join(unknown)}; the sweep's runs are {', '.join(sorted(known))}")
    return replace(plan, runs=tuple(spec for spec in plan.runs if spec.name in names or spec.mode == "float"))


def add_arguments(parser):
    parser.add_argument("study", choices=["slicing", "opa-fidelity"], help="which study to run")
    parser.add_argument("--opa-model", default="streamed", choices=["streamed", "functional"],
                        help="slicing: OPA model of the sliced runs: 'streamed' (the hardware's bit-serial OPA, "
                             "default) or 'functional' (the paper's functional simulator, §6.2); recorded in "
                             "results.json")
    parser.add_argument("--quick", action="store_true",
                        help="slicing: short sweep, 4096 steps per run instead of 16384 and fewer Fig. 10 "
                             "configurations; opa-fidelity: 1024 OPAs per layer instead of 2048")
    parser.add_argument("--out", default=os.path.join("out", "study"),
                        help="output directory (default: out/study)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the data split, initial weights and example order (default: 0)")
    parser.add_argument("--steps", type=positive_int, default=None,
                        help="override the training steps per run")
    parser.add_argument("--jobs", type=positive_int, default=min(2, os.cpu_count() or 1),
                        help="worker processes, one run each (default: min(2, CPUs)); with more than "
                             "one the progress bar advances per finished run")
    parser.add_argument("--only", default=None,
                        help="slicing: comma-separated run names to keep from the sweep, e.g. "
                             "'44466555@1024,55555555@4096' (the float baseline is always kept)")
    parser.add_argument("--config", default="small",
                        help="configuration giving the number formats (a preset or a JSON file; default: small); "
                             "slice bits and crossbar size are set per run")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--replot", action="store_true",
                        help="only redraw the PNG plots from the results.json already in --out")


def run(args):
    if args.study == "opa-fidelity":
        from panther.apps.study.opa_fidelity import main

        return main(quick=args.quick, seed=args.seed)
    from tqdm import tqdm

    from panther.apps.study.plots import plot_fig9, plot_fig10
    from panther.apps.study.sweep import load_results, plan_sweep, run_sweep, write_results

    seed, steps, jobs = args.seed, args.steps, args.jobs
    config = load_config(args.config)
    energy_config = PRESETS["paper"].replace(data_bits=config.data_bits, data_frac_bits=config.data_frac_bits,
                                             weight_bits=config.weight_bits,
                                             weight_frac_bits=config.weight_frac_bits,
                                             nominal_bits=config.nominal_bits,
                                             slice_bits=config.slice_bits)
    if args.replot:
        try:
            results = load_results(args.out)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UserError(f"{os.path.join(args.out, 'results.json')}: cannot read the results of a "
                            f"previous run: {error}") from None
        plot_fig9(results, os.path.join(args.out, "fig9.png"))
        plot_fig10(results, os.path.join(args.out, "fig10.png"), energy_config=energy_config)
        print(f"redrew {args.out}/fig9.png and fig10.png")
        return 0
    plan = plan_sweep(quick=args.quick, seed=seed, steps=steps, opa_model=args.opa_model)
    if args.only is not None:
        plan = _only(plan, args.only)
    start = time.perf_counter()
    with tqdm(total=plan.total_steps, unit="step", desc=f"study slicing ({len(plan.runs)} runs)",
              disable=args.no_progress) as bar:
        results = run_sweep(plan, config, jobs=jobs, progress=bar.update)
    seconds = time.perf_counter() - start
    summary = write_results(plan, results, args.out, energy_config=energy_config, seconds=seconds)
    plot_fig9(results, os.path.join(args.out, "fig9.png"))
    plot_fig10(results, os.path.join(args.out, "fig10.png"), energy_config=energy_config)
    print(f"{'run':<16} {'train acc':>9} {'test acc':>9} {'gap pp':>7} {'low sat':>8} {'high sat':>8}")
    for row in summary["runs"]:
        low = f"{100 * row['low_slice_sat']:.1f}%" if row["low_slice_sat"] is not None else "-"
        high = f"{100 * row['high_slice_sat']:.1f}%" if row["high_slice_sat"] is not None else "-"
        print(f"{row['run']:<16} {100 * row['final_train_acc']:>8.1f}% {100 * row['final_test_acc']:>8.1f}% "
              f"{row['gap_to_float_pp']:>7.2f} {low:>8} {high:>8}")
    print(f"OPA model of the sliced runs: {plan.opa_model}")
    print(f"wrote {args.out}/ (runs.csv, accuracy.csv, saturation.csv, fig10.csv, results.json, "
          f"fig9.png, fig10.png) in {seconds:.0f} s")
    return 0
