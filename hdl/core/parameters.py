"""The constructor arguments every per-core component shares, checked in one place."""

from panther.config import PantherConfig

__all__ = ["check_core_parameters"]


def check_core_parameters(config, core_id):
    """Raise ``TypeError``/``ValueError`` unless ``config`` is a :class:`PantherConfig` and
    ``core_id`` an integer index of a core in its tile."""
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    if not (isinstance(core_id, int) and not isinstance(core_id, bool)
            and 0 <= core_id < config.cores_per_tile):
        raise ValueError(f"core_id must be an integer from 0 to {config.cores_per_tile - 1}, "
                         f"not {core_id!r}")
