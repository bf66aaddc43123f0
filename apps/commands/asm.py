"""``panther asm``: assemble a program into a program image directory."""

from pathlib import Path

from panther.config import load_config

from ._common import add_config_argument, read_source

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "asm"
HELP = "assemble a PANTHER assembly file into a program image directory (core<N>.hex, image.npz, image.json)"


def add_arguments(parser):
    parser.add_argument("source", help="assembly file (see docs/assembly.md)")
    parser.add_argument("-o", "--output", default=None,
                        help="image directory to write (default: out/<source name>); written "
                             "atomically, replaced if it is an existing image")
    add_config_argument(parser)


def run(args):
    from panther.isa.assembler import assemble

    source = Path(args.source)
    text = read_source(source)
    config = load_config(args.config)
    image = assemble(text, config=config, filename=str(source))
    out = Path(args.output) if args.output else Path("out") / source.stem
    image.save(out)
    tiles = getattr(image, "tiles", [image])
    sizes = "; ".join(
        (f"tile {t}: " if len(tiles) > 1 else "")
        + ", ".join(f"core {core}: {len(p)}" for core, p in enumerate(tile.programs))
        for t, tile in enumerate(tiles))
    print(f"wrote {out}/ ({sizes} instructions)")
    return 0
