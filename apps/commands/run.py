"""``panther run``: assemble a program and run it on a simulator back end, with a report.

A thin layer over :func:`panther.apps.api.run`: ``golden`` is the instruction-level golden
model (:mod:`isa.golden`); ``verilator`` and ``icarus`` run the tile RTL
(:mod:`cosim.run_backend`), or for a node program the node RTL or one RTL tile among golden
ones (``--rtl-tile``, :mod:`cosim.node_backend`), and compare it with the golden model. Every
back end returns a ``panther.run/1`` report (:mod:`isa.run_report`; a node's with its tiles,
:mod:`isa.node_run_report`), printed as text and, with ``--json``, written as JSON.

Exit statuses, the same on every back end: 0 every core halted (and the RTL matches the
golden model, and the reference check passed); 1 a core stopped with a fault code, the RTL
differs from the golden model or the reference check failed (the report says which); 2 bad
input, or a program that cannot complete: a deadlock, or the round (golden) or cycle (RTL)
limit reached.

The golden model of an RTL run is the analog one when the configuration has noise (the RTL
runs the analog models with that noise), unless ``--mcu`` says otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from panther.apps.api import uses_network
from panther.errors import UserError

from ._common import add_config_argument, non_negative_int, positive_int

__all__ = ["NAME", "HELP", "add_arguments", "run", "add_array_arguments", "array_options",
           "load_program"]

NAME = "run"
HELP = "assemble a program and run it on the golden model or the RTL (tile or node), with a report"


def add_array_arguments(parser):
    """``--weights``, ``--data`` and ``--smem``: numpy arrays into the program's image."""
    parser.add_argument("--weights", action="append", default=[], metavar="[CORE:]MCU=FILE",
                        help="initial weights of an MCU (.mcu name or number; core 0 unless "
                             "CORE: is given) from a .npy file or FILE.npz:KEY, from row 0, "
                             "column 0 (reals -> Q8.24, integers raw); repeatable")
    parser.add_argument("--data", action="append", default=[], metavar="[CORE:]REGION=FILE",
                        help="initial core words of a .region (or an address) from a .npy "
                             "file (reals -> Q4.12 in the default format); repeatable")
    parser.add_argument("--smem", action="append", default=[], metavar="SREGION=FILE",
                        help="initial persistent shared-memory words of an .sregion (or an "
                             "address) from a .npy file; repeatable")


def array_options(args):
    """``{"weights": {...}, "data": {...}, "smem": {...}}`` of the parsed array options."""
    out = {}
    for option in ("weights", "data", "smem"):
        table = {}
        for item in getattr(args, option, None) or []:
            target, sep, file = item.partition("=")
            if not sep or not target or not file:
                raise UserError(f"panther run: --{option}: expected TARGET=FILE, not {item!r}")
            table[target] = file
        out[option] = table
    return out


def add_arguments(parser):
    from panther.apps.api import SIMULATORS

    parser.add_argument("program", help="assembly file (.s) or a program image directory "
                                        "written by `panther asm`")
    parser.add_argument("--sim", choices=SIMULATORS, default="golden",
                        help="simulator back end (default: golden; verilator and icarus run the "
                             "tile RTL and compare it with the golden model)")
    add_config_argument(parser, help_extra="; for a .s file (an image directory brings its own)")
    parser.add_argument("--mcu", choices=("exact", "analog"), default=None,
                        help="golden MCU model: exact integer arithmetic or the behavioural "
                             "analog models with the configuration's noise (default: exact, "
                             "except analog for an RTL run of a configuration with noise)")
    parser.add_argument("--check", default="auto", metavar="NAME",
                        help="the float reference check: a name of isa/golden/reference.py, "
                             "'none', or 'auto' (default): the one the program names with "
                             "'.check NAME' (a program without one gets no check)")
    add_array_arguments(parser)
    parser.add_argument("--max-rounds", type=positive_int, default=None,
                        help="scheduling rounds before giving up (default: 1000000)")
    parser.add_argument("--trace", action="store_true",
                        help="print every retired instruction (core, PC, assembly text)")
    parser.add_argument("--waves", nargs="?", const="", default=None, metavar="FILE",
                        help="RTL back ends: record the simulation's waveforms into FILE, "
                             "VCD or FST by its suffix (Verilator: .vcd; Icarus: .fst or .vcd; "
                             "default: the program's name with the simulator's default suffix, "
                             "in the current folder)")
    parser.add_argument("--rtl-tile", type=non_negative_int, default=None, metavar="K",
                        help="RTL back ends, node programs: only tile K is RTL, the other tiles "
                             "are the golden model, joined at its NoC port (default: every "
                             "tile of the node is RTL)")
    parser.add_argument("--max-cycles", type=positive_int, default=None,
                        help="RTL back ends: clock cycles before giving up (default: 2000000)")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the report as JSON (schema panther.run/1, see "
                             "docs/report.md)")
    parser.add_argument("--json-state", action="store_true",
                        help="with --json: add the whole final state (register files, XBar "
                             "buffers, weights and slice digits, shared memory)")


def load_program(path, config_name, arrays=None):
    """A :class:`isa.image.ProgramImage` from a ``.s`` file or an image directory, or a
    :class:`isa.node_image.NodeImage` from a node source or image directory."""
    from panther.apps.api import load_program as load

    return load(path, config=config_name, **(arrays or {}))


def _trace(image):
    from panther.isa.disassembler import format_instruction

    def node_trace(tile, core, pc, instr):
        print(f"tile {tile} core {core} pc {pc:4d}: "
              f"{format_instruction(instr, config=image.config)}")

    def tile_trace(core, pc, instr):
        print(f"core {core} pc {pc:4d}: {format_instruction(instr, config=image.config)}")
    return node_trace if hasattr(image, "tiles") or uses_network(image) else tile_trace


def run(args):
    from panther.apps.api import run as run_program

    waves = args.waves
    if waves is not None:
        if args.sim == "golden":
            raise UserError("panther run: --waves records the RTL simulation: use it with "
                            "--sim verilator or --sim icarus")
        from panther.cosim.simulators import WAVE_FORMATS

        waves = waves or f"{Path(args.program).name.removesuffix('.s')}." \
                         f"{WAVE_FORMATS[args.sim][0]}"
    image = load_program(args.program, args.config, array_options(args))
    check = None if args.check == "none" else args.check
    report = run_program(image, sim=args.sim, mcu=args.mcu, check=check,
                         max_rounds=args.max_rounds, max_cycles=args.max_cycles, waves=waves,
                         trace=_trace(image) if args.trace else None, program=args.program,
                         rtl_tile=getattr(args, "rtl_tile", None))   # panther demo has none
    for note in report.notes:                   # shown once, on stderr; kept in the JSON
        print(f"panther run: {note}", file=sys.stderr)
    print(report.format(notes=False))
    if args.json:
        report.write_json(args.json, state=args.json_state)
        print(f"\nwrote the report to {args.json}")
    if report.status in ("deadlock", "round_limit", "cycle_limit"):
        where = "" if args.sim == "golden" else f"the RTL ({args.sim}) did not complete: "
        raise UserError(f"{args.program}: {where}{report.message}"
                        + ("; see the report above" if args.sim != "golden" else ""))
    return 0 if report.ok else 1
