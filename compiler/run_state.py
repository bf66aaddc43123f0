"""Reading a run report of a kernel: one tile of a tile or node report."""

from __future__ import annotations

__all__ = ["tile_state"]


def tile_state(run, tile):
    """``{"cores", "smem"}`` of tile ``tile`` of a run report: a tile's :class:`GoldenReport`
    (tile 0), a :class:`NodeReport`, or either as a dict."""
    data = run if isinstance(run, dict) else run.to_dict() if hasattr(run, "tiles") else \
        {"cores": run.cores, "smem": run.smem}
    if "tiles" in data:
        return data["tiles"][tile]
    if tile != 0:
        raise ValueError(f"a tile report has no tile {tile}")
    return data
