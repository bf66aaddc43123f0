"""The ``panther`` command.

Each sub-command lives in its own module of :mod:`panther.commands` and defines ``NAME``,
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Modules are discovered, so a new
command needs no edit here.
"""

import argparse
import importlib
import logging
import pkgutil
import sys

from . import commands
from .config import ConfigError
from .errors import UserError

__all__ = ["main"]


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="panther",
        description="PANTHER ReRAM training accelerator generator: assemble, simulate, "
                    "generate Verilog, synthesise and study bit slicing.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def _show_progress():
    """Print the INFO messages of the ``panther.*`` loggers (e.g. a long RTL build) on stderr."""
    logger = logging.getLogger("panther")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("panther: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv=None):
    args = build_parser().parse_args(argv)
    _show_progress()
    try:
        return args.run(args) or 0
    except (UserError, ConfigError) as error:
        print(f"panther {args.command}: error: {error}" if "\n" not in str(error)
              else str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
