"""``panther compile``: compile a model description into a training-kernel program image."""

from pathlib import Path

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument, positive_int

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "compile"
HELP = ("compile a network description (JSON, see docs/compiler.md) into a program image of "
        "one training step that `panther run DIR` runs")


def add_arguments(parser):
    parser.add_argument("model", help="model description (JSON)")
    parser.add_argument("-o", "--output", default=None,
                        help="image directory to write (default: out/<model name>); written "
                             "atomically, replaced if it is an existing image")
    add_config_argument(parser, default=None, default_text="the model's \"config\", else small")
    parser.add_argument("--crs", action="store_true",
                        help="end the kernel with a carry resolution step (the kernel of every "
                             "crs_period-th invocation)")
    parser.add_argument("--loop", choices=("auto", "unrolled", "rolled"), default="auto",
                        help="the batch as straight-line code (unrolled: the Table 2 pipeline) or "
                             "a loop over the samples (rolled); auto (default) rolls it only "
                             "where the unrolled kernel does not fit, e.g. imem_depth")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the compile report as JSON")
    parser.add_argument("--listing", default=None, metavar="FILE",
                        help="also write the commented assembly of every core")
    parser.add_argument("--per-layer", action="store_true",
                        help="instead of an image, report every weighted layer as a kernel of its "
                             "own (Table 4 layer steps): MCUs, cores, tiles, instructions and MCU "
                             "operations from the count model, without one tile's limits")
    parser.add_argument("--batch", type=positive_int, default=None,
                        help="with --per-layer: the batch to count (default: the model's)")


def run(args):
    from panther.compiler import compile_model, load_model

    model = load_model(args.model)
    config = load_config(args.config or model.config or "small")
    if args.per_layer:
        return _per_layer(model, config, args)
    if args.batch is not None:
        raise UserError("--batch needs --per-layer (a model's batch is its \"batch\" key)")
    kernel = compile_model(model, config=config, crs=args.crs, loop=args.loop)
    out = Path(args.output) if args.output else Path("out") / model.name
    kernel.image.save(out)
    print(kernel.report.format())
    print(f"\nwrote {out}/ (run it with `panther run {out}`)")
    for path, text in ((args.json, kernel.report.to_json()), (args.listing, kernel.listing + "\n")):
        if path:
            try:
                Path(path).write_text(text)
            except OSError as error:
                raise UserError(f"{path}: cannot write: {error.strerror}") from None
            print(f"wrote {path}")
    return 0


def _per_layer(model, config, args):
    import json

    from panther.compiler.layer_steps import format_layer_table, layer_table
    from panther.compiler.layers import is_spatial

    if not is_spatial(model.layers):
        raise UserError("--per-layer reports the layers of a conv network (conv2d, maxpool2d, "
                        "flatten, dense); compile a dense network without it")
    rows = layer_table(model, config=config, batch=args.batch)
    print(format_layer_table(rows, config))
    if args.json:
        try:
            Path(args.json).write_text(json.dumps({"model": model.name, "config": config.to_dict(),
                                                   "layers": rows}, indent=1) + "\n")
        except OSError as error:
            raise UserError(f"{args.json}: cannot write: {error.strerror}") from None
        print(f"wrote {args.json}")
    return 0
