"""Lexer of the PANTHER assembly language: source text -> logical lines of tokens.

A physical line is cut at the first ``#`` or ``;`` (comments). A line whose remaining text
ends with ``\\`` continues on the next line. Every token keeps its own line and (1-based)
column so that every diagnostic can say ``file:line:col``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Token", "Statement", "LexError", "tokenize_line", "split_statements"]


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
    (?P<space>\s+)
  | (?P<hex>0[xX][0-9a-fA-F_]+\b)
  | (?P<bin>0[bB][01_]+\b)
  | (?P<oct>0[oO][0-7_]+\b)
  | (?P<real>(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>\d+\b)
  | (?P<directive>\.[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<|>>|[-+*/|&~(),:])
""", re.VERBOSE)


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
            raise LexError(line, pos + 1, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        tok = m.group()
        if kind != "space":
            value = None
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

    for number, raw in enumerate(text.splitlines(), 1):
        body = _strip_comment(raw).rstrip()
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
