"""The Dask engine: same outcomes as a serial run, task errors reported, a killed worker's task
run again (never lost, never twice), a task that keeps killing its worker reported failed."""

import os
import signal
import threading

import pytest
from explore_tasks import die, fail_on_three, square, square_slowly

from panther.apps.explore.engine import Engine
from panther.errors import UserError


@pytest.fixture(scope="module")
def cluster():
    with Engine(workers=2, allowed_failures=1) as engine:
        yield engine


def _results(outcomes):
    return {o.key: (o.ok, o.value, o.error) for o in outcomes}


def test_local_cluster_gives_the_serial_outcomes(cluster):
    keys = [f"k{i}" for i in range(20)]
    with Engine(workers=0) as serial:
        expected = _results(serial.run(square, range(20), keys=keys))
    assert expected == {f"k{i}": (True, i * i, "") for i in range(20)}
    assert _results(cluster.run(square, range(20), keys=keys)) == expected
    assert "LocalCluster of 2 worker processes on tcp://127.0.0.1:" in cluster.describe()


def test_a_task_error_is_an_outcome_and_the_others_complete(cluster):
    outcomes = _results(cluster.run(fail_on_three, range(6), keys=list("abcdef")))
    assert outcomes["d"][0] is False
    assert outcomes["d"][2].startswith("ValueError: three is not allowed (3) (explore_tasks.py:")
    assert {k: v for k, v in outcomes.items() if k != "d"} == {
        k: (True, i, "") for i, k in enumerate("abcdef") if k != "d"}


def test_progress_reports_done_and_running(cluster):
    seen = []
    list(cluster.run(square_slowly, range(10), keys=list("abcdefghij"),
                     progress=lambda done, running: seen.append((done, running))))
    assert seen[-1] == (10, 0)
    assert max(running for _, running in seen) == 2          # both workers busy at some point
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_killing_a_worker_loses_and_duplicates_nothing(cluster):
    pids = list(cluster.worker_pids().values())
    assert len(pids) == 2 and os.getpid() not in pids
    n = 16
    outcomes = []
    killed = threading.Event()

    def progress(done, running):
        if done >= 2 and not killed.is_set():
            killed.set()
            os.kill(pids[0], signal.SIGKILL)

    for outcome in cluster.run(square_slowly, range(n), keys=[f"p{i}" for i in range(n)],
                               progress=progress):
        outcomes.append(outcome)
    assert killed.is_set()
    assert sorted(o.key for o in outcomes) == sorted(f"p{i}" for i in range(n))
    assert all(o.ok and o.value == int(o.key[1:]) ** 2 for o in outcomes)
    cluster.client.wait_for_workers(2, timeout=60)          # the nanny restarted it
    assert pids[0] not in cluster.worker_pids().values()


def test_a_task_that_kills_its_worker_is_reported_failed(cluster):
    cluster.client.wait_for_workers(2, timeout=60)
    outcomes = _results(cluster.run(die, [0], keys=["doomed"]))
    ok, value, error = outcomes["doomed"]
    assert not ok and error.startswith("KilledWorker: its worker died each time it ran it")
    cluster.client.wait_for_workers(2, timeout=60)
    assert _results(cluster.run(square, [3], keys=["after"])) == {"after": (True, 9, "")}


def test_engine_arguments_are_checked():
    with pytest.raises(UserError, match="expected an address such as tcp://HOST:PORT"):
        Engine(scheduler="localhost:8786")
    with pytest.raises(UserError, match="not both"):
        Engine(scheduler="tcp://127.0.0.1:1", workers=2)
    with pytest.raises(UserError, match="cannot connect to the Dask scheduler"):
        with Engine(scheduler="tcp://127.0.0.1:9", connect_timeout=1):
            pass
