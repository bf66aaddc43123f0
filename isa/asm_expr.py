"""Operand expressions of the PANTHER assembly language.

Grammar (usual precedence, lowest first)::

    expr    := and ('|' and)*
    and     := shift ('&' shift)*
    shift   := sum (('<<' | '>>') sum)*
    sum     := product (('+' | '-') product)*
    product := unary (('*' | '/') unary)*
    unary   := ('-' | '+' | '~') unary | primary
    primary := INT | REAL | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

Values are Python ints, or floats once a real literal takes part. ``/`` is exact division
of reals, and floor division when both sides are integers. Bit operators need integers.

Limits, so that no operand can make the assembler work without bound (each is an error at
the column of the token that crosses it):

* :data:`MAX_DEPTH`: at most 32 nested parentheses, unary operators and function calls;
* :data:`MAX_INT_BITS`: no integer value, literal or intermediate, above 4096 bits;
* every real value, intermediate included, must be finite (a float overflow is an error).
"""

from __future__ import annotations

import math

__all__ = ["ExprError", "evaluate", "MAX_DEPTH", "MAX_INT_BITS", "describe_value"]

#: Most nested parentheses, unary operators and function calls in one operand.
MAX_DEPTH = 32
#: Largest bit length of any integer value of an expression (sign not counted).
MAX_INT_BITS = 4096


def describe_value(value):
    """A value for a message: as it is, or its size when it has more than 30 digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 96:
        return f"{'-' if value < 0 else ''}<{value.bit_length()}-bit integer>"
    return repr(value)


class ExprError(Exception):
    """``args = (line, col, message)``."""


class _Parser:
    def __init__(self, tokens, lookup, functions):
        self.tokens = tokens
        self.pos = 0
        self.lookup = lookup
        self.functions = functions
        self.depth = 0

    def enter(self, tok):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(tok.line, tok.col, f"expression nested deeper than {MAX_DEPTH} levels "
                                               "(parentheses, unary operators and function calls)")

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def is_op(self, *texts):
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in texts

    def take(self):
        tok = self.peek()
        self.pos += 1
        return tok

    def fail_end(self, what):
        last = self.tokens[-1]
        raise ExprError(last.line, last.col + len(last.text), f"expected {what} after {last.text!r}")

    def binary(self, sub, ops, integer_only=False):
        value = sub()
        while self.is_op(*ops):
            op = self.take()
            right = sub()
            value = _apply(op, value, right, integer_only)
        return value

    def expr(self):
        return self.binary(self.and_, ("|",), True)

    def and_(self):
        return self.binary(self.shift, ("&",), True)

    def shift(self):
        return self.binary(self.sum, ("<<", ">>"), True)

    def sum(self):
        return self.binary(self.product, ("+", "-"))

    def product(self):
        return self.binary(self.unary, ("*", "/"))

    def unary(self):
        if self.is_op("-", "+", "~"):
            op = self.take()
            self.enter(op)
            value = self.unary()
            self.depth -= 1
            if op.text == "-":
                return -value           # same bit length; a real stays finite or not
            if op.text == "~":
                _need_int(op, value)
                return _checked(op, ~value)
            return value
        return self.primary()

    def primary(self):
        tok = self.take()
        if tok is None:
            self.fail_end("a value")
        if tok.kind in ("int", "real"):
            return _checked(tok, tok.value)
        if tok.kind == "op" and tok.text == "(":
            self.enter(tok)
            value = self.expr()
            self.expect_close(tok)
            self.depth -= 1
            return value
        if tok.kind == "ident":
            if self.is_op("("):
                open_tok = self.take()
                self.enter(open_tok)
                args = [self.expr()]
                while self.is_op(","):
                    self.take()
                    args.append(self.expr())
                self.expect_close(open_tok)
                self.depth -= 1
                func = self.functions.get(tok.text)
                if func is None:
                    raise ExprError(tok.line, tok.col, f"unknown function {tok.text!r}; expected one of "
                                                       f"{', '.join(sorted(self.functions))}")
                return func(tok, args)
            return _checked(tok, self.lookup(tok))
        raise ExprError(tok.line, tok.col, f"expected a number, a name or '(', not {tok.text!r}")

    def expect_close(self, open_tok):
        tok = self.take()
        if tok is None or tok.kind != "op" or tok.text != ")":
            where = tok or self.tokens[-1]
            raise ExprError(where.line, where.col if tok else where.col + len(where.text),
                            f"expected ')' to close the '(' at column {open_tok.col}")


def _need_int(tok, value):
    if not isinstance(value, int):
        raise ExprError(tok.line, tok.col, f"operator {tok.text!r} needs integers, not "
                                           f"{describe_value(value)}")


def _checked(tok, value):
    """``value`` if it keeps to the limits of the module docstring, else an error at ``tok``."""
    if isinstance(value, float):
        if not math.isfinite(value) and tok.kind == "op":
            raise ExprError(tok.line, tok.col, f"real value of {tok.text!r} overflows "
                                               f"(not a finite number: {value!r})")
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ExprError(tok.line, tok.col, f"integer value of {value.bit_length()} bits exceeds the "
                                           f"limit of {MAX_INT_BITS} bits")
    return value


def _apply(op, left, right, integer_only):
    if integer_only:
        _need_int(op, left)
        _need_int(op, right)
    try:
        value = _compute(op, left, right)
        if isinstance(value, float) and not all(math.isfinite(v) for v in (left, right)):
            return value        # an infinite literal: reported where the operand starts
        return _checked(op, value)
    except OverflowError:
        raise ExprError(op.line, op.col, f"real value of {op.text!r} overflows "
                                         f"({describe_value(left)} {op.text} "
                                         f"{describe_value(right)})") from None


def _compute(op, left, right):
    t = op.text
    if t == "+":
        return left + right
    if t == "-":
        return left - right
    if t == "*":
        return left * right
    if t == "/":
        if right == 0:
            raise ExprError(op.line, op.col, "division by zero")
        if isinstance(left, int) and isinstance(right, int):
            return left // right
        return left / right
    if t in ("<<", ">>"):
        if right < 0 or right > 256:
            raise ExprError(op.line, op.col, f"shift amount {describe_value(right)} outside 0 .. 256")
        if t == "<<" and left and left.bit_length() + right > MAX_INT_BITS:
            raise ExprError(op.line, op.col, f"integer value of {left.bit_length() + right} bits "
                                             f"exceeds the limit of {MAX_INT_BITS} bits")
        return left << right if t == "<<" else left >> right
    if t == "|":
        return left | right
    if t == "&":
        return left & right
    raise ExprError(op.line, op.col, f"unknown operator {t!r}")  # pragma: no cover


def evaluate(tokens, lookup, functions):
    """Value of an operand's tokens.

    ``lookup(token)`` returns a name's value or raises :class:`ExprError`;
    ``functions`` maps a name to ``f(token, args)``. Raises :class:`ExprError`.
    """
    if len(tokens) == 1 and tokens[0].kind in ("int", "real"):          # fast path: a literal
        return _checked(tokens[0], tokens[0].value)
    if (len(tokens) == 2 and tokens[0].kind == "op" and tokens[0].text == "-"
            and tokens[1].kind in ("int", "real")):
        return _checked(tokens[1], -tokens[1].value)
    parser = _Parser(tokens, lookup, functions)
    value = parser.expr()
    extra = parser.peek()
    if extra is not None:
        raise ExprError(extra.line, extra.col, f"unexpected {extra.text!r} in an operand; "
                                               "expected an operator or ','")
    return value
