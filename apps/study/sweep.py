"""The Fig. 9 and Fig. 10 sweeps: which runs, running them, and writing their results.

Fig. 9 (paper §7.1): uniform 3, 4, 5 and 6 bits per slice x a CRS every 64, 256, 1024 and
4096 steps; the fraction of saturated cells of a low and a high slice over training, and the
training accuracy over steps. Fig. 10 (paper §7.2): heterogeneous slice configurations, all
with a CRS every 1024 steps; final training accuracy against MVM+MTVM energy. A float run (the
baseline) and a fixed-point run with exact digital updates (no slicing) complete the picture.

Low and high slice. Updates ``x_i * v_j`` of the first layer (which holds 86% of the cells)
multiply an input pixel (a multiple of 1/16: bits 8..12 of a Q4.12 word) by ``v = -lr * e``
(a few LSBs to a few hundred), so they land in slices 2..4 of the Q8.24 weight: slice 2 is the
lowest slice that receives them (the paper's "lower order slice", its slice 0) and slice 4 a
higher order one. Fractions are over every cell of every layer.
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass, replace

import numpy as np

from panther.compiler.datasets import load_dataset

from .slicing_energy import mvm_mtvm_energy_pj, slice_adc_bits
from .trainer import RunResult, RunSpec, train

__all__ = ["SweepPlan", "plan_sweep", "run_sweep", "crs_is_noop", "write_results", "LOW_SLICE", "HIGH_SLICE",
           "load_results", "FIG9_BITS", "FIG9_CRS", "FIG10_CONFIGS", "FIG10_QUICK", "FIG10_CRS", "final_accuracy"]

#: Slices (LSB first) plotted as the low and the high order slice of Fig. 9 (see module doc).
LOW_SLICE = 2
HIGH_SLICE = 4
#: Uniform bits per slice and CRS periods of Fig. 9 (paper §7.1).
FIG9_BITS = (3, 4, 5, 6)
FIG9_CRS = (64, 256, 1024, 4096)
#: Slice configurations of Fig. 10 (MSB slice first), all run with a CRS every FIG10_CRS steps.
FIG10_CONFIGS = ("33333333", "33344444", "44444444", "44455555", "34455555", "44466555",
                 "44466666", "55555555", "55566666", "66666666")
#: The subset of FIG10_CONFIGS run by the quick sweep (with the uniform ones of Fig. 9).
FIG10_QUICK = ("33333333", "33344444", "44444444", "34455555", "44466555", "55555555",
               "55566666", "66666666")
FIG10_CRS = 1024
#: Evaluations averaged for a run's final accuracy (batch-1 SGD is noisy from one to the next).
FINAL_EVALS = 3


def final_accuracy(result, *, which="train"):
    """Mean accuracy over the last :data:`FINAL_EVALS` evaluations of a run."""
    values = result.train_acc if which == "train" else result.test_acc
    return float(np.mean(values[-FINAL_EVALS:]))


@dataclass(frozen=True)
class SweepPlan:
    """The runs of a sweep.

    Members
    -------
    runs : tuple of RunSpec
        Every run, baselines first; a (slice_bits, crs) pair appears once; every run has
        the same ``opa_model``.
    quick : bool
    seed : int
    """

    runs: tuple
    quick: bool
    seed: int

    @property
    def opa_model(self):
        """The OPA model of the sliced runs (``"streamed"`` or ``"functional"``)."""
        return self.runs[0].opa_model

    @property
    def total_steps(self):
        return sum(spec.steps for spec in self.runs)


def _bits(label):
    return tuple(int(c) for c in label)


def plan_sweep(*, quick=False, seed=0, steps=None, lr=0.05, hidden=(31,), opa_model="streamed"):
    """The runs of Fig. 9 and Fig. 10.

    ``quick``: 4096 training steps per run (under 3 epochs; the 4096-step CRS period is then
    "no CRS before the end") and fewer Fig. 10 configurations, else 16384 steps (11 epochs,
    four CRSs at 4096). ``steps`` overrides both. ``opa_model`` (``"streamed"``, the
    hardware, or ``"functional"``, the paper's functional simulator) is the OPA of every
    sliced run.
    """
    if steps is None:
        steps = 4096 if quick else 16384
    base = RunSpec(name="float", mode="float", steps=steps, lr=lr, hidden=hidden, seed=seed,
                   opa_model=opa_model, eval_every=256 if quick else 512, sample_every=32 if quick else 64)
    runs = [base, replace(base, name="fixed", mode="fixed")]
    seen = set()

    def add(bits, crs):
        if (bits, crs) not in seen:
            seen.add((bits, crs))
            runs.append(replace(base, name=f"{''.join(map(str, bits))}@{crs}", mode="sliced",
                                slice_bits=bits, crs_every=crs))

    for b in FIG9_BITS:
        for crs in FIG9_CRS:
            add((b,) * 8, crs)
    for label in (FIG10_QUICK if quick else FIG10_CONFIGS):
        add(_bits(label), FIG10_CRS)
    return SweepPlan(tuple(runs), quick, seed)


def _run_one(item):
    """Engine task: one run, ``(spec, config, data seed)``."""
    spec, config, data_seed = item
    return train(spec, load_dataset(seed=data_seed), config)


def crs_is_noop(spec, config):
    """True when a CRS cannot change this run: no slice has spare bits (every ``b_k <=
    nominal_bits``, so any in-range digit vector is already canonical) and the analog models
    are ideal (a CRS then reads and rewrites the same digits)."""
    return (spec.mode == "sliced" and config.noise.ideal
            and all(b <= config.nominal_bits for b in spec.slice_bits))


def _share_key(spec, config):
    return replace(spec, name="", crs_every=0) if crs_is_noop(spec, config) else None


def run_sweep(plan, config, *, engine=None, progress=None):
    """Run every spec of ``plan``; returns the results in plan order.

    Runs that differ only in a CRS period that cannot matter (:func:`crs_is_noop`: 3- and
    4-bit uniform slicing, ideal models) are trained once and the result is reported for each
    period (with its own spec; ``RunResult.shared_with`` names the run trained).
    ``engine``: an entered :class:`apps.explore.engine.Engine` (each run one task on Dask);
    None or a serial engine runs here, one after the other. ``progress(n)`` is called with
    steps done (per few steps when serial, per finished run otherwise). A run that fails
    raises ``RuntimeError`` naming it and its error.
    """
    unique, first = [], {}
    for i, spec in enumerate(plan.runs):
        key = _share_key(spec, config)
        if key is None or key not in first:
            if key is not None:
                first[key] = i
            unique.append(i)
    trained = {}
    if engine is None or engine.serial:
        data = load_dataset(seed=plan.seed)
        for i in unique:
            trained[i] = train(plan.runs[i], data, config, progress=progress)
    else:
        items = [(plan.runs[i], config, plan.seed) for i in unique]
        for outcome in engine.run(_run_one, items, keys=[str(i) for i in unique]):
            i = int(outcome.key)
            if not outcome.ok:
                raise RuntimeError(f"run {plan.runs[i].name} failed: {outcome.error}")
            trained[i] = outcome.value
            if progress is not None:
                progress(plan.runs[i].steps)
    results = []
    for i, spec in enumerate(plan.runs):
        if i in trained:
            results.append(trained[i])
            continue
        source = trained[first[_share_key(spec, config)]]
        results.append(replace(source, spec=spec, shared_with=source.spec.name))
        if progress is not None:
            progress(spec.steps)
    return results


def _energy_rows(results, energy_config):
    rows = []
    for r in results:
        if r.spec.mode != "sliced":
            continue
        rows.append({
            "run": r.spec.name,
            "slice_bits": r.spec.slice_label,
            "crs_every": r.spec.crs_every,
            "total_bits": sum(r.spec.slice_bits),
            "adc_bits": "".join(f"{b}," for b in slice_adc_bits(energy_config, r.spec.slice_bits)).rstrip(","),
            "mvm_mtvm_energy_pj": round(mvm_mtvm_energy_pj(energy_config, r.spec.slice_bits), 3),
            "final_train_acc": round(final_accuracy(r), 4),
            "final_test_acc": round(final_accuracy(r, which="test"), 4),
        })
    return rows


def write_results(plan, results, out_dir, *, energy_config, seconds):
    """Write ``runs.csv``, ``accuracy.csv``, ``saturation.csv``, ``fig10.csv`` and
    ``results.json`` into ``out_dir``; returns the summary dict (also in the JSON). A value
    that does not apply to a run (the slicing of the float baseline, say) is ``null`` in the
    JSON and an empty field in the CSV."""
    os.makedirs(out_dir, exist_ok=True)
    baseline = next(r for r in results if r.spec.mode == "float")
    run_rows = []
    for r in results:
        row = {
            "run": r.spec.name, "mode": r.spec.mode,
            "slice_bits": r.spec.slice_label if r.spec.slice_bits else None,
            "crs_every": r.spec.crs_every if r.spec.mode == "sliced" else None,
            "opa_model": r.spec.opa_model if r.spec.mode == "sliced" else None,
            "steps": r.spec.steps, "lr": r.spec.lr, "seed": r.spec.seed,
            "final_train_acc": round(final_accuracy(r), 4),
            "final_test_acc": round(final_accuracy(r, which="test"), 4),
            "gap_to_float_pp": round(100 * (final_accuracy(baseline) - final_accuracy(r)), 2),
            "low_slice_sat": round(r.mean_saturation(LOW_SLICE), 4) if r.saturation else None,
            "high_slice_sat": round(r.mean_saturation(HIGH_SLICE), 4) if r.saturation else None,
            "clipped_updates": sum(r.clipped_updates) if r.clipped_updates else None,
            "overflow_steps": r.overflow_steps,
            "shared_with": r.shared_with,
            "seconds": round(r.seconds, 2),
        }
        run_rows.append(row)
    _write_csv(os.path.join(out_dir, "runs.csv"), run_rows)
    _write_csv(os.path.join(out_dir, "accuracy.csv"), [
        {"run": r.spec.name, "step": s, "train_acc": a, "test_acc": b}
        for r in results for s, a, b in zip(r.eval_steps, r.train_acc, r.test_acc)])
    _write_csv(os.path.join(out_dir, "saturation.csv"), [
        {"run": r.spec.name, "step": s, **{f"slice{k}": round(f, 5) for k, f in enumerate(fr)}}
        for r in results for s, fr in zip(r.sample_steps, r.saturation)])
    energy_rows = _energy_rows(results, energy_config)
    _write_csv(os.path.join(out_dir, "fig10.csv"),
               [row for row in energy_rows if row["crs_every"] == FIG10_CRS])
    summary = {
        "quick": plan.quick, "seed": plan.seed, "seconds": round(seconds, 1),
        "opa_model": plan.opa_model,
        "update_stats": next((r.update_stats for r in results if r.spec.mode == "fixed"), []),
        "low_slice": LOW_SLICE, "high_slice": HIGH_SLICE, "final_evals_averaged": FINAL_EVALS,
        "energy_config": {"xbar_size": energy_config.xbar_size, "input_steps": energy_config.input_steps},
        "runs": run_rows, "energy": energy_rows,
        "histories": [r.to_dict() for r in results],
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def load_results(out_dir):
    """The :class:`RunResult` list saved in ``out_dir/results.json`` by :func:`write_results`."""
    with open(os.path.join(out_dir, "results.json")) as f:
        summary = json.load(f)
    return [RunResult.from_dict(h) for h in summary["histories"]]


def _write_csv(path, rows):
    with open(path, "w", newline="") as f:
        if not rows:
            return
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
