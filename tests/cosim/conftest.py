"""Builds shared by the co-simulation tests: the MCU test modules on ``sys.path``."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MCU_TESTS = HERE.parent / "hdl" / "mcu"
if str(MCU_TESTS) not in sys.path:
    sys.path.insert(0, str(MCU_TESTS))
