"""``panther verilog``: write the Verilog of the MCU, core and tile, the configuration JSON and
a port map, linted with Verilator (see docs/synthesis.md)."""

import sys

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument

NAME = "verilog"
HELP = ("generate Verilog of every available top (MCU, core, tile; tile_digital on request) "
        "plus the configuration JSON and a port map (Markdown and JSON); lint it with Verilator")

__all__ = ["NAME", "HELP", "add_arguments", "run"]


def add_arguments(parser):
    add_config_argument(parser)
    parser.add_argument("-o", "--output", default="build/verilog", metavar="DIR",
                        help="output directory (default: build/verilog)")
    parser.add_argument("--top", action="append", metavar="NAME",
                        help="export only this top (mcu, core, tile, tile_digital: the tile "
                             "with digital crossbars in place of the analog ports, a "
                             "self-contained synthesis top, or node: the node of "
                             "tiles_per_node tiles, exported only when named); repeatable")
    parser.add_argument("--no-lint", action="store_true", help="skip the Verilator lint")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write what was written and the port map as JSON (schema "
                             "panther.verilog/1; the port map alone is panther_ports.json)")


def run(args):
    from panther.hdl.export import export_verilog
    from panther.table import format_table

    config = load_config(args.config)
    skipped = []
    try:
        result = export_verilog(config, args.output, tops=args.top, lint=not args.no_lint,
                                skipped=skipped)
    except ValueError as error:
        raise UserError(f"panther verilog: {error}") from None
    except OSError as error:        # an output directory that cannot be written, a missing tool
        raise UserError(f"{error.filename or args.output}: {error.strerror or error}") from None
    for name, why in skipped:
        print(f"panther verilog: note: top '{name}' skipped: {why}", file=sys.stderr)
    rows = [(name, result.sizes[name]) for name in result.files]
    print(format_table(["file", "bytes"], rows,
                       title=f"{args.output}: {', '.join(result.tops)} "
                             f"({'linted' if not args.no_lint else 'not linted'})"), end="")
    if args.json:
        import json
        from pathlib import Path

        from panther.hdl.export import PORTS_JSON_FILE

        from ._common import write_json

        ports = json.loads((Path(args.output) / PORTS_JSON_FILE).read_text())
        write_json(args.json, {"schema": "panther.verilog/1", "directory": str(args.output),
                               "tops": list(result.tops), "files": dict(result.sizes),
                               "linted": not args.no_lint, "ports": ports})
    return 0
