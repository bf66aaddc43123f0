"""``panther evaluate``: per-layer energy and time of PANTHER and the paper's baselines."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument, positive_int

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "evaluate"
HELP = ("per-layer energy and execution time of PANTHER and the baselines Base_digital, "
        "Base_mvm and Base_opa/mvm (paper §6.3, §7) from compiled workloads; --figures writes "
        "the paper's Figs. 1 and 11-14")


def add_arguments(parser):
    parser.add_argument("--workload", default="mlp-l4", metavar="mlp-l4|vgg16|MODEL.json",
                        help="a built-in workload of the paper's Table 4 or a model description "
                             "(docs/compiler.md), one kernel per layer (default mlp-l4)")
    parser.add_argument("--batch", type=positive_int, default=1,
                        help="samples per kernel invocation (1 = SGD; default 1)")
    parser.add_argument("--variant", type=int, choices=(1, 2, 3), default=None,
                        help="PANTHER's MCU variant (default: 1 for batch 1, else 2)")
    add_config_argument(parser, default="paper")
    parser.add_argument("--crs-period", type=positive_int, default=1024,
                        help="kernel invocations between carry resolution steps (default 1024)")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--plots", default=None, metavar="DIR",
                        help="also write PNG bar charts of the layers' energy and time")
    parser.add_argument("--figures", default=None, metavar="DIR",
                        help="instead, write the paper's Figs. 1, 11, 12, 13, 14 and their data "
                             "(figures.json) for mlp-l4 and vgg16 (or for --workload FILE)")


def _layers(name):
    from panther.apps.evaluation import layers_of_model, workload
    from panther.apps.evaluation.workloads import MISSING, WORKLOADS
    from panther.compiler import ModelError, load_model

    if name in WORKLOADS:
        return name, workload(name), MISSING.get(name)
    if not name.endswith(".json") and not os.path.exists(name):
        raise UserError(f"--workload: expected mlp-l4, vgg16 or a model JSON file, not {name!r}")
    try:
        model = load_model(name)
    except ModelError as error:
        raise UserError(str(error)) from None
    return model.name, layers_of_model(model), None


def _write(path, text):
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    except OSError as error:
        raise UserError(f"{path}: cannot write: {error.strerror}") from None


def _progress(message):
    print(f"  {message}", file=sys.stderr, flush=True)


def run(args):
    from panther.apps.evaluation import Evaluator, evaluate
    from panther.apps.evaluation.figures import figure_set, plot_figures, plot_layers
    from panther.apps.evaluation.report import format_result

    config = load_config(args.config)
    name, layers, missing = _layers(args.workload)
    evaluator = Evaluator(config, progress=_progress)
    if args.figures:
        if args.workload in ("mlp-l4", "vgg16"):
            workloads = {w: _layers(w)[1:] for w in ("mlp-l4", "vgg16")}
        else:
            workloads = {name: (layers, missing)}
        data = figure_set(evaluator, workloads, crs_period=args.crs_period)
        for path in plot_figures(data, args.figures):
            print(f"wrote {path}")
        out = {"fig1": data["fig1"], "workloads": {
            w: {"fig11": e["fig11"].to_dict(), "fig12": e["fig12"].to_dict(),
                "fig13": {str(b): r.to_dict() for b, r in e["fig13"].items()},
                "fig14": {str(v): {str(b): p for b, p in points.items()}
                          for v, points in e["fig14"].items()}}
            for w, e in data["workloads"].items()}}
        _write(os.path.join(args.figures, "figures.json"), json.dumps(out, indent=2) + "\n")
        print(f"wrote {os.path.join(args.figures, 'figures.json')}")
        for e in data["workloads"].values():
            for key in ("fig11", "fig12"):
                print()
                print(format_result(e[key]))
        return 0
    variant = args.variant or (1 if args.batch == 1 else 2)
    result = evaluate(layers, config, batch=args.batch, variant=variant,
                      crs_period=args.crs_period, workload=name, missing=missing,
                      evaluator=evaluator)
    print(format_result(result))
    if args.json:
        _write(args.json, result.to_json())
        print(f"wrote {args.json}")
    if args.plots:
        for path in plot_layers(result, args.plots):
            print(f"wrote {path}")
    return 0
