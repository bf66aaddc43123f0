"""One core's random instruction stream for :mod:`isa.random_program` (vector, scalar,
``mcu``/``crs``, bounded loops and forward branches over a register file whose top
:data:`RESERVED` words are kept for loop control)."""

from __future__ import annotations

from .encoding import make
from .table import ALU_FUNCS, ALU_INT_FUNCS, BRANCH_CONDS, SNA_SHIFT_BITS

__all__ = ["RESERVED", "CoreGen"]

#: Register-file words at the top of the RF reserved for loop control (never random dsts).
RESERVED = 3


class CoreGen:
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
