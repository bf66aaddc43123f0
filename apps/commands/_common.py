"""Helpers shared by the ``panther`` sub-commands: reading a source file and option types.

A module whose name starts with ``_`` is not a sub-command (see :mod:`panther.apps.cli`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from panther.config import PRESETS
from panther.errors import UserError

__all__ = ["read_source", "positive_int", "non_negative_int", "add_config_argument",
           "write_json"]


def read_source(path):
    """The text of an assembly source file, as UTF-8 with its line ends untouched.

    Lines are split later at ``\\n`` only (:func:`isa.asm_lexer.source_lines`); reading
    with universal newlines would turn a lone ``\\r`` into a line break. Raises
    :class:`UserError` naming the file (and the byte offset of invalid UTF-8).
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text: invalid byte {error.object[error.start]:#04x} "
                        f"at offset {error.start}") from None
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror or error}") from None


def _integer(text, low, what):
    try:
        value = int(str(text).strip(), 10)
    except ValueError:
        value = None
    if value is None or value < low:
        raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}")
    return value


def positive_int(text):
    """An argparse ``type``: an integer >= 1 (the error names the option)."""
    return _integer(text, 1, "a positive integer")


def non_negative_int(text):
    """An argparse ``type``: an integer >= 0 (the error names the option)."""
    return _integer(text, 0, "a non-negative integer")


def add_config_argument(parser, *, default="small", default_text=None, help_extra=""):
    """Add the ``--config`` option every command has: a preset name (any case) or a
    configuration JSON file, read later with :func:`panther.config.load_config`.

    ``default``: the value when the option is not given (``None``: the command decides, and
    ``default_text`` says how); ``help_extra``: appended to the help (what the configuration
    is used for, if not obvious).
    """
    presets = ", ".join(PRESETS)
    parser.add_argument("--config", default=default, metavar="|".join([*PRESETS, "FILE"]),
                        help=f"configuration: a preset ({presets}) or a JSON file (default: "
                             f"{default_text or default})" + help_extra)


def write_json(path, data):
    """Write ``data`` as JSON to ``path``, atomically (a temporary file renamed into place);
    :class:`UserError` naming the file if it cannot."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write: {error.strerror or error}") from None
