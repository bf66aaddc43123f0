"""The engine that runs independent tasks: serially, on an embedded Dask ``LocalCluster`` or on
an existing Dask cluster.

``panther explore``, ``panther study slicing`` and ``panther study devices`` and
``scripts/random_diff.py`` hand their independent runs to an :class:`Engine`::

    with Engine(workers=2) as engine:                 # LocalCluster on 127.0.0.1
        for outcome in engine.run(fn, items, keys=keys, progress=bar_update):
            ...                                       # in the order they finish

Every item is one ``dask.distributed`` task, ``fn(item)``. The task wrapper catches the
task's own exceptions and returns them as a failed :class:`Outcome` (a deterministic error is
not retried); a worker process that dies (crash, ``kill``) makes the scheduler run its task
again on another worker, up to ``allowed_failures`` times, after which the task is reported
failed with ``KilledWorker``. Results come back to this process, which alone writes files,
so a worker needs no shared file system.

``fn`` and the items are pickled to the workers: ``fn`` must be a module-level function of an
importable module (a worker of an existing cluster needs the same ``panther`` installed).
"""

from __future__ import annotations

import logging
import os
import time
import traceback
import uuid
from dataclasses import dataclass

from panther.errors import UserError

__all__ = ["Engine", "Outcome", "default_workers", "add_engine_arguments", "engine_from_args"]

#: Seconds between two looks at the cluster while waiting for results (progress updates).
_POLL_SECONDS = 0.2


def default_workers():
    """Workers of the embedded cluster: one per core."""
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Outcome:
    """What one task gave.

    Members
    -------
    key : str
        The key the caller gave the item.
    ok : bool
    value : object
        ``fn(item)`` when ``ok``.
    error : str
        When not ``ok``: the exception type and message (and where it was raised).
    seconds : float
        Wall time of the task on its worker (0 when the worker died).
    """

    key: str
    ok: bool
    value: object = None
    error: str = ""
    seconds: float = 0.0


def _describe(error):
    """``Type: message (file:line)`` of an exception, from the innermost frame."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    if isinstance(error, UserError) or type(error).__name__ in ("ConfigError", "CompileError",
                                                                "ModelError"):
        where = ""                              # bad input: its message names what was wrong
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}{where}" if message else type(error).__name__ + where


def _call(fn, item):
    """Run ``fn(item)`` on a worker: ``(True, value, seconds)`` or ``(False, error, seconds)``."""
    start = time.perf_counter()
    try:
        value = fn(item)
    except Exception as error:          # noqa: BLE001 - reported with the task, not raised
        return False, _describe(error), time.perf_counter() - start
    return True, value, time.perf_counter() - start


class Engine:
    """Runs independent tasks serially or on Dask; a context manager.

    Parameters
    ----------
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``). Default: an embedded
        ``LocalCluster`` on the loopback interface.
    workers : int, optional
        Worker processes of the embedded cluster (default: :func:`default_workers`); each has
        one thread. ``0`` runs every task in this process, one after the other (no Dask).
    allowed_failures : int
        Embedded cluster: how often a task may lose its worker before it is reported failed.
    connect_timeout : float
        Seconds to wait for an existing scheduler.

    Members
    -------
    serial : bool
    client : distributed.Client or None
    cluster : distributed.LocalCluster or None
    """

    def __init__(self, *, scheduler=None, workers=None, allowed_failures=3, connect_timeout=10.0):
        if workers is not None and not (isinstance(workers, int) and workers >= 0):
            raise UserError(f"workers must be a non-negative integer, not {workers!r}")
        if scheduler is not None and workers is not None:
            raise UserError("give either a scheduler address or a number of workers, not both")
        if scheduler is not None and not (isinstance(scheduler, str) and "://" in scheduler):
            raise UserError(f"--scheduler: expected an address such as tcp://HOST:PORT, "
                            f"not {scheduler!r}")
        self.scheduler = scheduler
        self.workers = default_workers() if workers is None and scheduler is None else workers
        self.serial = scheduler is None and self.workers == 0
        self.allowed_failures = allowed_failures
        self.connect_timeout = connect_timeout
        self.client = None
        self.cluster = None

    # -- life cycle ------------------------------------------------------------------------

    def __enter__(self):
        if self.serial:
            return self
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.connect_timeout}s")
            except (OSError, TimeoutError) as error:
                raise UserError(f"--scheduler {self.scheduler}: cannot connect to the Dask "
                                f"scheduler: {error}") from None
            return self
        with dask.config.set({"distributed.scheduler.allowed-failures": self.allowed_failures}):
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                        silence_logs=logging.CRITICAL)
        self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Close the client and the embedded cluster (idempotent)."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def describe(self):
        """One line: where the tasks run."""
        if self.serial:
            return "serially in this process"
        if self.cluster is not None:
            return f"a LocalCluster of {self.workers} worker processes on {self.cluster.scheduler_address}"
        info = self.client.scheduler_info()
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        return f"the Dask cluster at {self.scheduler} ({len(info.get('workers', {}))} workers, {threads} threads)"

    def worker_pids(self):
        """``{worker address: process id}`` of the cluster's workers (empty when serial)."""
        if self.serial:
            return {}
        return self.client.run(os.getpid)

    def capacity(self):
        """Tasks that can run at once (1 when serial)."""
        if self.serial:
            return 1
        info = self.client.scheduler_info()
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    # -- running ---------------------------------------------------------------------------

    def run(self, fn, items, *, keys, progress=None):
        """Yield an :class:`Outcome` per item, in the order the tasks finish.

        ``keys``: one distinct string per item (names the outcome). ``progress(done,
        running)`` is called whenever either count changes (``running``: tasks executing on
        a worker now).
        """
        items, keys = list(items), list(keys)
        if len(items) != len(keys) or len(set(keys)) != len(keys):
            raise ValueError("keys must be distinct, one per item")
        if self.serial:
            yield from self._run_serial(fn, items, keys, progress)
        else:
            yield from self._run_dask(fn, items, keys, progress)

    @staticmethod
    def _run_serial(fn, items, keys, progress):
        for done, (key, item) in enumerate(zip(keys, items)):
            if progress is not None:
                progress(done, 1)
            ok, value, seconds = _call(fn, item)
            yield Outcome(key, ok, value if ok else None, "" if ok else value, seconds)
        if progress is not None:
            progress(len(items), 0)

    def _run_dask(self, fn, items, keys, progress):
        from distributed import as_completed

        run_id = uuid.uuid4().hex[:8]
        dask_keys = [f"panther-{run_id}-{i}" for i in range(len(items))]
        futures = self.client.map(_call, [fn] * len(items), items, key=dask_keys, pure=False)
        by_key = dict(zip(dask_keys, keys))
        pending = as_completed(futures)
        done, shown = 0, None
        try:
            while not pending.is_empty():
                batch = pending.next_batch(block=False)
                for future in batch:
                    done += 1
                    yield self._outcome(by_key[future.key], future)
                    future.release()
                if progress is not None:
                    state = (done, self._running(len(items) - done))
                    if state != shown:
                        progress(*state)
                        shown = state
                if not batch:
                    time.sleep(_POLL_SECONDS)
        finally:
            for future in futures:
                if not future.done():
                    future.cancel()

    @staticmethod
    def _outcome(key, future):
        try:
            ok, value, seconds = future.result()
        except Exception as error:          # noqa: BLE001 - KilledWorker, a lost connection ...
            name = type(error).__name__
            why = ("its worker died each time it ran it" if name == "KilledWorker"
                   else " ".join(str(error).split()))
            return Outcome(key, False, None, f"{name}: {why}", 0.0)
        return Outcome(key, ok, value if ok else None, "" if ok else value, seconds)

    def _running(self, remaining):
        """Tasks executing now: those the scheduler has handed to a worker, capped by threads."""
        try:
            processing = self.client.processing()
            info = self.client.scheduler_info()["workers"]
        except Exception:                   # noqa: BLE001 - progress only; never fail a sweep
            return min(remaining, 1)
        running = sum(min(len(tasks), info.get(worker, {}).get("nthreads", 1))
                      for worker, tasks in processing.items())
        return min(running, remaining)


def add_engine_arguments(parser, *, workers_help=None):
    """``--workers N`` and ``--scheduler ADDRESS`` (see :func:`engine_from_args`)."""
    parser.add_argument("--workers", default=None, metavar="N",
                        help=workers_help or "worker processes of the embedded Dask LocalCluster "
                             "(default: one per core); 0 runs everything in this process, serially")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="run on an existing Dask cluster instead of the embedded one")


def engine_from_args(args, *, option="--workers"):
    """An :class:`Engine` from ``args.workers`` / ``args.scheduler`` (not entered yet)."""
    workers = getattr(args, "workers", None)
    if workers is not None:
        try:
            workers = int(str(workers).strip(), 10)
        except ValueError:
            workers = -1
        if workers < 0:
            raise UserError(f"{option}: expected a non-negative integer, not {args.workers!r}")
    scheduler = getattr(args, "scheduler", None)
    if scheduler is not None and workers is not None:
        raise UserError(f"{option} and --scheduler exclude each other (the cluster has its own workers)")
    return Engine(scheduler=scheduler, workers=workers)
