"""Every test, and every process a test starts, shares the repository's build directory
(``build/``), whatever its current directory: a test that runs ``panther`` in a temporary
folder would otherwise compile the tile again there (``cosim.verilog.build_dir``)."""

import os
from pathlib import Path

os.environ.setdefault("PANTHER_BUILD_DIR", str(Path(__file__).resolve().parents[1] / "build"))
