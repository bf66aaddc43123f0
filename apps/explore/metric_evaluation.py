"""Metric ``evaluation``: energy and time per step from ``panther evaluate``, with the baselines.

The point's model is evaluated by :func:`apps.evaluation.evaluate` (``docs/evaluation.md``):
each layer compiled as its own kernel, run on the golden model (the count model beyond the
batches that fit the tile), priced for PANTHER and the baselines of §6.3, and timed by the
overlap-aware timing model over the recorded run. The batch is the model's, the variant the
configuration's, the CRS period the model's. Event counts do not depend on the device
non-idealities, so points that differ only in ``noise.*`` share one computation.
"""

from __future__ import annotations

from panther.config import NoiseConfig

from .metrics import Column, Metric, register_metric
from .points import model_fingerprint

__all__ = ["EVALUATION"]

_BASELINES = ("base_digital", "base_mvm")


def _columns(options):
    columns = [
        Column("eval_energy_pj", "pJ", "min",
               "PANTHER energy of one kernel invocation (all layers, CRS spread over its period)"),
        Column("eval_time_ns", "ns", "min",
               "PANTHER time of one kernel invocation (layers one after the other; overlap-aware)"),
    ]
    for baseline in _BASELINES:
        columns.append(Column(f"{baseline}_energy_ratio", "", "max",
                              f"{baseline} energy / PANTHER energy, same workload"))
        columns.append(Column(f"{baseline}_time_ratio", "", None,
                              f"{baseline} time / PANTHER time, same workload"))
    return tuple(columns)


def _share(point, options):
    config = point.config.to_dict()
    config.pop("noise")
    config.pop("analog_latency")        # the co-simulation's answer only
    return {"config": config, "model": model_fingerprint(point.model)}


def _compute(point, options):
    from panther.apps.evaluation import evaluate

    config = point.config.replace(noise=NoiseConfig())
    result = evaluate(point.model, config, batch=point.model.train.batch, variant=config.variant,
                      crs_period=point.model.train.crs_period)
    ours = {"energy": result.total("panther", "energy_pj"),
            "time": result.total("panther", "time_ns")}
    values = {"eval_energy_pj": ours["energy"], "eval_time_ns": ours["time"]}
    for baseline in _BASELINES:
        for what, unit in (("energy", "pj"), ("time", "ns")):
            theirs = result.total(baseline, f"{what}_{unit}")
            values[f"{baseline}_{what}_ratio"] = None if theirs is None else theirs / ours[what]
    return values


EVALUATION = register_metric(Metric(
    name="evaluation", doc=__doc__.splitlines()[0], columns=_columns, compute=_compute,
    share=_share))
