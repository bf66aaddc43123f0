"""The core's vector and scalar instructions take exactly the cycles of the RTL timing profile
(``apps.evaluation.rtl_timing``), whose ``alu``/``alui`` term reads the VFU's pipeline latency
(``hdl.core.vfu.vfu_latency``): the cycle formula and the pipelined RTL move together."""

import functools

import pytest

from panther.apps.evaluation.rtl_timing import rtl_core_timing
from panther.config import PRESETS
from panther.hdl.core.vfu import vfu_latency
from panther.isa.assembler import assemble
from panther.isa.encoding import decode

from .core_harness import run_rtl

CFG = PRESETS["small"]


@functools.cache
def _cycles(text):
    out = run_rtl(assemble(text + "\nhlt\n", config=CFG))
    assert out["status"] == "halted"
    return out["cycles"]


@pytest.mark.parametrize("line", ["alu add, 100, 0, 40, 16", "alu recip, 100, 0, 40, 5",
                                  "alui exp, 100, 3, 0, 1", "cp 100, 0, 7"])
def test_vector_instruction_cycles_match_the_timing_profile(line):
    instr = decode(int(assemble(line + "\nhlt\n", config=CFG).programs[0][0]))
    expected = rtl_core_timing(CFG).instruction(instr)
    assert _cycles(line) - _cycles("") == expected


@pytest.mark.parametrize("line, by_hand", [
    # dispatch, read a, read b, register b, register the result, write (issue 20: registered
    # operands and result)
    ("alu_int mul, 100, 0, 1", 6),
    ("alu_int add, 100, 0, 1", 6),
    # dispatch, read a, read b, register b, compare into a register and retire (issue 20)
    ("bne 7, 7, 1", 5),
])
def test_scalar_instruction_cycles_match_the_timing_profile(line, by_hand):
    instr = decode(int(assemble(line + "\nhlt\n", config=CFG).programs[0][0]))
    assert rtl_core_timing(CFG).instruction(instr) == by_hand
    assert _cycles(line) - _cycles("") == by_hand


def test_a_taken_branch_costs_its_compare_and_the_refill():
    """By hand: a taken branch is a not-taken one (5), the cycle its registered decision
    redirects in (issue 20) and the 3-cycle bubble of the refill (fetch, decode and the
    dispatch check's stage);
    ``beq 7, 7, 1`` jumps to the next instruction."""
    line = "beq 7, 7, 1"
    instr = decode(int(assemble(line + "\nhlt\n", config=CFG).programs[0][0]))
    assert rtl_core_timing(CFG).instruction(instr, taken=True) == 5 + 1 + 3
    assert _cycles(line) - _cycles("") == 5 + 1 + 3


def test_a_jump_costs_its_registered_redirect_and_the_refill():
    """By hand: ``jmp`` retires in ``DISPATCH`` (1) and registers its redirect as a taken
    branch does (issue 20): the cycle it redirects in (1) and the 3-cycle bubble of the
    refill (fetch, decode, check); ``jmp 1`` jumps to the next instruction."""
    line = "jmp 1"
    instr = decode(int(assemble(line + "\nhlt\n", config=CFG).programs[0][0]))
    assert rtl_core_timing(CFG).instruction(instr) == 1 + 1 + 3
    assert _cycles(line) - _cycles("") == 1 + 1 + 3


def test_indexed_loads_and_stores_cost_their_base_read():
    """By hand: ``ldx``/``stx`` read their base register first, register the word, then
    register the effective address and its range check before the transfer starts (issue
    20): three cycles each more than ``ld``/``st``; the same words move, so the difference is
    the issue alone."""
    plain, indexed = "st 200, 16, 8\nld 32, 200, 8", "stx 2, 200, 16, 8\nldx 32, 2, 200, 8"
    profile = rtl_core_timing(CFG)

    def issue(text):
        image = assemble(text + "\nhlt\n", config=CFG)
        return sum(profile.instruction(decode(int(word))) for word in image.programs[0][:2])
    assert issue(indexed) - issue(plain) == 2 * 3
    assert _cycles(indexed) - _cycles(plain) == 2 * 3


def test_the_profile_counts_the_vfu_pipeline_once_per_instruction():
    """By hand: alu add of 16 words on 4 lanes is gather 2 x (3 + 16) (each word through a
    register into the staging buffer, issue 20), compute 4 rows plus the pipeline fill,
    scatter 16 (each word's row and then the word through registers into the operand
    space), 6 cycles of state changes and the scatter's two registers, and the cycle between
    the dispatch and the vector unit's registered start."""
    vw, lanes = 16, CFG.vfu_lanes
    instr = decode(int(assemble(f"alu add, 100, 0, 40, {vw}\nhlt\n", config=CFG).programs[0][0]))
    assert rtl_core_timing(CFG).instruction(instr) == \
        1 + 6 + 2 + 2 * (3 + vw) + vw // lanes + vfu_latency(CFG) + vw
