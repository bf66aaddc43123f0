"""Per-instruction latencies of the timing model (:mod:`apps.evaluation.timing`).

Two profiles:

* :func:`model_core_timing` and :func:`mcu_timing` (ns): the architecture being evaluated,
  from the per-event latencies of :class:`analog_models.energy.EnergyModel` and PUMA's
  pipeline rules (``src/ima.py``): a VFU instruction takes ``ceil(vw / vfu_lanes)`` VFU
  cycles, ``cp`` one cycle (PUMA assigns mux selectors), the base-register read of an
  ``ldx``/``stx`` one cycle (*our assumption*: a scalar register read), a shared-memory word
  ``smem_access / SMEM_WORDS_PER_ACCESS``; an MVM or MTVM takes ``input_steps +
  MVM_PIPELINE_STAGES - 1`` pipeline stages, each the longer of a crossbar bit-step and the
  ``xbar_size / adcs_per_xbar`` conversions of one ADC; an OPA ``input_steps`` OPA steps;
  a CRS or commit every row of a slice serially (slices, and the copies written, in
  parallel).
* :func:`rtl_core_timing` and :func:`rtl_mcu_timing` (cycles): this project's RTL with its
  ideal analog port (one-cycle acknowledge), for checking the timing model against RTL
  cycle counts (``bench/bench_timing.py``, ``tests/evaluation``).

A :class:`McuTiming` describes one architecture's matrix operations (PANTHER's variants or a
baseline), so the same recorded run is timed for every architecture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from panther.analog_models import baselines
from panther.analog_models.energy import EnergyModel
from panther.isa import variants

from .architectures import base_mvm_config

__all__ = ["CoreTiming", "McuTiming", "model_core_timing", "mcu_timing", "read_phase_ns",
           "opa_phase_ns", "serial_array_ns", "pipelayer_ns"]

_MVM, _MTVM, _OPA = variants.MVM, variants.MTVM, variants.OPA


@dataclass(frozen=True)
class CoreTiming:
    """Latencies of the core's own instructions.

    Members
    -------
    unit : str
        ``'ns'`` or ``'cycles'``.
    scalar : float
        ``nop``, ``set``.
    alu_int, branch, taken_branch, jump : float
        ``alu_int``; a branch not taken, taken; ``jmp``.
    halt : float
        ``hlt`` without deferred updates (the RTL's includes starting the core).
    cp_fixed, cp_word : float
        ``cp`` of ``vw`` words: ``cp_fixed + vw * cp_word``.
    vfu_fixed, vfu_source, vfu_word, vfu_row : float
        ``alu``/``alui`` of ``vw`` words: ``vfu_fixed + sources * (vfu_source + vw * vfu_word)
        + vw * vfu_word + ceil(vw / lanes) * vfu_row`` (``sources`` = 2 for ``alu``, 1 for
        ``alui``): staging every source word, writing every result word, one VFU row of
        ``lanes`` words at a time.
    lanes : int
    ld_fixed, st_fixed : float
        Issue of a ``ld`` / ``st`` (its words are timed one by one).
    index_fixed : float
        What ``ldx`` / ``stx`` add to ``ld_fixed`` / ``st_fixed``: the read of their base
        register.
    word_ld, word_st : float
        Core time per shared-memory word loaded / stored.
    port_word : float
        Time the tile's shared-memory port is taken by one word.
    mcu_fixed : float
        Issue of an ``mcu`` instruction.
    crs_fixed : float
        Issue of a ``crs`` (an eager one then waits for :attr:`McuTiming.crs`, a deferred one
        is replayed at ``hlt``).
    snapshot_fixed : float
        Variants 1-2: what the copy of a deferred OPA's operands into shared memory adds to
        its ``mcu`` besides its words (timed one by one); 0 in the ns model.
    park_fixed : float
        Variants 1-2: what ``hlt`` adds for each MCU it parks and restores (one an OPA is
        replayed on) besides the words of the two copies; 0 in the ns model.
    """

    unit: str
    scalar: float
    alu_int: float
    branch: float
    taken_branch: float
    jump: float
    halt: float
    cp_fixed: float
    cp_word: float
    vfu_fixed: float
    vfu_source: float
    vfu_word: float
    vfu_row: float
    lanes: int
    ld_fixed: float
    st_fixed: float
    word_ld: float
    word_st: float
    port_word: float
    mcu_fixed: float
    crs_fixed: float
    index_fixed: float
    snapshot_fixed: float = 0.0
    park_fixed: float = 0.0

    def instruction(self, instr, taken=False):
        """Latency of a non-MCU, non-``hlt`` instruction (its shared-memory words apart)."""
        name = instr.mnemonic
        if name in ("alu", "alui"):
            vw = instr["vw"]
            sources = 2 if name == "alu" else 1
            return (self.vfu_fixed + sources * (self.vfu_source + vw * self.vfu_word)
                    + vw * self.vfu_word + math.ceil(vw / self.lanes) * self.vfu_row)
        if name == "cp":
            return self.cp_fixed + instr["vw"] * self.cp_word
        if name in ("ld", "st", "ldx", "stx"):
            fixed = self.ld_fixed if name in ("ld", "ldx") else self.st_fixed
            return fixed + (self.index_fixed if name in ("ldx", "stx") else 0)
        if name == "br":
            return self.taken_branch if taken else self.branch
        return {"jmp": self.jump, "alu_int": self.alu_int}.get(name, self.scalar)


@dataclass(frozen=True)
class McuTiming:
    """Latencies of one architecture's matrix operations.

    Members
    -------
    name : str
    config : PantherConfig
        The configuration whose variant rules apply (``isa.variants.phases``).
    read : float
        One MVM or MTVM.
    opa : float
        One OPA (on the crossbars, or the CMOS outer product of a baseline).
    crs, commit : float
        One CRS; one variant-3 commit of an MCU.
    crs_replay : float or None
        One deferred CRS replayed at ``hlt`` (None: :attr:`crs`).
    update : float
        Base_mvm's end-of-batch read-modify-write of one MCU's weights (0 otherwise).
    reads_together : bool
        MVM and MTVM of one request run at once (two copies).
    opa_with_reads : bool
        An OPA issued with MVM/MTVM runs at the same time as them (variant 3; a CMOS outer
        product on the VFU).
    eager : bool or None
        OPAs and CRSs take effect when issued (None: the variant's rule).
    per_request : callable or None
        ``per_request(mask)``: the time of one MCU's request with the (effective) op mask,
        replacing the composition of ``read`` and ``opa`` (the RTL's exact formula).
    """

    name: str
    config: object
    read: float
    opa: float
    crs: float
    commit: float
    crs_replay: float = None
    update: float = 0.0
    reads_together: bool = True
    opa_with_reads: bool = False
    eager: bool = None
    per_request: object = None

    def request(self, masks):
        """Latency of one ``mcu`` instruction: the longest of its MCUs' requests."""
        eager = self.eager if self.eager is not None else variants.eager_updates(self.config)
        longest = 0.0
        for mask in masks.values():
            if self.per_request is not None:
                effective = mask if eager else mask & ~_OPA
                longest = max(longest, self.per_request(effective) if effective else 0.0)
                continue
            reads = [b for b in (_MVM, _MTVM) if mask & b]
            t = (max(1, len(reads)) if not self.reads_together else 1) * self.read if reads else 0.0
            if mask & _OPA and eager:
                t = max(t, self.opa) if self.opa_with_reads else t + self.opa
            longest = max(longest, t)
        return longest

    def at_halt(self, deferred, dirty):
        """Latency of ``hlt``: the deferred OPAs and CRSs replayed one after the other (their
        operand words are timed apart), then the commits or updates of the changed MCUs (in
        parallel)."""
        crs = self.crs if self.crs_replay is None else self.crs_replay
        t = sum(self.opa if op == "opa" else crs for op, _ in deferred)
        return t + (max(self.commit, self.update) if dirty else 0.0)


def read_phase_ns(config):
    """One MVM (or MTVM) on ``config``'s crossbar set (ns)."""
    lat = EnergyModel(config).latency_ns
    conversions = config.xbar_size // config.adcs_per_xbar
    stage = max(lat["mvm_step"], conversions * lat["adc_conversion"])
    return (config.input_steps + baselines.MVM_PIPELINE_STAGES - 1) * stage


def opa_phase_ns(config):
    """One OPA on ``config``'s crossbar set (ns): its bit-steps (slices in parallel)."""
    return config.input_steps * EnergyModel(config).latency_ns["opa_step"]


def serial_array_ns(config):
    """Reading then writing every row of a crossbar set serially (ns; slices in parallel)."""
    lat = EnergyModel(config).latency_ns
    return config.xbar_size * (lat["serial_read_row"] + lat["serial_write_row"])


def pipelayer_ns(config, conv):
    """Base_opa/mvm's weight-gradient time per sample (ns) for PipeLayer work ``conv``
    (:func:`compiler.layer_steps.pipelayer_work`) on ``config``'s Base_mvm crossbars: ``dH``
    written serially into its ``arrays`` crossbar sets (rows one after another, the arrays and
    slices in parallel), then the gradient MVMs, one after another on each array (the arrays
    in parallel). *Our assumption*: neither overlaps the forward and backward passes (the
    paper does not say how PipeLayer schedules them)."""
    base = base_mvm_config(config)
    arrays = conv["arrays"]
    rows = EnergyModel(base).latency_ns["serial_write_row"] * conv["error_rows"] / arrays
    return rows + read_phase_ns(base) * conv["gradient_mvms"] / arrays


def model_core_timing(config):
    """The core's instructions in ns (module docstring)."""
    lat = EnergyModel(config).latency_ns
    cycle = 1000.0 / config.clock_mhz
    word = lat["smem_access"] / baselines.SMEM_WORDS_PER_ACCESS
    return CoreTiming(unit="ns", scalar=cycle, alu_int=cycle, branch=cycle, taken_branch=cycle,
                      jump=cycle, halt=cycle, cp_fixed=cycle, cp_word=0.0, vfu_fixed=0.0,
                      vfu_source=0.0, vfu_word=0.0, vfu_row=lat["vfu_op"],
                      lanes=config.vfu_lanes, ld_fixed=cycle, st_fixed=cycle, word_ld=word,
                      word_st=word, port_word=word, mcu_fixed=0.0, crs_fixed=cycle,
                      index_fixed=cycle)


def mcu_timing(architecture, config, *, variant=None):
    """:class:`McuTiming` (ns) of ``architecture`` (``'panther'``, ``'base_mvm'``,
    ``'base_digital'``) on ``config``; ``variant`` is the PANTHER variant a baseline is
    compared with (its crossbar copies, :func:`apps.evaluation.architectures.copies_of`)."""
    if architecture == "panther":
        serial = serial_array_ns(config)
        return McuTiming(name="panther", config=config, read=read_phase_ns(config),
                         opa=opa_phase_ns(config), crs=serial, commit=serial,
                         reads_together=config.variant >= 2, opa_with_reads=config.variant == 3)
    base = base_mvm_config(config)
    cmos_opa = baselines.CMOS_OPA_LATENCY_RATIO * opa_phase_ns(base)
    variant = config.variant if variant is None else variant
    if architecture == "base_mvm":
        return McuTiming(name="base_mvm", config=config, read=read_phase_ns(base), opa=cmos_opa,
                         crs=0.0, commit=0.0, update=serial_array_ns(base),
                         reads_together=variant >= 2, opa_with_reads=True, eager=True)
    if architecture == "base_digital":
        return McuTiming(name="base_digital", config=config,
                         read=baselines.CMOS_MVM_LATENCY_RATIO * read_phase_ns(base),
                         opa=cmos_opa, crs=0.0, commit=0.0, reads_together=False,
                         opa_with_reads=True, eager=True)
    raise ValueError(f"architecture must be 'panther', 'base_mvm' or 'base_digital', not "
                     f"{architecture!r}")
