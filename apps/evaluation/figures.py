"""The figures of the paper's evaluation (Figs. 1, 11-14) from our models, as data and PNGs.

* :func:`primitives` (Fig. 1): energy and latency of one 128x128 (``xbar_size``) matrix
  operation in ReRAM and in CMOS: MVM, reading and writing the whole matrix, OPA.
* :func:`storage` (Fig. 14, left): storage density of variants 2 and 3 at a batch: weight
  bytes over the area of the crossbars (every copy) and of the shared memory that holds the
  saved OPA operands (variants 1-2: two ``xbar_size`` vectors per OPA of the batch and a park
  slot per MCU, counted from the kernel's OPAs).
* :func:`figure_set` evaluates the workloads for Figs. 11-14; :func:`plot_figures` writes
  ``fig1.png``, ``fig11.png`` ... ``fig14.png``.
"""

from __future__ import annotations

import os

from panther.analog_models import baselines
from panther.analog_models.energy import EnergyModel

from .architectures import base_mvm_config, opa_energy_pj, read_energy_pj
from .evaluate import BASELINES, LABELS, evaluate
from .latency import opa_phase_ns, read_phase_ns
from .workloads import pieces

__all__ = ["primitives", "storage", "figure_set", "plot_figures", "plot_layers", "FIG13_BATCHES",
           "FIG14_BATCHES", "PAPER"]

#: Batch sizes of Fig. 13 and Fig. 14.
FIG13_BATCHES = (1, 64, 1024)
FIG14_BATCHES = (1, 4, 16, 64, 256, 1024)

#: What the paper reports, printed on each figure.
PAPER = {
    "fig1": "paper: ReRAM MVM ~10.4x less energy and ~8.9x lower latency than CMOS; reading and "
            "writing a matrix costlier in ReRAM (writes by an order of magnitude)",
    "fig11": "paper (SGD, variant 1): 7.01-8.02x less energy than Base_digital; 31-54x less than "
             "Base_mvm on FC layers, 1.47-31.56x on conv layers",
    "fig12": "paper (batch 64, variant 2): 1.61-2.16x less than Base_mvm on FC layers; conv layers "
             "1.18-1.63x (Base_mvm), 1.22-2.45x (Base_opa/mvm)",
    "fig13": "paper: faster than Base_digital everywhere; faster than Base_mvm at every batch, "
             "by more at large batches",
    "fig14": "paper: variant 2 denser and more efficient at small batches; variant 3 denser at "
             "very large batches at comparable energy",
}


def primitives(config):
    """Fig. 1: ``{operation: {'reram': (pJ, ns), 'cmos': (pJ, ns)}}`` for one
    ``xbar_size`` x ``xbar_size`` matrix of 32-bit weights (PANTHER's slicing for ReRAM)."""
    base = base_mvm_config(config)
    lat = EnergyModel(config).latency_ns
    model = EnergyModel(config)
    rows = config.n_slices * config.xbar_size
    words = config.xbar_size ** 2 * config.weight_bits // config.data_bits
    sram_ns = words / baselines.SRAM_PORT_WORDS * 1000.0 / config.clock_mhz
    return {
        "MVM": {"reram": (read_energy_pj(config, 1), read_phase_ns(config)),
                "cmos": (baselines.CMOS_MVM_ENERGY_RATIO * read_energy_pj(base, 1),
                         baselines.CMOS_MVM_LATENCY_RATIO * read_phase_ns(base))},
        "read matrix": {"reram": (rows * model.energy_pj["serial_read_row"],
                                  config.xbar_size * lat["serial_read_row"]),
                        "cmos": (words * baselines.SRAM_WORD_PJ, sram_ns)},
        "write matrix": {"reram": (rows * model.energy_pj["serial_write_row"],
                                   config.xbar_size * lat["serial_write_row"]),
                         "cmos": (words * baselines.SRAM_WORD_PJ, sram_ns)},
        "OPA": {"reram": (opa_energy_pj(config, 1), opa_phase_ns(config)),
                "cmos": (baselines.CMOS_OPA_ENERGY_RATIO * opa_energy_pj(base, 1),
                         baselines.CMOS_OPA_LATENCY_RATIO * opa_phase_ns(base))},
    }


def storage(evaluator, layer, *, batch, variant):
    """Fig. 14: storage density (MB of weights per mm^2) of ``layer`` on ``variant``."""
    config = evaluator.config.replace(variant=variant)
    cell_area = baselines.XBAR_AREA_MM2 * (config.xbar_size / 128) ** 2
    area = 0.0
    for piece in pieces(layer, config):
        events = evaluator.point(layer, piece, variant, batch)["events"]
        mcus = len([m for m in events["mcu"] if m["opa"]])
        area += piece.count * mcus * config.n_slices * config.xbar_copies * cell_area
        if variant != 3:
            words = (events["mcu_totals"]["opa"] + mcus) * config.opa_slot_words
            area += piece.count * words * config.data_bits / 8 * baselines.EDRAM_AREA_MM2_PER_BYTE
    weight_mb = layer.n_in * layer.n_out * config.weight_bits / 8 / 2 ** 20
    return weight_mb / area


def figure_set(evaluator, workloads, *, crs_period=1024):
    """The data of Figs. 1 and 11-14 for ``workloads`` (``{name: (layers, missing)}``)."""
    data = {"fig1": primitives(evaluator.config), "workloads": {}}
    for name, (layers, missing) in workloads.items():
        def run(batch, variant, layers=layers, name=name, missing=missing):
            return evaluate(layers, evaluator.config, batch=batch, variant=variant,
                            crs_period=crs_period, workload=name, missing=missing,
                            evaluator=evaluator)

        entry = {"fig11": run(1, 1), "fig12": run(64, 2),
                 "fig13": {b: run(b, 2) for b in FIG13_BATCHES}, "fig14": {}}
        for variant in (2, 3):
            entry["fig14"][variant] = {
                b: {"energy_per_sample_pj": sum(l.archs["panther"].energy_pj for l in run(b, variant).layers) / b,
                    "density_mb_per_mm2": sum(storage(evaluator, l, batch=b, variant=variant)
                                              * l.n_in * l.n_out for l in layers)
                    / sum(l.n_in * l.n_out for l in layers)}
                for b in FIG14_BATCHES}
        data["workloads"][name] = entry
    return data


def _bars(ax, results, what, scale, title, unit):
    import numpy as np

    layers = results.layers
    archs = [a for a in ("panther",) + BASELINES
             if any(layer.archs[a] is not None for layer in layers)]
    width = 0.8 / len(archs)
    x = np.arange(len(layers))
    for i, arch in enumerate(archs):
        values = [getattr(layer.archs[arch], what) / scale if layer.archs[arch] else 0
                  for layer in layers]
        ax.bar(x + (i - (len(archs) - 1) / 2) * width, values, width, label=LABELS[arch])
    ax.set_xticks(x, [layer.name for layer in layers], rotation=90 if len(layers) > 6 else 0,
                  fontsize=7 if len(layers) > 6 else None)
    ax.set_yscale("log")
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _pyplot():
    import matplotlib  # only when plotting

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _saver(plt, out_dir, written):
    os.makedirs(out_dir, exist_ok=True)

    def save(fig, name, note):
        fig.suptitle(note, fontsize=8)
        fig.tight_layout(rect=(0, 0, 1, 0.93))
        path = os.path.join(out_dir, name)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return save


def plot_layers(result, out_dir):
    """Energy and time bar charts of one :class:`EvaluationResult` (the style of Figs. 11-13):
    ``<workload>_b<batch>_v<variant>.png`` in ``out_dir``."""
    plt = _pyplot()
    written = []
    save = _saver(plt, out_dir, written)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    label = f"{result.workload}, batch {result.batch}, variant {result.variant}"
    _bars(axes[0], result, "energy_pj", 1e6, f"energy: {label}", "energy per kernel invocation (uJ)")
    _bars(axes[1], result, "time_ns", 1e3, f"time: {label}", "time per kernel invocation (us)")
    save(fig, f"{result.workload}_b{result.batch}_v{result.variant}.png",
         "PANTHER and the baselines of §6.3, per layer (log scale)")
    return written


def plot_figures(data, out_dir):
    """Write fig1.png, fig11.png, fig12.png, fig13.png, fig14.png into ``out_dir``."""
    plt = _pyplot()
    written = []
    save = _saver(plt, out_dir, written)

    prim = data["fig1"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ops = list(prim)
    for ax, index, unit in ((axes[0], 0, "energy (nJ)"), (axes[1], 1, "latency (ns)")):
        scale = 1e3 if index == 0 else 1.0
        for k, tech in enumerate(("cmos", "reram")):
            ax.bar([i + (k - 0.5) * 0.4 for i in range(len(ops))],
                   [prim[op][tech][index] / scale for op in ops], 0.4,
                   label={"cmos": "CMOS", "reram": "ReRAM"}[tech])
        ax.set_xticks(range(len(ops)), ops)
        ax.set_yscale("log")
        ax.set_ylabel(unit)
        ax.legend(fontsize=8)
    axes[0].set_title("Fig. 1: CMOS and ReRAM primitives, one 128x128 matrix, 32-bit weights",
                      fontsize=9)
    save(fig, "fig1.png", PAPER["fig1"])

    names = list(data["workloads"])
    for fig_name, key, title in (("fig11.png", "fig11", "Fig. 11: SGD energy (batch 1, variant 1)"),
                                 ("fig12.png", "fig12", "Fig. 12: mini-batch energy (batch 64, variant 2)")):
        fig, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 4), squeeze=False)
        for ax, name in zip(axes[0], names):
            _bars(ax, data["workloads"][name][key], "energy_pj", 1e6, f"{title}: {name}",
                  "energy per kernel invocation (uJ)")
        save(fig, fig_name, PAPER[key])

    fig, axes = plt.subplots(len(names), len(FIG13_BATCHES),
                             figsize=(5 * len(FIG13_BATCHES), 3.8 * len(names)), squeeze=False)
    for row, name in enumerate(names):
        for col, batch in enumerate(FIG13_BATCHES):
            _bars(axes[row, col], data["workloads"][name]["fig13"][batch], "time_ns", 1e3,
                  f"Fig. 13: {name}, batch {batch} (variant 2)", "time per batch (us)")
    save(fig, "fig13.png", PAPER["fig13"])

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name in names:
        for variant, style in ((2, "-o"), (3, "--s")):
            points = data["workloads"][name]["fig14"][variant]
            batches = sorted(points)
            axes[0].plot(batches, [points[b]["density_mb_per_mm2"] for b in batches], style,
                         label=f"{name} variant {variant}")
            axes[1].plot(batches, [points[b]["energy_per_sample_pj"] / 1e6 for b in batches], style,
                         label=f"{name} variant {variant}")
    for ax, unit in ((axes[0], "storage density (MB of weights / mm^2)"),
                     (axes[1], "energy per sample (uJ)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("batch size")
        ax.set_ylabel(unit)
        ax.legend(fontsize=7)
    axes[0].set_title("Fig. 14: variant 2 vs variant 3, storage density", fontsize=9)
    axes[1].set_title("Fig. 14: variant 2 vs variant 3, energy", fontsize=9)
    save(fig, "fig14.png", PAPER["fig14"])
    return written
