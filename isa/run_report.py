"""One report for every run, golden model or RTL: the versioned ``panther.run/1`` JSON.

:class:`RunReport` wraps the final state of a run (a :class:`isa.golden.GoldenReport`, the
golden model's or the RTL's in the same shape) with what a user reads: how the run ended,
per core its status, cycles and instructions, every event count, the energy per event and in
total (pJ), the final values of every ``.region``/``.sregion`` symbol as real numbers beside
the raw words, the comparison with the golden model (RTL runs) and the reference check.
:meth:`RunReport.to_dict` is the JSON, described by the JSON Schema ``panther/schemas/
run.schema.json`` (:data:`SCHEMA_FILE`); a value that does not apply is ``null``, never
``""``. :mod:`isa.run_text` prints it.

Nothing here copies the final state: a paper-size tile holds millions of weight digits,
which only ``to_dict(state=True)`` (``panther run --json-state``) writes out.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import numpy as np

import panther
from panther.config import PantherConfig
from panther.errors import UserError
from panther.fixed_point import from_fixed

__all__ = ["RunOutcome", "SCHEMA", "SCHEMA_FILE", "STATUSES", "RunReport", "region_values", "energy_json",
           "json_ready", "write_text_atomically"]

#: The schema name and version of the JSON (a change that breaks a reader bumps the version).
SCHEMA = "panther.run/1"
#: The JSON Schema of :meth:`RunReport.to_dict` (package data).
SCHEMA_FILE = files("panther") / "schemas" / "run.schema.json"

#: How a run ended: every core halted; a core stopped with a fault code; a deadlock on shared
#: memory; the golden model's scheduling-round limit; the RTL's cycle limit.
STATUSES = ("halted", "error", "deadlock", "round_limit", "cycle_limit")


def json_ready(value):
    """``value`` with numpy scalars and arrays turned into Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_text_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file beside it, so that a failed write
    leaves nothing half-written. Raises UserError if it cannot."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
        tmp.replace(path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write: {error.strerror or error}") from None


def _q(bits, frac):
    return f"Q{bits - frac}.{frac}"


def region_values(image, state):
    """``{symbol: entry}`` of the final values of every region of ``image`` (see
    :class:`isa.image.ProgramImage` ``regions``) in ``state`` (a GoldenReport): raw data
    words and their real values.

    A shared-memory region (``.sregion``) gives ``raw``, ``real`` and ``valid``; a core region
    (``.region``, the same addresses on every core) gives them per core that has a program.
    """
    c = image.config
    fmt = _q(c.data_bits, c.data_frac_bits)
    active = [i for i, program in enumerate(image.programs) if program]
    spaces = {}
    smem = None
    out = {}
    for name, region in sorted(image.regions.items()):
        base, length = region["base"], region["length"]
        entry = {"space": region["space"], "base": base, "length": length, "format": fmt}
        if region["space"] == "shared":
            smem = smem if smem is not None else state.smem_arrays()
            raw = smem["values"][base:base + length]
            entry.update(raw=raw.tolist(), real=from_fixed(raw, c.data_frac_bits).tolist(),
                         valid=smem["valid"][base:base + length].tolist())
        else:
            per_core = []
            for i in active:
                if i not in spaces:
                    spaces[i] = _operand_space(state.core_arrays(i), c)
                raw = spaces[i][base:base + length]
                per_core.append({"core": i, "raw": raw.tolist(),
                                 "real": from_fixed(raw, c.data_frac_bits).tolist()})
            entry["cores"] = per_core
        out[name] = entry
    return out


def _operand_space(arrays, config):
    """A core's operand space (register file, then XBarIn and XBarOut of each MCU)."""
    parts = [arrays["rf"]]
    for m in range(config.mcus_per_core):
        parts += [arrays["xbar_in"][m], arrays["xbar_out"][m]]
    return np.concatenate(parts)


def energy_json(config, energy_events):
    """Energy (pJ) and serialised latency (ns) per event and in total, from the
    :mod:`analog_models.energy` model of ``config``."""
    from panther.analog_models.energy import EnergyModel

    breakdown = EnergyModel(config).breakdown(dict(energy_events))
    return {"unit": "pJ", "latency_unit": "ns",
            "model": "panther.analog_models.energy (latency: a serialised upper bound)",
            "events": {row.event: {"count": row.count, "pj_each": row.energy_pj,
                                   "total_pj": row.total_energy_pj, "ns_each": row.latency_ns,
                                   "total_ns": row.total_latency_ns}
                       for row in breakdown.rows},
            "total_pj": breakdown.total_energy_pj, "total_ns": breakdown.total_latency_ns}


class RunOutcome:
    """What every run report holds besides its state: how the run ended, what it was compared
    with, and the JSON writers. :class:`RunReport` (a tile) and
    :class:`isa.node_run_report.NodeRunReport` (a node) add their state and JSON.

    Parameters
    ----------
    sim, status, message, mcu_model, program, cycles, rtl, comparison, check_note, notes
        As in :class:`RunReport`.

    Members
    -------
    The parameters, plus :attr:`check` (None unless a subclass sets it), :attr:`ok` and
    :attr:`wall_seconds`.
    """

    check = None

    def __init__(self, *, sim, status, message=None, mcu_model="exact", program=None,
                 cycles=None, rtl=None, comparison=None, check_note=None, notes=()):
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        self.sim = sim
        self.status = status
        self.message = message
        self.mcu_model = mcu_model
        self.program = None if program is None else str(program)
        self.cycles = cycles
        self.rtl = rtl
        self.comparison = comparison
        self.check_note = check_note
        self.notes = list(notes)
        self.wall_seconds = None

    @property
    def ok(self):
        """Every core halted, the RTL matches the golden model (if compared) and the
        reference check (if any) passed."""
        return (self.status == "halted"
                and (self.comparison is None or self.comparison["result"] == "identical")
                and (self.check is None or self.check.ok))

    def to_json(self, *, state=False, **kwargs):
        return json.dumps(self.to_dict(state=state), **kwargs)

    def write_json(self, path, *, state=False):
        """Write :meth:`to_dict` to ``path`` (atomically). Raises UserError if it cannot."""
        write_text_atomically(path, self.to_json(state=state) + "\n")


class RunReport(RunOutcome):
    """The report of one run (see the module docstring).

    Parameters
    ----------
    image : isa.image.ProgramImage
    state : isa.golden.GoldenReport
        The final state and event counts (the RTL's own for an RTL run).
    sim : str
        ``'golden'``, ``'verilator'`` or ``'icarus'``.
    status : str
        One of :data:`STATUSES`.
    message : str, optional
        Why the run stopped early (a deadlock, a limit), or None.
    mcu_model : str
        The golden model's MCU: ``'exact'`` or ``'analog'``.
    program : str, optional
        The program's file or image directory.
    cycles : int, optional
        RTL clock cycles (None for the golden model).
    core_cycles : list of int, optional
        Per core: the cycles it ran (RTL).
    rtl : dict, optional
        RTL details: ``max_cycles``, ``deadlock`` waits, ``waves`` file, ``analog_transactions``.
    comparison : dict, optional
        The comparison with the golden model (RTL runs), see the schema.
    check : isa.golden.reference.ExampleCheck, optional
    check_note : str, optional
        Why no check ran.
    notes : list of str, optional

    Members
    -------
    The parameters, plus :attr:`config` (a PantherConfig), :attr:`ok`, :attr:`cores` and
    :attr:`wall_seconds` (the host time of the run, set by :func:`panther.apps.api.run`;
    not in the JSON, which stays the same from run to run).
    """

    def __init__(self, *, image, state, sim, status, message=None, mcu_model="exact",
                 program=None, cycles=None, core_cycles=None, rtl=None, comparison=None,
                 check=None, check_note=None, notes=()):
        super().__init__(sim=sim, status=status, message=message, mcu_model=mcu_model,
                         program=program, cycles=cycles, rtl=rtl, comparison=comparison,
                         check_note=check_note, notes=notes)
        self.image = image
        self.state = state
        self.config = image.config if isinstance(image.config, PantherConfig) else \
            PantherConfig.from_dict(state.config)
        self.core_cycles = core_cycles
        self.check = check

    # -- what a user reads -------------------------------------------------------------------

    @property
    def events(self):
        return self.state.events

    @property
    def cores(self):
        """Per core: ``core``, ``status``, ``fault``, ``fault_code``, ``fault_message``, ``pc``,
        ``overflow``, ``instructions``, ``cycles`` (None on the golden model), ``idle``."""
        out = []
        for i, core in enumerate(self.state.summaries()):
            instructions = core["instructions"] if "instructions" in core else core.get("instret")
            out.append({"core": i, "status": core["status"], "fault": core["fault"],
                        "fault_code": core["fault_code"],
                        "fault_message": core["fault_message"] or None, "pc": core["pc"],
                        "overflow": bool(core["overflow"]), "instructions": instructions,
                        "cycles": None if self.core_cycles is None else self.core_cycles[i],
                        "pending_updates": core["pending_updates"],
                        "idle": not self.image.programs[i]})
        return out

    def values(self, symbol=None):
        """Decoded final values of the regions (:func:`region_values`), or of one."""
        values = region_values(self.image, self.state)
        if symbol is None:
            return values
        if symbol not in values:
            raise UserError(f"no region {symbol!r} in the program (regions: "
                            f"{', '.join(values) or 'none'})")
        return values[symbol]

    def weights(self, core, mcu):
        """The final weights of one MCU as real numbers (numpy, rows x columns)."""
        w = np.asarray(self.state.cores[core]["mcus"][mcu]["weights"], dtype=np.int64)
        return from_fixed(w, self.config.weight_frac_bits)

    def energy(self):
        """:func:`energy_json` of the run's energy events."""
        return energy_json(self.config, self.state.events["energy_events"])

    # -- JSON --------------------------------------------------------------------------------

    def check_json(self):
        if self.check is None:
            return {"name": None, "ok": None, "note": self.check_note, "rows": []}
        return {"name": self.check.name, "ok": self.check.ok, "note": None,
                "rows": [{"quantity": q, "max_abs_error": err, "tolerance": tol,
                          "max_abs_error_vs_exact_functions": exact}
                         for q, err, tol, exact in self.check.rows]}

    def to_dict(self, *, state=False):
        """The ``panther.run/1`` JSON (see :data:`SCHEMA_FILE`); ``state`` adds the whole final
        state (register files, XBar buffers, weights and slice digits, shared memory)."""
        c = self.config
        data = {
            "schema": SCHEMA,
            "generator": {"name": "panther", "version": panther.__version__},
            "program": self.program,
            "sim": self.sim,
            "mcu_model": self.mcu_model,
            "config": c.to_dict(),
            "status": self.status,
            "ok": self.ok,
            "message": self.message,
            "rounds": self.state.rounds if self.sim == "golden" else None,
            "cycles": self.cycles,
            "clock_mhz": c.clock_mhz,
            "time_ns": None if self.cycles is None else self.cycles * 1000.0 / c.clock_mhz,
            "cores": self.cores,
            "events": json_ready(self.state.events),
            "energy": self.energy(),
            "values": self.values(),
            "rtl": json_ready(self.rtl),
            "comparison": json_ready(self.comparison),
            "check": self.check_json(),
            "notes": self.notes,
        }
        if state:
            data["state"] = json_ready({"cores": self.state.cores, "smem": self.state.smem})
        return data

    def format(self, *, notes=True):
        """The readable text of the report (:func:`isa.run_text.format_run`); ``notes=False``
        leaves out the notes (for a caller that shows them elsewhere)."""
        from .run_text import format_run

        return format_run(self, notes=notes)
