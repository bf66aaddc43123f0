"""The evaluation tests share tests/cosim's ``simulator_required`` helper (the RTL check)."""

import sys
from pathlib import Path

COSIM_TESTS = Path(__file__).resolve().parents[1] / "cosim"
if str(COSIM_TESTS) not in sys.path:
    sys.path.insert(0, str(COSIM_TESTS))
