"""Build a program in Python: regions, numpy data and instructions -> a program image.

A small layer over the ISA table's encoder (:func:`isa.encoding.make` and
:func:`isa.encoding.encode`, as the compiler's code generator uses them) and the array rules
of :mod:`isa.arrays`::

    import numpy as np
    from panther.isa.builder import ProgramBuilder

    b = ProgramBuilder(config="small")
    L1 = b.mcu("L1", 0)
    x, y = b.region("x", 8), b.region("y", 4)       # allocated in the register file
    xs = b.sregion("xs", 8)                         # in shared memory
    b.smem(xs, np.linspace(-1, 1, 8))               # reals -> Q4.12, persistent words
    b.weights(L1, np.eye(8, 4))                     # reals -> Q8.24
    b.ld(x, xs)                                     # vector width: the destination's length
    b.cp(b.xin(L1), x)
    b.mcu_ops({L1: "mvm"})
    b.alu("sigmoid", y, b.xout(L1)[:4])
    b.hlt()
    image = b.build()                               # a ProgramImage, as the assembler's
    print(b.assembly())                             # the same program as assembly text

Operands are :class:`Span` objects (a region, an XBar buffer, a slice of either) or plain
addresses; a vector width is the length of the destination (``ld``, ``cp``, ``alu``,
``alui``) or of the source (``st``) unless ``n=`` says otherwise, and every span must hold
it. Immediates are data values: a float is a real (Q4.12 by default), an int a raw word.
Branch targets are label names, resolved by :meth:`ProgramBuilder.build`. Errors are
:class:`BuildError` (a :class:`panther.errors.UserError`) naming the instruction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panther.config import PantherConfig, load_config
from panther.errors import UserError

from .arrays import ArrayError, data_words, weight_words
from .encoding import IllegalInstruction, encode, make
from .image import ProgramImage
from .table import BY_MNEMONIC, COND_BY_NAME
from .table import MCU_OPS as _MCU_OP_PAIRS

__all__ = ["ProgramBuilder", "Span", "Mcu", "BuildError"]

#: MCU operation name -> mask bit.
MCU_OPS = dict(_MCU_OP_PAIRS)


class BuildError(UserError):
    """A program the builder cannot encode (the message names the instruction)."""


@dataclass(frozen=True)
class Span:
    """``length`` consecutive words from ``base`` in the core address space (``space``
    ``'core'``) or the shared memory (``'shared'``); ``name`` is a region's name, or None.
    ``span[i:j]`` is a sub-span."""

    base: int
    length: int
    space: str = "core"
    name: str = None

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a span takes a slice [start:stop]")
        start, stop, _ = key.indices(self.length)
        if stop <= start:
            raise BuildError(f"{self.name or 'span'}[{key.start}:{key.stop}] is empty")
        return Span(self.base + start, stop - start, self.space, None)


@dataclass(frozen=True)
class Mcu:
    """An MCU of the core: its ``.mcu`` name and number."""

    name: str
    index: int


class ProgramBuilder:
    """Collects regions, initial data and instructions, core by core, into a program image.

    Parameters
    ----------
    config : PantherConfig or str
        The configuration (or a preset name / JSON file).

    Members
    -------
    config : PantherConfig
    core : int
        The core that instructions and :meth:`data` go to (:meth:`on_core` changes it).
    """

    def __init__(self, config="small"):
        self.config = config if isinstance(config, PantherConfig) else load_config(config)
        c = self.config
        n = c.cores_per_tile
        self.core = 0
        self._code = [[] for _ in range(n)]          # (mnemonic, operands, label target, text)
        self._labels = [{} for _ in range(n)]
        self._rf = [np.zeros(c.rf_depth, np.int64) for _ in range(n)]
        self._xin = [np.zeros((c.mcus_per_core, c.xbar_size), np.int64) for _ in range(n)]
        self._xout = [np.zeros((c.mcus_per_core, c.xbar_size), np.int64) for _ in range(n)]
        self._smem = np.zeros(c.smem_depth, np.int64)
        self._smem_count = np.zeros(c.smem_depth, np.int64)
        self._smem_valid = np.zeros(c.smem_depth, bool)
        self._weights = {}
        self._regions, self._mcus, self._symbols = {}, {}, {}
        self._next = {"core": 0, "shared": 0}
        self._check = None

    # -- names -------------------------------------------------------------------------------

    def _name(self, name):
        if not (isinstance(name, str) and name.isidentifier()):
            raise BuildError(f"a name must be an identifier, not {name!r}")
        if name in self._symbols:
            raise BuildError(f"{name!r} is already defined")
        return name

    def region(self, name, length, *, base=None):
        """A named region of the core address space (the same addresses on every core),
        allocated after the previous one in the register file unless ``base`` is given."""
        return self._region(name, length, base, "core", self.config.addr_space)

    def sregion(self, name, length, *, base=None):
        """A named region of the shared memory (below the OPA region)."""
        return self._region(name, length, base, "shared", self.config.smem_user_depth)

    def _region(self, name, length, base, space, size):
        name = self._name(name)
        base = self._next[space] if base is None else int(base)
        if not (1 <= int(length) and 0 <= base and base + length <= size):
            raise BuildError(f"region {name!r} ({base} .. {base + length - 1}) outside the "
                             f"{space} space 0 .. {size - 1}")
        self._next[space] = max(self._next[space], base + int(length))
        self._regions[name] = {"space": space, "base": base, "length": int(length)}
        self._symbols[name] = base
        return Span(base, int(length), space, name)

    def mcu(self, name, index):
        """A name for MCU ``index`` (as ``.mcu``)."""
        if not 0 <= int(index) < self.config.mcus_per_core:
            raise BuildError(f"MCU {index} outside 0 .. {self.config.mcus_per_core - 1}")
        self._mcus[self._name(name)] = int(index)
        self._symbols[name] = int(index)
        return Mcu(name, int(index))

    def equ(self, name, value):
        """An integer constant in the image's symbols (as ``.equ``; checks read some)."""
        self._symbols[self._name(name)] = int(value)

    def check(self, name):
        """The reference check the program names (as ``.check``)."""
        from .golden.reference import CHECKS

        if name not in CHECKS:
            raise BuildError(f"unknown reference check {name!r} (checks: {', '.join(CHECKS)})")
        self._check = name

    def xin(self, mcu):
        """The XBarIn buffer of ``mcu`` (an :class:`Mcu` or a number) as a span."""
        m = self._mcu_index(mcu)
        return Span(self.config.xbar_in_base(m), self.config.xbar_size, "core", f"xin{m}")

    def xout(self, mcu):
        """The XBarOut buffer of ``mcu`` as a span."""
        m = self._mcu_index(mcu)
        return Span(self.config.xbar_out_base(m), self.config.xbar_size, "core", f"xout{m}")

    def _mcu_index(self, mcu):
        m = mcu.index if isinstance(mcu, Mcu) else self._mcus.get(mcu, mcu)
        if not isinstance(m, int) or not 0 <= m < self.config.mcus_per_core:
            raise BuildError(f"no MCU {mcu!r} (mcus_per_core = {self.config.mcus_per_core})")
        return m

    def on_core(self, core):
        """Send the following instructions and :meth:`data` to ``core``; returns self."""
        if not 0 <= int(core) < self.config.cores_per_tile:
            raise BuildError(f"core {core} outside 0 .. {self.config.cores_per_tile - 1}")
        self.core = int(core)
        return self

    # -- initial data ------------------------------------------------------------------------

    def data(self, span, values):
        """Initial words of the current core (reals -> fixed point, integers raw)."""
        span = self._span(span, "core")
        raw = self._convert(data_words, values, self.config, where=f"data of {span.name}")
        self._fits(span, raw.size, "data")
        c, k = self.config, self.core
        for i, value in enumerate(raw.tolist()):
            a = span.base + i
            if a < c.rf_depth:
                self._rf[k][a] = value
            else:
                m, offset = divmod(a - c.rf_depth, 2 * c.xbar_size)
                buffer = self._xin[k] if offset < c.xbar_size else self._xout[k]
                buffer[m, offset % c.xbar_size] = value

    def smem(self, span, values, *, count=0):
        """Initial shared-memory words, valid, with ``count`` consumers (0: persistent)."""
        span = self._span(span, "shared")
        raw = self._convert(data_words, values, self.config, where=f"shared memory {span.name}")
        self._fits(span, raw.size, "shared memory")
        high = BY_MNEMONIC["st"].field("count").value_range[1]
        if not 0 <= int(count) <= high:
            raise BuildError(f"consumer count {count} outside 0 .. {high}")
        part = slice(span.base, span.base + raw.size)
        self._smem[part], self._smem_count[part], self._smem_valid[part] = raw, int(count), True

    def weights(self, mcu, values):
        """Initial weights of an MCU of the current core, from row 0, column 0."""
        m = self._mcu_index(mcu)
        raw = self._convert(weight_words, values, self.config, where=f"weights of MCU {m}")
        n = self.config.xbar_size
        w = self._weights.setdefault((self.core, m), np.zeros((n, n), np.int64))
        w[:raw.shape[0], :raw.shape[1]] = raw

    @staticmethod
    def _convert(function, values, config, *, where):
        try:
            return function(np.asarray(values), config, where=where)
        except ArrayError as error:
            raise BuildError(str(error)) from None

    # -- instructions ------------------------------------------------------------------------

    def label(self, name):
        """A branch target at the next instruction of the current core."""
        labels = self._labels[self.core]
        if name in labels:
            raise BuildError(f"label {name!r} already defined on core {self.core}")
        labels[name] = len(self._code[self.core])

    def _span(self, value, space):
        if isinstance(value, Span):
            if value.space != space:
                raise BuildError(f"{value.name or 'span'} is a {value.space} span; a {space} "
                                 "address is needed")
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return Span(int(value), 1 << 30, space, None)        # a bare address: unchecked length
        raise BuildError(f"expected a Span or an address, not {value!r}")

    @staticmethod
    def _fits(span, n, what):
        if span.length < (1 << 30) and n > span.length:
            raise BuildError(f"{what}: {n} words do not fit {span.name or 'the span'} of "
                             f"{span.length}")

    def _emit(self, mnemonic, n=None, **operands):
        text = f"{mnemonic} {operands}"
        spans = {k: v for k, v in operands.items() if isinstance(v, Span)}
        for key, span in spans.items():
            if n is not None:
                self._fits(span, n, f"{mnemonic} {key}")
            operands[key] = span.base
        if n is not None:
            operands["vw"] = int(n)
        try:
            instr = make(mnemonic, **operands)
            if "target" not in operands or not isinstance(operands["target"], str):
                encode(instr)
        except IllegalInstruction as error:
            raise BuildError(f"core {self.core} instruction {len(self._code[self.core])} "
                             f"({text}): {error}") from None
        self._code[self.core].append(instr)

    def _width(self, n, span, key):
        if n is not None:
            return int(n)
        if not isinstance(span, Span) or span.length >= (1 << 30):
            raise BuildError(f"give the vector width n= (the {key} is a bare address)")
        return span.length

    def _imm(self, value):
        c = self.config
        raw = self._convert(data_words, np.asarray([value]), c, where="immediate")
        return int(raw[0])

    def ld(self, dst, src, *, n=None):
        """``ld dst, saddr, vw``: shared words -> core words."""
        dst, src = self._span(dst, "core"), self._span(src, "shared")
        self._emit("ld", self._width(n, dst, "destination"), dst=dst, saddr=src)

    def st(self, dst, src, *, n=None, count=1):
        """``st saddr, src, vw, count``: core words -> shared words with ``count`` consumers."""
        dst, src = self._span(dst, "shared"), self._span(src, "core")
        self._emit("st", self._width(n, src, "source"), saddr=dst, src=src, count=int(count))

    def cp(self, dst, src, *, n=None):
        """``cp dst, src, vw``."""
        dst, src = self._span(dst, "core"), self._span(src, "core")
        self._emit("cp", self._width(n, dst, "destination"), dst=dst, src=src)

    def alu(self, fn, dst, src1, src2=None, *, n=None):
        """``alu fn, dst, src1[, src2], vw`` (a unary ``fn`` takes no ``src2``)."""
        dst, src1 = self._span(dst, "core"), self._span(src1, "core")
        src2 = self._span(src2, "core") if src2 is not None else 0
        self._emit("alu", self._width(n, dst, "destination"), fn=fn, dst=dst, src1=src1,
                   src2=src2)

    def alui(self, fn, dst, src1, imm=0, *, n=None):
        """``alui fn, dst, src1, imm, vw``: ``imm`` a real or a raw word (a shift for the
        shift functions)."""
        dst, src1 = self._span(dst, "core"), self._span(src1, "core")
        raw = int(imm) if isinstance(imm, (int, np.integer)) else self._imm(imm)
        self._emit("alui", self._width(n, dst, "destination"), fn=fn, dst=dst, src1=src1,
                   imm=raw)

    def set(self, dst, value):
        """``set dst, value``: one word."""
        self._emit("set", dst=self._span(dst, "core"),
                   imm=int(value) if isinstance(value, (int, np.integer)) else self._imm(value))

    def mcu_ops(self, ops):
        """``mcu``: ``{mcu: "mvm" | "mtvm" | "opa" | "mvm|mtvm" ...}``, one instruction."""
        masks = {f"m{m}": 0 for m in range(6)}
        for mcu, names in ops.items():
            for name in str(names).split("|"):
                if name not in MCU_OPS:
                    raise BuildError(f"unknown MCU operation {name!r} (operations: "
                                     f"{', '.join(MCU_OPS)})")
                masks[f"m{self._mcu_index(mcu)}"] |= MCU_OPS[name]
        self._emit("mcu", **masks)

    def crs(self, *mcus):
        """``crs mask``: carry resolution of the given MCUs."""
        self._emit("crs", mask=sum(1 << self._mcu_index(m) for m in mcus))

    def branch(self, cond, src1, src2, target):
        """``beq|bne|blt|bge src1, src2, label``."""
        if cond not in COND_BY_NAME:
            raise BuildError(f"unknown branch {cond!r} (branches: {', '.join(COND_BY_NAME)})")
        self._emit(cond, src1=self._span(src1, "core"), src2=self._span(src2, "core"),
                   target=str(target))

    def jmp(self, target):
        """``jmp label``."""
        self._emit("jmp", target=str(target))

    def nop(self):
        self._emit("nop")

    def hlt(self):
        self._emit("hlt")

    # -- result ------------------------------------------------------------------------------

    def build(self):
        """The :class:`isa.image.ProgramImage` (labels resolved, every word encoded)."""
        programs = [self.build_core(core) for core in range(self.config.cores_per_tile)]
        symbols = dict(self._symbols)
        return ProgramImage(config=self.config, programs=programs, rf_init=self._rf,
                            xbar_in=self._xin, xbar_out=self._xout, smem_init=self._smem,
                            smem_count=self._smem_count, smem_valid=self._smem_valid,
                            weights=self._weights, symbols=symbols, regions=self._regions,
                            mcu_names=self._mcus, check=self._check, source=self.assembly())

    def assembly(self):
        """The program as assembly text that assembles to the same image."""
        from .disassembler import disassemble

        c = self.config
        lines = [f"# built with panther.isa.builder for {c.cores_per_tile} cores"]
        lines += [f".equ {name}, {value}" for name, value in self._symbols.items()
                  if name not in self._regions and name not in self._mcus]
        lines += [f".mcu {name}, {m}" for name, m in self._mcus.items()]
        for name, r in self._regions.items():
            lines.append(f".{'region' if r['space'] == 'core' else 'sregion'} {name}, "
                         f"{r['base']}, {r['length']}")
        if self._check:
            lines.append(f".check {self._check}")
        for a in np.flatnonzero(self._smem_valid):
            lines.append(f".smem {a}, {self._smem_count[a]}, {self._smem[a]}")
        for core in range(c.cores_per_tile):
            body = []
            space = np.concatenate([self._rf[core]] + [np.concatenate(
                [self._xin[core][m], self._xout[core][m]]) for m in range(c.mcus_per_core)])
            body += [f".data {a}, {space[a]}" for a in np.flatnonzero(space)]
            for (k, m), w in sorted(self._weights.items()):
                if k == core:
                    body += [f".weights {m}, {row}, " + ", ".join(str(v) for v in w[row])
                             for row in range(c.xbar_size) if w[row].any()]
            words = self.build_core(core)
            body += disassemble(words, config=c, label_prefix=f"c{core}_L") if words else []
            if body:
                lines += [f".core {core}"] + body
        return "\n".join(lines) + "\n"

    def build_core(self, core):
        """The encoded words of one core (labels resolved)."""
        out = []
        for k, instr in enumerate(self._code[core]):
            target = instr.operands.get("target")
            if isinstance(target, str):
                if target not in self._labels[core]:
                    raise BuildError(f"core {core} instruction {k}: no label {target!r}")
                instr = make(instr.mnemonic, **{**instr.operands,
                                                "target": self._labels[core][target]})
            try:
                out.append(encode(instr))
            except IllegalInstruction as error:
                raise BuildError(f"core {core} instruction {k}: {error}") from None
        return out
