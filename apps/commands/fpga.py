"""``panther fpga``: an ECP5 bitstream of the tile (or an MCU) with digital ideal crossbars
and a UART host interface, with Fmax, critical path and utilisation from nextpnr
(docs/synthesis.md).

By default the board's own configuration (one that fits it) at a clock the measured designs
meet (:data:`hdl.fpga.build.BOARD_DEFAULTS`); a design that misses its clock is still built,
with a warning that names the clock it would meet.
"""

import sys

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument, non_negative_int, positive_int, write_json

NAME = "fpga"
HELP = ("build an FPGA bitstream (ULX3S ECP5-85F, YoWASP tools) of the tile with digital "
        "ideal crossbars and a UART host port; report Fmax, critical path and utilisation")

__all__ = ["NAME", "HELP", "add_arguments", "run", "report_table"]


def add_arguments(parser):
    parser.add_argument("--board", default="ulx3s", choices=["ulx3s"], help="target board")
    add_config_argument(parser, default=None, default_text="the board's own, which fits it: "
                        "hdl/fpga/ulx3s_tile_config.json, a 2-core tile of one 8x8 MCU each; the "
                        "small preset does not fit an ECP5-85F")
    parser.add_argument("--top", default="tile", choices=["tile", "mcu"],
                        help="what to put on the FPGA (default: tile)")
    parser.add_argument("--clock-mhz", type=positive_int, default=None,
                        help="PLL clock in MHz (default: 25, which the measured designs meet)")
    parser.add_argument("--router", default=None, choices=["router1", "router2"],
                        help="nextpnr's router (default: router2 for the tile, router1 for "
                             "the MCU)")
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help="nextpnr's placement seed (an integer >= 0, recorded in the report "
                             "as `seed`; default: none given, nextpnr's own initial state). "
                             "Fmax varies with it: judge a design by several seeds")
    parser.add_argument("--baud", type=positive_int, default=115200, help="UART bit rate")
    parser.add_argument("--max-fanout", type=positive_int, default=None, metavar="N",
                        help="copy each flip-flop or LUT that drives more than N sinks, between Yosys "
                             "and nextpnr (default: off)")
    parser.add_argument("--max-reset-fanout", type=non_negative_int, default=None, metavar="N",
                        help="the same for the nets that reach a slice's reset input alone (the "
                             "reset and synchronous clears): a copy of their driver per N sinks; "
                             "0 is off (default: 256 for the tile top, off for the MCU top)")
    parser.add_argument("-o", "--output", default="build/fpga", metavar="DIR",
                        help="build directory (default: build/fpga)")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the report as JSON (schema panther.fpga/2) to FILE")


def _critical_rows(path):
    """Table rows of a critical path (None: one row saying there is none)."""
    if path is None:
        return [("critical path", "-", "nextpnr reported no register-to-register path")]
    return [("critical path", f"{path['delay_ns']:.2f} ns",
             f"{path['logic_ns']:.2f} ns logic + {path['routing_ns']:.2f} ns routing; "
             f"{path['logic_segments']} logic segments, {len(path['cells'])} cells"),
            ("  from", f"{path['start']['cell']}.{path['start']['port']}", path["from_clock"]),
            ("  to", f"{path['end']['cell']}.{path['end']['port']}", path["to_clock"])]


def _endpoint_rows(summary, shown=6):
    """Table rows of the endpoint summary (:func:`hdl.fpga.sdf_timing.slack_summary`): how
    many fail, and the worst groups by module."""
    if summary is None:
        return []
    rows = [("failing endpoints", f"{summary['failing']} / {summary['endpoints']}",
             f"worst slack {summary['worst_slack_ns']} ns, total "
             f"{summary['total_negative_slack_ns']} ns")]
    rows += [(f"  {g['from']} -> {g['to']}", f"{g['failing']}",
              f"worst slack {g['worst_slack_ns']:.2f} ns") for g in summary["groups"][:shown]]
    return rows


def report_table(report):
    """The terminal table of an FPGA report."""
    from panther.table import format_table
    rows = [(f"Fmax {clock}", f"{mhz:.1f} MHz",
             f"target {report['constraint_mhz'][clock]:.0f} MHz: "
             f"{'met' if mhz >= report['constraint_mhz'][clock] else 'NOT met'}")
            for clock, mhz in report["fmax_mhz"].items()]
    rows += _critical_rows(report.get("critical_path"))
    rows += _endpoint_rows(report.get("endpoints"))
    rows += [("slow net" if i == 0 else "", n["driver"], f"{n['fanout']} sinks, farthest "
              f"{n['max_ns']:.2f} ns") for i, n in enumerate(report.get("slow_nets", [])[:4])]
    rows += [(bel, f"{u['used']} / {u['available']}", f"{u['percent']:.1f} %")
             for bel, u in report["utilisation"].items()]
    return format_table(["item", "value", "note"], rows,
                        title=f"{report['board']} {report['device']} ({report['kind']} top)")


def run(args):
    from panther.hdl.fpga.build import BOARD_DEFAULTS, board_config, build_board, safe_clock_mhz

    config = board_config(args.board) if args.config is None else load_config(args.config)
    clock = args.clock_mhz or BOARD_DEFAULTS[args.board]["clock_mhz"]
    try:
        report = build_board(config, args.output, board=args.board, kind=args.top,
                             clock_mhz=clock, baud=args.baud, router=args.router,
                             seed=args.seed, max_fanout=args.max_fanout,
                             reset_fanout=args.max_reset_fanout)
    except ValueError as error:
        raise UserError(f"panther fpga: {error}") from None
    except OSError as error:        # an output directory that cannot be written, a missing tool
        raise UserError(f"{error.filename or args.output}: {error.strerror or error}") from None
    print(report_table(report), end="")
    print(f"report: {args.output}/fpga_report.json, bitstream: {args.output}/{report['bitstream']}")
    if not report["meets"]:
        fmax = min(report["fmax_mhz"].values())
        safe = safe_clock_mhz(fmax)
        print(f"panther fpga: WARNING: the design reaches {fmax:.1f} MHz, below its {clock} MHz "
              "clock: the bitstream will not run reliably"
              + (f"; rebuild with --clock-mhz {safe}" if safe else ""), file=sys.stderr)
    if args.json:
        write_json(args.json, report)
    return 0

