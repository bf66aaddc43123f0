"""``panther disasm``: print the assembly of a program image directory or a .hex file."""

from pathlib import Path

from panther.config import load_config
from panther.errors import UserError

from ._common import add_config_argument

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "disasm"
HELP = "disassemble a program image directory (all cores, with its data) or one core<N>.hex file"


def add_arguments(parser):
    parser.add_argument("input", help="image directory written by 'panther asm', or a .hex file")
    parser.add_argument("--code-only", action="store_true",
                        help="print only the programs, not the data directives")
    add_config_argument(parser, help_extra="; for a .hex file, the one it was assembled for (as "
                        "for 'panther asm'); it names the XBar buffers and decides which words "
                        "print as .word")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the programs as JSON (schema panther.disasm/1): per core "
                             "and word its address, hex word, mnemonic, operands and assembly")


def listing(programs, config, *, image=None):
    """The ``panther.disasm/1`` JSON of ``programs`` (one word list per core)."""
    from panther.isa.disassembler import disassemble
    from panther.isa.encoding import IllegalInstruction, decode

    cores = []
    for core, words in enumerate(programs):
        text = [line.strip() for line in disassemble(words, config=config, labels=False)]
        rows = []
        for pc, (word, line) in enumerate(zip(words, text)):
            try:
                instr = decode(word)
                entry = {"mnemonic": instr.name, "operands": dict(instr.operands)}
            except IllegalInstruction as error:
                entry = {"mnemonic": None, "operands": None, "illegal": str(error)}
            rows.append({"pc": pc, "word": f"{int(word):016x}", **entry, "assembly": line})
        cores.append({"core": core, "instructions": rows})
    out = {"schema": "panther.disasm/1", "config": config.to_dict(), "cores": cores}
    if image is not None:
        out.update(symbols=image.symbols, regions=image.regions, mcu_names=image.mcu_names,
                   check=image.check)
    return out


def run(args):
    from panther.isa.disassembler import disassemble, disassemble_image
    from panther.isa.image import read_hex
    from panther.isa.node_image import load_any_image

    from ._common import write_json

    path = Path(args.input)
    if path.is_dir():
        image = load_any_image(path)
        if args.json:
            tiles = getattr(image, "tiles", None)
            if tiles is None:
                write_json(args.json, listing(image.programs, image.config, image=image))
            else:
                write_json(args.json, {"schema": "panther.disasm/1", "config": image.config.to_dict(),
                                       "tiles": [listing(tile.programs, image.config, image=tile)
                                                 for tile in tiles]})
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
    words = read_hex(path, max_words=config.imem_depth)
    for line in disassemble(words, config=config):
        print(line)
    if args.json:
        write_json(args.json, listing([words], config))
    return 0
