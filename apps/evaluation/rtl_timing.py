"""The latency profile of this project's RTL (cycles), for checking the timing model.

The timing model (:mod:`apps.evaluation.timing`) composes per-instruction latencies with
pipeline parallelism across cores and MCUs and the waits of the shared-memory protocol.
To check that composition against the RTL, :func:`rtl_core_timing` and
:func:`rtl_mcu_timing` give the RTL's own per-instruction cycles: the MCU requests from the
MCU controller's exact formula (:func:`hdl.mcu.controller.rtl_cycles`, with the answer
latencies of the configuration's ``analog_latency``: one cycle per transaction when
``"ideal"``, :func:`analog_models.analog_latency.modelled_cycles` when ``"modelled"``; CRS and
the commit add ``latency - 1`` cycles to each of their serial row reads and writes), the
rest measured per instruction on the tile
(Verilator, small preset, 4 VFU lanes; ``bench/bench_timing.py`` measures them again and
prints both):

==========================  ================================================
``nop``, ``set``            1
``alu_int``, branch         6 / 5 (taken: 9), ``jmp`` 5 (its redirect is registered, as a
                            taken branch's; the refill's bubble is 3 cycles: fetch, decode,
                            the dispatch check's stage)
``cp`` of ``vw`` words      ``9 + 2 vw`` (the vector unit starts a cycle after the dispatch,
                            from a register; the scatter registers the staging buffer's row,
                            then its word)
``alu`` / ``alui``          ``9 + V + s (3 + vw) + vw + ceil(vw / lanes)``, ``s`` sources,
                            ``V`` the VFU's pipeline latency (``hdl.core.vfu.vfu_latency``);
                            every word moves through a register between the operand space
                            and the staging buffers (a cycle per source and one for the
                            scatter)
``ld`` / ``st``             ``3 + 3 vw`` / ``4 + 4 vw`` (a core alone: a word's request is
                            answered two cycles later, ``SharedMemory.latency``; a load's
                            last word is written, a store's ``done`` given, a cycle after
                            its handshake; the transfer starts a cycle after the dispatch,
                            from a register)
``ldx`` / ``stx``           three cycles more than ``ld`` / ``st`` (the base read, registered;
                            the effective address and its check, registered)
shared-memory port          one word per cycle for the tile
MCU request                 ``2 +`` the MCU's exact cycles (the core registers every
                            request at its edge, ``Core.mcu_request_latency``, and the
                            MCU's ``done``, ``Core.mcu_done_latency``)
``mcu``                     ``M + 3 +`` the longest MCU request (``M`` = mcus_per_core:
                            dispatch, the scan of the ``M`` masks and its end, the start)
replay of a deferred OPA    its request ``+ 4`` (operand words apart)
``crs``                     ``M + 2`` (dispatch, the scan of its mask and its end), then
                            on variant 3 its request, ``2 + crs_cycles``:
                            ``crs_cycles = X (6 S + X + D + 2) + 1`` (``X`` = xbar_size,
                            ``S`` slices, ``D`` = ``crs_pipeline_depth``)
replay of a deferred CRS    its request ``+ 2`` (``REPLAY``, ``REPLAY_START``)
variant-3 commit            its request, ``2 + commit_cycles`` = ``3 + 6 S X`` (a read and
                            a write per slice and row)
``hlt``                     ``8 + 2 (M + 1)`` on variants 1-2 (the park's and the
                            restore's scans of the MCUs), 8 on variant 3 (with the start,
                            which begins a cycle after ``run`` rises, from a register, and
                            the front end's three stages)
deferred OPA's snapshot     ``+ 3`` to its ``mcu`` (variants 1-2; words apart)
park/restore at ``hlt``     ``+ 5`` per MCU an OPA is replayed on (variants 1-2; words
                            apart; every copy starts a cycle after its decision, from a
                            register)
==========================  ================================================

``crs_cycles`` and ``commit_cycles`` are the MCU's exact formulas
(:mod:`hdl.mcu.controller`); the terms in ``M`` follow the execute stage's and the deferred
unit's scans of the MCUs (``hdl/core/execute.py``, ``hdl/core/deferred.py``), measured with
1-3 MCUs per core (docs/core.md, "Cycles that grow with the MCUs per core").
"""

from __future__ import annotations

from panther.analog_models.analog_latency import latency_cycles
from panther.hdl.core.core import Core
from panther.hdl.core.vfu import vfu_latency
from panther.hdl.mcu.controller import commit_cycles, crs_cycles, rtl_cycles
from panther.hdl.tile.shared_memory import SharedMemory
from panther.isa import variants

from .latency import CoreTiming, McuTiming

__all__ = ["rtl_core_timing", "rtl_mcu_timing"]


def rtl_core_timing(config):
    """The RTL's core instructions in cycles (module docstring)."""
    scan = config.mcus_per_core + 1         # the execute stage's and hlt's scans of the MCUs
    smem_latency = SharedMemory.latency     # a word's request to its answer
    return CoreTiming(unit="cycles", scalar=1, alu_int=6, branch=5, taken_branch=9, jump=5,
                      halt=8 if variants.eager_updates(config) else 8 + 2 * scan, cp_fixed=9,
                      cp_word=2,
                      vfu_fixed=9 + vfu_latency(config), vfu_source=3, vfu_word=1, vfu_row=1,
                      lanes=config.vfu_lanes,
                      ld_fixed=3, st_fixed=4, word_ld=1 + smem_latency, word_st=2 + smem_latency,
                      port_word=1, mcu_fixed=scan + 2,
                      crs_fixed=scan + 1,
                      index_fixed=3,
                      # the deferred updates' copies (variants 1-2), measured: docs/core.md
                      snapshot_fixed=3, park_fixed=5)


def rtl_mcu_timing(config):
    """The RTL's MCU operations in cycles (PANTHER, ``config``'s variant and answer
    latencies)."""
    lat = latency_cycles(config)
    # the core's registers of every MCU request and of the MCU's `done`
    edge = Core.mcu_request_latency + Core.mcu_done_latency
    commit = edge + commit_cycles(config.replace(variant=3), latencies=lat)  # variant 3's

    def request(mask):
        return edge + rtl_cycles(config, mask, latencies=lat)
    crs = edge + crs_cycles(config, latencies=lat)
    return McuTiming(name="rtl", config=config, read=request(variants.MVM),
                     opa=request(variants.OPA) + 4,
                     crs=crs, crs_replay=crs + 2, commit=commit, per_request=request)
