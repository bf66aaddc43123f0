"""Random VALID node programs with cross-tile traffic, for differential testing (the node
RTL or one RTL tile among golden ones, against the golden node).

:func:`random_node_image` runs one :class:`isa.random_program.TileProgramGen` per tile on
one random stream and mixes in ``send``/``recv`` pairs between random cores of the node (on
other tiles or the same one), vectors of up to :data:`MAX_NOC_VW` words, often longer than a
channel. Every step appends to the cores' programs in one global order, and each ``send`` is
immediately followed by its ``recv`` in it, so the programs cannot deadlock whatever the
channel depth (the compiler's argument, docs/node.md), and their result does not depend on
timing. The result is deterministic for a given ``(config, seed, tiles)``.
"""

from __future__ import annotations

import random

from .node_image import NodeImage
from .random_program import RandomProgramOptions, TileProgramGen

__all__ = ["random_node_image", "MAX_NOC_VW", "NOC_SHARE"]

#: Longest vector of a random send/recv pair.
MAX_NOC_VW = 40

#: Share of the random steps that are a send/recv pair.
NOC_SHARE = 0.15


def random_node_image(config, seed, *, tiles=None, options=None):
    """A random valid :class:`NodeImage` of ``tiles`` tiles (default ``config.tiles_per_node``).

    Parameters
    ----------
    config : PantherConfig
    seed : int
    tiles : int, optional
        2 .. ``config.tiles_per_node``.
    options : RandomProgramOptions, optional
        ``steps`` is per tile.
    """
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    tiles = config.tiles_per_node if tiles is None else tiles
    if not (isinstance(tiles, int) and not isinstance(tiles, bool)
            and 2 <= tiles <= config.tiles_per_node):
        raise ValueError(f"tiles must be an integer from 2 to {config.tiles_per_node} "
                         f"(tiles_per_node), not {tiles!r}")
    options = options or RandomProgramOptions()
    rng = random.Random(seed)
    gens = [TileProgramGen(config, rng, options) for _ in range(tiles)]
    cores = [(t, c) for t in range(tiles) for c in range(config.cores_per_tile)]
    cap = max(1, min(MAX_NOC_VW, config.addr_space - config.rf_depth, config.rf_depth - 4))
    for _ in range(options.steps * tiles):
        t, k = rng.choice(cores)
        g = gens[t].cores[k]
        if rng.random() < NOC_SHARE:
            dt, dk = rng.choice([u for u in cores if u != (t, k)])
            peer = gens[dt].cores[dk]
            vw = rng.randint(1, cap) if rng.random() < 0.5 else rng.randint(1, 4)
            g.emit("send", tile=dt, core=dk, src=g.src(vw), vw=vw)
            d = peer.dst(vw)
            peer.emit("recv", dst=d, tile=t, core=k, vw=vw)
            peer.last_dst = (d, vw)
        else:
            gens[t].act(g, rng.random())
    images = [gen.finish(seed, tile=t) for t, gen in enumerate(gens)]
    source = "".join(f".tile {t}\n{image.source}" for t, image in enumerate(images))
    return NodeImage(config=config, tiles=images, symbols={"seed": seed},
                     source=f"# random node program, seed {seed}, {tiles} tiles\n" + source)
