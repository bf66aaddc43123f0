"""Task functions and a test metric for the engine and sweep tests (importable by the Dask
workers, which unpickle them by reference)."""

import os
import time

from panther.apps.explore.metrics import Column, Metric, Option, register_metric


def square(x):
    return x * x


def square_slowly(x):
    time.sleep(0.25)
    return x * x


def fail_on_three(x):
    if x == 3:
        raise ValueError(f"three is not allowed ({x})")
    return x


def die(x):
    os._exit(17)            # the worker process dies, as on a crash or an out-of-memory kill


def _columns(options):
    return (Column("weight_count", "", "min", "cores * MCUs * cells of the tile"),
            Column("noise_sum", "", "max", "sum of the noise fields"))


def _share(point, options):
    return {"config": point.config.to_dict()}


def _compute(point, options):
    """Figures any reader can recompute from the configuration alone, after a pause."""
    time.sleep(options["sleep_ms"] / 1000)
    c = point.config
    noise = c.noise
    return {"weight_count": c.cores_per_tile * c.mcus_per_core * c.xbar_size ** 2,
            "noise_sum": noise.read_noise + noise.program_noise}


SLOW = register_metric(Metric(
    name="test_slow", doc="test metric", columns=_columns, compute=_compute, share=_share,
    options=(Option("sleep_ms", 200, "int", "pause per computation", minimum=0),)))
