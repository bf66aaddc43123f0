"""The paper's comparisons (§6.3, §7) from compiled workloads: ``panther evaluate``.

Python API (used by ``panther evaluate`` and by design-space sweeps)::

    from panther.apps.evaluation import evaluate, workload, layers_of_model
    from panther.config import PRESETS

    result = evaluate(workload("mlp-l4"), PRESETS["paper"], batch=64, variant=2)
    for layer in result.layers:
        print(layer.name, layer.archs["panther"].energy_pj, layer.archs["panther"].time_ns,
              layer.ratio("base_mvm"), layer.ratio("base_mvm", "time_ns"))

See ``docs/evaluation.md``.
"""

from .evaluate import BASELINES, LABELS, EvaluationResult, Evaluator, LayerResult, evaluate
from .workloads import WORKLOADS, Layer, layers_of_model, pieces, workload

__all__ = ["evaluate", "Evaluator", "EvaluationResult", "LayerResult", "LABELS", "BASELINES",
           "WORKLOADS", "Layer", "workload", "layers_of_model", "pieces"]
