"""``ld``/``st``/``ldx``/``stx`` take exactly the cycles of the RTL timing profile
(``apps.evaluation.rtl_timing``) on the small tile (Verilator), where the shared memory
answers through the tile's arbiter (the core harness of ``tests/hdl/core`` answers at once).

Expected values by hand from the tile's protocol (``docs/tile.md``, ``docs/core.md``): a core
alone gets one handshake every three cycles (request; the shared memory registers the word it
read; acknowledge), a store reads and latches each word first and ends a cycle after its last
acknowledge, and a load writes each word a cycle after its acknowledge. ``alu_int`` and branches are checked here too, on the same tile
build: their result and decision are registered (issue 20).
"""

import functools

import pytest
from simulator_required import require_simulator

from panther.apps.evaluation.rtl_timing import rtl_core_timing
from panther.config import PRESETS
from panther.cosim.program_runner import run_and_compare
from panther.isa.assembler import assemble
from panther.isa.encoding import decode

pytestmark = pytest.mark.sim

CONFIG = PRESETS["small"]
VW = 8
#: Shared-memory words 0 .. VW - 1 valid and persistent (count 0) before the run.
PRELOAD = ".smem 0, 0, " + ", ".join(["0.25"] * VW) + "\n"

PROBES = {
    # dispatch, the registered start, then per word: request, word registered, acknowledge;
    # the last word written a cycle later
    "ld": (f"ld 32, 0, {VW}", 3 + 3 * VW),
    # dispatch, the registered start, read the first word, latch it; per word: request, word
    # registered and acknowledge (reading the next), latch the next; done a cycle after the
    # last acknowledge
    "st": (f"st 100, 32, {VW}, 1", 4 + 4 * VW),
    # register 7 is 0: the base read, its register, the effective address and its range
    # check registered (issue 20), then as ld / st
    "ldx": (f"ldx 32, 7, 0, {VW}", 6 + 3 * VW),
    "stx": (f"stx 7, 100, 32, {VW}, 1", 7 + 4 * VW),
}
#: (line, taken, cycles by hand): dispatch, read src1, read src2 and register src1, register
#: src2; alu_int then registers its result and writes it (6), a branch retires with its
#: decision registered (5), and a taken one redirects in the next cycle and refills in 3 (9:
#: fetch, decode and the dispatch check's stage).
SCALAR = {
    "alu_int": ("alu_int add, 7, 7, 6", False, 6),
    "bne (not taken)": ("bne 7, 7, 0", False, 5),
    "beq (taken)": ("beq 7, 7, 1", True, 9),
}


@functools.cache
def _cycles():
    require_simulator("verilator")
    bodies = {"": "", **{name: line for name, (line, _) in PROBES.items()},
              **{name: line for name, (line, _, _) in SCALAR.items()}}
    images = [assemble(PRELOAD + body + "\nhlt\n", config=CONFIG) for body in bodies.values()]
    outcomes = run_and_compare(images, simulator="verilator")
    for name, outcome in zip(bodies, outcomes):
        assert outcome.ok, f"{name}: {outcome.format()}"
    return {name: outcome.cycles for name, outcome in zip(bodies, outcomes)}


@pytest.mark.parametrize("name", list(PROBES))
def test_transfer_cycles_on_the_tile_match_the_profile(name):
    line, by_hand = PROBES[name]
    instr = decode(int(assemble(line + "\nhlt\n", config=CONFIG).programs[0][0]))
    profile = rtl_core_timing(CONFIG)
    words = (profile.word_ld if name.startswith("ld") else profile.word_st) * VW
    assert profile.instruction(instr) + words == by_hand
    cycles = _cycles()
    assert cycles[name] - cycles[""] == by_hand


@pytest.mark.parametrize("name", list(SCALAR))
def test_scalar_cycles_on_the_tile_match_the_profile(name):
    line, taken, by_hand = SCALAR[name]
    instr = decode(int(assemble(line + "\nhlt\n", config=CONFIG).programs[0][0]))
    assert rtl_core_timing(CONFIG).instruction(instr, taken=taken) == by_hand
    cycles = _cycles()
    assert cycles[name] - cycles[""] == by_hand
