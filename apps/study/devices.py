"""``panther study devices``: which device non-idealities training tolerates (Marinella 2017).

The digits network (``examples/models/digits_mlp.json``, its compiled kernel on the golden
model with the analog MCU models, ``compiler.train.train(mcu="analog")``) is trained once
ideal and once per value of each non-ideality, every other one switched off: programming
(write) and read noise, device-to-device and cycle-to-cycle update variation, update
nonlinearity and asymmetry, stuck-on and stuck-off cells, ADC resolution, ADC offset and
noise. The runs are the points of a ``panther explore`` sweep (``accuracy`` metric), so they
run on the same Dask engine, stream into a table and resume. The summary says, per parameter,
the largest value whose accuracy stays within :data:`TOLERANCE` of the ideal run, and the
first value beyond it. See ``docs/devices.md``.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Parameter", "PARAMETERS", "QUICK_VALUES", "TOLERANCE", "WORKLOAD", "device_sweep",
           "summarise", "plot_devices", "write_summary"]

#: A run "tolerates" a value when its accuracy is at most this far below the ideal run's.
TOLERANCE = 0.05
#: The digits network of the compiler (relative to the repository).
WORKLOAD = Path(__file__).resolve().parents[2] / "examples" / "models" / "digits_mlp.json"


@dataclass(frozen=True)
class Parameter:
    """A non-ideality swept on its own.

    Members
    -------
    field : str
        The sweep field (``noise.<name>`` or ``adc_bits``).
    values : tuple
        Values swept, from mild to harsh.
    unit : str
    log : bool
        Plot on a logarithmic axis.
    """

    field: str
    values: tuple
    unit: str
    log: bool = True


#: Every non-ideality of the study; values from mild to harsh. Units: cell levels (one level is
#: one digit of its slice), relative spreads, fractions of cells, ADC bits and ADC LSBs.
PARAMETERS = (
    Parameter("noise.program_noise", (0.02, 0.05, 0.1, 0.2, 0.4), "levels (std)"),
    Parameter("noise.read_noise", (0.02, 0.05, 0.1, 0.2, 0.4), "levels (std)"),
    Parameter("noise.d2d_update_variation", (0.1, 0.3, 0.6, 1.0), "relative (std)"),
    Parameter("noise.c2c_update_variation", (0.1, 0.3, 0.6, 1.0), "relative (std)"),
    Parameter("noise.update_nonlinearity", (0.25, 0.5, 1.0, 2.0), "soft-bounds strength"),
    Parameter("noise.update_asymmetry", (0.1, 0.3, 0.6, 1.0), "relative"),
    Parameter("noise.stuck_on_rate", (0.0001, 0.0003, 0.001, 0.003, 0.01), "fraction of cells"),
    Parameter("noise.stuck_off_rate", (0.0001, 0.0003, 0.001, 0.003, 0.01), "fraction of cells"),
    Parameter("adc_bits", (10, 9, 8, 7, 6), "bits (ideal: 11)", log=False),
    Parameter("noise.adc_offset", (0.1, 0.2, 0.3, 0.5, 1.0), "ADC LSB (std)"),
    Parameter("noise.adc_noise", (0.1, 0.2, 0.3, 0.5, 1.0), "ADC LSB (std)"),
)
#: Indices into each parameter's values kept by ``--quick``.
QUICK_VALUES = (0, 2, -1)


def device_sweep(*, quick=False, steps=None, workload=WORKLOAD):
    """The study as a :class:`apps.explore.sweep_file.Sweep`: point 0 is the ideal run."""
    from panther.apps.explore.sweep_file import sweep_from_dict

    points = [{}]
    for p in PARAMETERS:
        values = [p.values[i] for i in QUICK_VALUES] if quick else list(p.values)
        points += [{p.field: v} for v in dict.fromkeys(values)]
    steps = steps or (100 if quick else 200)
    data = {"name": "devices" + ("-quick" if quick else ""), "workload": str(workload),
            "points": points, "metrics": {"accuracy": {"steps": steps, "mcu": "analog"}},
            "pareto": []}
    return sweep_from_dict(data, source="panther study devices", base_dir=".")


def summarise(rows):
    """Per parameter: its runs and where it breaks. ``rows``: the sweep's table rows."""
    ideal = next(r for r in rows if not any(r.get(p.field) not in (None, "") for p in PARAMETERS))
    out = {"ideal_accuracy": ideal["accuracy"], "float_accuracy": ideal["float_accuracy"],
           "tolerance": TOLERANCE, "parameters": []}
    for p in PARAMETERS:
        runs = [r for r in rows if r.get(p.field) not in (None, "")]
        runs.sort(key=lambda r: p.values.index(r[p.field]) if r[p.field] in p.values else math.inf)
        ok = [r for r in runs if r["status"] == "ok" and r["accuracy"] is not None]
        tolerated, breaks = None, None
        for r in ok:
            if r["accuracy"] >= ideal["accuracy"] - TOLERANCE and breaks is None:
                tolerated = r[p.field]
            elif breaks is None:
                breaks = r[p.field]
        out["parameters"].append({
            "field": p.field, "unit": p.unit, "tolerated": tolerated, "breaks_at": breaks,
            "runs": [{"value": r[p.field], "accuracy": r["accuracy"],
                      "readout_accuracy": r["readout_accuracy"], "status": r["status"],
                      "error": r["error"]} for r in runs]})
    return out


def write_summary(summary, out_dir):
    """``devices.json`` and ``devices.csv`` (one line per run) in ``out_dir``."""
    from panther.apps.explore.store import atomic_write

    atomic_write(Path(out_dir) / "devices.json", json.dumps(summary, indent=1) + "\n")
    lines = [["parameter", "value", "unit", "accuracy", "readout_accuracy", "ideal_accuracy", "status"]]
    for p in summary["parameters"]:
        for r in p["runs"]:
            lines.append([p["field"], r["value"], p["unit"], r["accuracy"], r["readout_accuracy"],
                          summary["ideal_accuracy"], r["status"]])
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    atomic_write(Path(out_dir) / "devices.csv", buffer.getvalue())


def plot_devices(summary, path, *, steps):
    """One panel per parameter: accuracy against its value, the ideal and float runs as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = {p.field: p for p in PARAMETERS}
    entries = summary["parameters"]
    cols = 4
    rows = -(-len(entries) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.ravel()[len(entries):]:
        ax.axis("off")
    for ax, entry in zip(axes.ravel(), entries):
        runs = [r for r in entry["runs"] if r["status"] == "ok"]
        ax.plot([r["value"] for r in runs], [r["accuracy"] for r in runs], "o-", label="analog")
        ax.axhline(summary["ideal_accuracy"], color="k", ls="--", lw=0.9, label="ideal")
        ax.axhline(summary["float_accuracy"], color="tab:green", ls=":", lw=0.9, label="float64")
        ax.axhspan(summary["ideal_accuracy"] - summary["tolerance"], summary["ideal_accuracy"],
                   color="0.9", zorder=0)
        if params[entry["field"]].log:
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())     # no overlapping 2x10^-2 labels
        if entry["field"] == "adc_bits":
            ax.invert_xaxis()
        ax.set_ylim(0, 1)
        ax.set_title(entry["field"].removeprefix("noise."), fontsize=9)
        ax.set_xlabel(entry["unit"], fontsize=8)
        ax.set_ylabel("test accuracy", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"digits_mlp on the analog models, {steps} steps: accuracy against each "
                 f"non-ideality alone (grey band: within {100 * summary['tolerance']:.0f} pp of ideal)",
                 fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
