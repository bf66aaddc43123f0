"""``panther demo``: run the two-layer MLP training step and check it against numpy.

Assembles ``examples/mlp2_step.s``, runs it on the tile RTL (Verilator, compared with the
golden model; ``--sim golden`` for the golden model alone), prints the run report and the
comparison with a float numpy reference of the same training step, and exits 1 if they
disagree beyond the stated tolerances or the RTL differs from the golden model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panther.errors import UserError

__all__ = ["NAME", "HELP", "add_arguments", "run", "DEMO_PROGRAM"]

NAME = "demo"
HELP = ("assemble examples/mlp2_step.s, run one MLP training step on the RTL (Verilator) and "
        "check it against the golden model and a float numpy reference")

#: The demo program (the repository's examples directory).
DEMO_PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "mlp2_step.s"


def add_arguments(parser):
    parser.add_argument("--sim", choices=("verilator", "icarus", "golden"), default="verilator",
                        help="simulator (default: verilator, checked against the golden model)")
    parser.add_argument("--mcu", choices=("exact", "analog"), default="exact",
                        help="golden MCU model: exact integer arithmetic (default) or the "
                             "behavioural analog models (ideal in the small preset)")


def run(args):
    from . import run as run_command

    if not DEMO_PROGRAM.is_file():
        raise UserError(f"{DEMO_PROGRAM}: the demo program is missing")
    run_args = argparse.Namespace(program=str(DEMO_PROGRAM), sim=args.sim, config="small",
                                  mcu=args.mcu, max_rounds=1_000_000, json=None,
                                  trace=False, waves=None, max_cycles=None)
    status = run_command.run(run_args)
    print()
    rtl = "" if args.sim == "golden" else f"; the RTL ({args.sim}) run is identical to it"
    print("demo: " + ("PASS: the golden model's training step matches the float reference" + rtl
                      if status == 0 else "FAIL: see the report above"))
    return status
