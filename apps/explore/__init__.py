"""Design-space exploration: sweeps of design points measured by registered metrics, run on
Dask (``panther explore``, ``docs/explore.md``).

* :mod:`.engine` runs independent tasks serially, on an embedded ``LocalCluster`` or on an
  existing Dask cluster (also used by the studies and ``scripts/random_diff.py``);
* :mod:`.sweep_file` reads a sweep file, :mod:`.points` are its design points;
* :mod:`.metrics` is the metric registry (``metric_*.py``: accuracy, energy, area, RTL cycles);
* :mod:`.runner` runs a sweep into a directory (:mod:`.store`), with Pareto fronts and plots
  (:mod:`.pareto`).
"""

from .engine import Engine, Outcome, default_workers
from .metrics import METRICS, Column, Metric, Option, get_metric, register_metric
from .runner import SweepRun, run_sweep
from .sweep_file import Sweep, SweepError, load_sweep, sweep_from_dict

__all__ = ["Engine", "Outcome", "default_workers", "METRICS", "Column", "Metric", "Option",
           "get_metric", "register_metric", "SweepRun", "run_sweep", "Sweep", "SweepError",
           "load_sweep", "sweep_from_dict"]
