"""``panther disasm``: print the assembly of a program image directory or a .hex file."""

from pathlib import Path

from panther.config import load_config
from panther.errors import UserError

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "disasm"
HELP = "disassemble a program image directory (all cores, with its data) or one core<N>.hex file"


def add_arguments(parser):
    parser.add_argument("input", help="image directory written by 'panther asm', or a .hex file")
    parser.add_argument("--code-only", action="store_true",
                        help="print only the programs, not the data directives")
    parser.add_argument("--config", default="small",
                        help="for a .hex file: the configuration it was assembled for (a preset "
                             "or a JSON file; default: small, as for 'panther asm'); it names "
                             "the XBar buffers and decides which words print as .word")


def run(args):
    from panther.isa.disassembler import disassemble, disassemble_image
    from panther.isa.image import read_hex
    from panther.isa.node_image import load_any_image

    path = Path(args.input)
    if path.is_dir():
        image = load_any_image(path)
        if args.code_only:
            tiles = getattr(image, "tiles", None)
            for t, tile in enumerate(tiles or [image]):
                if tiles is not None:
                    print(f".tile {t}")
                prefix = f"t{t}" if tiles is not None else ""
                for core, words in enumerate(tile.programs):
                    print(f".core {core}")
                    for line in disassemble(words, config=image.config,
                                            label_prefix=f"{prefix}c{core}_L"):
                        print(line)
        else:
            print(disassemble_image(image), end="")
        return 0
    if not path.exists():
        raise UserError(f"{path}: no such image directory or .hex file")
    if path.is_file() and path.name == "image.json":
        raise UserError(f"{path}: give the image directory {path.parent}, not its image.json")
    config = load_config(args.config)
    for line in disassemble(read_hex(path, max_words=config.imem_depth), config=config):
        print(line)
    return 0
