"""The deferred updates' copies (variants 1-2) take the cycles of the RTL timing profile
(``apps.evaluation.rtl_timing``): an OPA's operand snapshot at its ``mcu``, and at ``hlt``
the park, the replay and the restore of the MCU's XBar buffers.

Expected values by hand from the state machines (``hdl/core/deferred.py``,
``hdl/core/transfer.py``): every copy starts a cycle after its decision, from the deferred
unit's request register; a copy of ``2 n`` words is then a store (``ST_READ``, then per word
``ST_LATCH`` and the handshake, then ``ST_LAST``: 3 cycles besides its words with the
request register) or a load (per word the handshake, then ``LD_LAST``: 2 cycles). The
snapshot is a store (``DEFER_WAIT``: 3); ``hlt`` parks (a store: 3), replays (``REPLAY``,
the request register, the load, ``REPLAY_START``, the core's edge register, in which the
load's last word lands in the XBar buffer, then the MCU's cycles and the core's register of
its ``done``: 6 besides the load's words and the MCU's cycles) and restores (a load: 2). An
``mcu``'s request also reaches the MCU through the edge register and its ``done`` the
execute stage through the done register: two cycles besides the MCU's own. The core harness's
shared memory answers a word in fewer cycles than the tile's arbiter (measured here; the
tile's are checked in ``tests/cosim/test_transfer_cycles_rtl.py``), so the profile is
compared with the harness's word costs.
"""

import dataclasses
import functools

import pytest

from panther.apps.evaluation.rtl_timing import rtl_core_timing, rtl_mcu_timing
from panther.apps.evaluation.timing import schedule
from panther.apps.evaluation.trace import record_run
from panther.config import PRESETS
from panther.hdl.mcu.controller import rtl_cycles
from panther.isa import variants
from panther.isa.assembler import assemble

from .core_harness import run_rtl

V1 = PRESETS["small"].replace(variant=1)
N = V1.xbar_size
#: A jump beyond the program: the core stops with a fault there, before ``hlt``.
STOP = "jmp 200"


@functools.cache
def _cycles(text, variant=1):
    out = run_rtl(assemble(text + "\nhlt\n", config=V1.replace(variant=variant)))
    assert out["status"] == ("error" if STOP in text else "halted")
    return out["cycles"]


@functools.cache
def _harness_words():
    """(load, store) cycles per word in the harness: ``ld``/``st`` of 16 words minus their
    fixed cycles (by hand: the registered start, then 1 and 2 more; ``docs/core.md``)."""
    ld = _cycles(".smem 0, 0, " + ", ".join(["0.5"] * 16) + "\nld 0, 0, 16") - _cycles("")
    st = _cycles("st 100, 0, 16") - _cycles("")
    assert (ld - 3) % 16 == 0 and (st - 4) % 16 == 0
    return (ld - 3) // 16, (st - 4) // 16


def test_the_profile_has_the_copies_fixed_cycles_by_hand():
    core, mcu = rtl_core_timing(V1), rtl_mcu_timing(V1)
    assert core.snapshot_fixed == 1 + 2             # request register, ST_READ, ST_LAST
    # the park's request register, ST_READ and ST_LAST, the restore's register and LD_LAST
    assert core.park_fixed == 3 + 2
    # REPLAY, the request register, LD_LAST, REPLAY_START, the core's edge register, the
    # core's register of the MCU's `done`
    assert mcu.opa == rtl_cycles(V1, variants.OPA) + 6


def test_an_opa_snapshot_costs_its_store():
    """Stopped by a fault before ``hlt``: the ``mcu`` alone, its issue (5, as ``mcu 0:mvm``
    without its request: no MCU starts) and the snapshot's store of both XBar buffers."""
    _, st_word = _harness_words()
    mcu = _cycles(f"mcu 0:opa\n{STOP}") - _cycles(STOP)
    assert mcu == 5 + 3 + 2 * N * st_word
    mvm = _cycles(f"mcu 0:mvm\n{STOP}") - _cycles(STOP)
    assert mvm == 5 + 1 + 1 + rtl_cycles(V1, variants.MVM)   # edge and done registers


def test_hlt_parks_replays_and_restores():
    """One OPA on MCU 0, by hand: the ``mcu`` with its snapshot, then at ``hlt`` the park
    (a store), the replay (its load and the MCU's OPA request) and the restore (a load)."""
    ld_word, st_word = _harness_words()
    words = 2 * N
    expected = ((5 + 3 + words * st_word) + (3 + words * st_word)
                + (6 + words * ld_word + rtl_cycles(V1, variants.OPA)) + (2 + words * ld_word))
    assert _cycles("mcu 0:opa") - _cycles("") == expected


@pytest.mark.parametrize("text", ["mcu 0:opa\nmcu 0:opa", "mcu 0:opa\nmcu 1:opa",
                                  "mcu 0:opa|mvm, 1:opa"])
def test_the_timing_model_times_deferred_updates_like_the_rtl(text):
    """The timing model with the profile (the harness's word costs) against the RTL: two
    snapshots and replays on one MCU (one park), on two (two parks), with an MVM."""
    ld_word, st_word = _harness_words()
    profile = dataclasses.replace(rtl_core_timing(V1), word_ld=ld_word, word_st=st_word,
                                  port_word=min(ld_word, st_word))

    def model(body):
        return schedule(record_run(assemble(body + "\nhlt\n", config=V1)), profile,
                        rtl_mcu_timing(V1)).makespan
    assert _cycles(text) - _cycles("") == model(text) - model("")
