"""User-facing errors: printed as one message (no traceback) with exit status 2."""

__all__ = ["UserError"]


class UserError(Exception):
    """Bad input from the user: a file, an option or a value.

    The message should name the file, the line and what was expected, for example
    ``prog.s:12:5: unknown mnemonic 'ad'; expected one of ...``. It may hold several lines,
    one per error.
    """
