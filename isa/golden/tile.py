"""The golden model of a tile: cores, shared memory, MCUs and the round-robin scheduler."""

from __future__ import annotations

import numpy as np

from ..events import EventCounter
from .core import HALTED, RUNNING, Core
from .errors import DeadlockError, StepLimitError
from .exact_mcu import ExactMCU
from .network import Network, channel_name
from .report import GoldenReport
from .shared_memory import SharedMemory

__all__ = ["Tile", "exact_mcu_factory", "run_image", "describe_wait", "DEFAULT_MAX_ROUNDS"]

#: Scheduling rounds after which :meth:`Tile.run` gives up (a StepLimitError).
DEFAULT_MAX_ROUNDS = 1_000_000


def exact_mcu_factory(config, core, mcu, weights):
    """The default MCU backend: :class:`isa.golden.exact_mcu.ExactMCU`."""
    return ExactMCU(config=config, weights=weights)


class Tile:
    """An instruction-level model of one tile.

    Parameters
    ----------
    config : panther.config.PantherConfig
    programs : list of sequences of int
        64-bit instruction words, one list per core (at most ``config.cores_per_tile``).
        A core with an empty program is idle: it counts as halted from the start.
    memories : list of array_like, optional
        Initial operand space of each core (``config.addr_space`` words: register file,
        then the XBar buffers); default zeros.
    smem_values, smem_valid, smem_count : array_like, optional
        Initial shared memory (``config.smem_depth`` words each).
    weights : dict, optional
        ``(core, mcu) -> (xbar_size, xbar_size)`` raw weights; the other MCUs start at 0.
    digits : dict, optional
        ``(core, mcu) -> (n_slices, xbar_size, xbar_size)`` slice digits the MCU starts from
        (its backend's ``set_digits``) instead of the canonical digits of its weights.
    mcu_factory : callable, optional
        ``f(config, core, mcu, weights_or_None) -> backend``; the backend has
        ``mvm(x) -> (y, overflow)``, ``mtvm(v) -> (z, overflow)``, ``opa(x, v)``, ``crs()``,
        ``weights()`` and ``digits()``. Default: :func:`exact_mcu_factory`.
    trace : callable, optional
        ``trace(core, pc, instruction)`` for every retired instruction (in execution order).
    index : int
        The tile's number on the node (its address on the network).
    network : isa.golden.network.Network, optional
        The node's channels, shared by every tile of a :class:`isa.golden.node.Node`; a
        private network by default (a tile alone: ``send``/``recv`` between its own cores work,
        words sent to other tiles stay in their channels).

    Members
    -------
    cores : list of Core
    smem : SharedMemory
    events : EventCounter
    network : isa.golden.network.Network
    rounds : int
    """

    def __init__(self, *, config, programs, memories=None, smem_values=None, smem_valid=None,
                 smem_count=None, weights=None, mcu_factory=None, trace=None, digits=None,
                 index=0, network=None):
        if not 1 <= len(programs) <= config.cores_per_tile:
            raise ValueError(f"a tile takes 1 to {config.cores_per_tile} programs, "
                             f"not {len(programs)}")
        weights = dict(weights or {})
        for key in weights:
            core, mcu = key
            if not (0 <= core < len(programs) and 0 <= mcu < config.mcus_per_core):
                raise ValueError(f"weights for (core, mcu) = {key!r} outside "
                                 f"{len(programs)} cores x {config.mcus_per_core} MCUs")
        factory = mcu_factory or exact_mcu_factory
        self.config = config
        self.index = index
        self.network = network if network is not None else Network(config=config)
        self._private_network = network is None
        self.events = EventCounter()
        self.smem = SharedMemory(depth=config.smem_depth, values=smem_values, valid=smem_valid,
                                 count=smem_count)
        self.cores = []
        for number, program in enumerate(programs):
            mcus = [factory(config, number, m, weights.get((number, m)))
                    for m in range(config.mcus_per_core)]
            for m, mcu in enumerate(mcus):
                if (number, m) in (digits or {}):
                    mcu.set_digits(digits[(number, m)])
            memory = None if memories is None else memories[number]
            core = Core(index=number, config=config, program=program, mcus=mcus,
                        events=self.events, memory=memory, trace=trace, tile=self.index,
                        network=self.network)
            if len(core.program) == 0:
                core.status = HALTED
            self.cores.append(core)
        self.rounds = 0

    @classmethod
    def from_image(cls, image, *, mcu_factory=None, trace=None, index=0, network=None):
        """A tile loaded with an :class:`isa.image.ProgramImage`."""
        config = image.config
        memories = []
        for number in range(len(image.programs)):
            memory = np.zeros(config.addr_space, dtype=np.int64)
            memory[:config.rf_depth] = np.asarray(image.rf_init[number], dtype=np.int64)
            for m in range(config.mcus_per_core):
                for base, init in ((config.xbar_in_base(m), getattr(image, "xbar_in", None)),
                                   (config.xbar_out_base(m), getattr(image, "xbar_out", None))):
                    values = _lookup(init, number, m)
                    if values is not None:
                        memory[base:base + config.xbar_size] = np.asarray(values, dtype=np.int64)
            memories.append(memory)
        return cls(config=config, programs=image.programs, memories=memories,
                   smem_values=image.smem_init, smem_valid=image.smem_valid,
                   smem_count=image.smem_count, weights=image.weights, mcu_factory=mcu_factory,
                   trace=trace, digits=getattr(image, "digits", None), index=index,
                   network=network)

    @property
    def done(self):
        return all(core.status != RUNNING for core in self.cores)

    def step(self):
        """One scheduling round: every running core issues (or continues) one instruction.

        Returns True if any core made progress.
        """
        progress = False
        for core in self.cores:
            progress |= core.step(self.smem)
        self.rounds += 1
        return progress

    def run(self, *, max_rounds=DEFAULT_MAX_ROUNDS):
        """Run until every core halted (or faulted). Returns a :class:`GoldenReport`.

        Raises
        ------
        DeadlockError
            When every running core waits on shared memory and none can proceed.
        StepLimitError
            After ``max_rounds`` rounds.
        """
        while not self.done:
            if self.rounds >= max_rounds:
                running = [c.index for c in self.cores if c.status == RUNNING]
                raise StepLimitError(
                    f"golden model: {max_rounds} scheduling rounds reached with core(s) "
                    f"{running} still running (PCs {[self.cores[i].pc for i in running]})",
                    report=self.report())
            if not self.step():
                self._deadlock()
        return self.report()

    def waits(self, *, node=False):
        """``(wait, sentence)`` per core blocked on shared memory or a channel (see
        :func:`describe_wait`); ``node`` adds the tile number."""
        return [describe_wait(core, self.network, node=node) for core in self.cores
                if core.status == RUNNING and core.blocked is not None]

    def _deadlock(self):
        waits = self.waits()
        raise DeadlockError("golden model: deadlock: " + "; ".join(text for _, text in waits),
                            waits=[w for w, _ in waits], report=self.report())

    def report(self, *, noc=None):
        """The current state and event counts as a :class:`GoldenReport` (with the network's
        :meth:`~isa.golden.network.Network.snapshot` when the tile has its own network and
        used it, or when ``noc`` is true)."""
        if noc is None:
            noc = self._private_network and self.network.used
        return GoldenReport(
            config=self.config.to_dict(),
            rounds=self.rounds,
            events=self.events.to_dict(self.config),
            captured=([core.capture(idle=len(core.program) == 0) for core in self.cores],
                      self.smem.capture()),
            noc=self.network.snapshot() if noc else None,
        )


def describe_wait(core, network, *, node=False):
    """``(wait, sentence)`` of a blocked core: ``wait`` is a dict of ``core``, ``pc``, ``op``,
    ``saddr`` (``ld``/``st``) or ``channel`` and ``queued`` (``send``/``recv``), ``wants``,
    and ``tile`` when ``node`` is true."""
    b = core.blocked
    who = f"tile {core.tile} core {core.index}" if node else f"core {core.index}"
    wait = {"tile": core.tile} if node else {}
    wait.update(core=core.index, pc=core.pc, op=b.op)
    if b.op in ("ld", "st"):
        wait.update(saddr=b.saddr, wants=b.wants)
        where = f" of tile {core.tile}" if node else ""
        return wait, (f"{who} (pc {core.pc}, {b.op}) waits for shared-memory word {b.saddr}"
                      f"{where} to become {b.wants}")
    queued = network.queued(b.channel)
    wait.update(channel=list(b.channel), queued=queued, wants=b.wants)
    if b.op == "send":
        return wait, (f"{who} (pc {core.pc}, send) waits for room in channel "
                      f"{channel_name(b.channel)} ({queued} of {network.depth} words queued)")
    return wait, (f"{who} (pc {core.pc}, recv) waits for a word from channel "
                  f"{channel_name(b.channel)} (empty)")


def _lookup(init, core, mcu):
    """XBar buffer init from an image: None, dict[(core, mcu)] or nested lists."""
    if init is None:
        return None
    if isinstance(init, dict):
        return init.get((core, mcu))
    try:
        return init[core][mcu]
    except (IndexError, KeyError, TypeError):
        return None


def run_image(image, *, mcu_factory=None, max_rounds=DEFAULT_MAX_ROUNDS, trace=None):
    """Load an :class:`isa.image.ProgramImage` into a :class:`Tile` and run it."""
    return Tile.from_image(image, mcu_factory=mcu_factory, trace=trace).run(max_rounds=max_rounds)
