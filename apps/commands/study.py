"""``panther study``: the bit-slicing accuracy study (paper Figs. 9 and 10), the OPA-fidelity
tables and the device non-ideality study (Marinella 2017).

``slicing`` trains a small MLP on scikit-learn's bundled 8x8 digits with bit-sliced OPA weight
updates for every slice configuration and CRS period of the sweep (``docs/study.md``);
``devices`` trains the compiler's digits network on the analog models with each non-ideality
swept on its own (``docs/devices.md``). Both run their independent runs on the Dask engine of
``panther explore`` (``--jobs``, ``--scheduler``).
"""

import os
import time

from panther.config import PRESETS, load_config
from panther.errors import UserError

from ._common import add_config_argument, non_negative_int, positive_int

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "study"
HELP = ("run a design-space study: 'slicing' reproduces the paper's bit-slicing accuracy study (Figs. 9, 10); "
        "'opa-fidelity' measures the OPA error of the streamed and functional OPA models; 'devices' "
        "trains the digits network on the analog models with each device non-ideality on its own")


def _only(plan, text):
    from dataclasses import replace

    names = {name.strip() for name in text.split(",") if name.strip()}
    known = {spec.name for spec in plan.runs}
    unknown = sorted(names - known)
    if unknown:
        raise UserError(f"--only: no such run {', '.join(unknown)}; the sweep's runs are {', '.join(sorted(known))}")
    return replace(plan, runs=tuple(spec for spec in plan.runs if spec.name in names or spec.mode == "float"))


def add_arguments(parser):
    parser.add_argument("study", choices=["slicing", "opa-fidelity", "devices"], help="which study to run")
    parser.add_argument("--opa-model", default="streamed", choices=["streamed", "functional"],
                        help="slicing: OPA model of the sliced runs: 'streamed' (the hardware's bit-serial OPA, "
                             "default) or 'functional' (the paper's functional simulator, §6.2); recorded in "
                             "results.json")
    parser.add_argument("--quick", action="store_true",
                        help="slicing: short sweep, 4096 steps per run instead of 16384 and fewer Fig. 10 "
                             "configurations; opa-fidelity: 1024 OPAs per layer instead of 2048; devices: "
                             "100 steps per run instead of 200 and 3 values per parameter")
    parser.add_argument("--out", default=None,
                        help="output directory (default: out/study, devices: out/devices)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the data split, initial weights and example order (default: 0)")
    parser.add_argument("--steps", type=positive_int, default=None,
                        help="override the training steps per run")
    parser.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                        help="worker processes of the embedded Dask LocalCluster, one run each "
                             "(default: one per core); 1 runs in this process; with more than one the "
                             "progress bar advances per finished run")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="slicing, devices: run on an existing Dask cluster instead")
    parser.add_argument("--only", default=None,
                        help="slicing: comma-separated run names to keep from the sweep, e.g. "
                             "'44466555@1024,55555555@4096' (the float baseline is always kept)")
    add_config_argument(parser, help_extra="; it gives the number formats (slice bits and "
                        "crossbar size are set per run)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--replot", action="store_true",
                        help="only redraw the PNG plots from the results.json already in --out")


def _engine(args):
    from panther.apps.explore.engine import Engine

    jobs = args.jobs
    if args.scheduler is not None:
        return Engine(scheduler=args.scheduler)
    return Engine(workers=0 if jobs == 1 else jobs)


def _devices(args):
    from tqdm import tqdm

    from panther.apps.explore.runner import run_sweep
    from panther.apps.study.devices import device_sweep, plot_devices, summarise, write_summary

    out = args.out or os.path.join("out", "devices")
    sweep = device_sweep(quick=args.quick, steps=args.steps)
    steps = sweep.metrics[0][1]["steps"]
    engine = _engine(args)
    with tqdm(total=0, unit="run", desc="study devices", disable=args.no_progress) as bar:
        def progress(done, total, running, failed):
            bar.total, bar.n = total, done
            bar.set_postfix(running=running, failed=failed, refresh=False)
            bar.refresh()

        with engine:
            result = run_sweep(sweep, out, engine=engine, progress=progress, log=bar.write, plots=False)
    summary = summarise(result.rows)
    summary["steps"] = steps
    write_summary(summary, out)
    plot_devices(summary, os.path.join(out, "devices.png"), steps=steps)
    print(f"ideal: accuracy {summary['ideal_accuracy']:.3f} (float64 {summary['float_accuracy']:.3f}) "
          f"after {steps} steps; tolerated = within {100 * summary['tolerance']:.0f} pp of ideal")
    print(f"{'parameter':<28} {'tolerated up to':>16} {'breaks at':>10}   accuracy per value")
    for p in summary["parameters"]:
        values = ", ".join(f"{r['value']}: {r['accuracy']:.3f}" if r["accuracy"] is not None
                           else f"{r['value']}: failed" for r in p["runs"])
        print(f"{p['field']:<28} {str(p['tolerated'] if p['tolerated'] is not None else '-'):>16} "
              f"{str(p['breaks_at'] if p['breaks_at'] is not None else '-'):>10}   {values}")
    print(f"wrote {out}/ (table.csv, table.json, devices.csv, devices.json, devices.png) in "
          f"{result.seconds:.0f} s ({result.computed} runs now, {result.reused} from an earlier run)")
    return 1 if result.failed else 0


def run(args):
    if args.study == "devices":
        return _devices(args)
    if args.study == "opa-fidelity":
        from panther.apps.study.opa_fidelity import main

        return main(quick=args.quick, seed=args.seed)
    from tqdm import tqdm

    from panther.apps.study.plots import plot_fig9, plot_fig10
    from panther.apps.study.sweep import load_results, plan_sweep, run_sweep, write_results

    seed, steps = args.seed, args.steps
    engine = _engine(args)
    args.out = args.out or os.path.join("out", "study")
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
        with engine:
            results = run_sweep(plan, config, engine=engine, progress=bar.update)
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
