"""The registry of metrics a sweep can measure.

A :class:`Metric` names its output columns (with a unit and whether less or more is better,
which the Pareto fronts use), its options (with defaults, checked when the sweep file is read)
and two functions:

* ``share(point, options)``: the JSON-able part of a design point the result depends on. Points
  that share it share one computation (the area of a design does not depend on its device
  noise, so a noise sweep synthesises each design once).
* ``compute(point, options)``: runs on a worker and returns ``{column: value}``; a value may
  be ``None`` (not measured, e.g. a point too large to co-simulate; ``notes`` says why).

The built-in metrics register themselves from their modules (``metric_*.py``); a new one is one
:func:`register_metric` call away. Points are :class:`apps.explore.points.DesignPoint`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Column", "Option", "Metric", "METRICS", "register_metric", "get_metric",
           "check_options", "objective_columns", "BUILTIN_MODULES"]

#: Modules whose import registers the built-in metrics.
BUILTIN_MODULES = ("metric_accuracy", "metric_energy", "metric_evaluation", "metric_area", "metric_rtl")


@dataclass(frozen=True)
class Column:
    """An output column of a metric.

    Members
    -------
    name : str
    unit : str
        ``""`` for a plain number or a flag.
    goal : str or None
        ``"min"`` or ``"max"``: an objective of the Pareto fronts; None: information only.
    doc : str
    """

    name: str
    unit: str = ""
    goal: str = None
    doc: str = ""

    def __post_init__(self):
        if self.goal not in (None, "min", "max"):
            raise ValueError(f"goal must be 'min', 'max' or None, not {self.goal!r}")


@dataclass(frozen=True)
class Option:
    """An option of a metric in the sweep file.

    Members
    -------
    name : str
    default : object
    kind : str
        ``"int"`` (with ``minimum``), ``"str"`` (with ``choices``) or ``"strs"`` (a list of
        strings from ``choices``).
    doc : str
    choices : tuple
    minimum : int
    """

    name: str
    default: object
    kind: str
    doc: str = ""
    choices: tuple = ()
    minimum: int = None

    def check(self, value):
        """The value, or raise ValueError saying what was expected."""
        if self.kind == "int":
            if not (isinstance(value, int) and not isinstance(value, bool)
                    and (self.minimum is None or value >= self.minimum)):
                raise ValueError(f"expected an integer >= {self.minimum}, not {value!r}")
            return value
        if self.kind == "str":
            if value not in self.choices:
                raise ValueError(f"expected one of {', '.join(map(repr, self.choices))}, not {value!r}")
            return value
        if not (isinstance(value, list) and value and all(v in self.choices for v in value)
                and len(set(value)) == len(value)):
            raise ValueError(f"expected a non-empty list of distinct names from "
                             f"{', '.join(map(repr, self.choices))}, not {value!r}")
        return tuple(value)


@dataclass(frozen=True)
class Metric:
    """A measurable property of a design point (see the module docstring).

    Members
    -------
    name : str
    doc : str
    columns : callable
        ``columns(options) -> tuple of Column`` (they may depend on the options).
    compute : callable
        ``compute(point, options) -> dict``; a module-level function (it is pickled).
    share : callable
        ``share(point, options) -> JSON-able`` (see the module docstring).
    options : tuple of Option
    version : int
        Part of every result's key: raise it when the metric's figures change meaning.
    derive : callable or None
        ``derive(point, options, values) -> values``: per-point figures computed on the
        client from a shared result (e.g. cycles at the point's own clock).
    """

    name: str
    doc: str
    columns: object
    compute: object
    share: object
    options: tuple = field(default_factory=tuple)
    version: int = 1
    derive: object = None


#: Registered metrics by name.
METRICS = {}


def register_metric(metric):
    """Add ``metric`` to :data:`METRICS` (a name may be registered once)."""
    if metric.name in METRICS and METRICS[metric.name] is not metric:
        raise ValueError(f"a metric named {metric.name!r} is already registered")
    METRICS[metric.name] = metric
    return metric


def _load_builtins():
    import importlib

    for module in BUILTIN_MODULES:
        importlib.import_module(f"{__package__}.{module}")


def get_metric(name):
    """The registered metric ``name`` (KeyError naming the known ones)."""
    _load_builtins()
    if name not in METRICS:
        raise KeyError(f"unknown metric {name!r}; expected one of {', '.join(sorted(METRICS))}")
    return METRICS[name]


def check_options(metric, options):
    """``options`` (a dict from the sweep file) completed with the defaults; raises
    ``ValueError((option name or None, message))`` on an unknown option or a bad value."""
    known = {o.name: o for o in metric.options}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(unknown[0], f"unknown option; {metric.name} takes "
                                     f"{', '.join(known) or 'no options'}")
    out = {}
    for name, option in known.items():
        value = options.get(name, option.default)
        try:
            out[name] = option.check(value)
        except ValueError as error:
            raise ValueError(name, str(error)) from None
    return out


def objective_columns(metrics):
    """``[(column, goal)]`` of every column with a goal, for ``[(Metric, options)]``."""
    return [(c.name, c.goal) for metric, options in metrics for c in metric.columns(options) if c.goal]
