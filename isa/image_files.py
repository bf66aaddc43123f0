"""The files of a program image directory: the format tag, the ``$readmemh`` program files
and the error every reader raises (:mod:`isa.image` writes them, :mod:`isa.image_load` reads
and checks them)."""

from __future__ import annotations

import re
from pathlib import Path

from panther.errors import UserError

from .asm_lexer import source_lines

__all__ = ["IMAGE_FORMAT", "IMAGE_VERSION", "ImageError", "hex_lines", "read_hex", "read_utf8"]

IMAGE_FORMAT = "panther-program-image"
IMAGE_VERSION = 1
_HEX_LINE = re.compile(r"^[0-9a-fA-F]{16}$")


class ImageError(UserError):
    """An image directory or hex file that cannot be read."""


def hex_lines(words):
    """``$readmemh`` text lines (16 lower-case hex digits each) of 64-bit words."""
    out = []
    for w in words:
        w = int(w)
        if not 0 <= w < 1 << 64:
            raise ValueError(f"program word {w!r} is not a 64-bit unsigned value")
        out.append(f"{w:016x}")
    return out


def read_hex(path, *, max_words=None):
    """64-bit words of a ``$readmemh`` file written by :meth:`ProgramImage.save`.

    Blank lines and ``//`` comments are skipped; lines end at ``\\n`` only. Raises
    :class:`ImageError` with ``file:line:col`` for anything else, for text that is not
    UTF-8 and for more than ``max_words`` words.
    """
    path = Path(path)
    text = read_utf8(path)
    words = []
    for number, line in enumerate(source_lines(text), 1):
        body = line.split("//", 1)[0].strip()
        if not body:
            continue
        if not _HEX_LINE.match(body):
            col = line.index(body[0]) + 1
            raise ImageError(f"{path}:{number}:{col}: expected one 64-bit word as 16 hex digits, "
                             f"not {body!r}")
        words.append(int(body, 16))
        if max_words is not None and len(words) > max_words:
            raise ImageError(f"{path}:{number}:1: more than {max_words} words (imem_depth)")
    return words


def read_utf8(path):
    """The text of a file of an image; :class:`ImageError` naming the file when it
    cannot be read or is not UTF-8."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ImageError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImageError(f"{path}: not UTF-8 text: invalid byte {raw[error.start]:#04x} at offset "
                     f"{error.start}") from None
