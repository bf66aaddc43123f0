"""Lexer of the PANTHER assembly language: source text -> logical lines of tokens.

Lines end only at ``\\n`` (or ``\\r\\n``): a form feed, a vertical tab, a lone carriage
return, U+2028 or any other character is part of its line (white space if it is a space, tab,
form feed or vertical tab; inside a comment anything; elsewhere an error), so line numbers
agree with every editor. A physical line is cut at the first ``#`` or ``;`` (comments). A
line whose remaining text ends with ``\\`` continues on the next line. Every token keeps its
own line and (1-based) column so that every diagnostic can say ``file:line:col``.

Limits (:data:`MAX_LITERAL_DIGITS`): a number literal has at most 128 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Token", "Statement", "LexError", "tokenize_line", "split_statements", "source_lines",
           "MAX_LITERAL_DIGITS"]

#: Most digits (underscores not counted) of one number literal: enough for any 64-bit word in
#: binary, far below the 4096-bit limit of an expression value (:mod:`isa.asm_expr`).
MAX_LITERAL_DIGITS = 128


@dataclass(frozen=True)
class Token:
    """One token.

    Members
    -------
    kind : str
        ``'ident'``, ``'directive'`` (``.name``), ``'int'``, ``'real'`` or ``'op'`` (one of
        ``+ - * / | & ~ << >> ( ) , :``).
    text : str
        The token's text.
    line, col : int
        1-based position of its first character.
    value : int or float or None
        Numeric value of ``'int'``/``'real'`` tokens.
    """

    kind: str
    text: str
    line: int
    col: int
    value: object = None


@dataclass
class Statement:
    """One logical line.

    Members
    -------
    line : int
        Line number of the statement's first token.
    labels : list of Token
        Label names defined on this line (``name:``).
    head : Token or None
        The mnemonic (``'ident'``) or directive (``'directive'``); None for a label-only line.
    operands : list of list of Token
        Comma-separated operands (each a non-empty token list).
    end_col : int
        Column just after the statement head (for diagnostics about missing operands).
    broken : bool
        True when the operands had a syntax error (already reported); the statement still
        occupies its instruction slot so that later labels keep their addresses.
    """

    line: int
    labels: list
    head: object
    operands: list
    end_col: int
    broken: bool = False


class LexError(Exception):
    """A lexical error; ``args = (line, col, message)``."""


_TOKEN = re.compile(r"""
    (?P<space>[ \t\f\v]+)
  | (?P<hex>0[xX][0-9a-fA-F_]+\b)
  | (?P<bin>0[bB][01_]+\b)
  | (?P<oct>0[oO][0-7_]+\b)
  | (?P<real>(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>\d+\b)
  | (?P<directive>\.[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<|>>|[-+*/|&~(),:])
""", re.VERBOSE | re.ASCII)


def _describe(char):
    """A character for a message: printable as itself, otherwise also by its code point."""
    if char.isprintable() and char.isascii():
        return repr(char)
    return f"{char!r} (U+{ord(char):04X})"


def source_lines(text):
    """The physical lines of ``text``: split at ``\\n`` only, a ``\\r`` before it dropped.

    Unlike :meth:`str.splitlines`, a form feed, a vertical tab, a lone ``\\r``, U+2028 and
    the other Unicode line separators stay inside their line.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _strip_comment(text):
    cut = [i for i in (text.find("#"), text.find(";")) if i >= 0]
    return text[:min(cut)] if cut else text


def tokenize_line(text, line):
    """Tokens of one physical line (comment already removed). Raises :class:`LexError`."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise LexError(line, pos + 1, f"unexpected character {_describe(text[pos])}")
        kind = m.lastgroup
        tok = m.group()
        if kind != "space":
            value = None
            if kind in ("hex", "bin", "oct", "int", "real"):
                digits = len(tok) - tok.count("_") - (2 if kind in ("hex", "bin", "oct") else 0)
                if digits > MAX_LITERAL_DIGITS:
                    raise LexError(line, pos + 1, f"number literal of {digits} digits; at most "
                                                  f"{MAX_LITERAL_DIGITS} are allowed")
            if kind in ("hex", "bin", "oct"):
                value = int(tok.replace("_", ""), 0)
                kind = "int"
            elif kind == "int":
                value = int(tok)
            elif kind == "real":
                value = float(tok)
            tokens.append(Token(kind, tok, line, pos + 1, value))
        pos = m.end()
    return tokens


def _split_operands(tokens):
    """Split at top-level commas. Returns ``(operands, errors)``."""
    operands, current, depth, errors = [], [], 0, []
    last = None
    for tok in tokens:
        if tok.kind == "op" and tok.text == "(":
            depth += 1
        elif tok.kind == "op" and tok.text == ")":
            depth -= 1
        if tok.kind == "op" and tok.text == "," and depth == 0:
            if not current:
                errors.append((tok.line, tok.col, "empty operand before ','"))
            else:
                operands.append(current)
            current = []
            last = tok
            continue
        current.append(tok)
    if current:
        operands.append(current)
    elif last is not None:
        errors.append((last.line, last.col, "empty operand after ','"))
    return operands, errors


def split_statements(text):
    """Statements of a source text. Returns ``(statements, errors)`` where each error is
    ``(line, col, message)``."""
    statements, errors = [], []
    pending, poisoned = [], False

    def flush():
        if pending and not poisoned:
            stmt, errs = _statement(pending, pending[0].line)
            errors.extend(errs)
            if stmt is not None:
                statements.append(stmt)

    for number, raw in enumerate(source_lines(text), 1):
        body = _strip_comment(raw).rstrip(" \t\f\v")
        cont = body.endswith("\\")
        if cont:
            body = body[:-1]
        try:
            pending.extend(tokenize_line(body, number))
        except LexError as error:
            errors.append(error.args)
            poisoned = True
        if cont:
            continue
        flush()
        pending, poisoned = [], False
    flush()
    return statements, errors


def _statement(tokens, line):
    labels = []
    i = 0
    while (i + 1 < len(tokens) and tokens[i].kind == "ident" and tokens[i + 1].kind == "op"
           and tokens[i + 1].text == ":"):
        labels.append(tokens[i])
        i += 2
    rest = tokens[i:]
    if not rest:
        return Statement(line, labels, None, [], 0), []
    head = rest[0]
    if head.kind not in ("ident", "directive"):
        return None, [(head.line, head.col, f"expected a mnemonic, a directive or a label, not {head.text!r}")]
    operands, errors = _split_operands(rest[1:])
    return Statement(head.line, labels, head, operands, head.col + len(head.text), bool(errors)), errors
