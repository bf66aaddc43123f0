"""``evaluate``: per-layer energy and time of PANTHER and the baselines (paper §6.3, §7).

For each layer of a workload (:mod:`apps.evaluation.workloads`) and each tile-sized piece of
it, the kernel is compiled and run on the golden model at the batch asked for when it fits
the tile (up to 8 on the paper's tile, :func:`apps.evaluation.counts.run_kernel`); larger
batches come from the count model (:mod:`apps.evaluation.counts`), fitted on the runs at the
two largest batches that fit. Energies come from the counts
(:mod:`apps.evaluation.architectures`), times from the timing model over the recorded runs
(:mod:`apps.evaluation.timing`, :mod:`apps.evaluation.latency`). PANTHER's figures use the
run of the variant asked for; the baselines' use the variant-3 run (no OPA-operand traffic)
and the crossbar copies of the variant they are compared with. A layer's energy is the sum
over its pieces, its time the longest piece (pieces run on their own tiles at once).

A convolutional layer (a layer step of :mod:`compiler.layer_steps`, too large for a golden
run at paper size) is one piece whose counts and times come from the compiler's schedule
(:mod:`apps.evaluation.conv_layers`) at batches 1 and 2, extrapolated beyond; Base_opa/mvm
(PipeLayer) applies to it: Base_mvm's passes plus the weight gradients of
:func:`compiler.layer_steps.pipelayer_work` (energy
:func:`apps.evaluation.architectures.base_opa_mvm_energy`, time
:func:`apps.evaluation.latency.pipelayer_ns`).

CRS: PANTHER runs the kernel compiled with ``crs=True`` every ``crs_period`` invocations;
its extra energy and time (measured at the smaller fit batch, batch 1 for a conv layer) are
spread over the period.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from panther.compiler import Model
from panther.compiler.counts import extrapolate as extrapolate_from_one
from panther.compiler.layer_steps import pipelayer_work

from .architectures import base_digital_energy, base_mvm_energy, base_opa_mvm_energy, panther_energy
from .conv_layers import arch_times, conv_run
from .counts import extrapolate, fit_batches, run_kernel
from .latency import model_core_timing, pipelayer_ns
from .timing import schedule
from .workloads import MISSING, layers_of_model, pieces
from .workloads import workload as workload_layers

__all__ = ["ArchResult", "LayerResult", "EvaluationResult", "Evaluator", "evaluate",
           "LABELS", "BASELINES"]

#: Display names.
LABELS = {"panther": "PANTHER", "base_digital": "Base_digital", "base_mvm": "Base_mvm",
          "base_opa_mvm": "Base_opa/mvm"}
#: The baselines, in report order.
BASELINES = ("base_digital", "base_mvm", "base_opa_mvm")


@dataclass
class ArchResult:
    """One architecture on one layer, per kernel invocation (one batch).

    Members
    -------
    energy_pj : float
    time_ns : float
    parts : dict
        Energy by part (``mvm_mtvm``, ``opa``, ``serial``, ``program``), pJ.
    """

    energy_pj: float
    time_ns: float
    parts: dict


@dataclass
class LayerResult:
    """One layer.

    Members
    -------
    name : str
    n_in, n_out : int
    pieces : list of [n_in, n_out, count]
    archs : dict
        ``{architecture: ArchResult or None}`` (None where a baseline does not apply).
    crs : dict
        PANTHER's CRS share: ``energy_pj`` and ``time_ns`` per invocation (already included
        in ``archs['panther']``), ``energy_fraction``, ``time_fraction``.
    source : str
        ``'golden'`` (the batch ran) or ``'count model'``.
    """

    name: str
    n_in: int
    n_out: int
    pieces: list
    archs: dict
    crs: dict
    source: str

    def ratio(self, baseline, what="energy_pj"):
        """``baseline / PANTHER`` for ``what`` (``energy_pj`` or ``time_ns``), or None."""
        other = self.archs.get(baseline)
        if other is None:
            return None
        return getattr(other, what) / getattr(self.archs["panther"], what)


@dataclass
class EvaluationResult:
    """``evaluate``'s answer.

    Members
    -------
    workload : str
    batch, variant, crs_period : int
    config : dict
        ``PantherConfig.to_dict()`` (its ``variant`` is the one evaluated).
    layers : list of LayerResult
    missing : str or None
        Layers of the workload not evaluated, and why.
    """

    workload: str
    batch: int
    variant: int
    crs_period: int
    config: dict
    layers: list
    missing: str = None
    notes: list = field(default_factory=list)

    def total(self, architecture="panther", what="energy_pj"):
        """Sum over the layers of ``what`` (``energy_pj`` or ``time_ns``; layers run one after
        the other) for ``architecture``; None where it does not apply to every layer."""
        values = [getattr(layer.archs[architecture], what) if layer.archs[architecture] else None
                  for layer in self.layers]
        return None if None in values else sum(values)

    def to_dict(self):
        data = asdict(self)
        for layer, original in zip(data["layers"], self.layers):
            layer["ratios"] = {b: {"energy": original.ratio(b), "time": original.ratio(b, "time_ns")}
                               for b in BASELINES}
        return data

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2) + "\n"


class Evaluator:
    """Runs and caches the golden runs of layer pieces for one configuration.

    Parameters
    ----------
    config : PantherConfig
        Any variant; each evaluation picks its own.
    progress : callable, optional
        ``progress(message)`` before each golden run and each conv layer step built.

    Members
    -------
    runs : int
        Golden runs made so far.
    counted : int
        Conv layer steps built and counted so far (:mod:`apps.evaluation.conv_layers`).
    """

    def __init__(self, config, *, progress=None):
        self.config = config
        self.progress = progress or (lambda message: None)
        self.runs = self.counted = 0
        self._points = {}
        self._fits = {}

    def _run(self, layer, piece, variant, batch, crs):
        key = (layer.name, layer.activation, layer.input_gradient, piece, variant, batch, crs)
        if key not in self._points:
            config = self.config.replace(variant=variant)
            self.progress(f"golden run: {layer.name} {piece.n_in}x{piece.n_out} variant {variant} "
                          f"batch {batch}{' crs' if crs else ''}")
            _, trace = run_kernel(layer, piece, config, batch=batch, crs=crs)
            self.runs += 1
            core = model_core_timing(config)
            times = arch_times(config, lambda timing: schedule(trace, core, timing).makespan)
            self._points[key] = {"events": trace.report.events, "times": times}
        return self._points[key]

    def _conv(self, layer, variant, batch, crs):
        key = (layer.name, id(layer.step), batch, crs)
        if key not in self._points:
            self.progress(f"count model: {layer.name} (schedule, variants 1-3) batch {batch}"
                          f"{' crs' if crs else ''}")
            self._points[key] = conv_run(layer.step, self.config, batch=batch, crs=crs)
            self.counted += 1
        return self._points[key][variant]

    def fit(self, layer, piece):
        """The two batches the count model of ``piece`` is fitted on ((1, 2) for a conv
        layer: :mod:`apps.evaluation.conv_layers`)."""
        if layer.kind == "conv":
            return (1, 2)
        key = (layer.name, layer.input_gradient, piece)
        if key not in self._fits:
            self._fits[key] = fit_batches(layer, piece, self.config.replace(variant=1))
        return self._fits[key]

    def point(self, layer, piece, variant, batch, crs=False):
        """``{'events': ..., 'times': ..., 'source': ...}`` of a piece at any batch: a golden
        run when the batch fits the tile, else the count model (always for a conv layer)."""
        if layer.kind == "conv":
            if batch <= 2:
                return dict(self._conv(layer, variant, batch, crs), source="count model")
            one, two = (self._conv(layer, variant, n, crs) for n in (1, 2))
            return {"events": extrapolate_from_one(one["events"], two["events"], batch),
                    "times": {k: extrapolate_from_one(one["times"][k], two["times"][k], batch)
                              for k in one["times"]},
                    "source": "count model"}
        at = self.fit(layer, piece)
        if batch <= at[1]:
            return dict(self._run(layer, piece, variant, batch, crs), source="golden")
        a, b = (self._run(layer, piece, variant, n, crs) for n in at)
        return {"events": extrapolate(a["events"], b["events"], batch, at=at),
                "times": {k: extrapolate(a["times"][k], b["times"][k], batch, at=at)
                          for k in a["times"]},
                "source": "count model"}

    def layer(self, layer, *, batch, variant, crs_period):
        """A :class:`LayerResult` of ``layer``."""
        config = self.config.replace(variant=variant)
        base_config = self.config.replace(variant=3)
        energy = dict.fromkeys(("panther", "base_digital", "base_mvm", "base_opa_mvm"), 0.0)
        parts = {k: {} for k in energy}
        times = dict.fromkeys(energy, 0.0)
        crs_energy = crs_time = 0.0
        conv = pipelayer_work(layer.step, self.config, batch=batch) if layer.kind == "conv" else None
        shapes = pieces(layer, self.config)
        sources = set()
        for piece in shapes:
            own = self.point(layer, piece, variant, batch)
            base = self.point(layer, piece, 3, batch)
            sources.update((own["source"], base["source"]))
            found = {
                "panther": panther_energy(own["events"], config),
                "base_digital": base_digital_energy(base["events"], base_config),
                "base_mvm": base_mvm_energy(base["events"], base_config, variant=variant),
                "base_opa_mvm": base_opa_mvm_energy(base["events"], base_config, variant=variant,
                                                    conv=conv),
            }
            # CRS every crs_period invocations: its extra energy and time, spread.
            at = self.fit(layer, piece)[0]
            plain = self.point(layer, piece, variant, at)
            with_crs = self.point(layer, piece, variant, at, crs=True)
            d_energy = (panther_energy(with_crs["events"], config).total_pj
                        - panther_energy(plain["events"], config).total_pj) / crs_period
            d_time = (with_crs["times"]["panther"] - plain["times"]["panther"]) / crs_period
            crs_energy += piece.count * d_energy
            crs_time = max(crs_time, d_time)
            for arch, result in found.items():
                if result is None:
                    continue
                energy[arch] += piece.count * result.total_pj
                for name, value in result.parts.items():
                    parts[arch][name] = parts[arch].get(name, 0.0) + piece.count * value
            times["panther"] = max(times["panther"], own["times"]["panther"] + d_time)
            for arch in ("base_digital", "base_mvm"):
                times[arch] = max(times[arch], base["times"][f"{arch}@{variant}"])
            if conv is not None:        # Base_mvm's passes, then PipeLayer's weight gradients
                times["base_opa_mvm"] = max(times["base_opa_mvm"], base["times"][f"base_mvm@{variant}"]
                                            + batch * pipelayer_ns(base_config, conv))
        energy["panther"] += crs_energy
        parts["panther"]["crs"] = crs_energy
        archs = {}
        for arch in energy:
            if arch == "base_opa_mvm" and conv is None:
                archs[arch] = None
                continue
            archs[arch] = ArchResult(energy[arch], times[arch], parts[arch])
        crs = {"energy_pj": crs_energy, "time_ns": crs_time,
               "energy_fraction": crs_energy / energy["panther"],
               "time_fraction": crs_time / times["panther"]}
        return LayerResult(name=layer.name, n_in=layer.n_in, n_out=layer.n_out,
                           pieces=[[p.n_in, p.n_out, p.count] for p in shapes], archs=archs,
                           crs=crs, source=" and ".join(sorted(sources)))


def evaluate(layers, config, *, batch, variant, crs_period=1024, workload=None,
             missing=None, evaluator=None, progress=None):
    """Per-layer energy and time of PANTHER ``variant`` and the baselines at ``batch``.

    Parameters
    ----------
    layers : str, compiler.Model or sequence of apps.evaluation.workloads.Layer
        A built-in workload (``'mlp-l4'``, ``'vgg16'``), a model (each of its layers one
        kernel; its batch and learning rate are not used) or layers
        (``workloads.workload('mlp-l4')``, ``workloads.layers_of_model(model)``).
    config : PantherConfig
        The tile (``PRESETS['paper']`` for the paper's evaluation point).
    batch : int
        Samples per kernel invocation (1 = SGD).
    variant : int
        PANTHER's MCU variant (1, 2, 3).
    crs_period : int
        Kernel invocations between carry resolution steps (paper: 1024).
    evaluator : Evaluator, optional
        Reuse the golden runs of an earlier evaluation (same configuration).

    Returns
    -------
    EvaluationResult
    """
    if not (isinstance(batch, int) and batch >= 1):
        raise ValueError(f"batch must be a positive integer, not {batch!r}")
    if variant not in (1, 2, 3):
        raise ValueError(f"variant must be 1, 2 or 3, not {variant!r}")
    if not (isinstance(crs_period, int) and crs_period >= 1):
        raise ValueError(f"crs_period must be a positive integer, not {crs_period!r}")
    if isinstance(layers, str):
        workload, missing = workload or layers, missing or MISSING.get(layers)
        layers = workload_layers(layers)
    elif isinstance(layers, Model):
        workload, layers = workload or layers.name, layers_of_model(layers)
    evaluator = evaluator or Evaluator(config, progress=progress)
    results = [evaluator.layer(layer, batch=batch, variant=variant, crs_period=crs_period)
               for layer in layers]
    return EvaluationResult(workload=workload or "model", batch=batch, variant=variant,
                            crs_period=crs_period, config=config.replace(variant=variant).to_dict(),
                            layers=results, missing=missing)
