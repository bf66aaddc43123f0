"""The sweep file of ``panther explore`` (format: ``docs/explore.md``).

A JSON object::

    {"name": "quick",
     "workload": "../models/digits_mlp.json",        # a compiler model file, or the model inline
     "config": "small",                              # optional: preset, file or {"base": ..., fields}
     "vary": {"slice_bits": ["44466555", "55555555"],
              "noise.read_noise": {"linspace": [0, 0.5, 3]},
              "model.lr": [0.125, 0.25]},
     "mode": "grid",                                 # or "zip"
     "points": [{"variant": 3}],                     # optional extra points
     "metrics": {"accuracy": {"steps": 100}, "energy": {}},
     "pareto": [["energy_per_step_pj", "accuracy"]]}  # optional

Every error names the file and the JSON path (``sweep.json: $.vary.adc_bits[2]: ...``) or the
line and column of invalid JSON, and is a :class:`SweepError` (exit status 2).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from panther.config import ConfigError, NoiseConfig, PantherConfig, load_config
from panther.errors import UserError

from .metrics import check_options, get_metric, objective_columns
from .points import DesignPoint

__all__ = ["SweepError", "Axis", "Sweep", "load_sweep", "sweep_from_dict", "MODEL_FIELDS",
           "field_names", "MAX_POINTS"]

#: Fields of the workload that a sweep may vary (``model.<name>``; keys of the model JSON).
MODEL_FIELDS = ("lr", "crs_period", "batch", "seed")
#: The largest sweep accepted.
MAX_POINTS = 100_000
_TOP_KEYS = ("name", "workload", "config", "vary", "mode", "points", "metrics", "pareto")


class SweepError(UserError):
    """A sweep file that is malformed; the message names the file and the JSON path."""


def field_names():
    """Every field a sweep may vary: configuration fields, ``noise.*`` and ``model.*``."""
    config = [f.name for f in dataclasses.fields(PantherConfig) if f.name != "noise"]
    noise = [f"noise.{f.name}" for f in dataclasses.fields(NoiseConfig)]
    return config + noise + [f"model.{name}" for name in MODEL_FIELDS]


@dataclass(frozen=True)
class Axis:
    """A varied field and its values. ``path``: where the sweep file gave it."""

    field: str
    values: tuple
    path: str


@dataclass(frozen=True, eq=False)
class Sweep:
    """A parsed sweep file.

    Members
    -------
    name, source : str
    config : PantherConfig
        The base configuration.
    model : compiler.Model
        The base workload.
    model_data : dict
        The workload's JSON (``model.*`` fields are applied to it).
    model_dir : str
        Directory the workload's relative paths are taken from.
    axes : tuple of Axis
    mode : str
        ``"grid"`` (every combination) or ``"zip"`` (the axes side by side).
    extra : tuple of (str, dict)
        Explicit points: their JSON path and ``{field: value}``.
    metrics : tuple of (Metric, dict)
        The metrics with their complete options.
    pareto : tuple of (str, str)
        Column pairs of the Pareto fronts.
    """

    name: str
    source: str
    config: object
    model: object
    model_data: dict
    model_dir: str
    axes: tuple
    mode: str
    extra: tuple
    metrics: tuple
    pareto: tuple

    def fail(self, path, message):
        raise SweepError(f"{self.source}: {path}: {message}")

    def apply(self, overrides):
        """``(config, model)`` of the base with ``overrides``; raises ConfigError/UserError."""
        from panther.compiler import model_from_dict

        config_changes, noise_changes, model_changes = {}, {}, {}
        for name, value in overrides.items():
            if name.startswith("noise."):
                noise_changes[name[len("noise."):]] = value
            elif name.startswith("model."):
                model_changes[name[len("model."):]] = value
            else:
                config_changes[name] = _slice_bits(value) if name == "slice_bits" else value
        noise = dataclasses.replace(self.config.noise, **noise_changes) if noise_changes else self.config.noise
        config = self.config.replace(**config_changes, noise=noise)
        model = self.model
        if model_changes:
            data = dict(self.model_data, **model_changes)
            if "batch" in model_changes and "algorithm" not in self.model_data:
                data["algorithm"] = "sgd" if model_changes["batch"] == 1 else "minibatch"
            model = model_from_dict(data, source="the workload", base_dir=self.model_dir)
        return config, model

    def points(self):
        """Every :class:`DesignPoint`, in table order (grid or zip, then the explicit points)."""
        if not self.axes:
            combos = []                 # only the explicit points
        elif self.mode == "zip":
            combos = zip(*(a.values for a in self.axes))
        else:
            combos = itertools.product(*(a.values for a in self.axes))
        wanted = [{a.field: v for a, v in zip(self.axes, combo)} for combo in combos]
        wanted += [dict(point) for _, point in self.extra]
        out = []
        for index, overrides in enumerate(wanted):
            try:
                config, model = self.apply(overrides)
            except (ConfigError, UserError, TypeError) as error:
                out.append(DesignPoint(index, overrides, None, None, invalid=_message(error)))
                continue
            out.append(DesignPoint(index, overrides, config, model))
        if out and all(p.invalid for p in out):
            raise SweepError(f"{self.source}: no valid design point; the first: "
                             f"{out[0].label()}: {out[0].invalid}")
        return out


def _message(error):
    text = str(error)
    return text.split(": ", 1)[1] if text.startswith("the workload: ") else text


def _slice_bits(value):
    if isinstance(value, str) and value.isdigit():
        return tuple(int(c) for c in value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _values(fail, path, spec):
    """The values of an axis: a list, or ``{"from", "to", "step"}`` (inclusive),
    ``{"linspace": [a, b, n]}`` or ``{"geomspace": [a, b, n]}``."""
    if isinstance(spec, list):
        if not spec:
            fail(path, "expected a non-empty list of values")
        return tuple(spec)
    if not isinstance(spec, dict):
        fail(path, "expected a list of values or a range object ({\"from\", \"to\", \"step\"}, "
                   "{\"linspace\": [a, b, n]}, {\"geomspace\": [a, b, n]})")
    keys = set(spec)
    if keys == {"from", "to", "step"}:
        a, b, step = spec["from"], spec["to"], spec["step"]
        for key in ("from", "to", "step"):
            if not _is_number(spec[key]):
                fail(f"{path}.{key}", f"expected a number, not {json.dumps(spec[key])}")
        if step <= 0 or b < a:
            fail(path, f"expected from <= to and step > 0, not from {a}, to {b}, step {step}")
        count = int(math.floor((b - a) / step + 1e-9)) + 1
        if count > MAX_POINTS:
            fail(path, f"{count} values; at most {MAX_POINTS}")
        if all(isinstance(v, int) for v in (a, b, step)):
            return tuple(range(a, b + 1, step))
        return tuple(round(a + i * step, 12) for i in range(count))
    if len(keys) == 1 and keys <= {"linspace", "geomspace"}:
        kind = keys.pop()
        args = spec[kind]
        if not (isinstance(args, list) and len(args) == 3 and all(_is_number(v) for v in args)
                and isinstance(args[2], int) and args[2] >= 1):
            fail(f"{path}.{kind}", f"expected [start, stop, count] with an integer count >= 1, "
                                   f"not {json.dumps(args)}")
        a, b, n = args
        if n > MAX_POINTS:
            fail(f"{path}.{kind}", f"{n} values; at most {MAX_POINTS}")
        if kind == "geomspace" and (a <= 0 or b <= 0):
            fail(f"{path}.{kind}", "geomspace needs start and stop > 0")
        if n == 1:
            return (a,)
        if kind == "linspace":
            return tuple(round(a + (b - a) * i / (n - 1), 12) for i in range(n))
        return tuple(float(f"{a * (b / a) ** (i / (n - 1)):.12g}") for i in range(n))
    fail(path, f"unknown range object with keys {sorted(spec)}; expected {{\"from\", \"to\", "
               "\"step\"}, {\"linspace\": [a, b, n]} or {\"geomspace\": [a, b, n]}")


def _base_config(fail, spec, base_dir, model):
    def resolve(name, path):
        if not isinstance(name, str):
            fail(path, f"expected a preset name or a configuration file, not {json.dumps(name)}")
        target = name if name in ("small", "paper") or Path(name).is_absolute() else str(Path(base_dir) / name)
        try:
            return load_config(target)
        except ConfigError as error:
            fail(path, str(error))

    if spec is None:
        return load_config(model.config or "small")
    if isinstance(spec, str):
        return resolve(spec, "$.config")
    if not isinstance(spec, dict):
        fail("$.config", "expected a preset name, a configuration file or an object")
    spec = dict(spec)
    base = resolve(spec.pop("base"), "$.config.base") if "base" in spec else load_config("small")
    try:
        return PantherConfig.from_dict({**base.to_dict(), **spec}, source="$.config")
    except ConfigError as error:
        fail("$.config", str(error).replace("$.config: ", ""))


def _workload(fail, spec, base_dir):
    from panther.compiler import model_from_dict

    if isinstance(spec, str):
        path = Path(spec) if Path(spec).is_absolute() else Path(base_dir) / spec
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError) as error:
            fail("$.workload", f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
        except json.JSONDecodeError as error:
            fail("$.workload", f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}")
        source, model_dir = str(path), str(path.parent)
    elif isinstance(spec, dict):
        data, source, model_dir = spec, "$.workload", str(base_dir)
    else:
        fail("$.workload", "expected a model file (a path) or a model object (docs/compiler.md)")
    try:
        model = model_from_dict(data, source=source, base_dir=model_dir)
    except UserError as error:
        fail("$.workload", str(error))
    return model, data, model_dir


def _metrics(fail, spec):
    if isinstance(spec, list):
        if not all(isinstance(name, str) for name in spec):
            fail("$.metrics", "expected a list of metric names or an object {name: options}")
        spec = {name: {} for name in spec}
    if not isinstance(spec, dict) or not spec:
        fail("$.metrics", "expected a non-empty list of metric names or an object {name: options}")
    out = []
    for name, options in spec.items():
        try:
            metric = get_metric(name)
        except KeyError as error:
            fail(f"$.metrics.{name}", error.args[0])
        if not isinstance(options, dict):
            fail(f"$.metrics.{name}", f"expected an object of options, not {json.dumps(options)}")
        try:
            out.append((metric, check_options(metric, options)))
        except ValueError as error:
            option, message = error.args
            fail(f"$.metrics.{name}.{option}", message)
    return tuple(out)


def sweep_from_dict(data, *, source="<sweep>", base_dir="."):
    """A :class:`Sweep` from parsed JSON (relative paths are taken from ``base_dir``)."""
    def fail(path, message):
        raise SweepError(f"{source}: {path}: {message}")

    if not isinstance(data, dict):
        fail("$", "a sweep must be a JSON object")
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        fail(f"$.{unknown[0]}", f"unknown key; expected some of {', '.join(_TOP_KEYS)}")
    for key in ("workload", "metrics"):
        if key not in data:
            fail("$", f"missing key '{key}'")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        fail("$.name", "expected a non-empty string")
    model, model_data, model_dir = _workload(fail, data["workload"], base_dir)
    config = _base_config(fail, data.get("config"), base_dir, model)
    metrics = _metrics(fail, data["metrics"])
    mode = data.get("mode", "grid")
    if mode not in ("grid", "zip"):
        fail("$.mode", f"expected \"grid\" or \"zip\", not {json.dumps(mode)}")
    known = field_names()
    vary = data.get("vary", {})
    if not isinstance(vary, dict):
        fail("$.vary", "expected an object {field: values}")
    sweep = Sweep(name=name, source=source, config=config, model=model, model_data=model_data,
                  model_dir=model_dir, axes=(), mode=mode, extra=(), metrics=metrics, pareto=())
    axes = []
    for field, spec in vary.items():
        path = f"$.vary.{field}"
        _check_field(fail, path, field, known)
        values = _values(fail, path, spec)
        for i, value in enumerate(values):
            _check_value(sweep, f"{path}[{i}]" if isinstance(spec, list) else path, field, value)
        axes.append(Axis(field, values, path))
    if mode == "zip" and len({len(a.values) for a in axes}) > 1:
        fail("$.vary", "mode \"zip\" needs the same number of values on every axis, not "
                       + ", ".join(f"{a.field}: {len(a.values)}" for a in axes))
    extra = []
    points = data.get("points", [])
    if not isinstance(points, list):
        fail("$.points", "expected a list of objects {field: value}")
    for i, point in enumerate(points):
        if not isinstance(point, dict):
            fail(f"$.points[{i}]", "expected an object {field: value}")
        for field, value in point.items():
            _check_field(fail, f"$.points[{i}].{field}", field, known)
            _check_value(sweep, f"$.points[{i}].{field}", field, value)
        extra.append((f"$.points[{i}]", point))
    if not axes and not extra:
        fail("$", "nothing to sweep: give 'vary' or 'points'")
    total = (len(axes[0].values) if mode == "zip" else math.prod(len(a.values) for a in axes)) \
        if axes else 0
    if total + len(extra) > MAX_POINTS:
        fail("$.vary", f"{total + len(extra)} design points; at most {MAX_POINTS}")
    pareto = _pareto(fail, data.get("pareto"), metrics)
    return dataclasses.replace(sweep, axes=tuple(axes), extra=tuple(extra), pareto=pareto)


def _check_field(fail, path, field, known):
    if field not in known:
        hint = ""
        if f"noise.{field}" in known:
            hint = f" (did you mean \"noise.{field}\"?)"
        elif f"model.{field}" in known:
            hint = f" (did you mean \"model.{field}\"?)"
        fail(path, f"unknown field {json.dumps(field)}{hint}; expected a configuration field, "
                   f"noise.<field> or model.<{'|'.join(MODEL_FIELDS)}>")


def _check_value(sweep, path, field, value):
    """A value must make a valid design on its own (with the base's other fields)."""
    if isinstance(value, (dict, list)) and field != "slice_bits" or isinstance(value, bool):
        sweep.fail(path, f"expected a number{' or a string of digits' if field == 'slice_bits' else ''}, "
                         f"not {json.dumps(value)}")
    try:
        sweep.apply({field: value})
    except (ConfigError, UserError, TypeError) as error:
        sweep.fail(path, _message(error))


def _pareto(fail, spec, metrics):
    goals = dict(objective_columns(metrics))
    if spec is None:            # every pair; costs (to minimise) on x, figures of merit on y
        names = sorted(goals, key=lambda name: goals[name] != "min")
        return tuple(itertools.combinations(names, 2))
    if not isinstance(spec, list):
        fail("$.pareto", "expected a list of [x, y] column pairs")
    out = []
    for i, pair in enumerate(spec):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(c, str) for c in pair)
                and pair[0] != pair[1]):
            fail(f"$.pareto[{i}]", f"expected [x, y], two different column names, not {json.dumps(pair)}")
        for j, column in enumerate(pair):
            if column not in goals:
                fail(f"$.pareto[{i}][{j}]", f"{json.dumps(column)} is not an objective of the "
                                            f"chosen metrics; expected one of {', '.join(goals)}")
        out.append(tuple(pair))
    return tuple(out)


def load_sweep(path):
    """Read a sweep file. Raises :class:`SweepError`."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise SweepError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SweepError(f"{path}: not UTF-8 text: invalid byte at offset {error.start}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SweepError(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}") from None
    except RecursionError:
        raise SweepError(f"{path}: invalid JSON: nested too deeply") from None
    return sweep_from_dict(data, source=str(path), base_dir=path.parent)
