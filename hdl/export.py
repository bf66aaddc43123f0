"""Verilog export of the PANTHER tops (MCU, core, tile), each in its own file.

A small registry (:data:`TOPS`) names every top by the module and class that builds it (more
can be added with :func:`register_top`; one whose module cannot be imported is reported as
skipped). Each top ``x`` becomes ``panther_x.v`` with module ``panther_x``, plain top-level
ports (:class:`panther.hdl.flatten.FlatPorts`: ``analog_req``, ``c0_dbg_addr``, ...) and its
submodules renamed ``panther_x_<path>`` (plain identifiers, no ``__``, unique across the
files; one naming scheme on every top: nested paths joined by ``_``, a core's ports in the
tile prefixed ``c<i>_``). Next to them go ``panther_config.json``, the port map
``panther_ports.md`` and the same as JSON, ``panther_ports.json`` (schema
``panther.ports/1``). The output is deterministic (no source locations, paths or dates) and written atomically: everything is
generated and linted in a scratch directory first, then moved in place.
"""

import importlib
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import verilog
from amaranth.lib import wiring

from panther.config import PantherConfig
from panther.hdl.flatten import FlatPorts, flat_ports
from panther.hdl.synth import lint as synth_lint

from .estimate import expected_seconds, format_seconds

__all__ = ["TopSpec", "TOPS", "register_top", "available_tops", "to_verilog", "port_table",
           "ports_markdown", "ports_json", "export_verilog", "ExportResult", "CONFIG_FILE",
           "PORTS_FILE", "PORTS_JSON_FILE", "PORTS_SCHEMA"]

LOG = logging.getLogger("panther.hdl")

CONFIG_FILE = "panther_config.json"
PORTS_FILE = "panther_ports.md"
PORTS_JSON_FILE = "panther_ports.json"
#: Schema name and version of ``panther_ports.json``.
PORTS_SCHEMA = "panther.ports/1"


@dataclass(frozen=True)
class TopSpec:
    """One exportable top.

    Members
    -------
    name : str
        Short name (``mcu``); the Verilog module is ``panther_<name>``.
    module : str
        Python module that defines the component.
    classes : tuple of str
        Candidate class names, the first one found is used; it is built as
        ``cls(config=c, **dict(kwargs))``.
    description : str
        One line for the port-map document.
    kwargs : tuple of (str, object)
        Extra constructor arguments.
    default : bool
        Exported when no top is named (``--top``); False for tops only built on request.
    """

    name: str
    module: str
    classes: tuple
    description: str
    kwargs: tuple = ()
    default: bool = True

    def build(self, cls, config):
        """An instance of ``cls`` for ``config`` (:func:`to_verilog` flattens its ports)."""
        return cls(config=config, **dict(self.kwargs))

    @property
    def verilog_name(self):
        return f"panther_{self.name}"

    def load(self):
        """``(cls, None)``, or ``(None, reason)`` when the module or class does not exist yet
        or cannot be imported (an RTL module being written)."""
        try:
            mod = importlib.import_module(self.module)
        except ImportError as error:
            return None, f"{self.module} cannot be imported ({error})"
        for cls in self.classes:
            if isinstance(getattr(mod, cls, None), type):
                return getattr(mod, cls), None
        return None, f"{self.module} has no {' or '.join(self.classes)}"


TOPS = [
    TopSpec("mcu", "panther.hdl.mcu", ("MCU",), "one Matrix Computation Unit; the analog half is "
            "reached through the a_* port"),
    TopSpec("core", "panther.hdl.core", ("Core",), "one core (core_id 0) with its MCUs; the MCU "
            "analog ports are top-level ports", kwargs=(("core_id", 0),)),
    TopSpec("tile", "panther.hdl.tile", ("Tile",), "one tile: cores and shared memory; every MCU "
            "analog port is a top-level port"),
    TopSpec("tile_digital", "panther.hdl.fpga.tile_digital", ("TileDigital",), "the tile with a "
            "digital (ideal) crossbar answering every MCU analog port: a self-contained "
            "synthesis top; each crossbar's host cell port c<i>_xbar<k>_h_* programs its "
            "weight digits (ideal configurations only)", default=False),
    TopSpec("node", "panther.hdl.node.node", ("Node",), "a node: tiles_per_node tiles on the "
            "concentrated mesh of routers; every tile port but its network link is a top-level "
            "port t<k>_<name> (export it by name: --top node)", default=False),
]


def register_top(spec):
    """Add (or replace, by name) a :class:`TopSpec` in :data:`TOPS`."""
    if not isinstance(spec, TopSpec):
        raise TypeError(f"spec must be a TopSpec, not {spec!r}")
    if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", spec.name):
        raise ValueError(f"top name must be lower-case letters and digits, words joined by "
                         f"single '_', not {spec.name!r}")
    TOPS[:] = [t for t in TOPS if t.name != spec.name] + [spec]


def available_tops(names=None, *, skipped=None):
    """``[(spec, cls)]`` of the registered tops whose class exists, in registry order.

    ``names`` restricts the list; a requested name that is unknown or not available raises
    ``ValueError`` quoting it. Without ``names`` unavailable tops are left out and, if
    ``skipped`` is a list, ``(name, reason)`` is appended to it for each.
    """
    if names is None:
        found = [(spec, *spec.load()) for spec in TOPS if spec.default]
        if skipped is not None:
            skipped += [(s.name, why) for s, c, why in found if c is None]
        return [(s, c) for s, c, _ in found if c is not None]
    found = [(spec, *spec.load()) for spec in TOPS]
    known = {s.name: (s, c, why) for s, c, why in found}
    out = []
    for name in names:
        if name not in known:
            raise ValueError(f"unknown top {name!r}; expected one of {sorted(known)!r}")
        spec, cls, why = known[name]
        if cls is None:
            raise ValueError(f"top {name!r} is not available: {why}")
        out.append((spec, cls))
    return out


_MODULE = re.compile(r"^module (\\\S+|\w+)\s*\(", re.M)


def _plain(name):
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", name)).strip("_")


def to_verilog(component, top):
    """Verilog text of ``component`` with plain top-level ports (:class:`FlatPorts`), top
    module ``top`` and every submodule renamed to a plain identifier
    ``<top>_<hierarchical path>`` (no escaped names, no ``__``)."""
    text = verilog.convert(FlatPorts(component), name=top, emit_src=False,
                           strip_internal_attrs=True)
    names = _MODULE.findall(text)
    renames = {}
    for old in names:
        if old == top:
            continue
        new = _plain(old.lstrip("\\"))
        if not new.startswith(top + "_"):
            new = f"{top}_{new}"
        renames[old] = new
    taken = set(names)
    used = {top}
    for old, new in renames.items():
        candidate, n = new, 1
        while candidate in used or (candidate in taken and candidate != old):
            n += 1
            candidate = f"{new}_{n}"
        used.add(candidate)
        renames[old] = candidate
    # Escaped identifiers end at white space: replace whole tokens only.
    for old, new in renames.items():
        pattern = re.escape(old) + r"(?=\s)" if old.startswith("\\") else r"\b" + re.escape(old) + r"\b"
        text = re.sub(pattern, new, text)
    bad = [n for n in _MODULE.findall(text) if "__" in n or n.startswith("\\")]
    if bad:
        raise ValueError(f"module names still not plain after renaming: {bad!r}")
    return text


def port_table(component):
    """``[(name, direction, width, signed)]`` of the Verilog ports :func:`to_verilog` gives
    ``component`` (:func:`~panther.hdl.flatten.flat_ports`), plus ``clk`` and ``rst``."""
    rows = [(port.name, "input" if port.flow == wiring.In else "output", port.shape.width,
             port.shape.signed) for port in flat_ports(component.signature)]
    rows += [("clk", "input", 1, False), ("rst", "input", 1, False)]
    return rows


def ports_json(config, entries):
    """The port map as JSON data (schema :data:`PORTS_SCHEMA`): per top its module, file,
    description and ports (``name``, ``direction``, ``width``, ``signed``)."""
    return {
        "schema": PORTS_SCHEMA,
        "config": config.to_dict(),
        "naming": "nested interface paths joined by '_'; a core's ports in the tile prefixed "
                  "'c<core>_'; clk rising edge, rst synchronous active high",
        "tops": {spec.verilog_name: {
            "file": f"{spec.verilog_name}.v", "description": spec.description,
            "ports": [{"name": n, "direction": d, "width": w, "signed": s} for n, d, w, s in rows],
        } for spec, rows in entries},
    }


def ports_markdown(config, entries):
    """The port-map document: one table per top. ``entries``: ``[(spec, port rows)]``."""
    out = ["# PANTHER Verilog port map", "",
           "Generated by `panther verilog`; configuration in `" + CONFIG_FILE + "`. "
           "All ports are synchronous to `clk` (rising edge); `rst` is a synchronous "
           "active-high reset. Widths are in bits; `signed` ports are two's complement. "
           "Bit layouts of the packed MCU analog-port vectors are in docs/mcu.md.", ""]
    out += ["| parameter | value |", "| --- | --- |"]
    for key in ("xbar_size", "mcus_per_core", "cores_per_tile", "slice_bits", "data_bits",
                "adc_bits", "adcs_per_xbar", "variant"):
        value = getattr(config, key)
        out.append(f"| {key} | {int(value) if key == 'variant' else value!r} |")
    out.append("")
    for spec, rows in entries:
        out += [f"## {spec.verilog_name} ({spec.verilog_name}.v)", "", spec.description + ".", "",
                "| port | direction | width | signed |", "| --- | --- | ---: | --- |"]
        out += [f"| `{n}` | {d} | {w} | {'yes' if s else 'no'} |" for n, d, w, s in rows]
        out.append("")
    return "\n".join(out)


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_verilog` wrote.

    Members
    -------
    files : tuple of str
        File names written into the output directory, in order.
    tops : tuple of str
        Verilog top module names.
    sizes : dict
        Bytes per file name.
    """

    files: tuple
    tops: tuple
    sizes: dict


def export_verilog(config, out_dir, *, tops=None, lint=True, skipped=None):
    """Generate (and by default lint) the Verilog of the available tops into ``out_dir``.

    ``tops``: names to export (default: every available one; ``skipped`` as in
    :func:`available_tops`). Nothing in ``out_dir`` changes unless every step succeeds. Raises
    :class:`hdl.synth.ToolError` for a failed lint step and ``ValueError`` for a bad request.
    """
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    selected = available_tops(tops, skipped=skipped)
    if not selected:
        raise ValueError("no top is available: hdl.mcu, hdl.core and hdl.tile define no "
                         "exportable component yet")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".panther-verilog-", dir=out_dir))
    try:
        files, entries = [], []
        for spec, cls in selected:
            scope = {"mcu": {"cores": 1, "mcus": 1}, "core": {"cores": 1}}.get(spec.name, {})
            LOG.info("converting %s to Verilog (expected: about %s)", spec.verilog_name,
                     format_seconds(expected_seconds("convert", config, **scope)))
            component = spec.build(cls, config)
            name = f"{spec.verilog_name}.v"
            (scratch / name).write_text(to_verilog(component, spec.verilog_name))
            entries.append((spec, port_table(component)))
            files.append(name)
        (scratch / CONFIG_FILE).write_text(config.to_json())
        (scratch / PORTS_FILE).write_text(ports_markdown(config, entries))
        (scratch / PORTS_JSON_FILE).write_text(
            json.dumps(ports_json(config, entries), indent=1, sort_keys=True) + "\n")
        files += [CONFIG_FILE, PORTS_FILE, PORTS_JSON_FILE]
        if lint:
            for spec, _ in selected:
                synth_lint.lint_verilog(scratch, f"{spec.verilog_name}.v", spec.verilog_name)
        sizes = {name: (scratch / name).stat().st_size for name in files}
        for name in files:
            os.replace(scratch / name, out_dir / name)
        return ExportResult(files=tuple(files), tops=tuple(s.verilog_name for s, _ in selected),
                            sizes=sizes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
