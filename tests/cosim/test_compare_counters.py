"""The golden/RTL comparison leaves no counter out: every golden counter is compared, derived
from compared ones, or named as one the RTL has no counter for; and a change to any compared
counter of an RTL dump is reported. No simulator needed: the dump is built from the golden
report in the RTL dump's layout (cosim.tile_tb.TileBench.summary)."""

import copy
import fnmatch
from pathlib import Path

import pytest

from panther.config import PRESETS
from panther.cosim.compare import DERIVED, GOLDEN_ONLY, compare, golden_counters, rtl_counters
from panther.isa.assembler import assemble
from panther.isa.events import ANALOG_EVENTS, DIGITAL_EVENTS
from panther.isa.golden import run_image

ROOT = Path(__file__).resolve().parents[2]


def _flatten(events):
    """Every numeric leaf of a golden ``events`` dict, by dotted name."""
    out = {}
    for key, value in events.items():
        if key == "mcu":
            for row in value:
                for name, count in row.items():
                    if name not in ("core", "mcu"):
                        out[f"mcu.{row['core']}.{row['mcu']}.{name}"] = count
        elif isinstance(value, dict):
            for name, count in value.items():
                out[f"{key}.{name}"] = count
        else:
            out[key] = value
    return out


def _rtl_dump(report, config):
    """An RTL-shaped dump with the golden model's state and counts."""
    g = report.to_dict()
    e = g["events"]
    steps = config.input_steps
    rows = config.n_slices * config.xbar_size
    table = {(r["core"], r["mcu"]): r for r in e["mcu"]}
    per_mcu = []
    for core in range(config.cores_per_tile):
        for m in range(config.mcus_per_core):
            r = table.get((core, m), {})
            per_mcu.append({"core": core, "mcu": m, "mvm": r.get("mvm", 0),
                            "mtvm": r.get("mtvm", 0), "opa_applied": r.get("opa_applied", 0),
                            "requests": r.get("requests", 0),
                            "serial_rows": (r.get("crs_applied", 0) + r.get("commits", 0)) * rows})
    events = {name: e.get(name, 0) for name in DIGITAL_EVENTS}
    events.update({
        "instructions_total": e["instructions_total"], "mcu": per_mcu,
        "mcu_totals": {op: e["mcu_totals"][op] for op in ("mvm", "mtvm", "opa_applied")},
        "adc_conversions": (e["mcu_totals"]["mvm"] + e["mcu_totals"]["mtvm"]) * steps
        * config.xbar_size * config.n_slices,
        "analog_transactions": dict(e["analog_transactions"]),
        "energy_events": {name: e["energy_events"][name] for name in ANALOG_EVENTS},
    })
    return {"cores": g["cores"], "smem": g["smem"], "events": events}


@pytest.fixture(scope="module", params=[1, 2, 3])
def run(request):
    config = PRESETS["small"].replace(variant=request.param)
    text = (ROOT / "examples" / "mlp2_pipeline.s").read_text() + "\n"
    image = assemble(text, config=config, filename="mlp2_pipeline.s")
    return config, run_image(image)


def test_every_golden_counter_is_compared_derived_or_named(run):
    config, report = run
    compared = set(golden_counters(report.events, config, halted=True))
    patterns = list(GOLDEN_ONLY) + list(DERIVED)
    left_out = [name for name in _flatten(report.events)
                if name not in compared and not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert not left_out, f"golden counters neither compared nor named: {left_out}"


def test_a_change_to_any_rtl_counter_is_reported(run):
    config, report = run
    dump = _rtl_dump(report, config)
    assert compare(report, dump) == []
    names = rtl_counters(dump["events"], halted=True)
    assert len(names) > 40
    for name in names:
        broken = copy.deepcopy(dump)
        parts = name.split(".")
        if parts[0] == "mcu":
            row = next(r for r in broken["events"]["mcu"]
                       if (r["core"], r["mcu"]) == (int(parts[1]), int(parts[2])))
            row[parts[3]] += 1
        elif len(parts) == 2:
            broken["events"][parts[0]][parts[1]] += 1
        else:
            broken["events"][name] += 1
        diffs = compare(report, broken)
        assert diffs and diffs[0].startswith(f"event count {name}:"), (name, diffs)


def test_variant_specific_counts_differ(run):
    """The same program: variant 2 updates two copies per OPA, variant 3 commits with
    serial rows; figures from the copy rules of docs/semantics.md §5."""
    config, report = run
    e = report.events
    opas = e["mcu_totals"]["opa_applied"]
    steps, rows = config.input_steps, config.n_slices * config.xbar_size
    assert opas > 0
    copies = {1: 1, 2: 2, 3: 1}[config.variant]
    assert e["energy_events"]["opa_step"] == opas * copies * steps * config.n_slices
    commits = e["mcu_totals"]["commits"]
    dirty = len({(r["core"], r["mcu"]) for r in e["mcu"] if r["opa"] or r["crs"]})
    assert commits == (dirty if config.variant == 3 else 0)
    crs = e["mcu_totals"]["crs_applied"]
    assert e["energy_events"]["serial_read_row"] == (crs + commits) * rows
    assert e["energy_events"]["serial_write_row"] == (crs * copies + commits * 2) * rows
