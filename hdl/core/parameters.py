"""The constructor arguments every per-core component shares, checked in one place."""

from amaranth.hdl import Value

from panther.config import PantherConfig

__all__ = ["check_core_parameters"]


def check_core_parameters(config, core_id, *, value_ok=True):
    """Raise ``TypeError``/``ValueError`` unless ``config`` is a :class:`PantherConfig` and
    ``core_id`` an integer index of a core in its tile, or (with ``value_ok``) an Amaranth
    ``Value``: a generated core's ``core_id`` input, so that one Verilog module serves every
    position of a tile."""
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    if value_ok and isinstance(core_id, Value):
        return
    if not (isinstance(core_id, int) and not isinstance(core_id, bool)
            and 0 <= core_id < config.cores_per_tile):
        also = " or an Amaranth Value" if value_ok else ""
        raise ValueError(f"core_id must be an integer from 0 to {config.cores_per_tile - 1}"
                         f"{also}, not {core_id!r}")
