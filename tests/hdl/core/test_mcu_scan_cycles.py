"""``mcu``, ``crs`` and ``hlt`` take the cycles of the RTL timing profile
(``apps.evaluation.rtl_timing``) for any number of MCUs per core.

Expected values by hand from the state machines, ``M`` = mcus_per_core:

* the execute stage (``hdl/core/execute.py``) dispatches (1 cycle), then scans the ``M``
  MCUs' masks and ends the scan (``MCU_SCAN``/``CRS_SCAN``: ``M + 1``). ``mcu`` then starts
  its MCUs (``MCU_START``) and waits for the request, which reaches the MCU a cycle later
  through the core's edge register, and whose ``done`` reaches the stage through the core's
  done register (2 + :func:`hdl.mcu.controller.rtl_cycles`): ``M + 3 + 2 +`` the MCU's
  cycles. A deferred ``crs`` (variants 1-2) retires at the scan's end: ``M + 2``; an eager
  one (variant 3) strobes the MCU there and waits for it: ``M + 2 + 2 + crs_cycles``;
* at ``hlt`` (``hdl/core/deferred.py``) a deferred CRS is ``REPLAY``, ``REPLAY_START``, the
  edge register, the MCU's CRS and the done register: ``crs_cycles + 4``; the park and the
  restore each scan
  the ``M`` MCUs
  (``HLT_SAVE``, ``HLT_RESTORE``: ``M + 1``), so ``hlt`` grows by 2 cycles per MCU on
  variants 1-2 and not on variant 3 (``HLT_COMMIT``).

A small crossbar (4x4) keeps the CRS short; the small tile's 2 MCUs are checked on the tile
(``tests/evaluation/test_eval_timing.py``).
"""

import functools

import pytest

from panther.apps.evaluation.rtl_timing import rtl_core_timing, rtl_mcu_timing
from panther.apps.evaluation.timing import schedule
from panther.apps.evaluation.trace import record_run
from panther.config import PRESETS
from panther.hdl.mcu.controller import crs_cycles, rtl_cycles
from panther.isa import variants
from panther.isa.assembler import assemble

from .core_harness import run_rtl

#: A jump beyond the program: the core stops with a fault there, before ``hlt``.
STOP = "jmp 200"


def _config(mcus, variant):
    return PRESETS["small"].replace(xbar_size=4, mcus_per_core=mcus, variant=variant)


@functools.cache
def _cycles(text, mcus, variant):
    out = run_rtl(assemble(text + "\nhlt\n", config=_config(mcus, variant)))
    assert out["status"] == ("error" if STOP in text else "halted")
    return out["cycles"]


def _model(text, mcus, variant):
    config = _config(mcus, variant)
    trace = record_run(assemble(text + "\nhlt\n", config=config))
    return schedule(trace, rtl_core_timing(config), rtl_mcu_timing(config)).makespan


@pytest.mark.parametrize("mcus", [1, 3])
def test_mcu_issue_scans_the_mcus(mcus):
    config = _config(mcus, 1)
    text = f"mcu 0:mvm\n{STOP}"
    assert _cycles(text, mcus, 1) - _cycles(STOP, mcus, 1) == mcus + 5 + rtl_cycles(config,
                                                                                     variants.MVM)
    assert rtl_core_timing(config).mcu_fixed == mcus + 3
    assert rtl_mcu_timing(config).request({0: variants.MVM}) == 2 + rtl_cycles(config,
                                                                               variants.MVM)


@pytest.mark.parametrize("mcus", [1, 3])
def test_a_deferred_crs_is_its_scan_then_its_replay_at_hlt(mcus):
    config = _config(mcus, 1)
    issue = _cycles(f"crs 0b1\n{STOP}", mcus, 1) - _cycles(STOP, mcus, 1)
    assert issue == mcus + 2
    assert _cycles("crs 0b1", mcus, 1) - _cycles("", mcus, 1) - issue == crs_cycles(config) + 4
    assert _model("crs 0b1", mcus, 1) - _model("", mcus, 1) == mcus + 2 + crs_cycles(config) + 4


@pytest.mark.parametrize("mcus", [1, 3])
def test_an_eager_crs_waits_for_the_mcu_after_its_scan(mcus):
    config = _config(mcus, 3)
    eager = _cycles(f"crs 0b1\n{STOP}", mcus, 3) - _cycles(STOP, mcus, 3)
    assert eager == mcus + 4 + crs_cycles(config)
    core, mcu = rtl_core_timing(config), rtl_mcu_timing(config)
    assert core.crs_fixed + mcu.crs == eager


@pytest.mark.parametrize("variant, per_mcu", [(1, 2), (3, 0)])
def test_hlt_scans_the_mcus_on_the_deferred_variants(variant, per_mcu):
    assert _cycles("", 3, variant) - _cycles("", 1, variant) == 2 * per_mcu
    halt = [rtl_core_timing(_config(mcus, variant)).halt for mcus in (1, 3)]
    assert halt[1] - halt[0] == 2 * per_mcu
