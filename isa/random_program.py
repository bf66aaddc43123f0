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

from .disassembler import disassemble
from .encoding import encode, make
from .image import ProgramImage
from .table import ALU_FUNCS, ALU_INT_FUNCS, BRANCH_CONDS, BY_MNEMONIC, INSTRUCTIONS, SNA_SHIFT_BITS

__all__ = ["random_image", "RandomProgramOptions", "TileProgramGen", "coverage", "ALL_OPCODES",
           "NODE_OPCODES"]

#: Register-file words at the top of the RF reserved for loop control (never random dsts).
RESERVED = 3


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


class _CoreGen:
    """Instruction stream of one core under construction."""

    def __init__(self, index, config, rng):
        self.index = index
        self.config = config
        self.rng = rng
        self.code = []            # Instruction objects (targets patched later)
        self.deferred = 0
        self.last_dst = None      # (addr, vw) of the latest write, for back-to-back chains

    # -- operands --------------------------------------------------------------------------

    def vw(self, cap):
        c = self.config
        top = max(1, min(cap, c.addr_space - RESERVED))
        r = self.rng.random()
        if r < 0.4:
            return 1
        if r < 0.9:
            return self.rng.randint(1, top)
        return min(c.xbar_size, c.addr_space // 2, 256)

    def src(self, vw):
        c = self.config
        if self.last_dst is not None and self.rng.random() < 0.5:
            addr, width = self.last_dst
            start = max(0, min(addr + self.rng.randint(-1, width), c.addr_space - vw))
            return start
        region = self.rng.random()
        if region < 0.3 and c.addr_space - c.rf_depth >= vw:
            return self.rng.randint(c.rf_depth, c.addr_space - vw)
        return self.rng.randint(0, c.addr_space - vw)

    def dst(self, vw):
        """A destination vector that never touches the reserved loop-control words."""
        c = self.config
        low_top = c.rf_depth - RESERVED - vw          # vectors entirely below the reserved words
        high_lo = c.rf_depth                          # or entirely in the XBar buffers
        choices = []
        if low_top >= 0:
            choices.append(("low", 0, low_top))
        if c.addr_space - vw >= high_lo:
            choices.append(("high", high_lo, c.addr_space - vw))
        if self.last_dst is not None and self.rng.random() < 0.3:
            addr, _ = self.last_dst
            for _, lo, hi in choices:
                if lo <= addr <= hi:
                    return addr
        weights = [0.6 if name == "low" else 0.4 for name, _, _ in choices]
        _, lo, hi = self.rng.choices(choices, weights=weights)[0]
        return self.rng.randint(lo, hi)

    def imm(self):
        r = self.rng.random()
        if r < 0.3:
            return self.rng.randint(-(1 << (self.config.data_frac_bits + 1)),
                                    1 << (self.config.data_frac_bits + 1))
        return self.rng.randint(-(1 << 15), (1 << 15) - 1)

    # -- instructions ----------------------------------------------------------------------

    def emit(self, mnemonic, **operands):
        self.code.append(make(mnemonic, **operands))
        return len(self.code) - 1

    def plain(self):
        """One random instruction without control flow, shared memory or weight updates."""
        rng = self.rng
        kind = rng.choice(("nop", "set", "cp", "alu", "alu", "alui", "alui", "alu_int", "mcu"))
        if kind == "nop":
            self.emit("nop")
        elif kind == "set":
            d = self.dst(1)
            self.emit("set", dst=d, imm=self.imm())
            self.last_dst = (d, 1)
        elif kind == "cp":
            vw = self.vw(self.config_max_vw)
            s, d = self.src(vw), self.dst(vw)
            self.emit("cp", dst=d, src=s, vw=vw)
            self.last_dst = (d, vw)
        elif kind == "alu":
            fn = rng.choice([f for f in ALU_FUNCS if not f.imm_only])
            vw = self.vw(self.config_max_vw)
            s1, s2, d = self.src(vw), self.src(vw), self.dst(vw)
            self.emit("alu", fn=fn.code, dst=d, src1=s1, src2=s2, vw=vw)
            self.last_dst = (d, vw)
        elif kind == "alui":
            fn = rng.choice(ALU_FUNCS)
            vw = self.vw(self.config_max_vw)
            s1, d = self.src(vw), self.dst(vw)
            imm = (rng.randint(-(1 << (SNA_SHIFT_BITS - 1)), (1 << (SNA_SHIFT_BITS - 1)) - 1)
                   if fn.name == "sna" else self.imm())
            self.emit("alui", fn=fn.code, dst=d, src1=s1, imm=imm, vw=vw)
            self.last_dst = (d, vw)
        elif kind == "alu_int":
            fn = rng.choice(ALU_INT_FUNCS)
            s1, s2, d = self.src(1), self.src(1), self.dst(1)
            self.emit("alu_int", fn=fn.code, dst=d, src1=s1, src2=s2)
            self.last_dst = (d, 1)
        else:
            self.mcu(allow_opa=False)

    def mcu(self, *, allow_opa=True):
        """An ``mcu`` with random masks on the core's MCUs (OPA only within deferred_depth)."""
        c, rng = self.config, self.rng
        masks = {}
        for m in range(6):
            mask = 0
            if m < c.mcus_per_core and rng.random() < 0.7:
                mask = rng.randint(1, 7)
                if mask & 4 and not (allow_opa and self.deferred < c.deferred_depth):
                    mask &= 3
                if mask & 4:
                    self.deferred += 1
            masks[f"m{m}"] = mask
        self.emit("mcu", **masks)
        if any(masks.values()):
            m = rng.choice([m for m in range(c.mcus_per_core)])
            base = c.xbar_out_base(m) if rng.random() < 0.5 else c.xbar_in_base(m)
            self.last_dst = (base, c.xbar_size)

    def crs(self):
        c = self.config
        room = c.deferred_depth - self.deferred
        if room <= 0:
            return False
        mcus = [m for m in range(c.mcus_per_core) if self.rng.random() < 0.6][:room]
        if not mcus:
            mcus = [self.rng.randrange(c.mcus_per_core)]
        self.deferred += len(mcus)
        self.emit("crs", mask=sum(1 << m for m in mcus))
        return True

    def loop(self):
        """A bounded loop of plain instructions, controlled by the reserved words."""
        c, rng = self.config, self.rng
        cnt, one, zero = c.rf_depth - 1, c.rf_depth - 2, c.rf_depth - 3
        self.emit("set", dst=one, imm=1)
        self.emit("set", dst=zero, imm=0)
        self.emit("set", dst=cnt, imm=rng.randint(1, 3))
        top = len(self.code)
        for _ in range(rng.randint(1, 3)):
            self.plain_no_mcu()
        sub = next(f.code for f in ALU_INT_FUNCS if f.name == "sub")
        self.emit("alu_int", fn=sub, dst=cnt, src1=cnt, src2=one)
        self.emit("bne", src1=cnt, src2=zero, target=top)

    def plain_no_mcu(self):
        while True:
            before = len(self.code)
            self.plain()
            if self.code[-1].mnemonic != "mcu":
                return
            del self.code[before:]

    def forward_branch(self):
        """A random conditional branch (or jmp) over 0..3 plain instructions."""
        rng = self.rng
        skip = rng.randint(0, 3)
        if rng.random() < 0.25:
            at = self.emit("jmp", target=0)
        else:
            cond = rng.choice(BRANCH_CONDS)
            at = self.emit(cond.name, src1=self.src(1), src2=self.src(1), target=0)
        for _ in range(skip):
            self.plain_no_mcu()
        instr = self.code[at]
        ops = dict(instr.operands)
        ops["target"] = len(self.code)
        self.code[at] = type(instr)(instr.mnemonic, ops)


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
    cores : list of _CoreGen
        One instruction stream per core.
    """

    def __init__(self, config, rng, options):
        c = config
        self.config, self.rng, self.options = config, rng, options
        n = self.n = c.cores_per_tile
        if c.rf_depth <= RESERVED + 1:
            raise ValueError(f"random programs need rf_depth > {RESERVED + 1}, not {c.rf_depth}")
        self.words = words = min(options.smem_words, c.smem_user_depth)
        self.cores = cores = [_CoreGen(i, c, rng) for i in range(n)]
        for g in cores:
            g.config_max_vw = options.max_vw
        self.traffic = traffic = _SharedTraffic(c, rng, words)
        data_lo, data_hi = -(1 << (c.data_bits - 1)), (1 << (c.data_bits - 1)) - 1

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
    from .encoding import decode
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
