"""A golden-model run that records what the timing model needs: every core's retired
instructions and every shared-memory word access, with the access it waited for.

The golden model (:mod:`isa.golden`) executes the tile in scheduling rounds; its global order
of word accesses and retirements is one valid sequential execution. :func:`record_run` keeps
that order in :attr:`Trace.events`:

* ``("w", core, index, kind, dep)``: a word of a ``ld`` (``kind = "ld"``) or ``st`` of the
  ``index``-th instruction of ``core`` (``hlt`` for the OPA operands of variants 1-2); ``dep``
  is the event index of the access it waited for (the store that produced the loaded value,
  or the load that consumed the word a store overwrites), or -1;
* ``("r", core, index)``: that instruction retired.

Every dependence points backwards in the list, so a single pass over it times the run
(:mod:`apps.evaluation.timing`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panther.isa.golden import DeadlockError, StepLimitError, Tile
from panther.isa.golden.shared_memory import SharedMemory

__all__ = ["Trace", "record_run", "DEFAULT_MAX_ROUNDS"]

#: Scheduling rounds after which :func:`record_run` gives up.
DEFAULT_MAX_ROUNDS = 2_000_000

#: Branch conditions (docs/ISA.md): whether ``src1 cond src2`` jumps.
_BRANCHES = {"beq": lambda a, b: a == b, "bne": lambda a, b: a != b,
             "blt": lambda a, b: a < b, "bge": lambda a, b: a >= b}


@dataclass
class Trace:
    """What a recorded golden run did.

    Members
    -------
    config : panther.config.PantherConfig
    instructions : list of list of isa.encoding.Instruction
        Per core, the retired instructions in order (a core's dynamic trace).
    taken : list of list of bool
        Per retired instruction, whether it was a taken branch.
    events : list of tuple
        Word accesses and retirements in the golden model's order (module docstring).
    report : isa.golden.GoldenReport
        The run's final state and event counts (``report.events`` are the counts of
        ``panther run``).
    """

    config: object
    instructions: list
    taken: list
    events: list
    report: object


class _RecordingMemory(SharedMemory):
    """Shared memory that logs each word access with the access it depended on."""

    def __init__(self, smem, events):
        super().__init__(depth=smem.depth, values=smem.values, valid=smem.valid, count=smem.count)
        self.reads, self.writes = smem.reads, smem.writes
        self.events = events
        self.producer = np.full(smem.depth, -1, dtype=np.int64)     # store of the value
        self.consumer = np.full(smem.depth, -1, dtype=np.int64)     # load that freed the word
        self.current = (0, 0)

    def load(self, addr):
        value = super().load(addr)
        core, index = self.current
        self.events.append(("w", core, index, "ld", int(self.producer[addr])))
        if not self.valid[addr]:
            self.consumer[addr] = len(self.events) - 1
        return value

    def store(self, addr, value, count):
        super().store(addr, value, count)
        core, index = self.current
        self.events.append(("w", core, index, "st", int(self.consumer[addr])))
        self.producer[addr] = len(self.events) - 1


def record_run(image, *, max_rounds=DEFAULT_MAX_ROUNDS, mcu_factory=None):
    """Run ``image`` (an :class:`isa.image.ProgramImage`) on the golden model and record it.

    Raises the golden model's :class:`~isa.golden.DeadlockError` or
    :class:`~isa.golden.StepLimitError` like :func:`isa.golden.run_image`.
    """
    events = []
    instructions = taken = tile = None

    def retired(core, pc, instr):
        events.append(("r", core, len(instructions[core])))
        instructions[core].append(instr)
        jumped = False
        if instr.mnemonic == "br":
            memory = tile.cores[core].memory
            jumped = _BRANCHES[instr.name](int(memory[instr["src1"]]), int(memory[instr["src2"]]))
        taken[core].append(jumped)

    tile = Tile.from_image(image, trace=retired, mcu_factory=mcu_factory)
    instructions = [[] for _ in tile.cores]
    taken = [[] for _ in tile.cores]
    smem = tile.smem = _RecordingMemory(tile.smem, events)
    while not tile.done:
        if tile.rounds >= max_rounds:
            raise StepLimitError(f"golden model: {max_rounds} scheduling rounds reached",
                                 report=tile.report())
        progress = False
        for core in tile.cores:
            smem.current = (core.index, core.retired)
            progress |= core.step(smem)
        tile.rounds += 1
        if not progress:
            waits = [(c.index, c.pc, c.blocked.op, c.blocked.saddr) for c in tile.cores
                     if c.blocked is not None]
            raise DeadlockError(f"golden model: deadlock (core, pc, op, word): {waits}",
                                waits=waits, report=tile.report())
    return Trace(config=image.config, instructions=instructions, taken=taken, events=events,
                 report=tile.report())
