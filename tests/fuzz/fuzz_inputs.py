"""Hostile assembly and its oracles, shared by ``tests/fuzz`` and ``scripts/fuzz.py`` (images
and configuration files: :mod:`fuzz_files`).

:func:`assembly_texts` (hypothesis) draws mutated example programs, random token soup, and
numbers, nesting and shifts at and just past every limit of the assembler.

Oracles return a list of failure descriptions (empty when the input was handled as
promised: accepted, or refused with ``file[:line:col]: message`` and exit status 2, no
traceback, within the time bound) and never raise, so that a long fuzz run can count.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import string
import time
import traceback
from pathlib import Path

from hypothesis import strategies as st

from panther.config import PRESETS
from panther.isa.assembler import DIRECTIVES, MNEMONICS, AsmError, assemble
from panther.isa.disassembler import disassemble_image

try:
    from panther.isa.asm_expr import MAX_DEPTH
    from panther.isa.asm_lexer import MAX_LITERAL_DIGITS, source_lines
except ImportError:       # an older tree (scripts/fuzz.py measures before and after)
    MAX_DEPTH, MAX_LITERAL_DIGITS = 32, 128

    def source_lines(text):
        return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]

__all__ = ["assembly_texts", "check_assembly", "check_asm_cli", "round_trip_failures",
           "run_cli", "cli_failures", "SECONDS_PER_KB", "EXAMPLES", "SMALL", "BOUNDARY_NUMBERS"]

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
        failures += round_trip_failures(image)
    return failures


def round_trip_failures(image):
    try:
        text = disassemble_image(image)
        again = assemble(text, config=image.config, filename="disasm.s")
    except Exception as error:      # noqa: BLE001
        return [f"disassembly does not reassemble: {type(error).__name__}: {str(error)[:300]}"]
    if not again.same_contents(image):
        return ["disassembly reassembles to a different image"]
    return []


def run_cli(argv):
    """``panther argv`` in-process: (exit status, stdout, stderr)."""
    from panther.apps.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit_:    # argparse
            status = exit_.code
    return status, out.getvalue(), err.getvalue()


def cli_failures(argv, status, err, allowed=(0, 2)):
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
    status, _, err = run_cli(argv)
    failures = cli_failures(argv, status, err)
    if status == 2 and out.exists():
        failures.append("asm failed but wrote an output directory")
    for line in err.strip().splitlines() if status == 2 else []:
        if not line.startswith(str(source)) and not line.startswith(config):
            failures.append(f"error line does not name the file: {line[:200]!r}")
    return failures
