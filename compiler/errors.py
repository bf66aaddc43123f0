"""Errors of the compiler: user errors (a bad model file, a network that does not fit).

Both derive from :class:`panther.errors.UserError`, so the ``panther`` command prints them as
one message, without a traceback, and exits with status 2.
"""

from panther.errors import UserError

__all__ = ["ModelError", "CompileError"]


class ModelError(UserError):
    """A model description that is malformed or inconsistent.

    The message names the file and the JSON path (``model.json: $.layers[1].out: ...``), or
    the line and column for a file that is not JSON at all.
    """


class CompileError(UserError):
    """A valid model that cannot be compiled for the configuration (it does not fit, or
    needs something the ISA does not offer yet). The message says what it needs."""
