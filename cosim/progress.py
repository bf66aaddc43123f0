"""Progress of the long steps of a co-simulation: builds announce themselves with an
expected duration, and a running program shows its cycles.

A build step (:func:`announce`) logs what it does and roughly how long it should take (from
:func:`hdl.estimate.expected_seconds`, a model of builds measured on this project's 2-core
machine). A program run (:class:`RunProgress`) follows the progress file that the
cocotb testbench (:mod:`cosim.tile_tb`) rewrites every
:data:`cosim.tile_tb.PROGRESS_CYCLES` cycles: on a terminal as a ``tqdm`` bar, otherwise as
a log line every :data:`LOG_EVERY` seconds. Messages go to the ``panther.cosim`` logger, which
the ``panther`` command prints on stderr; a library user sees them after
``logging.basicConfig(level=logging.INFO)``. Runs shorter than :data:`QUIET_SECONDS` show
nothing.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

from panther.hdl.estimate import BUILD_MODEL, expected_seconds, format_seconds

__all__ = ["LOG", "expected_seconds", "format_seconds", "announce", "RunProgress",
           "QUIET_SECONDS", "LOG_EVERY", "BUILD_MODEL"]

LOG = logging.getLogger("panther.cosim")

#: A run shows progress only once it has taken this long (seconds).
QUIET_SECONDS = 3.0
#: Without a terminal, one progress line per this many seconds.
LOG_EVERY = 30.0

def announce(what, seconds, detail=""):
    """Log the start of a build step and its expected duration."""
    LOG.info("%s (expected: about %s%s)", what, format_seconds(seconds),
             f"; {detail}" if detail else "")


class RunProgress:
    """A context manager that shows the progress of a program run in the simulator.

    Parameters
    ----------
    path : path
        The progress file the testbench writes (JSON: ``image``, ``images``, ``cycles``,
        ``max_cycles``).
    label : str
        What runs, e.g. ``'RTL (verilator)'``.
    """

    def __init__(self, path, label, *, poll=0.5):
        self.path = Path(path)
        self.label = label
        self.poll = poll
        self._stop = threading.Event()
        self._thread = None
        self._bar = None

    def __enter__(self):
        self.path.unlink(missing_ok=True)
        if LOG.isEnabledFor(logging.INFO):
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.close()
        return False

    def _read(self):
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def _watch(self):
        start = time.monotonic()
        last_log = start
        while not self._stop.wait(self.poll):
            state = self._read()
            now = time.monotonic()
            if state is None or now - start < QUIET_SECONDS:
                continue
            if sys.stderr.isatty():
                self._show_bar(state)
            elif now - last_log >= LOG_EVERY:
                last_log = now
                LOG.info("%s: %s", self.label, self.describe(state, now - start))

    @staticmethod
    def describe(state, elapsed):
        """One line: program, cycles so far, the limit and the elapsed time."""
        which = (f"program {state['image'] + 1} of {state['images']}: "
                 if state["images"] > 1 else "")
        return (f"{which}{state['cycles']:,} cycles of at most {state['max_cycles']:,} "
                f"(--max-cycles), {format_seconds(elapsed)} so far")

    def _show_bar(self, state):
        from tqdm import tqdm

        desc = f"{self.label} program {state['image'] + 1}/{state['images']}"
        if self._bar is None or self._bar.desc != desc:
            if self._bar is not None:
                self._bar.close()
            self._bar = tqdm(total=state["max_cycles"], desc=desc, unit=" cycles",
                             unit_scale=True, file=sys.stderr, leave=False)
        self._bar.update(state["cycles"] - self._bar.n)
