"""``panther fpga``: an ECP5 bitstream of the tile (or an MCU) with digital ideal crossbars
and a UART host interface, with Fmax and utilisation from nextpnr (docs/synthesis.md)."""

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument, positive_int

NAME = "fpga"
HELP = ("build an FPGA bitstream (ULX3S ECP5-85F, YoWASP tools) of the tile with digital "
        "ideal crossbars and a UART host port; report Fmax and utilisation")

__all__ = ["NAME", "HELP", "add_arguments", "run", "report_table"]


def add_arguments(parser):
    parser.add_argument("--board", default="ulx3s", choices=["ulx3s"], help="target board")
    add_config_argument(parser)
    parser.add_argument("--top", default="tile", choices=["tile", "mcu"],
                        help="what to put on the FPGA (default: tile)")
    parser.add_argument("--clock-mhz", type=positive_int, default=100, help="PLL clock (default 100)")
    parser.add_argument("--baud", type=positive_int, default=115200, help="UART bit rate")
    parser.add_argument("-o", "--output", default="build/fpga", metavar="DIR",
                        help="build directory (default: build/fpga)")


def report_table(report):
    """The terminal table of an FPGA report."""
    from panther.table import format_table
    rows = [(f"Fmax {clock}", f"{mhz:.1f} MHz",
             f"target {report['constraint_mhz'][clock]:.0f} MHz: "
             f"{'met' if mhz >= report['constraint_mhz'][clock] else 'NOT met'}")
            for clock, mhz in report["fmax_mhz"].items()]
    rows += [(bel, f"{u['used']} / {u['available']}", f"{u['percent']:.1f} %")
             for bel, u in report["utilisation"].items()]
    return format_table(["item", "value", "note"], rows,
                        title=f"{report['board']} {report['device']} ({report['kind']} top)")


def run(args):
    from panther.hdl.fpga.build import build_board

    config = load_config(args.config)
    try:
        report = build_board(config, args.output, board=args.board, kind=args.top,
                             clock_mhz=args.clock_mhz, baud=args.baud)
    except ValueError as error:
        raise UserError(f"panther fpga: {error}") from None
    except OSError as error:        # an output directory that cannot be written, a missing tool
        raise UserError(f"{error.filename or args.output}: {error.strerror or error}") from None
    print(report_table(report), end="")
    print(f"report: {args.output}/fpga_report.json, bitstream: {args.output}/{report['bitstream']}")
    return 0
