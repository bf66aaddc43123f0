"""The ``panther`` command.

Each sub-command lives in its own module of :mod:`panther.apps.commands` and defines ``NAME``,
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Modules are discovered, so a new
command needs no edit here.

Exit statuses (:mod:`panther.errors`): 0 success, 1 a check failed, 2 bad input (the message
names the file, line and column, or the option), 70 an internal error (a bug: one line, the
traceback only with ``--debug``), 130 interrupted.
"""

import argparse
import importlib
import logging
import os
import pkgutil
import sys
import traceback

from panther.config import ConfigError
from panther.errors import EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, EXIT_USER_ERROR, UserError

from . import commands

__all__ = ["main", "build_parser", "format_user_error"]


BUILD_DIR_HELP = ("where RTL builds are cached (default: $PANTHER_BUILD_DIR, else ./build of "
                  "the current directory)")


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


class _Version(argparse.Action):
    """``--version``: print the installed version and exit (read only when asked: the
    package metadata costs start-up time)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="print the version of panther and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        import panther

        print(f"panther {panther.__version__}")
        parser.exit()


def build_parser():
    """The argument parser of ``panther`` with every discovered sub-command."""
    parser = argparse.ArgumentParser(
        prog="panther",
        description="PANTHER ReRAM training accelerator generator: assemble, simulate, "
                    "generate Verilog, synthesise and study bit slicing.")
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--debug", action="store_true",
                        help="print the Python traceback of an internal error (a bug)")
    parser.add_argument("--build-dir", default=None, metavar="DIR", help=BUILD_DIR_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="print the Python traceback of an internal error (a bug)")
        command.add_argument("--build-dir", default=argparse.SUPPRESS, metavar="DIR",
                             help=BUILD_DIR_HELP)
        command.set_defaults(run=module.run)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when a message is logged, not as it was when the
    handler was made (a caller that redirects or captures stderr after the first command
    still gets the messages, and a closed old stream is never written)."""

    def emit(self, record):
        self.stream = sys.stderr
        super().emit(record)


def _show_progress():
    """Print the INFO messages of the ``panther.*`` loggers (e.g. a long RTL build) on stderr."""
    logger = logging.getLogger("panther")
    if not logger.handlers:
        handler = _StderrHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("panther: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def format_user_error(error):
    """The text printed for a :class:`UserError` or :class:`ConfigError`: its message as it
    is, one diagnostic per line, whether there is one or several (each names its file, or
    the option)."""
    text = str(error).strip("\n")
    return text or f"{type(error).__name__} without a message"


def _internal_error(command, error, debug):
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    where = ""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
    message = " ".join(str(error).split())[:300]
    hint = "" if debug else "; rerun with 'panther --debug ...' for the traceback"
    print(f"panther {command}: internal error (a bug, please report it): "
          f"{type(error).__name__}{': ' + message if message else ''}{where}{hint}", file=sys.stderr)


def main(argv=None):
    """Run the ``panther`` command line ``argv``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.build_dir is not None:       # cosim.verilog.build_dir() reads it, as do subprocesses
        os.environ["PANTHER_BUILD_DIR"] = os.path.abspath(args.build_dir)
    _show_progress()
    try:
        return args.run(args) or 0
    except (UserError, ConfigError) as error:
        print(format_user_error(error), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:          # noqa: BLE001 - every other escape is a bug
        _internal_error(args.command, error, args.debug)
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
