"""The PANTHER disassembler: 64-bit words -> assembly text that assembles back to the same
words (and a whole :class:`isa.image.ProgramImage` -> a source that re-assembles to the same
image).

The promise holds for every 64-bit word under the configuration the words are disassembled
with: a word that is no legal instruction, or a legal one whose assembly form the assembler
would refuse under that configuration (:func:`refusal`: an address or a vector past the
address space, a branch target past the instruction memory, a mask naming an MCU the
configuration lacks, an immediate outside the data word ...), is printed as ``.word`` with
the reason as a comment.
"""

from __future__ import annotations

from panther.fixed_point import from_fixed

from .encoding import IllegalInstruction, decode, encode
from .table import ALU_BY_CODE, ALU_INT_BY_CODE, COND_BY_CODE, MCU_OPS, SNA_SHIFT_BITS

__all__ = ["disassemble", "format_instruction", "disassemble_image", "refusal"]

# Address operands of each instruction and the vector width each must hold ('vw' = the
# instruction's vw operand); 'src2' of a unary alu function is checked only when printed.
_ADDRESSES = {
    "set": (("dst", 1),), "cp": (("dst", "vw"), ("src", "vw")), "ld": (("dst", "vw"),),
    "st": (("src", "vw"),), "alu": (("dst", "vw"), ("src1", "vw"), ("src2", "vw")),
    "alui": (("dst", "vw"), ("src1", "vw")), "alu_int": (("dst", 1), ("src1", 1), ("src2", 1)),
    "br": (("src1", 1), ("src2", 1)), "send": (("src", "vw"),), "recv": (("dst", "vw"),),
    "ldx": (("dst", "vw"), ("base", 1)), "stx": (("base", 1), ("src", "vw")),
}


def refusal(instr, config):
    """Why the assembler would refuse the assembly form of ``instr`` under ``config``
    (a sentence), or None when ``format_instruction`` gives a line it accepts and encodes to
    the same word. Without a configuration only configuration-independent rules apply."""
    ops, mn = instr.operands, instr.mnemonic
    if mn == "alui" and ALU_BY_CODE[ops["fn"]].imm_only:
        half = 1 << (SNA_SHIFT_BITS - 1)
        if not -half <= ops["imm"] < half:
            return f"shift {ops['imm']} outside the assembler's range {-half} .. {half - 1}"
    if config is None:
        return None
    c = config
    for name, width in _ADDRESSES.get(mn, ()):
        if mn == "alu" and name == "src2" and ALU_BY_CODE[ops["fn"]].unary and ops["src2"] == 0:
            continue
        w = ops["vw"] if width == "vw" else 1
        if ops[name] + w > c.addr_space:
            return (f"{name} {ops[name]}" + (f" .. {ops[name] + w - 1} (vw {w})" if w > 1 else "")
                    + f" outside the core address space 0 .. {c.addr_space - 1}")
    if mn in ("ld", "st", "ldx", "stx") and ops["saddr"] + ops["vw"] > c.smem_user_depth:
        return (f"saddr {ops['saddr']} .. {ops['saddr'] + ops['vw'] - 1} (vw {ops['vw']}) outside "
                f"the shared memory 0 .. {c.smem_user_depth - 1} (smem_user_depth)")
    if mn in ("br", "jmp") and ops["target"] >= c.imem_depth:
        return f"target {ops['target']} outside the instruction memory 0 .. {c.imem_depth - 1}"
    printed_imm = mn == "set" or (mn == "alui" and not ALU_BY_CODE[ops["fn"]].imm_only
                                  and not (ALU_BY_CODE[ops["fn"]].unary and ops["imm"] == 0))
    half = 1 << (c.data_bits - 1)
    if printed_imm and not -half <= ops["imm"] < half:
        return f"immediate {ops['imm']} is no signed {c.data_bits}-bit data word (data_bits)"
    if mn == "mcu":
        extra = [m for m in range(c.mcus_per_core, 6) if ops[f"m{m}"]]
        if extra:
            return f"a mask for MCU {extra[0]}, but mcus_per_core is {c.mcus_per_core}"
    if mn == "crs" and ops["mask"] >> c.mcus_per_core:
        return f"mask {ops['mask']:#08b} names an MCU >= {c.mcus_per_core} (mcus_per_core)"
    if mn in ("send", "recv"):
        if ops["tile"] >= c.tiles_per_node:
            return f"tile {ops['tile']} outside the node 0 .. {c.tiles_per_node - 1} (tiles_per_node)"
        if ops["core"] >= c.cores_per_tile:
            return f"core {ops['core']} outside the tile 0 .. {c.cores_per_tile - 1} (cores_per_tile)"
    return None


def _addr(value, config):
    if config is None or value < config.rf_depth or value >= config.addr_space:
        return str(value)
    offset = value - config.rf_depth
    m, offset = divmod(offset, 2 * config.xbar_size)
    name = f"xin{m}" if offset < config.xbar_size else f"xout{m}"
    offset %= config.xbar_size
    return f"{name}+{offset}" if offset else name


def _real(raw, config):
    if config is None:
        return ""
    return f"  # {float(from_fixed(raw, config.data_frac_bits)):g}"


def _mcu_operands(ops):
    names = [name for name, _ in MCU_OPS]
    bits = dict(MCU_OPS)
    parts = []
    for m in range(6):
        mask = ops[f"m{m}"]
        if mask:
            parts.append(f"{m}:" + "|".join(n for n in names if mask & bits[n]))
    return ", ".join(parts) if parts else "0, 0, 0, 0, 0, 0"


def format_instruction(instr, *, config=None, target_names=None):
    """One line of assembly for a decoded :class:`isa.encoding.Instruction`.

    ``config`` (optional) names XBar buffer addresses and adds the real value of data
    immediates as a comment; ``target_names`` maps branch targets to label names.
    """
    ops = instr.operands
    mn = instr.mnemonic

    def a(name):
        return _addr(ops[name], config)

    def target():
        t = ops["target"]
        return (target_names or {}).get(t, str(t))

    if mn in ("nop", "hlt"):
        return mn
    if mn == "set":
        return f"set {a('dst')}, {ops['imm']}{_real(ops['imm'], config)}"
    if mn == "cp":
        return f"cp {a('dst')}, {a('src')}, {ops['vw']}"
    if mn == "ld":
        return f"ld {a('dst')}, {ops['saddr']}, {ops['vw']}"
    if mn == "st":
        return f"st {ops['saddr']}, {a('src')}, {ops['vw']}, {ops['count']}"
    if mn == "ldx":
        return f"ldx {a('dst')}, {a('base')}, {ops['saddr']}, {ops['vw']}"
    if mn == "stx":
        return f"stx {a('base')}, {ops['saddr']}, {a('src')}, {ops['vw']}, {ops['count']}"
    if mn == "alu":
        fn = ALU_BY_CODE[ops["fn"]]
        src2 = "" if fn.unary and ops["src2"] == 0 else f", {a('src2')}"
        return f"alu {fn.name}, {a('dst')}, {a('src1')}{src2}, {ops['vw']}"
    if mn == "alui":
        fn = ALU_BY_CODE[ops["fn"]]
        if fn.unary and ops["imm"] == 0:
            return f"alui {fn.name}, {a('dst')}, {a('src1')}, {ops['vw']}"
        if fn.imm_only:
            why = refusal(instr, None)
            if why:     # legal word (upper immediate bits are ignored) the assembler would reject
                return f".word {encode(instr):#018x}  # alui {fn.name}: {why}"
            return f"alui {fn.name}, {a('dst')}, {a('src1')}, {ops['imm']}, {ops['vw']}"
        return (f"alui {fn.name}, {a('dst')}, {a('src1')}, {ops['imm']}, {ops['vw']}"
                f"{_real(ops['imm'], config)}")
    if mn == "alu_int":
        fn = ALU_INT_BY_CODE[ops["fn"]]
        return f"alu_int {fn.name}, {a('dst')}, {a('src1')}, {a('src2')}"
    if mn == "br":
        return f"{COND_BY_CODE[ops['cond']].name} {a('src1')}, {a('src2')}, {target()}"
    if mn == "jmp":
        return f"jmp {target()}"
    if mn == "mcu":
        return f"mcu {_mcu_operands(ops)}"
    if mn == "crs":
        return f"crs {ops['mask']:#08b}"
    if mn == "send":
        return f"send {ops['tile']}, {ops['core']}, {a('src')}, {ops['vw']}"
    if mn == "recv":
        return f"recv {a('dst')}, {ops['tile']}, {ops['core']}, {ops['vw']}"
    raise ValueError(f"no assembly syntax for {mn!r}")  # pragma: no cover


def disassemble(words, *, config=None, labels=True, label_prefix="L"):
    """Assembly lines of a program (one list of 64-bit words).

    Branch targets inside the program get labels ``<label_prefix><index>:`` on their own
    line when ``labels`` is true. A word that is no legal instruction, or whose assembly the
    assembler would refuse under ``config`` (:func:`refusal`), becomes ``.word`` with the
    reason as a comment, so the lines always assemble back to the same words under
    ``config`` (given the program fits ``config.imem_depth``).
    """
    decoded = []
    for w in words:
        try:
            decoded.append(decode(w))
        except IllegalInstruction as error:
            decoded.append(error)
    names = {}
    if labels:
        for item in decoded:
            if not isinstance(item, IllegalInstruction) and "target" in item.operands:
                t = item.operands["target"]
                if t < len(decoded):
                    names[t] = f"{label_prefix}{t}"
    lines = []
    for index, (w, item) in enumerate(zip(words, decoded)):
        if index in names:
            lines.append(f"{names[index]}:")
        why = None if isinstance(item, IllegalInstruction) else refusal(item, config)
        if isinstance(item, IllegalInstruction):
            lines.append(f"    .word {int(w):#018x}  # illegal: {item}")
        elif why:
            lines.append(f"    .word {int(w):#018x}  # {item.name}: {why}")
        else:
            lines.append("    " + format_instruction(item, config=config, target_names=names))
    return lines


def _runs(mask):
    """``(start, stop)`` index ranges of the true runs of a boolean sequence."""
    runs, start = [], None
    for i, flag in enumerate(list(mask) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _chunks(start, stop, size=16):
    for s in range(start, stop, size):
        yield s, min(s + size, stop)


def disassemble_image(image):
    """A complete source for ``image`` (a :class:`isa.image.ProgramImage` or a
    :class:`isa.node_image.NodeImage`): programs per core and every non-zero initial memory
    word, as directives with raw integer values, one ``.tile`` section per tile of a node.
    Assembling it with ``image.config`` gives an image with the same contents
    (``same_contents``), slice digits aside (``image.digits`` have no assembly form: an image
    with digits gives the source of its weights)."""
    tiles = getattr(image, "tiles", None)
    if tiles is None:
        return _tile_source(image, tile=None)
    c = image.config
    out = [f"# PANTHER node image: {len(tiles)} of {c.tiles_per_node} tiles"]
    for k, tile in enumerate(tiles):
        out += ["", f".tile {k}", _tile_source(tile, tile=k)]
    return "\n".join(out) + "\n"


def _tile_source(image, *, tile):
    c = image.config
    prefix = "" if tile is None else f"t{tile}"
    out = [f"# PANTHER program image: {c.cores_per_tile} cores, {c.mcus_per_core} MCUs per core, "
           f"{c.xbar_size}x{c.xbar_size} crossbars"]
    smem = [(int(v), int(n), bool(ok)) for v, n, ok in
            zip(image.smem_init, image.smem_count, image.smem_valid)]
    i = 0
    while i < len(smem):
        if not smem[i][2]:
            i += 1
            continue
        j = i
        while j < len(smem) and smem[j][2] and smem[j][1] == smem[i][1] and j - i < 16:
            j += 1
        values = ", ".join(str(v) for v, _, _ in smem[i:j])
        out.append(f".smem {i}, {smem[i][1]}, {values}")
        i = j
    for core in range(c.cores_per_tile):
        out.append("")
        out.append(f".core {core}")
        space = list(image.rf_init[core])
        for m in range(c.mcus_per_core):
            space += list(image.xbar_in[core][m]) + list(image.xbar_out[core][m])
        for start, stop in _runs([v != 0 for v in space]):
            for s, e in _chunks(start, stop):
                out.append(f".data {s}, " + ", ".join(str(int(v)) for v in space[s:e]))
        for m in range(c.mcus_per_core):
            w = image.weights.get((core, m))
            if w is None:
                continue
            for row in range(c.xbar_size):
                if w[row].any():
                    out.append(f".weights {m}, {row}, " + ", ".join(str(int(v)) for v in w[row]))
        out.extend(disassemble(image.programs[core], config=c, label_prefix=f"{prefix}c{core}_L"))
    return "\n".join(out) + "\n"
