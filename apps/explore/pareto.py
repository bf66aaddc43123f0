"""Pareto fronts of a sweep's table and their plots.

For a pair of objective columns ``(x, y)`` (each to minimise or maximise, from the metric's
:class:`apps.explore.metrics.Column`), a row is on the front when no other row is at least as
good on both and better on one. Rows that did not measure both (failed, invalid, or a metric
that left the cell empty) take no part.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

__all__ = ["pareto_front", "fronts", "plot_front", "plot_axis"]


def _usable(row, x, y):
    return (row.get("status") == "ok" and isinstance(row.get(x), (int, float))
            and isinstance(row.get(y), (int, float)) and not isinstance(row.get(x), bool)
            and not isinstance(row.get(y), bool)
            and math.isfinite(row[x]) and math.isfinite(row[y]))


def pareto_front(rows, x, y, goals):
    """Rows on the front of ``(x, y)``, in increasing ``x``; ``goals``: ``{column: 'min'|'max'}``.

    Rows equal on both coordinates are all on the front or all off it.
    """
    sx = 1.0 if goals[x] == "min" else -1.0
    sy = 1.0 if goals[y] == "min" else -1.0
    points = sorted(((sx * r[x], sy * r[y], i) for i, r in enumerate(rows) if _usable(r, x, y)))
    front, best = [], math.inf
    for _, group in itertools.groupby(points, key=lambda p: p[0]):
        group = list(group)
        low = group[0][1]
        if low < best:
            front += [rows[i] for _, v, i in group if v == low]
            best = low
    return sorted(front, key=lambda r: r[x])


def fronts(rows, pairs, goals):
    """``{"x vs y": {"x": x, "y": y, "points": [point index, ...]}}`` for every pair."""
    out = {}
    for x, y in pairs:
        front = pareto_front(rows, x, y, goals)
        out[f"{x} vs {y}"] = {"x": x, "y": y, "goal_x": goals[x], "goal_y": goals[y],
                              "points": [r["point"] for r in front]}
    return out


def _axis_label(column, units):
    unit = units.get(column, "")
    return f"{column} ({unit})" if unit else column


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_front(rows, x, y, goals, units, labels, path, *, title):
    """Scatter of every usable row, the front highlighted and labelled; a PNG at ``path``."""
    plt = _pyplot()
    usable = [r for r in rows if _usable(r, x, y)]
    front = pareto_front(rows, x, y, goals)
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    ax.scatter([r[x] for r in usable], [r[y] for r in usable], s=18, color="0.6",
               label=f"design points ({len(usable)})")
    ax.plot([r[x] for r in front], [r[y] for r in front], "o-", color="tab:red", ms=6, lw=1.2,
            label=f"Pareto front ({len(front)})")
    for r in front[:25]:
        ax.annotate(labels.get(r["point"], ""), (r[x], r[y]), fontsize=7, xytext=(4, 4),
                    textcoords="offset points")
    ax.set_xlabel(_axis_label(x, units) + (" - lower is better" if goals[x] == "min" else " - higher is better"))
    ax.set_ylabel(_axis_label(y, units) + (" - lower is better" if goals[y] == "min" else " - higher is better"))
    ax.set_title(title, fontsize=10)
    ax.margins(x=0.15, y=0.1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_axis(rows, field, columns, units, path, *, title):
    """Each objective column against one varied (numeric) field, one panel per column."""
    plt = _pyplot()
    columns = [c for c in columns if any(_usable(r, field, c) for r in rows)]
    if not columns:
        return False
    fig, axes = plt.subplots(1, len(columns), figsize=(4.2 * len(columns), 3.6), squeeze=False)
    for ax, column in zip(axes[0], columns):
        usable = sorted((r for r in rows if _usable(r, field, column)), key=lambda r: r[field])
        ax.plot([r[field] for r in usable], [r[column] for r in usable], "o-")
        ax.set_xlabel(field)
        ax.set_ylabel(_axis_label(column, units))
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
