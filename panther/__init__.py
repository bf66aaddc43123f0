"""PANTHER generator.

This package is the namespace of the whole project and, at the same time, its ground floor:
the configuration (:mod:`panther.config`), fixed-point arithmetic (:mod:`panther.fixed_point`)
and the user-facing errors (:mod:`panther.errors`). Those import nothing else of the project.
The floors above are subpackages that live in the repository's top-level folders (setuptools
``package_dir``, see ``setup.py``), bottom-up:

* :mod:`panther.analog_models` (``analog_models/``): behavioural models of the analog half;
* :mod:`panther.isa` (``isa/``): ISA table, assembler, disassembler, golden model;
* :mod:`panther.hdl` (``hdl/``): the Amaranth RTL;
* :mod:`panther.cosim` (``cosim/``) and :mod:`panther.compiler` (``compiler/``);
* :mod:`panther.apps` (``apps/``): the command line and the studies.

``docs/architecture.md`` states the rules; ``lint-imports`` checks them in ``make test``.
"""

__all__ = ["__version__"]


def __getattr__(name):
    """``__version__``, read from the installed metadata on first use (importlib.metadata
    costs about 0.2 s of start-up, which every command would otherwise pay)."""
    if name != "__version__":
        raise AttributeError(f"module 'panther' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("panther-generator")
    except PackageNotFoundError:        # running from a source tree that was never installed
        value = "0+unknown"
    globals()["__version__"] = value
    return value
