"""``panther train``: train a model description with its compiled kernel on the golden model
(or the tile RTL).

Runs N kernel invocations (one batch each) on the bundled digits, carrying the weights and
their slice digits from one invocation to the next, with CRS every ``crs_period``
invocations, and trains the same network in float numpy beside it. With ``--sim verilator``
or ``--sim icarus`` every invocation runs on the tile RTL and must end in the golden model's
state (a difference stops the run). See docs/compiler.md.
"""

import json
from pathlib import Path

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument, positive_int

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "train"
HELP = ("train a network description (JSON) on the digits with its compiled kernel on the "
        "golden model or the RTL, beside a float twin; prints loss and accuracy, writes JSON "
        "and a plot")


def add_arguments(parser):
    parser.add_argument("model", help="model description (JSON, see docs/compiler.md)")
    parser.add_argument("--steps", type=positive_int, default=300,
                        help="kernel invocations (default: 300)")
    parser.add_argument("--dataset", choices=["digits", "digits32"], default=None,
                        help="training data: the bundled 8x8 digits (61 informative pixels, "
                             "zero-padded to the model's inputs) or digits32 (each image "
                             "upsampled to 32x32 = 1024 pixels, for MLP-L4); default: the "
                             "model's \"data\" if it names one, else digits")
    add_config_argument(parser, default=None, default_text="the model's, else small")
    parser.add_argument("--mcu", choices=["exact", "analog"], default="exact",
                        help="MCU model: exact integer arithmetic (default) or the analog models "
                             "with the configuration's non-idealities and ADC width")
    parser.add_argument("--json", default=None, metavar="FILE", help="write the curves as JSON")
    parser.add_argument("--plot", default=None, metavar="FILE",
                        help="write a PNG of both curves (default: next to --json, if given)")
    parser.add_argument("--sim", choices=["golden", "verilator", "icarus"], default="golden",
                        help="run the invocations on the golden model (default) or on the tile "
                             "RTL, each checked against the golden model (networks that fit a "
                             "small tile: every invocation is one simulation)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _plot(result, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    steps = range(1, result.steps + 1)
    where = "RTL" if result.simulator != "golden" else "golden model"
    left.plot(steps, result.loss, label=f"PANTHER ({where})", lw=0.8)
    left.plot(steps, result.float_loss, label="float64", lw=0.8)
    left.set_xlabel("kernel invocation")
    left.set_ylabel("batch loss")
    left.legend()
    right.plot(result.eval_steps, result.accuracy, "o-", label=f"PANTHER ({where})")
    right.plot(result.eval_steps, result.float_accuracy, "s--", label="float64")
    right.set_xlabel("kernel invocation")
    right.set_ylabel("test accuracy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _rtl_runner(simulator, cycles):
    """``runner(image) -> report`` for :func:`compiler.train.train` on the tile RTL: each
    invocation is one simulation, compared with the golden model (a difference is an error)."""
    from panther.cosim.program_runner import run_and_compare

    def runner(image):
        outcome, = run_and_compare([image], simulator=simulator)
        if not outcome.ok:
            raise UserError(f"invocation {len(cycles) + 1} on the RTL ({simulator}) does not match "
                            f"the golden model:\n{outcome.format()}")
        cycles.append(outcome.cycles)
        return outcome.report
    return runner


def run(args):
    from panther.compiler import load_model
    from panther.compiler.train import digits_data, train

    model = load_model(args.model)
    config = load_config(args.config or model.config or "small")
    data = digits_data(model, args.dataset)
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=args.steps, unit="step", desc=model.name)
    progress = None if bar is None else (lambda step, loss: (bar.update(1),
                                                             bar.set_postfix(loss=f"{loss:.4f}")))
    runner, cycles = None, []
    if args.sim != "golden":
        runner = _rtl_runner(args.sim, cycles)
    try:
        result = train(model, config=config, steps=args.steps, progress=progress, data=data,
                       runner=runner, mcu=args.mcu)
    finally:
        if bar is not None:
            bar.close()
    result.simulator, result.rtl_cycles = args.sim, cycles
    where = "the golden model" if args.sim == "golden" else f"the RTL ({args.sim})"
    print(f"{model.name}: {args.steps} invocations of batch {result.batch} on {where} "
          f"with {args.mcu} MCUs "
          f"({result.seconds_per_step * 1000:.0f} ms each), CRS at {result.crs_steps[:5] or 'none'}"
          f"{' ...' if len(result.crs_steps) > 5 else ''}")
    if cycles:
        print(f"RTL: every invocation ended in the golden model's state (cores, weights and slice "
              f"digits, shared memory, event counters); {min(cycles)} .. {max(cycles)} cycles per "
              "invocation")
    print("  step   accuracy   float accuracy")
    for step, acc, facc in zip(result.eval_steps, result.accuracy, result.float_accuracy):
        print(f"  {step:4d}   {acc:8.3f}   {facc:14.3f}")
    if result.analog_accuracy is not None:
        print(f"  inference through the analog devices (ADCs, read noise) after step {args.steps}: "
              f"{result.analog_accuracy:.3f}")
    tail = max(1, min(50, args.steps // 2))
    print(f"mean batch loss over the first {tail} invocations: "
          f"{sum(result.loss[:tail]) / tail:.4f} (float {sum(result.float_loss[:tail]) / tail:.4f}); "
          f"over the last {tail}: {sum(result.loss[-tail:]) / tail:.4f} "
          f"(float {sum(result.float_loss[-tail:]) / tail:.4f})")
    if result.overflow_steps:
        print(f"warning: {result.overflow_steps} invocations set a sticky overflow flag")
    plot = args.plot or (str(Path(args.json).with_suffix(".png")) if args.json else None)
    try:
        if args.json:
            Path(args.json).write_text(json.dumps(result.to_dict()) + "\n")
            print(f"wrote {args.json}")
        if plot:
            _plot(result, plot)
            print(f"wrote {plot}")
    except OSError as error:
        raise UserError(f"cannot write: {error}") from None
    return 0
