"""``panther demo``: run the two-layer MLP training step and check it against numpy.

Assembles ``examples/mlp2_step.s``, runs it on the golden model (later: the RTL), prints the
run report and the comparison with a float numpy reference of the same training step, and
exits 1 if they disagree beyond the stated tolerances.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panther.errors import UserError

__all__ = ["NAME", "HELP", "add_arguments", "run", "DEMO_PROGRAM"]

NAME = "demo"
HELP = ("assemble examples/mlp2_step.s, run one MLP training step on the golden model and "
        "check it against a float numpy reference")

#: The demo program (the repository's examples directory).
DEMO_PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "mlp2_step.s"


def add_arguments(parser):
    parser.add_argument("--mcu", choices=("exact", "analog"), default="exact",
                        help="golden MCU model: exact integer arithmetic (default) or the "
                             "behavioural analog models (ideal in the small preset)")


def run(args):
    from . import run as run_command

    if not DEMO_PROGRAM.is_file():
        raise UserError(f"{DEMO_PROGRAM}: the demo program is missing")
    run_args = argparse.Namespace(program=str(DEMO_PROGRAM), sim="golden", config="small",
                                  mcu=args.mcu, max_rounds=1_000_000, json=None,
                                  trace=False)
    status = run_command.run(run_args)
    print()
    print("demo: " + ("PASS: the golden model's training step matches the float reference"
                      if status == 0 else "FAIL: see the report above"))
    return status
