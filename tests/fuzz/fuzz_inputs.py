"""Hostile inputs and their oracles, shared by ``tests/fuzz`` and ``scripts/fuzz.py``.

Strategies (hypothesis):

* :func:`assembly_texts`: mutated example programs, random token soup, and numbers,
  nesting and shifts at and just past every limit of the assembler;
* :func:`image_mutations`: one corruption of a saved program image directory (image.json
  fields and JSON types, the program file list, hex files, npz arrays, bytes);
* :func:`config_texts`: configuration JSON with values at and past every bound, wrong JSON
  types, unknown keys, invalid UTF-8, deep nesting.

Oracles return a list of failure descriptions (empty when the input was handled as
promised: accepted, or refused with ``file[:line:col]: message`` and exit status 2, no
traceback, within the time bound) and never raise, so that a long fuzz run can count.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import string
import time
import traceback
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from isa.assembler import AsmError, DIRECTIVES, MNEMONICS, assemble
from isa.disassembler import disassemble_image
from isa.image import ImageError, ProgramImage
from panther.config import ConfigError, PRESETS, load_config
from panther.errors import UserError

try:
    from isa.asm_expr import MAX_DEPTH, MAX_INT_BITS
    from isa.asm_lexer import MAX_LITERAL_DIGITS, source_lines
except ImportError:       # an older tree (scripts/fuzz.py measures before and after)
    MAX_DEPTH, MAX_INT_BITS, MAX_LITERAL_DIGITS = 32, 4096, 128

    def source_lines(text):
        return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]

__all__ = ["assembly_texts", "image_mutations", "config_texts", "check_assembly",
           "check_asm_cli", "check_image", "check_config", "apply_mutation", "base_image",
           "SECONDS_PER_KB", "EXAMPLES"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {p.name: p.read_text() for p in sorted((ROOT / "examples").glob("*.s"))}
SMALL = PRESETS["small"]
#: Promised bound on the assembler's time: this much per kilobyte of source (plus a start).
SECONDS_PER_KB = 1.0
_START_SECONDS = 0.5

# -- assembly text -----------------------------------------------------------------------

_ODD_CHARS = ["\f", "\v", "\r", "\x00", "\u2028", "\u2029", "\x85", "\x1c", "\u00a0", "\t",
              "\u0663", "\uff11", "é", "\\", "#", ";", ":", ",", "(", ")", "<<", ">>", "~", "-",
              "+", "*", "/", "|", "&", ".", "_", "0x", "0b", "0o", "e", "E", "\n", "\r\n"]


def _boundary_numbers():
    out = ["0", "-1", "1", "0.5", "-0.0", "1e308", "1e309", "-1e400", "7.99976", "8.0",
           "0x" + "f" * 16, "0x1" + "0" * 16, "0b" + "1" * 64, "0o777", "1_000", "0x_ff",
           "9" * MAX_LITERAL_DIGITS, "9" * (MAX_LITERAL_DIGITS + 1), "0x" + "f" * (MAX_LITERAL_DIGITS + 1),
           "1" + "0" * 5000, "1." + "5" * 200, "3e-400"]
    for k in (3, 5, 6, 8, 14, 15, 16, 31, 32, 63, 64, 65, 128, 256):
        out += [str(2 ** k - 1), str(2 ** k), str(2 ** k + 1), str(-2 ** k), str(-2 ** k - 1)]
    return out


BOUNDARY_NUMBERS = _boundary_numbers()


def _nested(draw):
    depth = draw(st.sampled_from([MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 82, 1000]))
    kind = draw(st.sampled_from(["paren", "minus", "tilde", "func"]))
    if kind == "paren":
        return "(" * depth + "1" + ")" * depth
    if kind == "minus":
        return "-" * depth + "1"
    if kind == "tilde":
        return "~" * depth + "1"
    return "xin(" * depth + "0" + ")" * depth


def _big(draw):
    shifts = draw(st.sampled_from([15, 16, 17, 60]))
    kind = draw(st.sampled_from(["shift", "mul", "real"]))
    chain = "1" + "<<256" * shifts
    if kind == "shift":
        return chain
    if kind == "mul":
        return f"({chain})*({chain})"
    return "1.0*(" + chain + ")"


@st.composite
def limit_lines(draw):
    """One to a few lines whose operands sit at or just past a limit."""
    value = draw(st.one_of(st.sampled_from(BOUNDARY_NUMBERS), st.builds(str, st.integers()),
                           st.builds(repr, st.floats()), st.composite(lambda d: _nested(d))(),
                           st.composite(lambda d: _big(d))()))
    template = draw(st.sampled_from([
        "set 0, {v}", ".equ BIG, {v}", "cp {v}, 0, 1", "cp 0, 0, {v}", "ld 0, {v}, 1",
        "st {v}, 0, 1, {v}", "jmp {v}", ".word {v}", "alui sna, 0, 0, {v}, 1", "mcu 0:{v}",
        "mcu {v}", "crs {v}", ".core {v}", ".data {v}, 1", ".data 0, {v}", ".smem 0, {v}, 1",
        ".weights 0, 0, {v}", ".weights 0, {v}, 1", ".region r, 0, {v}", ".mcu M, {v}",
        "alu add, 0, 0, 0, {v}", "beq 0, 0, {v}", "set {v}, {v}"]))
    lines = [template.format(v=value)]
    if draw(st.booleans()):      # a squaring chain from a big start: bounded size
        start = draw(st.sampled_from(["1<<256", "1<<255", "3"]))
        lines = [f".equ A0, {start}"] + [f".equ A{i + 1}, A{i}*A{i}" for i in range(22)] + lines
    return "\n".join(lines) + "\n"


_VOCAB = (list(MNEMONICS) + list(DIRECTIVES) + ["xin0", "xout1", "xin(1)", "xout(7)", "L1",
          "loop", "mvm", "opa", "mtvm", "relu", "add", "sna", "N", ":", ",", "(", ")", "-", "<<",
          "|", "\\", "#", ";", "1.5", "0x10", "\f", "\u2028"] + BOUNDARY_NUMBERS[:40])


@st.composite
def token_soup(draw):
    """Random lines of tokens of the language (and a few that are not)."""
    lines = draw(st.lists(st.lists(st.sampled_from(_VOCAB), max_size=8), min_size=1, max_size=8))
    sep = draw(st.sampled_from([" ", ", ", "  "]))
    return "\n".join(sep.join(line) for line in lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@st.composite
def mutated_example(draw):
    """An example program with a few character-level mutations."""
    text = draw(st.sampled_from(sorted(EXAMPLES.values())))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "dup-line", "number"]))
        if action == "insert":
            text = text[:pos] + draw(st.one_of(st.sampled_from(_ODD_CHARS),
                                               st.text(max_size=3))) + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)):]
        elif action == "replace":
            text = text[:pos] + draw(st.sampled_from(_ODD_CHARS)) + text[pos + 1:]
        elif action == "dup-line":
            lines = text.split("\n")
            i = pos % len(lines)
            text = "\n".join(lines[:i + 1] + lines[i:])
        else:
            text = re.sub(r"\b\d+\b", lambda m, v=draw(st.sampled_from(BOUNDARY_NUMBERS)): v,
                          text, count=1 + pos % 3)
    return text


def assembly_texts():
    """Hostile assembly sources (see the module docstring)."""
    return st.one_of(mutated_example(), token_soup(), limit_lines(),
                     st.lists(st.sampled_from(list(string.printable) + _ODD_CHARS), max_size=60).map("".join))


_DIAG = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): \S")


def _time_limit(text):
    return _START_SECONDS + SECONDS_PER_KB * len(text.encode("utf-8", "surrogatepass")) / 1024


def check_assembly(text, config=SMALL, *, round_trip=True):
    """Assemble ``text`` through the API; failures of the promises (see module docstring)."""
    failures = []
    start = time.perf_counter()
    try:
        image = assemble(text, config=config, filename="fuzz.s")
    except AsmError as error:
        image = None
        n_lines = len(source_lines(text)) + 1
        for diag in error.errors:
            m = _DIAG.match(diag)
            if m is None or m["file"] != "fuzz.s":
                failures.append(f"diagnostic not 'fuzz.s:line:col: message': {diag[:200]!r}")
            elif not 1 <= int(m["line"]) <= n_lines or int(m["col"]) < 1:
                failures.append(f"diagnostic names line {m['line']} col {m['col']} of a "
                                f"{n_lines - 1}-line source: {diag[:200]!r}")
            elif "\n" in diag:
                failures.append(f"diagnostic spans lines: {diag[:200]!r}")
    except Exception as error:     # noqa: BLE001 - the oracle: anything else is a failure
        return [f"assemble raised {type(error).__name__}: {str(error)[:200]}\n"
                + "".join(traceback.format_exception(error)[-3:])]
    elapsed = time.perf_counter() - start
    if elapsed > _time_limit(text):
        failures.append(f"assembly took {elapsed:.2f} s for {len(text)} characters")
    if image is not None and round_trip:
        failures += _round_trip(image)
    return failures


def _round_trip(image):
    try:
        text = disassemble_image(image)
        again = assemble(text, config=image.config, filename="disasm.s")
    except Exception as error:      # noqa: BLE001
        return [f"disassembly does not reassemble: {type(error).__name__}: {str(error)[:300]}"]
    if not again.same_contents(image):
        return ["disassembly reassembles to a different image"]
    return []


def _cli(argv):
    """``panther argv`` in-process: (exit status, stdout, stderr)."""
    from panther.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit_:    # argparse
            status = exit_.code
    return status, out.getvalue(), err.getvalue()


def _cli_failures(argv, status, err, allowed=(0, 2)):
    failures = []
    if status not in allowed:
        failures.append(f"panther {' '.join(map(str, argv))}: exit status {status}: {err[-400:]}")
    if "Traceback" in err:
        failures.append(f"panther {' '.join(map(str, argv))}: traceback: {err[-400:]}")
    return failures


def check_asm_cli(text, workdir, config="small"):
    """``panther asm`` of ``text`` as a file (bytes if ``text`` is bytes)."""
    workdir = Path(workdir)
    source = workdir / "fuzz.s"
    if isinstance(text, bytes):
        source.write_bytes(text)
    else:
        with open(source, "w", encoding="utf-8", errors="surrogatepass", newline="") as handle:
            handle.write(text)
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    argv = ["asm", str(source), "-o", str(out), "--config", config]
    status, _, err = _cli(argv)
    failures = _cli_failures(argv, status, err)
    if status == 2 and out.exists():
        failures.append("asm failed but wrote an output directory")
    for line in err.strip().splitlines() if status == 2 else []:
        if not line.startswith(str(source)) and not line.startswith(config):
            failures.append(f"error line does not name the file: {line[:200]!r}")
    return failures


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
        failures += _round_trip(image)
    for argv, allowed in ((["disasm", str(directory)], (0, 2)),
                          (["run", str(directory), "--max-rounds", "3000"], (0, 1, 2))):
        status, _, err = _cli(argv)
        failures += _cli_failures(argv, status, err, allowed)
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


#: The integer bit limit, re-exported for the tests' boundary inputs.
INT_BITS = MAX_INT_BITS
