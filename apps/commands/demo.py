"""``panther demo``: run the two-layer MLP training step and check it against numpy.

Assembles the shipped ``examples/mlp2_step.s`` (package data of ``panther.examples``, so it
works from any folder after ``pip install``), runs it on the tile RTL (Verilator, compared
with the golden model; ``--sim golden`` for the golden model alone), prints the run report
and the comparison with a float numpy reference of the same training step, and exits 1 if
they disagree beyond the stated tolerances or the RTL differs from the golden model.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from panther.errors import UserError

__all__ = ["NAME", "HELP", "add_arguments", "run", "DEMO_PROGRAM", "example_path"]

NAME = "demo"
HELP = ("assemble examples/mlp2_step.s, run one MLP training step on the RTL (Verilator) and "
        "check it against the golden model and a float numpy reference")


def example_path(name):
    """The path of a shipped example file (``panther.examples`` package data)."""
    return Path(str(files("panther.examples") / name))


#: The demo program (shipped with the package).
DEMO_PROGRAM = example_path("mlp2_step.s")


def add_arguments(parser):
    from ._common import add_config_argument

    parser.add_argument("--sim", choices=("verilator", "icarus", "golden"), default="verilator",
                        help="simulator (default: verilator, checked against the golden model)")
    parser.add_argument("--mcu", choices=("exact", "analog"), default="exact",
                        help="golden MCU model: exact integer arithmetic (default) or the "
                             "behavioural analog models (ideal in the small preset)")
    add_config_argument(parser, help_extra="; the demo's 8-8-4 network needs 8x8 crossbars or "
                                           "more and 2 MCUs per core")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the run report as JSON (schema panther.run/1)")


def run(args):
    from panther.apps.api import load_program
    from panther.apps.api import run as run_program

    if not DEMO_PROGRAM.is_file():
        raise UserError(f"{DEMO_PROGRAM}: the demo program is missing (a broken install?)")
    image = load_program(DEMO_PROGRAM, config=args.config)
    report = run_program(image, sim=args.sim, mcu=args.mcu, program=str(DEMO_PROGRAM))
    print(report.format())
    if args.json:
        report.write_json(args.json)
        print(f"\nwrote the report to {args.json}")
    print()
    if report.status in ("deadlock", "round_limit", "cycle_limit"):
        raise UserError(f"demo: the run did not complete: {report.message}")
    rtl = "" if args.sim == "golden" else f"; the RTL ({args.sim}) run is identical to it"
    print("demo: " + ("PASS: the golden model's training step matches the float reference" + rtl
                      if report.ok else "FAIL: see the report above"))
    return 0 if report.ok else 1
