"""Program images of a node: one tile image per tile, and loading either kind of image.

A :class:`NodeImage` holds the :class:`isa.image.ProgramImage` of tiles ``0 .. n-1`` of a
node (``1 <= n <= config.tiles_per_node``; the node's other tiles are idle). Its directory
holds ``image.json`` (the format tag, the configuration, the list of tile directories, the
symbols and the source) and one complete tile image directory per tile, ``tile<K>/``, each
loadable on its own. :func:`load_any_image` reads a tile or a node image directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from panther.config import ConfigError, PantherConfig

from .image import ProgramImage, write_dir_atomically
from .image_files import IMAGE_FORMAT, IMAGE_VERSION, ImageError
from .image_load import _read_meta

__all__ = ["NodeImage", "load_any_image", "is_node_image", "NODE_META_KEYS"]

#: Keys of a node image's ``image.json`` and their JSON types.
NODE_META_KEYS = {"format": str, "version": int, "kind": str, "config": dict, "tiles": list,
                  "symbols": dict, "source": str}


@dataclass(eq=False)
class NodeImage:
    """Programs and initial memories of the tiles of one node.

    Members
    -------
    config : PantherConfig
        The configuration (the same for every tile).
    tiles : list of ProgramImage
        Tile ``k`` of the node is ``tiles[k]``; tiles from ``len(tiles)`` to
        ``config.tiles_per_node - 1`` are idle.
    symbols : dict of str to int
    source : str
    """

    config: PantherConfig
    tiles: list
    symbols: dict = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        c = self.config
        if not isinstance(c, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {c!r}")
        tiles = list(self.tiles)
        if not 1 <= len(tiles) <= c.tiles_per_node:
            raise ValueError(f"a node image holds 1 to {c.tiles_per_node} tiles "
                             f"(tiles_per_node), not {len(tiles)}")
        for k, tile in enumerate(tiles):
            if not isinstance(tile, ProgramImage):
                raise TypeError(f"tiles[{k}] must be a ProgramImage, not {tile!r}")
            if tile.config != c:
                raise ValueError(f"tiles[{k}] has another configuration than the node")
        self.tiles = tiles
        self.symbols = {str(k): int(v) for k, v in dict(self.symbols).items()}
        self.source = str(self.source)

    @property
    def n_tiles(self):
        return len(self.tiles)

    def same_contents(self, other):
        """True when both images hold the same configuration, tiles and memories."""
        if isinstance(other, ProgramImage):
            other = NodeImage(config=other.config, tiles=[other])
        return (self.config == other.config and self.n_tiles == other.n_tiles
                and all(a.same_contents(b) for a, b in zip(self.tiles, other.tiles)))

    def save(self, out_dir):
        """Write the image directory ``out_dir`` atomically (replacing an existing one)."""
        out_dir = Path(out_dir)

        def fill(tmp):
            names = []
            for k, tile in enumerate(self.tiles):
                names.append(f"tile{k}")
                tile.write_into(tmp / names[-1])
            meta = {"format": IMAGE_FORMAT, "version": IMAGE_VERSION, "kind": "node",
                    "config": self.config.to_dict(), "tiles": names,
                    "symbols": dict(sorted(self.symbols.items())), "source": self.source}
            (tmp / "image.json").write_text(json.dumps(meta, indent=2) + "\n")

        try:
            return write_dir_atomically(out_dir, fill)
        except OSError as error:
            raise ImageError(f"{out_dir}: cannot write the image: "
                             f"{error.strerror or error}") from None

    @classmethod
    def load(cls, in_dir):
        """Read a node image directory written by :meth:`save`, every tile checked as
        :meth:`ProgramImage.load` checks it. Raises :class:`isa.image.ImageError`."""
        in_dir = Path(in_dir)
        path = in_dir / "image.json"
        meta = _read_meta(path)
        if not isinstance(meta, dict) or meta.get("format") != IMAGE_FORMAT:
            raise ImageError(f"{path}: not a PANTHER program image (format must be "
                             f"{IMAGE_FORMAT!r})")
        if meta.get("version") != IMAGE_VERSION:
            raise ImageError(f"{path}: unsupported image version {meta.get('version')!r}; "
                             f"expected {IMAGE_VERSION}")
        unknown = sorted(set(meta) - set(NODE_META_KEYS))
        if unknown:
            raise ImageError(f"{path}: unknown field(s) {unknown}; expected some of "
                             f"{sorted(NODE_META_KEYS)}")
        for key, kind in NODE_META_KEYS.items():
            value = meta.get(key, kind())
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ImageError(f"{path}: field {key!r} must be a {kind.__name__}, not "
                                 f"{type(value).__name__}")
        if meta.get("kind") != "node":
            raise ImageError(f"{path}: field 'kind' must be \"node\", not {meta.get('kind')!r}")
        try:
            config = PantherConfig.from_dict(meta["config"], source=f"{path}: field 'config'")
        except ConfigError as error:
            raise ImageError(str(error)) from None
        names = meta["tiles"]
        if not 1 <= len(names) <= config.tiles_per_node:
            raise ImageError(f"{path}: field 'tiles' must list 1 to {config.tiles_per_node} "
                             f"tiles (tiles_per_node), not {len(names)}")
        tiles = []
        for k, name in enumerate(names):
            if name != f"tile{k}":
                raise ImageError(f"{path}: tiles[{k}] must be \"tile{k}\", not {name!r}")
            tile = ProgramImage.load(in_dir / name)
            if tile.config != config:
                raise ImageError(f"{in_dir / name}: its configuration differs from {path}'s")
            tiles.append(tile)
        symbols = meta.get("symbols") or {}
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in symbols.values()):
            raise ImageError(f"{path}: field 'symbols' must map names to integers")
        return cls(config=config, tiles=tiles, symbols=symbols, source=meta.get("source") or "")


def is_node_image(path):
    """True when ``path`` is a directory whose ``image.json`` says ``"kind": "node"``."""
    meta_path = Path(path) / "image.json"
    if not meta_path.is_file():
        return False
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(meta, dict) and meta.get("kind") == "node"


def load_any_image(path):
    """A :class:`NodeImage` or a :class:`ProgramImage` from an image directory."""
    if is_node_image(path):
        return NodeImage.load(path)
    return ProgramImage.load(path)
