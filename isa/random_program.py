"""Random VALID tile programs for differential testing (RTL vs golden model).

:func:`random_image` builds, from a seed, a :class:`isa.image.ProgramImage` whose programs

* use every opcode, every ``alu``/``alui``/``alu_int`` function, every branch condition and
  every ``mcu`` mask value on every MCU (over a few seeds), and ``crs`` masks;
* chain instructions back to back (a source is often the previous destination, including
  the XBar buffers around ``mcu``);
* run bounded loops and forward branches/jumps (never around ``ld``/``st``/``mcu``/``crs``,
  so those run exactly once each);
* exchange data between cores through shared memory (``ld``/``st``, or ``ldx``/``stx`` through a
  base register set just before): a word is either stored once (count
  ``c``) and loaded at most ``c`` times in all, or it is a *channel* of one producer and one
  consumer core reusing the word with count 1; plus persistent and pre-loaded words from the
  image. The programs come from one random legal sequential schedule, so every interleaving
  is deadlock-free and gives the same final state;
* defer at most ``config.deferred_depth`` OPA/CRS operations per core and always ``hlt``.

The result is deterministic for a given ``(config, seed)``.
"""

from __future__ import annotations

import random

import numpy as np

from panther.fixed_point import signed_range

from .disassembler import disassemble
from .encoding import decode, encode
from .image import ProgramImage
from .random_core_program import RESERVED, CoreGen
from .table import BY_MNEMONIC, INSTRUCTIONS

__all__ = ["random_image", "RandomProgramOptions", "TileProgramGen", "coverage", "ALL_OPCODES",
           "NODE_OPCODES"]

class RandomProgramOptions:
    """Knobs of :func:`random_image`.

    Members
    -------
    steps : int
        Random generation steps for the whole tile (roughly instructions, shared by cores).
    max_vw : int
        Largest vector width of random vector instructions (capped by the address space).
    smem_words : int
        Shared-memory words the traffic may use (from address 0; capped by smem_user_depth).
    """

    def __init__(self, *, steps=60, max_vw=8, smem_words=64):
        for name, value in (("steps", steps), ("max_vw", max_vw), ("smem_words", smem_words)):
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        self.steps = steps
        self.max_vw = max_vw
        self.smem_words = smem_words


class _SharedTraffic:
    """The legal sequential schedule of shared-memory accesses (see the module docstring)."""

    def __init__(self, config, rng, words):
        self.rng = rng
        self.words = words
        self.valid = np.zeros(config.smem_depth, dtype=bool)
        self.left = np.zeros(config.smem_depth, dtype=np.int64)   # loads still allowed
        self.persistent = np.zeros(config.smem_depth, dtype=bool)
        self.used = np.zeros(config.smem_depth, dtype=bool)        # stored or pre-loaded once
        self.channel = {}                                           # word -> (producer, consumer)

    def loadable(self, core, addr, vw):
        for a in range(addr, addr + vw):
            if not self.valid[a]:
                return False
            owner = self.channel.get(a)
            if owner is not None and owner[1] != core:
                return False
            if not self.persistent[a] and self.left[a] < 1:
                return False
        return True

    def load(self, addr, vw):
        for a in range(addr, addr + vw):
            if not self.persistent[a]:
                self.left[a] -= 1
                if self.left[a] == 0:
                    self.valid[a] = False

    def store(self, addr, vw, count):
        for a in range(addr, addr + vw):
            assert not self.valid[a]
            self.valid[a] = True
            self.used[a] = True
            self.left[a] = count


class TileProgramGen:
    """The generator of one tile's random programs (:func:`random_image`; the node generator
    :mod:`isa.random_node_program` runs one per tile on a shared random stream).

    Parameters
    ----------
    config : PantherConfig
    rng : random.Random
    options : RandomProgramOptions

    Members
    -------
    cores : list of :class:`isa.random_core_program.CoreGen`
        One instruction stream per core.
    """

    def __init__(self, config, rng, options):
        c = config
        self.config, self.rng, self.options = config, rng, options
        n = self.n = c.cores_per_tile
        if c.rf_depth <= RESERVED + 1:
            raise ValueError(f"random programs need rf_depth > {RESERVED + 1}, not {c.rf_depth}")
        self.words = words = min(options.smem_words, c.smem_user_depth)
        self.cores = cores = [CoreGen(i, c, rng) for i in range(n)]
        for g in cores:
            g.config_max_vw = options.max_vw
        self.traffic = traffic = _SharedTraffic(c, rng, words)
        data_lo, data_hi = signed_range(c.data_bits)

        # Initial memories.
        def data(shape):
            small = rng.random() < 0.5
            span = (1 << (c.data_frac_bits + 1)) if small else (1 << (c.data_bits - 1))
            np_rng = np.random.default_rng(rng.randrange(1 << 30))
            return np.clip(np_rng.integers(-span, span, size=shape), data_lo, data_hi)

        self.rf_init = [data((c.rf_depth,)) for _ in range(n)]
        self.xbar_in = [data((c.mcus_per_core, c.xbar_size)) for _ in range(n)]
        self.xbar_out = [data((c.mcus_per_core, c.xbar_size)) for _ in range(n)]
        self.weights = weights = {}
        for core in range(n):
            for m in range(c.mcus_per_core):
                if rng.random() < 0.85:
                    np_rng = np.random.default_rng(rng.randrange(1 << 30))
                    span = 1 << rng.choice((c.weight_frac_bits - 4, c.weight_frac_bits,
                                            c.weight_bits - 4))
                    weights[(core, m)] = np_rng.integers(-span, span, size=(c.xbar_size, c.xbar_size))

        self.smem_init = smem_init = np.zeros(c.smem_depth, dtype=np.int64)
        self.smem_valid = smem_valid = np.zeros(c.smem_depth, dtype=bool)
        self.smem_count = smem_count = np.zeros(c.smem_depth, dtype=np.int64)
        for a in range(words):
            r = rng.random()
            if r < 0.1:       # persistent word
                smem_init[a], smem_valid[a] = rng.randint(data_lo, data_hi), True
                traffic.valid[a] = traffic.persistent[a] = traffic.used[a] = True
            elif r < 0.2:     # pre-loaded word with a consumer count
                cnt = rng.randint(1, 3)
                smem_init[a], smem_valid[a], smem_count[a] = rng.randint(data_lo, data_hi), True, cnt
                traffic.valid[a] = traffic.used[a] = True
                traffic.left[a] = cnt
        if n >= 2:            # channels: one producer, one consumer, count 1, reused
            free = [a for a in range(words) if not traffic.used[a]]
            for a in rng.sample(free, min(len(free), rng.randint(0, 3))):
                p, q = rng.sample(range(n), 2)
                traffic.channel[a] = (p, q)
                traffic.used[a] = True

    def shared(self, g, mnemonic, addr, **operands):
        """ld/st at ``addr``, or half the time ldx/stx through a base register just set."""
        c, rng = self.config, self.rng
        base_high = BY_MNEMONIC["ldx"].field("base").value_range[1]
        top = min(base_high, c.rf_depth - RESERVED - 1, c.addr_space - 1)
        if rng.random() < 0.5:
            g.emit(mnemonic, saddr=addr, **operands)
            return
        base, value = rng.randint(0, top), rng.randint(0, addr)
        g.emit("set", dst=base, imm=value)
        g.emit(mnemonic + "x", base=base, saddr=addr - value, **operands)

    def shared_access(self, g):
        rng, traffic, words, options = self.rng, self.traffic, self.words, self.options
        core = g.index
        vw_cap = max(1, min(options.max_vw, 8))
        if rng.random() < 0.5:     # try a load
            width = rng.randint(1, vw_cap)
            starts = [a for a in range(words - width + 1) if traffic.loadable(core, a, width)]
            if not starts and width > 1:
                width = 1
                starts = [a for a in range(words) if traffic.loadable(core, a, 1)]
            if starts:
                a = rng.choice(starts)
                d = g.dst(width)
                self.shared(g, "ld", a, dst=d, vw=width)
                g.last_dst = (d, width)
                traffic.load(a, width)
                return
        # a store: a channel word of ours that is free, or fresh words
        mine = [a for a, (p, _) in traffic.channel.items() if p == core and not traffic.valid[a]]
        if mine and rng.random() < 0.5:
            a = rng.choice(mine)
            self.shared(g, "st", a, src=g.src(1), vw=1, count=1)
            traffic.store(a, 1, 1)
            return
        width = rng.randint(1, vw_cap)
        starts = [a for a in range(words - width + 1) if not traffic.used[a:a + width].any()]
        if starts:
            a = rng.choice(starts)
            count = rng.randint(1, 3)
            self.shared(g, "st", a, src=g.src(width), vw=width, count=count)
            traffic.store(a, width, count)

    def act(self, g, r):
        """One random step of core generator ``g`` (``r`` in [0, 1) picks the kind)."""
        if r < 0.5:
            g.plain()
        elif r < 0.65:
            self.shared_access(g)
        elif r < 0.75:
            g.mcu()
        elif r < 0.8:
            g.crs()
        elif r < 0.9:
            g.forward_branch()
        else:
            g.loop()

    def finish(self, seed, *, tile=None):
        """Drain some of what is left (loads allowed by the schedule), halt every core and
        return the tile's :class:`ProgramImage`."""
        c, rng, traffic, cores = self.config, self.rng, self.traffic, self.cores
        for a in range(self.words):
            while traffic.valid[a] and not traffic.persistent[a] and rng.random() < 0.7:
                owner = traffic.channel.get(a)
                g = cores[owner[1]] if owner else cores[rng.randrange(self.n)]
                d = g.dst(1)
                g.emit("ld", dst=d, saddr=a, vw=1)
                traffic.load(a, 1)
        where = "" if tile is None else f"tile {tile} "
        for g in cores:
            g.emit("hlt")
            if len(g.code) > c.imem_depth:
                raise ValueError(f"{where}core {g.index}: {len(g.code)} instructions exceed "
                                 f"imem_depth {c.imem_depth}; use fewer steps")
        programs = [[encode(i) for i in g.code] for g in cores]
        source = "".join(f"# {where}core {i}\n" + "".join(line + "\n" for line in
                                                          disassemble(p, config=c))
                         for i, p in enumerate(programs))
        return ProgramImage(config=c, programs=programs, rf_init=self.rf_init,
                            xbar_in=self.xbar_in, xbar_out=self.xbar_out,
                            smem_init=self.smem_init, smem_count=self.smem_count,
                            smem_valid=self.smem_valid, weights=self.weights,
                            symbols={"seed": seed},
                            source=f"# random program, seed {seed}\n" + source)


def random_image(config, seed, *, options=None):
    """A random valid :class:`ProgramImage` for ``config`` (see the module docstring).

    Parameters
    ----------
    config : PantherConfig
    seed : int
    options : RandomProgramOptions, optional
    """
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    options = options or RandomProgramOptions()
    rng = random.Random(seed)
    gen = TileProgramGen(config, rng, options)
    for _ in range(options.steps):
        g = gen.cores[rng.randrange(gen.n)]
        gen.act(g, rng.random())
    return gen.finish(seed)


def coverage(images):
    """What a list of random images (tile or node images) exercises: dict of sets (for tests
    and reports)."""
    seen = {"opcodes": set(), "alu": set(), "alui": set(), "alu_int": set(), "br": set(),
            "mcu_masks": set(), "crs_masks": set()}
    for image in images:
        for program in (p for tile in getattr(image, "tiles", [image]) for p in tile.programs):
            for word in program:
                i = decode(word)
                seen["opcodes"].add(i.mnemonic)
                if i.mnemonic in ("alu", "alui", "alu_int", "br"):
                    seen[i.mnemonic].add(i.func.name if i.mnemonic != "br" else i.name)
                elif i.mnemonic == "mcu":
                    seen["mcu_masks"].update((m, i[f"m{m}"]) for m in range(6) if i[f"m{m}"])
                elif i.mnemonic == "crs":
                    seen["crs_masks"].add(i["mask"])
    return seen


#: Opcodes of the node's network, which tile programs do not use (random multi-tile programs
#: exercise them).
NODE_OPCODES = {"send", "recv"}

#: Opcodes every tile program set covers.
ALL_OPCODES = {spec.mnemonic for spec in INSTRUCTIONS} - NODE_OPCODES
