"""Synthesis helpers: running external tools with checked exit status, Verilator lint with a
documented waiver list, Yosys generic synthesis statistics and logic depth (see ``docs/synthesis.md``)."""

from .lint import LINT_WAIVERS, lint_verilog
from .logic_depth import parse_ltp
from .tools import ToolError, find_tool, run_step, verilator_env
from .yosys_stats import parse_stats, synthesize

__all__ = ["ToolError", "find_tool", "run_step", "verilator_env", "LINT_WAIVERS",
           "lint_verilog", "synthesize", "parse_stats", "parse_ltp"]
