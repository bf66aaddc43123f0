"""Readable tables of an :class:`apps.evaluation.evaluate.EvaluationResult`."""

from __future__ import annotations

from .evaluate import BASELINES, LABELS

__all__ = ["format_result"]


def _config_line(config):
    adc = config["adc_bits"] or "ideal"
    slices = "".join(str(b) for b in config["slice_bits"])
    return (f"{config['xbar_size']}x{config['xbar_size']} crossbars, slices {slices}, ADC {adc} "
            f"bits, {config['mcus_per_core']} MCUs x {config['cores_per_tile']} cores per tile, "
            f"{config['clock_mhz']:g} MHz")


def _num(value, digits=4):
    return "n/a" if value is None else f"{value:.{digits}g}"


def _table(result, what, unit, scale):
    heads = ["layer", "shape"] + [LABELS[a] for a in ("panther",) + BASELINES] \
        + [f"x{LABELS[b].split('_', 1)[1]}" for b in BASELINES]
    rows = []
    for layer in result.layers:
        values = [layer.archs[a] for a in ("panther",) + BASELINES]
        cells = [_num(None if v is None or getattr(v, what) is None else getattr(v, what) / scale)
                 for v in values]
        ratios = [_num(layer.ratio(b, what), 3) for b in BASELINES]
        rows.append([layer.name, f"{layer.n_in}x{layer.n_out}"] + cells + ratios)
    widths = [max(len(str(r[i])) for r in rows + [heads]) for i in range(len(heads))]
    lines = [f"{what.split('_')[0]} per kernel invocation ({unit}); xName = Name / PANTHER"]
    lines.append("  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(heads, widths))))
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
    return lines


def format_result(result):
    """The result as text: a header, the energy and time tables, CRS shares and notes."""
    sources = sorted({layer.source for layer in result.layers})
    lines = [f"{result.workload}: PANTHER variant {result.variant}, batch {result.batch}, CRS every "
             f"{result.crs_period} invocations",
             f"  {_config_line(result.config)}",
             f"  counts from: {', '.join(sources)} (per-layer one-layer kernels; conv layers "
             "from the compiler's schedule, shape = filter rows x output channels; "
             "Base_opa/mvm applies to convolutional layers only)", ""]
    lines += _table(result, "energy_pj", "uJ", 1e6) + [""]
    lines += _table(result, "time_ns", "us", 1e3) + [""]
    lines.append("CRS share of PANTHER's energy / time: " + ", ".join(
        f"{layer.name} {100 * layer.crs['energy_fraction']:.2f}% / "
        f"{100 * layer.crs['time_fraction']:.2f}%" for layer in result.layers))
    pieced = [f"{layer.name} = {' + '.join(f'{k} x {a}x{b}' for a, b, k in layer.pieces)}"
              for layer in result.layers if len(layer.pieces) > 1 or layer.pieces[0][2] > 1]
    if pieced:
        lines.append("layers larger than a tile, as tile-sized pieces (their cross-tile reduction "
                     "is not modelled): " + "; ".join(pieced))
    if result.missing:
        lines.append(f"not evaluated: {result.missing}")
    return "\n".join(lines)
