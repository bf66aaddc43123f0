"""Lexer of the PANTHER assembly language: source text -> logical lines of tokens.

Lines end only at ``\\n`` (or ``\\r\\n``): a form feed, a vertical tab, a lone carriage
return, U+2028 or any other character is part of its line (white space if it is a space, tab,
form feed or vertical tab; inside a comment anything; elsewhere an error), so line numbers
agree with every editor. A physical line is cut at the first ``#`` or ``;`` (comments). A
line whose remaining text ends with ``\\`` continues on the next line. Every token keeps its
own line and (1-based) column so that every diagnostic can say ``file:line:col``.

Limits: a number literal has at most :data:`MAX_LITERAL_DIGITS` = 128 digits, a statement
at most :data:`MAX_STATEMENT_TOKENS` = 100 000 tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Token", "Statement", "LexError", "tokenize_line", "split_statements", "source_lines",
           "iter_statements", "statement_at", "physical_lines", "MAX_LITERAL_DIGITS", "MAX_STATEMENT_TOKENS"]

#: Most tokens of one statement (a logical line, continuation lines included).
MAX_STATEMENT_TOKENS = 100_000

#: Most digits (underscores not counted) of one number literal: enough for any 64-bit word in
#: binary, far below the 4096-bit limit of an expression value (:mod:`isa.asm_expr`).
MAX_LITERAL_DIGITS = 128


@dataclass(frozen=True, slots=True)
class Token:
    """One token.

    Members
    -------
    kind : str
        ``'ident'``, ``'directive'`` (``.name``), ``'int'``, ``'real'``, ``'string'`` (a
        double-quoted file name, no escapes) or ``'op'`` (one of ``+ - * / | & ~ << >> ( ) ,
        :``).
    text : str
        The token's text.
    line, col : int
        1-based position of its first character.
    value : int or float or str or None
        Numeric value of ``'int'``/``'real'`` tokens, the text between the quotes of a
        ``'string'``.
    """

    kind: str
    text: str
    line: int
    col: int
    value: object = None


@dataclass(slots=True)
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
    span : tuple of int
        ``(start, stop, line)``: offsets of its physical lines in the source and the number
        of the first (see :func:`statement_at`).
    """

    line: int
    labels: list
    head: object
    operands: list
    end_col: int
    broken: bool = False
    span: tuple = (0, 0, 1)


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
  | (?P<string>"[^"]*")
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
    """``text`` up to its first ``#`` or ``;`` outside a double-quoted string."""
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char in "#;" and not quoted:
            return text[:i]
    return text


def tokenize_line(text, line, limit=MAX_STATEMENT_TOKENS):
    """Tokens of one physical line (comment already removed). Raises :class:`LexError`, also
    for more than ``limit`` tokens."""
    tokens = []
    pos = 0
    while pos < len(text):
        if len(tokens) >= limit:
            raise LexError(line, pos + 1, f"statement of more than {MAX_STATEMENT_TOKENS} tokens; "
                                          "split it (e.g. one .weights directive per row)")
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
            elif kind == "string":
                value = tok[1:-1]
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


def physical_lines(text, start=0, number=1):
    """``(number, start, stop, line)`` of each physical line of ``text`` from offset
    ``start`` (line ``number``), lazily: split at ``\\n`` only, as :func:`source_lines`;
    ``text[start:stop]`` is the line with its line end."""
    end_of_text = len(text)
    while start < end_of_text:
        end = text.find("\n", start)
        stop = end_of_text if end < 0 else end + 1
        line = text[start:end_of_text if end < 0 else end]
        yield number, start, stop, line[:-1] if line.endswith("\r") else line
        start, number = stop, number + 1


def _body(raw):
    """A physical line without its comment and trailing blanks; ``(body, continues)``."""
    body = _strip_comment(raw).rstrip(" \t\f\v")
    return (body[:-1], True) if body.endswith("\\") else (body, False)


def iter_statements(text, on_error):
    """Statements of a source text, one at a time.

    Each :class:`Statement` records its ``span`` (offsets and first line number), so that a
    caller may drop its tokens and rebuild it later with :func:`statement_at` (the assembler
    keeps only spans between its passes: its memory grows with the statements it keeps, not
    with the tokens or the lines). Errors go to ``on_error(line, col, message)``; a logical
    line with a lexical error, or with more than :data:`MAX_STATEMENT_TOKENS` tokens, yields
    no statement.
    """
    pending, poisoned, first = [], False, None
    for number, start, stop, raw in physical_lines(text):
        if first is None:
            first = (start, number)
        body, cont = _body(raw)
        try:
            tokens = tokenize_line(body, number, MAX_STATEMENT_TOKENS - len(pending))
        except LexError as error:
            on_error(*error.args)
            poisoned, pending = True, []
        if not poisoned:
            pending.extend(tokens)
        if cont:
            continue
        if pending and not poisoned:
            stmt = _statement(pending, pending[0].line, on_error)
            if stmt is not None:
                stmt.span = (first[0], stop, first[1])
                yield stmt
        pending, poisoned, first = [], False, None
    if pending and not poisoned:
        stmt = _statement(pending, pending[0].line, on_error)
        if stmt is not None:
            stmt.span = (first[0], len(text), first[1])
            yield stmt


def statement_at(text, span):
    """The statement at ``span`` of :func:`iter_statements` in ``text``, rebuilt with the
    same positions (its errors were reported the first time)."""
    start, stop, number = span
    tokens = []
    for line_number, _, _, raw in physical_lines(text[:stop], start, number):
        tokens.extend(tokenize_line(_body(raw)[0], line_number))
    stmt = _statement(tokens, tokens[0].line, lambda *error: None)
    stmt.span = span
    return stmt


def split_statements(text):
    """Statements of a source text. Returns ``(statements, errors)`` where each error is
    ``(line, col, message)``."""
    errors = []
    statements = list(iter_statements(text, lambda *e: errors.append(e)))
    return statements, errors


def _statement(tokens, line, on_error):
    labels = []
    i = 0
    while (i + 1 < len(tokens) and tokens[i].kind == "ident" and tokens[i + 1].kind == "op"
           and tokens[i + 1].text == ":"):
        labels.append(tokens[i])
        i += 2
    rest = tokens[i:]
    if not rest:
        return Statement(line, labels, None, [], 0)
    head = rest[0]
    if head.kind not in ("ident", "directive"):
        on_error(head.line, head.col, f"expected a mnemonic, a directive or a label, not {head.text!r}")
        return None
    operands, errors = _split_operands(rest[1:])
    for error in errors:
        on_error(*error)
    return Statement(head.line, labels, head, operands, head.col + len(head.text), bool(errors))
