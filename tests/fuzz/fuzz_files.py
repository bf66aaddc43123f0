"""Hostile files and their oracles, shared by ``tests/fuzz`` and ``scripts/fuzz.py``:
corrupted program image directories (:func:`image_mutations`, :func:`apply_mutation`,
:func:`check_image`) and configuration files (:func:`config_texts`, :func:`check_config`).
Oracles return a list of failure descriptions, as in :mod:`fuzz_inputs`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from fuzz_inputs import EXAMPLES, SMALL, cli_failures, round_trip_failures, run_cli
from hypothesis import strategies as st

from panther.config import ConfigError, load_config
from panther.errors import UserError
from panther.isa.assembler import assemble
from panther.isa.image import ImageError, ProgramImage

__all__ = ["image_mutations", "apply_mutation", "check_image", "base_image", "config_texts",
           "check_config", "HUGE"]

# -- images ------------------------------------------------------------------------------

def base_image(name="sgd_fc_step.s"):
    """A valid image of an example program."""
    return assemble(EXAMPLES[name], config=SMALL, filename=name)


#: Stands for an integer of 5000 digits in JSON values (json.dumps cannot write one).
HUGE = "<5000-digit integer>"


def _dumps(data):
    return json.dumps(data, allow_nan=True).replace(json.dumps(HUGE), "9" * 5000)


def _json_values():
    return st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                  st.sampled_from([2 ** 64, -1, 0, 1, 70000, HUGE, 1e400])),
        lambda children: st.one_of(st.lists(children, max_size=3),
                                   st.dictionaries(st.text(max_size=5), children, max_size=3)),
        max_leaves=6)


_ARRAY_VALUES = [0, 1, -1, 255, 256, 300, 2 ** 15 - 1, 2 ** 15, -2 ** 15, -2 ** 15 - 1, 70000,
                 2 ** 31, -2 ** 31 - 1, 2 ** 62, -2 ** 63]


@st.composite
def image_mutations(draw):
    """One corruption of an image directory: a ``(target, action, payload)`` triple for
    :func:`apply_mutation`."""
    target = draw(st.sampled_from(["json", "programs", "hex", "npz-array", "npz-bytes", "bytes"]))
    if target == "json":
        key = draw(st.sampled_from(["format", "version", "config", "programs", "weights",
                                    "symbols", "source", "extra", "config.variant",
                                    "config.cores_per_tile", "config.noise", "config.smem_depth"]))
        return target, key, draw(st.one_of(_json_values(), st.just("<delete>")))
    if target == "programs":
        field = draw(st.sampled_from(["core", "file", "words", "<entry>", "<drop>", "<dup>"]))
        return target, field, draw(st.one_of(_json_values(), st.sampled_from(
            ["core0.hex", "../image.json", "/etc/hostname", "image.npz", "core1.hex", 3, 257])))
    if target == "hex":
        return target, draw(st.sampled_from(["core0.hex", "core1.hex"])), draw(st.one_of(
            st.binary(max_size=40), st.sampled_from([b"\xff\xfe", b"zz\n", b"0" * 17 + b"\n",
                                                     b"0400000000000000\x0c0400000000000000\n",
                                                     b"ffffffffffffffff\n" * 300])))
    if target == "npz-array":
        name = draw(st.sampled_from(["rf_init", "xbar_in", "xbar_out", "smem_init", "smem_count",
                                     "smem_valid", "weights_c0_m0", "extra"]))
        kind = draw(st.sampled_from(["value", "shape", "dtype", "delete"]))
        return target, (name, kind), (draw(st.sampled_from(_ARRAY_VALUES)), draw(st.integers(0, 10 ** 6)))
    if target == "npz-bytes":
        return target, draw(st.sampled_from(["truncate", "empty", "garbage"])), draw(st.integers(0, 4000))
    return target, draw(st.sampled_from(["image.json", "core0.hex", "image.npz"])), \
        draw(st.sampled_from([b"", b"\xff\xfe\xfd", b"[" * 100000, b"{" * 5000 + b"}" * 5000]))


def _set_path(meta, key, value):
    obj, *rest = key.split(".")
    if rest:
        if isinstance(meta.get(obj), dict):
            _set_path(meta[obj], ".".join(rest), value)
        return
    if value == "<delete>":
        meta.pop(obj, None)
    else:
        meta[obj] = value


def apply_mutation(directory, mutation):
    """Apply one :func:`image_mutations` triple to the image directory ``directory``."""
    d = Path(directory)
    target, what, payload = mutation
    if target in ("json", "programs"):
        meta = json.loads((d / "image.json").read_text())
        if target == "json":
            _set_path(meta, what, payload)
        else:
            entries = meta["programs"]
            if what == "<drop>":
                entries.pop()
            elif what == "<dup>":
                entries.append(dict(entries[0]))
            elif what == "<entry>":
                entries[0] = payload
            else:
                entries[0][what] = payload
        (d / "image.json").write_text(_dumps(meta))
    elif target == "hex":
        (d / what).write_bytes(payload)
    elif target == "npz-array":
        name, kind = what
        value, index = payload
        with np.load(d / "image.npz") as data:
            arrays = {k: data[k] for k in data.files}
        if kind == "delete":
            arrays.pop(name, None)
        elif name not in arrays:
            arrays[name] = np.zeros((16, 16), np.int64)
        elif kind == "value":
            a = arrays[name].astype(np.int64) if name != "smem_valid" else arrays[name]
            flat = a.reshape(-1)
            flat[index % flat.size] = value if name != "smem_valid" else not flat[index % flat.size]
            arrays[name] = a
        elif kind == "shape":
            arrays[name] = arrays[name].reshape(-1)[: max(1, arrays[name].size - 1 - index % 5)]
        else:
            arrays[name] = arrays[name].astype([np.float64, np.int8, np.uint64, np.bool_][index % 4])
        with open(d / "image.npz", "wb") as handle:
            np.savez(handle, **arrays)
    elif target == "npz-bytes":
        raw = (d / "image.npz").read_bytes()
        raw = {"truncate": raw[: payload % max(1, len(raw))], "empty": b"",
               "garbage": raw[:30] + bytes(range(256)) * 4 + raw[30 + 1024:]}[what]
        (d / "image.npz").write_bytes(raw)
    else:
        (d / what).write_bytes(payload)


def check_image(directory):
    """Load, disassemble, reassemble and run a (possibly corrupted) image directory."""
    failures = []
    try:
        image = ProgramImage.load(directory)
    except ImageError as error:
        message = str(error)
        if not message.startswith(str(directory)):
            failures.append(f"image error does not name the file: {message[:200]!r}")
        image = None
    except Exception as error:      # noqa: BLE001
        return [f"load raised {type(error).__name__}: {str(error)[:200]}"]
    if image is not None:
        failures += round_trip_failures(image)
    for argv, allowed in ((["disasm", str(directory)], (0, 2)),
                          (["run", str(directory), "--max-rounds", "3000"], (0, 1, 2))):
        status, _, err = run_cli(argv)
        failures += cli_failures(argv, status, err, allowed)
    return failures


# -- configurations ----------------------------------------------------------------------

# The stated upper bounds (docs: panther/config.py), written out independently.
_BOUNDS = {"xbar_size": 1024, "cores_per_tile": 64, "weight_bits": 64, "nominal_bits": 8,
           "data_bits": 32, "adcs_per_xbar": 1024, "adc_latency": 1024, "deferred_depth": 65536,
           "vfu_lanes": 256, "imem_depth": 2 ** 16, "smem_depth": 2 ** 16, "rf_depth": 2 ** 14,
           "mcus_per_core": 6}


@st.composite
def config_texts(draw):
    """Configuration file contents (str or bytes)."""
    kind = draw(st.sampled_from(["field", "field", "noise", "unknown", "raw"]))
    data = SMALL.to_dict()
    if kind == "raw":
        return draw(st.sampled_from([b"\xff", b"{\"xbar_size\": 16\xff}", b"[" * 100000,
                                     b"{\"a\":" * 3000 + b"1" + b"}" * 3000, b"", b"null", b"[]",
                                     b"{\"variant\": " + b"9" * 5000 + b"}", b"{\"variant\": true}",
                                     b"{\"cores_per_tile\": 100000}"]))
    if kind == "unknown":
        data[draw(st.text(max_size=6))] = 1
    elif kind == "noise":
        name = draw(st.sampled_from(sorted(data["noise"])))
        data["noise"][name] = draw(st.one_of(_json_values(), st.sampled_from([1e3, 1e3 + 1, 2 ** 64, True])))
    else:
        name = draw(st.sampled_from(sorted(data)))
        bound = _BOUNDS.get(name, 16)
        data[name] = draw(st.one_of(_json_values(), st.sampled_from(
            [bound, bound + 1, bound * 2, 0, -1, True, False, 1.0, "16", [16], 1e400])))
        if draw(st.booleans()) and name != "noise":     # a second field too
            other = draw(st.sampled_from(sorted(data)))
            data[other] = draw(st.sampled_from([_BOUNDS.get(other, 4), 1, 2, 4, 8]))
    return _dumps(data)


def check_config(text, workdir):
    """Load a configuration file, then assemble and save a small program with it."""
    path = Path(workdir) / "config.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    start = time.perf_counter()
    try:
        config = load_config(str(path))
    except ConfigError as error:
        if not str(error).startswith(str(path)):
            return [f"config error does not name the file: {str(error)[:200]!r}"]
        return []
    except Exception as error:      # noqa: BLE001
        return [f"load_config raised {type(error).__name__}: {str(error)[:200]}"]
    failures = []
    try:
        image = assemble("set 0, 1\nhlt\n", config=config, filename="c.s")
        image.save(Path(workdir) / "img")
        ProgramImage.load(Path(workdir) / "img")
    except UserError:
        pass
    except Exception as error:      # noqa: BLE001
        failures.append(f"a loaded configuration breaks assembly: {type(error).__name__}: "
                        f"{str(error)[:200]}")
    if time.perf_counter() - start > 5:
        failures.append(f"configuration took {time.perf_counter() - start:.1f} s to load and use")
    return failures
