"""PNG figures of the sweep (matplotlib, Agg backend): Fig. 9 and Fig. 10 of the paper.

Each figure's title carries the trend the paper reports, so that a reader can compare.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .slicing_energy import mvm_mtvm_energy_pj  # noqa: E402
from .sweep import FIG9_BITS, FIG9_CRS, FIG10_CRS, HIGH_SLICE, LOW_SLICE, final_accuracy  # noqa: E402

__all__ = ["plot_fig9", "plot_fig10", "PAPER_FIG9", "PAPER_FIG10"]

PAPER_FIG9 = ("paper: 3-bit slices saturate (low slice most) and fail whatever the CRS period; "
              "4 bits need frequent CRS;\n5-6 bits saturate little even at CRS/1024-4096 and train; "
              "the high slice saturates far less than the low one")
PAPER_FIG10 = ("paper: more bits -> better accuracy but wider ADCs -> more MVM/MTVM energy; any 3-bit slice "
               "degrades accuracy;\n>=5 bits on slices 0-3 and >=4 on slices 4-7 keep accuracy "
               "(44466555 trains like software, not Pareto-optimal)")


def _by_name(results):
    return {r.spec.name: r for r in results}


def plot_fig9(results, path):
    """4 x 3 grid: per uniform slice width, low-slice and high-slice saturated fractions and
    training accuracy over steps, one line per CRS period; the float run as a dashed line."""
    runs = _by_name(results)
    baseline = runs.get("float")
    fig, axes = plt.subplots(len(FIG9_BITS), 3, figsize=(15, 3.1 * len(FIG9_BITS)), sharex=True, squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, bits in enumerate(FIG9_BITS):
        for c, crs in enumerate(FIG9_CRS):
            r = runs.get(f"{str(bits) * 8}@{crs}")
            if r is None:
                continue
            label = f"CRS every {crs}"
            for col, k in ((0, LOW_SLICE), (1, HIGH_SLICE)):
                axes[row, col].plot(r.sample_steps, [100 * s[k] for s in r.saturation],
                                    color=colors[c], lw=1, label=label)
            axes[row, 2].plot(r.eval_steps, [100 * a for a in r.train_acc], color=colors[c], lw=1.2, label=label)
        if baseline is not None:
            axes[row, 2].plot(baseline.eval_steps, [100 * a for a in baseline.train_acc],
                              "k--", lw=1, label="float baseline")
        axes[row, 0].set_ylabel(f"{bits} bits/slice\n% saturated cells")
        axes[row, 2].set_ylabel("training accuracy %")
        axes[row, 2].set_ylim(0, 100)
        for col in (0, 1):
            axes[row, col].set_ylim(0, 100)
    axes[0, 0].set_title(f"low-order slice (slice {LOW_SLICE})")
    axes[0, 1].set_title(f"high-order slice (slice {HIGH_SLICE})")
    axes[0, 2].set_title("training accuracy (whole training set)")
    axes[0, 2].legend(fontsize=7, loc="lower right")
    for ax in axes[-1]:
        ax.set_xlabel("training step (examples, batch 1)")
    fig.suptitle("Fig. 9 reproduction: uniform slice bits x CRS period (8x8 digits MLP)\n" + PAPER_FIG9, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_fig10(results, path, *, energy_config):
    """Final training accuracy against MVM+MTVM energy per slice configuration (CRS period
    ``FIG10_CRS``), with the float and fixed-point accuracies as horizontal lines."""
    runs = [r for r in results if r.spec.mode == "sliced" and r.spec.crs_every == FIG10_CRS]
    fig, ax = plt.subplots(figsize=(9, 6))
    for r in runs:
        energy = mvm_mtvm_energy_pj(energy_config, r.spec.slice_bits) / 1000.0
        accuracy = 100 * final_accuracy(r)
        has3 = 3 in r.spec.slice_bits
        marker, color = ("x", "tab:red") if has3 else (("*", "tab:green") if r.spec.slice_label == "44466555"
                                                       else ("o", "tab:blue"))
        ax.scatter([energy], [accuracy], marker=marker, color=color, s=80 if marker == "*" else 40)
        ax.annotate(r.spec.slice_label, (energy, accuracy), textcoords="offset points", xytext=(4, 4), fontsize=8)
    for r, style in ((next((r for r in results if r.spec.mode == "float"), None), "k--"),
                     (next((r for r in results if r.spec.mode == "fixed"), None), "k:")):
        if r is not None:
            ax.axhline(100 * final_accuracy(r), linestyle=style[1:], color="k", lw=1,
                       label=f"{r.spec.mode} training ({100 * final_accuracy(r):.1f}%)")
    ax.set_xlabel(f"MVM + MTVM energy per {energy_config.xbar_size}x{energy_config.xbar_size} crossbar set (nJ)")
    ax.set_ylabel(f"final training accuracy % (CRS every {FIG10_CRS} steps)")
    ax.set_ylim(0, 102)
    ax.legend(loc="center right", fontsize=8)
    ax.set_title("Fig. 10 reproduction: heterogeneous slicing, accuracy vs energy (red x: has a 3-bit slice)\n"
                 + PAPER_FIG10, fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
