"""One core of the golden model: fetch, decode (isa.encoding) and execute one instruction.

The core's operand space is one flat array of ``config.addr_space`` words: the register file
at ``0 .. rf_depth-1``, then XBarIn / XBarOut of every MCU at ``config.xbar_in_base(m)`` /
``config.xbar_out_base(m)`` (docs/semantics.md §4). Every value is a raw signed data word.
"""

from __future__ import annotations

import functools

import numpy as np

from panther.fixed_point import saturate

from .. import variants, vfu_math
from ..encoding import IllegalInstruction, decode
from ..faults import CoreFault
from .blocking import Blocked, _Fault
from .mcu_ops import McuOps
from .network import Network
from .network_ops import NetworkOps
from .report import state_lists

__all__ = ["Core", "Blocked", "RUNNING", "HALTED", "ERROR"]

RUNNING, HALTED, ERROR = "running", "halted", "error"

#: Decoding is a pure function of the word (Instruction is frozen): shared by every core.
_decode = functools.lru_cache(maxsize=1 << 16)(decode)


class Core(McuOps, NetworkOps):
    """Architectural state and instruction semantics of one core.

    Parameters
    ----------
    index : int
        Core number in the tile.
    config : panther.config.PantherConfig
    program : sequence of int
        64-bit instruction words (decoded when fetched: a bad word faults only if executed).
    mcus : list
        One MCU backend per MCU (``mvm``, ``mtvm``, ``opa``, ``crs`` ...).
    events : EventCounter
        Shared event counters of the tile.
    memory : array_like of int, optional
        Initial operand space (``addr_space`` words, default zeros).
    trace : callable, optional
        ``trace(core_index, pc, instruction)`` is called for every retired instruction.
    tile : int
        The tile the core sits on (its own address on the node's network).
    network : isa.golden.network.Network, optional
        The node's channels (``send``/``recv``); a private one-node network by default.

    Members
    -------
    pc : int
        Address of the next instruction; after ``hlt`` or a fault, of that instruction.
    retired : int
        Instructions completed (``hlt`` included).
    status : str
        ``'running'``, ``'halted'`` or ``'error'``.
    fault : CoreFault
    fault_message : str
    overflow : bool
        Sticky saturation flag (VFU, MVM, MTVM).
    memory : numpy.ndarray of int64
        The operand space.
    deferred : list of tuple
        Variants 1-2: pending weight updates ``('opa', m)`` / ``('crs', m)`` in program
        order; entry ``e`` owns slot ``e`` of the core's shared-memory OPA region, where an
        OPA saved its XBarIn and XBarOut vectors. Always empty on variant 3.
    dirty : set of int
        Variant 3: MCUs whose third copy an OPA or CRS changed (committed at ``hlt``).
    blocked : Blocked or None
        Set while a ``ld``/``st`` waits on shared memory.
    """

    def __init__(self, *, index, config, program, mcus, events, memory=None, trace=None, tile=0,
                 network=None):
        self.index = index
        self.tile = tile
        self.network = network if network is not None else Network(config=config)
        self.trace = trace
        self.config = config
        self.program = [int(w) for w in program]
        self.mcus = mcus
        self.events = events
        if memory is None:
            self.memory = np.zeros(config.addr_space, dtype=np.int64)
        else:
            self.memory = np.array(memory, dtype=np.int64).reshape(-1)
            if self.memory.shape != (config.addr_space,):
                raise ValueError(f"core {index}: memory must have {config.addr_space} words, "
                                 f"not {self.memory.shape[0]}")
        self.pc = 0
        self.retired = 0
        self.status = RUNNING
        self.fault = CoreFault.NONE
        self.fault_message = ""
        self.overflow = False
        self.deferred = []
        self.dirty = set()
        self.blocked = None
        self._progress = 0      # words of the current ld/st already done
        self._ea = None         # effective address of the current ldx/stx, once read
        self._decoded = {}
        self._xbar_in_bases = {config.xbar_in_base(m) for m in range(config.mcus_per_core)}

    # -- memory helpers -------------------------------------------------------------------

    def _check(self, addr, width, what):
        if not (0 <= addr and addr + width <= self.config.addr_space):
            raise _Fault(CoreFault.ADDRESS_RANGE,
                         f"{what} {addr}..{addr + width - 1} outside the core address space "
                         f"0..{self.config.addr_space - 1}")

    def _count(self, addr, width, kind):
        c = self.config
        n = c.xbar_size
        in_rf = max(0, min(addr + width, c.rf_depth) - addr)
        in_xbar_in = 0
        lo = max(addr, c.rf_depth) - c.rf_depth          # XBar offsets [lo, hi): buffers of n words,
        hi = addr + width - c.rf_depth                    # XBarIn at even buffer numbers
        while lo < hi:
            end = min(hi, (lo // n + 1) * n)
            if (lo // n) % 2 == 0:
                in_xbar_in += end - lo
            lo = end
        self.events.add(f"rf_{kind}", in_rf)
        self.events.add(f"xbar_in_{kind}", in_xbar_in)
        self.events.add(f"xbar_out_{kind}", width - in_rf - in_xbar_in)

    def read(self, addr, width=1):
        self._check(addr, width, "operand")
        self._count(addr, width, "reads")
        return self.memory[addr:addr + width].copy()

    def write(self, addr, values):
        values = np.atleast_1d(np.asarray(values, dtype=np.int64))
        self._check(addr, values.size, "destination")
        self._count(addr, values.size, "writes")
        self.memory[addr:addr + values.size] = values

    def _saturate(self, values):
        values, overflow = saturate(np.asarray(values, dtype=np.int64), self.config.data_bits)
        self.overflow |= bool(np.any(overflow))
        return values

    def xbar_in(self, m):
        base = self.config.xbar_in_base(m)
        return self.memory[base:base + self.config.xbar_size]

    def xbar_out(self, m):
        base = self.config.xbar_out_base(m)
        return self.memory[base:base + self.config.xbar_size]

    # -- execution ------------------------------------------------------------------------

    def fetch(self):
        if not 0 <= self.pc < len(self.program):
            raise _Fault(CoreFault.PC_RANGE,
                         f"PC {self.pc} outside the program (0..{len(self.program) - 1}); "
                         "missing hlt?")
        instr = self._decoded.get(self.pc)
        if instr is None:
            try:
                instr = _decode(self.program[self.pc])
            except IllegalInstruction as error:
                raise _Fault(CoreFault.ILLEGAL_INSTRUCTION, str(error)) from None
            self._decoded[self.pc] = instr
        return instr

    def step(self, smem):
        """Execute (or continue) one instruction. Returns True if the core made progress."""
        if self.status != RUNNING:
            return False
        try:
            instr = self.fetch()
            return getattr(self, "_op_" + instr.mnemonic)(instr, smem)
        except _Fault as fault:
            self.status = ERROR
            self.fault = fault.code
            self.fault_message = f"core {self.index} pc {self.pc}: {fault}"
            self.blocked = None
            return True

    def _retire(self, instr, next_pc=None):
        self.events.count_instruction(instr.name)
        self.retired += 1
        if self.trace is not None:
            self.trace(self.index, self.pc, instr)
        self.pc = self.pc + 1 if next_pc is None else next_pc
        return True

    def _op_nop(self, instr, smem):
        return self._retire(instr)

    def _op_hlt(self, instr, smem):
        if variants.eager_updates(self.config):
            for m in sorted(self.dirty):
                self.mcus[m].commit()
                self._count_serial(m, "commits")
            self.dirty = set()
        else:
            self._apply_deferred(smem)
        self.status = HALTED
        self.events.count_instruction(instr.name)
        self.retired += 1
        if self.trace is not None:
            self.trace(self.index, self.pc, instr)
        return True

    def _op_set(self, instr, smem):
        self.write(instr["dst"], self._saturate([instr["imm"]]))
        return self._retire(instr)

    def _op_cp(self, instr, smem):
        values = self.read(instr["src"], instr["vw"])
        self.write(instr["dst"], values)
        return self._retire(instr)

    def _smem_range(self, smem, saddr, vw):
        depth = self.config.smem_user_depth
        if not (smem.in_range(saddr, vw) and saddr + vw <= depth):
            raise _Fault(CoreFault.SMEM_ADDRESS_RANGE,
                         f"shared-memory vector {saddr}..{saddr + vw - 1} outside "
                         f"0..{depth - 1} (smem_user_depth)")

    def _effective(self, instr):
        """``(saddr, retire)`` of a ld/st: ldx/stx read their base register once, when the
        instruction starts (a blocked vector keeps its address even if it overwrites the base)."""
        if instr.mnemonic not in ("ldx", "stx"):
            return instr["saddr"]
        if self._ea is None:
            base = int(self.read(instr["base"])[0]) % (1 << self.config.data_bits)
            self._ea = base + instr["saddr"]
        return self._ea

    def _transfer_done(self, instr):
        self.blocked = None
        self._progress = 0
        self._ea = None
        return self._retire(instr)

    def _op_ld(self, instr, smem):
        dst, vw = instr["dst"], instr["vw"]
        saddr = self._effective(instr)
        self._smem_range(smem, saddr, vw)
        self._check(dst, vw, "destination")
        start, values = self._progress, []
        while self._progress < vw:
            addr = saddr + self._progress
            if not smem.can_load(addr):
                self.blocked = Blocked("ld", addr)
                break
            values.append(smem.load(addr))
            self._progress += 1
        if values:          # the words this call moved, written (and counted) at once
            self.write(dst + start, values)
            self.events.add("smem_reads", len(values))
        if self._progress < vw:
            return bool(values)
        return self._transfer_done(instr)

    def _op_st(self, instr, smem):
        src, vw, count = instr["src"], instr["vw"], instr["count"]
        saddr = self._effective(instr)
        self._smem_range(smem, saddr, vw)
        self._check(src, vw, "operand")
        start = self._progress
        words = self.memory[src + start:src + vw]     # the core waits: its operand cannot change
        while self._progress < vw:
            addr = saddr + self._progress
            if not smem.can_store(addr):
                self.blocked = Blocked("st", addr)
                break
            smem.store(addr, int(words[self._progress - start]), count)
            self._progress += 1
        moved = self._progress - start
        if moved:           # the operand words this call stored, counted as read
            self._count(src + start, moved, "reads")
            self.events.add("smem_writes", moved)
        if self._progress < vw:
            return moved > 0
        return self._transfer_done(instr)

    _op_ldx = _op_ld
    _op_stx = _op_st

    def _vfu(self, instr, b):
        fn = instr.func.name
        vw = instr["vw"]
        a = self.read(instr["src1"], vw)
        dst_old = self.read(instr["dst"], vw) if fn == "sna" else None
        result, overflow = vfu_math.vfu(fn, a, b, config=self.config, dst=dst_old)
        self.overflow |= bool(np.any(overflow))
        self.write(instr["dst"], result)
        self.events.add("vfu_ops", vw)
        self.events.add(f"vfu_{fn}", vw)
        return self._retire(instr)

    def _op_alu(self, instr, smem):
        return self._vfu(instr, self.read(instr["src2"], instr["vw"]))

    def _op_alui(self, instr, smem):
        return self._vfu(instr, instr["imm"])

    def _op_alu_int(self, instr, smem):
        a = int(self.read(instr["src1"])[0])
        b = int(self.read(instr["src2"])[0])
        self.write(instr["dst"], [vfu_math.alu_int(instr.func.name, a, b, config=self.config)])
        self.events.add("alu_int_ops")
        return self._retire(instr)

    _CONDS = {
        "beq": lambda a, b: a == b, "bne": lambda a, b: a != b,
        "blt": lambda a, b: a < b, "bge": lambda a, b: a >= b,
    }

    def _op_br(self, instr, smem):
        a = int(self.read(instr["src1"])[0])
        b = int(self.read(instr["src2"])[0])
        taken = self._CONDS[instr.name](a, b)
        return self._retire(instr, instr["target"] if taken else None)

    def _op_jmp(self, instr, smem):
        return self._retire(instr, instr["target"])

    # -- report ---------------------------------------------------------------------------

    def capture(self, *, idle=False):
        """The core's architectural state with numpy arrays (no conversion to Python lists):
        the keys of :meth:`snapshot`. The arrays are copies, except for an ``idle`` core (one
        that runs no program, so its state cannot change): its MCUs are read only when the
        report is (see :class:`isa.golden.report.GoldenReport`)."""
        c = self.config
        return {
            "pc": self.pc,
            "status": self.status,
            "fault": self.fault.name,
            "fault_code": int(self.fault),
            "fault_message": self.fault_message,
            "overflow": bool(self.overflow),
            "instructions": self.retired,
            "rf": self.memory[:c.rf_depth].copy(),
            "xbar_in": np.stack([self.xbar_in(m) for m in range(c.mcus_per_core)]),
            "xbar_out": np.stack([self.xbar_out(m) for m in range(c.mcus_per_core)]),
            "mcus": list(self.mcus) if idle else
                    [{"weights": np.asarray(mcu.weights()), "digits": np.asarray(mcu.digits())}
                     for mcu in self.mcus],
            "pending_updates": len(self.deferred),
        }

    def snapshot(self):
        """JSON-ready dict of the core's architectural state (lists of Python ints)."""
        return state_lists(self.capture())
