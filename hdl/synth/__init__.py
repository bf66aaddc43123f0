"""Synthesis helpers: running external tools with checked exit status, Verilator lint with a
documented waiver list, and Yosys generic synthesis statistics (see ``docs/synthesis.md``)."""

from .lint import LINT_WAIVERS, lint_verilog
from .tools import ToolError, find_tool, run_step, verilator_env
from .yosys_stats import parse_stats, synthesize

__all__ = ["ToolError", "find_tool", "run_step", "verilator_env", "LINT_WAIVERS",
           "lint_verilog", "synthesize", "parse_stats"]
