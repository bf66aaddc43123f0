"""The applications on top of the PANTHER generator: the ``panther`` command line
(:mod:`panther.apps.cli`, one module per sub-command in :mod:`panther.apps.commands`) and the
studies (:mod:`panther.apps.study`).

Nothing below this floor imports it (``docs/architecture.md``).
"""

__all__ = []
