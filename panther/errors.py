"""User-facing errors and the exit statuses of the ``panther`` command.

A :class:`UserError` is bad input (a file, an option or a value): the command prints its
message, which names the file (``file[:line:col]: message``) or the option, and exits with
:data:`EXIT_USER_ERROR`. Anything else that escapes a command is a bug: the command says so
in one line and exits with :data:`EXIT_INTERNAL_ERROR` (the traceback only with ``--debug``).
"""

__all__ = ["UserError", "EXIT_OK", "EXIT_FAILED", "EXIT_USER_ERROR", "EXIT_INTERNAL_ERROR",
           "EXIT_INTERRUPTED"]

#: The command did what was asked and every check passed.
EXIT_OK = 0
#: The command ran to the end but a check failed (e.g. the RTL differs from the golden model).
EXIT_FAILED = 1
#: Bad input: a file, an option or a value (a :class:`UserError`), or a program that faults.
EXIT_USER_ERROR = 2
#: An internal error: a bug in the generator (BSD ``EX_SOFTWARE``).
EXIT_INTERNAL_ERROR = 70
#: Interrupted with Ctrl-C.
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """Bad input from the user: a file, an option or a value.

    The message should name the file, the line and what was expected, for example
    ``prog.s:12:5: unknown mnemonic 'ad'; expected one of ...``. It may hold several lines,
    one per error, each in the same ``file:line:col: message`` form.
    """
