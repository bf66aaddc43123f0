"""Instruction semantics of a golden core, table-driven against independent integer math."""

import json

import numpy as np
import pytest

from panther.analog_models.energy import EnergyModel
from panther.isa import table
from panther.isa.golden import CoreFault, GoldenReport, StepLimitError, diff_states

from ._golden_refs import REF_INT, REF_VFU, SMALL, program, sat, tile_run, words

UNSATURATING = {"min", "max", "relu", "relu_d"}
VW = 16


def _vectors(seed):
    values = words(2 * VW, seed=seed)
    return values[:VW], values[VW:2 * VW]


def _rf(a=None, b=None, d=None):
    rf = {}
    for base, vec in ((0, a), (32, b), (64, d)):
        for i, v in enumerate(vec or []):
            rf[base + i] = v
    return rf


@pytest.mark.parametrize("fn", [f.name for f in table.ALU_FUNCS if not f.imm_only])
def test_alu_function_through_the_core(fn):
    a, b = _vectors(seed=table.ALU_BY_NAME[fn].code)
    prog = program(("alu", dict(fn=fn, dst=64, src1=0, src2=32, vw=VW)), "hlt")
    _, report = tile_run(prog, rf=[_rf(a, b)])
    expected = [REF_VFU[fn](x, y, 0) for x, y in zip(a, b)]
    flags = [False] * VW if fn in UNSATURATING else [sat(v)[1] for v in expected]
    expected = expected if fn in UNSATURATING else [sat(v)[0] for v in expected]
    core = report.cores[0]
    assert core["rf"][64:64 + VW] == expected
    assert core["overflow"] == any(flags)
    assert report.events["vfu_ops"] == VW and report.events[f"vfu_{fn}"] == VW


@pytest.mark.parametrize("fn, imm", [("add", -4096), ("mul", 1024), ("max", 100), ("sna", 2),
                                     ("sna", -3), ("sub", 32767)])
def test_alui_uses_the_immediate(fn, imm):
    a, d = _vectors(seed=40)
    prog = program(("alui", dict(fn=fn, dst=64, src1=0, imm=imm, vw=VW)), "hlt")
    _, report = tile_run(prog, rf=[_rf(a, None, d)])
    raw = [REF_VFU[fn](x, imm, old) for x, old in zip(a, d)]
    expected = raw if fn in UNSATURATING else [sat(v)[0] for v in raw]
    assert report.cores[0]["rf"][64:64 + VW] == expected


def test_alu_vector_reads_all_elements_before_writing():
    # dst overlaps src1 shifted by one: every element must use the OLD neighbour
    a = list(range(1, 9))
    prog = program(("alu", dict(fn="add", dst=1, src1=0, src2=0, vw=8)), "hlt")
    _, report = tile_run(prog, rf=[{i: v for i, v in enumerate(a)}])
    assert report.cores[0]["rf"][0:9] == [1] + [2 * v for v in a]


@pytest.mark.parametrize("fn", [f.name for f in table.ALU_INT_FUNCS])
def test_alu_int_through_the_core(fn):
    for a, b in [(32767, 1), (-32768, -1), (1234, 3), (-5, 2), (-1, 17)]:
        prog = program(("alu_int", dict(fn=fn, dst=2, src1=0, src2=1)), "hlt")
        _, report = tile_run(prog, rf=[{0: a, 1: b}])
        assert report.cores[0]["rf"][2] == REF_INT[fn](a, b), (a, b)
        assert report.cores[0]["overflow"] is False   # alu_int never sets the flag


def test_set_and_cp():
    prog = program(("set", dict(dst=3, imm=-32768)), ("set", dict(dst=4, imm=4096)),
                   ("cp", dict(dst=SMALL.xbar_in_base(1), src=3, vw=2)),
                   ("cp", dict(dst=10, src=SMALL.xbar_in_base(1), vw=2)), "hlt")
    _, report = tile_run(prog)
    core = report.cores[0]
    assert core["rf"][3:5] == [-32768, 4096] and core["rf"][10:12] == [-32768, 4096]
    assert core["xbar_in"][1][0:2] == [-32768, 4096]
    assert report.events["xbar_in_writes"] == 2 and report.events["xbar_in_reads"] == 2


@pytest.mark.parametrize("cond, a, b, taken", [
    ("beq", 5, 5, True), ("beq", 5, 6, False), ("bne", 5, 6, True), ("bne", -1, -1, False),
    ("blt", -2, 1, True), ("blt", 1, -2, False), ("bge", -32768, -32768, True),
    ("bge", -1, 0, False),
])
def test_branches_compare_signed_words(cond, a, b, taken):
    prog = program((cond, dict(src1=0, src2=1, target=3)),
                   ("set", dict(dst=2, imm=1)), "hlt",
                   ("set", dict(dst=2, imm=2)), "hlt")
    _, report = tile_run(prog, rf=[{0: a, 1: b}])
    assert report.cores[0]["rf"][2] == (2 if taken else 1)


def test_counted_loop_with_jmp():
    # sum = 0; for i = 0; i != 10; i++: sum += i  -> 45 (raw integers via alu_int)
    prog = program(
        ("set", dict(dst=0, imm=0)), ("set", dict(dst=1, imm=0)),      # i, sum
        ("set", dict(dst=2, imm=10)), ("set", dict(dst=3, imm=1)),     # n, 1
        ("beq", dict(src1=0, src2=2, target=8)),                      # 4: loop test
        ("alu_int", dict(fn="add", dst=1, src1=1, src2=0)),
        ("alu_int", dict(fn="add", dst=0, src1=0, src2=3)),
        ("jmp", dict(target=4)),
        "hlt")
    _, report = tile_run(prog)
    assert report.cores[0]["rf"][0:2] == [10, 45]
    assert report.cores[0]["instructions"] == 4 + 11 + 3 * 10 + 1 and report.cores[0]["pc"] == 8
    assert report.events["instructions"]["jmp"] == 10 and report.events["instructions"]["beq"] == 11


def test_overflow_flag_is_sticky():
    prog = program(("alu", dict(fn="add", dst=2, src1=0, src2=0, vw=1)),
                   ("alu", dict(fn="sub", dst=3, src1=1, src2=1, vw=1)), "hlt")
    _, report = tile_run(prog, rf=[{0: 30000, 1: 5}])
    assert report.cores[0]["rf"][2:4] == [32767, 0] and report.cores[0]["overflow"] is True


@pytest.mark.parametrize("words_, fault, text", [
    ([0xFC00_0000_0000_0000], CoreFault.ILLEGAL_INSTRUCTION, "unknown opcode"),
    (program(("alu", dict(fn="add", dst=SMALL.addr_space - 2, src1=0, src2=0, vw=4))),
     CoreFault.ADDRESS_RANGE, "outside the core address space"),
    (program("nop"), CoreFault.PC_RANGE, "missing hlt"),
])
def test_faults_stop_the_core_with_a_code(words_, fault, text):
    _, report = tile_run(list(words_))
    core = report.cores[0]
    assert core["status"] == "error" and core["fault_code"] == int(fault) and core["fault"] == fault.name
    assert text in core["fault_message"] and not report.ok


def test_deferred_depth_overflow_faults():
    opa = ("mcu", dict(m0=4, m1=0, m2=0, m3=0, m4=0, m5=0))
    _, report = tile_run(program(*[opa] * (SMALL.deferred_depth + 1), "hlt"))
    assert report.cores[0]["fault_code"] == CoreFault.DEFERRED_OVERFLOW
    assert report.cores[0]["pc"] == SMALL.deferred_depth


def test_deferred_overflow_faults_before_any_mcu_operation_of_the_instruction():
    # The deferred buffer is full; the next mcu asks MCU 0 for a saturating MVM and MCU 1 for
    # one more OPA: the core faults, and the MVM leaves no trace (no flag, no result, no count).
    c = SMALL
    top = (1 << (c.weight_bits - 1)) - 1
    weights = {(0, 0): np.full((c.xbar_size, c.xbar_size), top, dtype=np.int64)}
    rf = [{c.xbar_in_base(0) + i: 32767 for i in range(c.xbar_size)}]
    opa = ("mcu", dict(m0=4, m1=0, m2=0, m3=0, m4=0, m5=0))
    both = ("mcu", dict(m0=1, m1=4, m2=0, m3=0, m4=0, m5=0))
    _, report = tile_run(program(*[opa] * c.deferred_depth, both, "hlt"), rf=rf, weights=weights)
    core = report.cores[0]
    assert core["fault_code"] == CoreFault.DEFERRED_OVERFLOW and core["pc"] == c.deferred_depth
    assert core["overflow"] is False
    assert core["xbar_out"][0] == [0] * c.xbar_size
    assert report.events["mcu_totals"]["mvm"] == 0
    # The same MVM alone does saturate (the test would see it).
    _, alone = tile_run(program(("mcu", dict(m0=1, m1=0, m2=0, m3=0, m4=0, m5=0)), "hlt"),
                        rf=rf, weights=weights)
    assert alone.cores[0]["overflow"] is True


def test_a_faulted_core_does_not_stop_the_other():
    _, report = tile_run([[0xFC00_0000_0000_0000], program(("set", dict(dst=0, imm=7)), "hlt")])
    assert [c["status"] for c in report.cores] == ["error", "halted"]
    assert report.cores[1]["rf"][0] == 7


def test_endless_loop_hits_the_round_limit():
    with pytest.raises(StepLimitError, match="100 scheduling rounds reached with core"):
        tile_run(program(("jmp", dict(target=0))), max_rounds=100)


def test_report_is_json_and_diffable():
    prog = program(("set", dict(dst=0, imm=5)), ("mcu", dict(m0=1, m1=0, m2=0, m3=0, m4=0, m5=0)),
                   "hlt")
    _, report = tile_run(prog)
    text = report.to_json()
    again = GoldenReport.from_dict(json.loads(text))
    assert again.to_dict() == report.to_dict() and diff_states(report.state(), again.state()) == []
    changed = json.loads(text)
    changed["cores"][0]["rf"][0] = 6
    assert diff_states(report.state(), GoldenReport.from_dict(changed).state()) == [
        "state.cores[0].rf[0]: expected 5, got 6"]
    assert len(report.cores[0]["mcus"][0]["digits"]) == SMALL.n_slices


def test_energy_events_feed_the_energy_model():
    prog = program(("ld", dict(dst=0, saddr=0, vw=4)),
                   ("mcu", dict(m0=5, m1=0, m2=0, m3=0, m4=0, m5=0)), ("crs", dict(mask=1)),
                   ("alu", dict(fn="relu", dst=0, src1=0, src2=0, vw=4)), "hlt")
    _, report = tile_run(prog, smem={i: (i, True, 0) for i in range(4)})
    counts = report.events["energy_events"]
    # 4 loaded words; the OPA's 2 x 16 operand words saved to shared memory and loaded back
    # at hlt, and MCU 0's live XBar buffers parked there and restored around the replay
    assert counts["imem_fetch"] == 5 and counts["vfu_op"] == 4
    assert counts["smem_access"] == 4 + 4 * 2 * 16
    assert counts["opa_step"] == SMALL.input_steps * SMALL.n_slices
    assert counts["serial_read_row"] == SMALL.n_slices * SMALL.xbar_size
    breakdown = EnergyModel(SMALL).breakdown(counts)
    assert breakdown.total_energy_pj > 0
    assert breakdown.row("adc_conversion").count == SMALL.input_steps * 16 * SMALL.n_slices


def test_idle_cores_count_as_halted():
    _, report = tile_run([program("hlt"), []])
    assert report.ok and report.cores[1]["pc"] == 0 and report.events["instructions_total"] == 1


def test_trace_sees_every_retired_instruction_once():
    seen = []
    core0 = program(("st", dict(saddr=0, src=0, vw=1, count=1)), "hlt")
    core1 = program(("ld", dict(dst=0, saddr=0, vw=1)), ("jmp", dict(target=2)), "hlt")
    from panther.isa.golden import Tile
    tile = Tile(config=SMALL, programs=[core1, core0],
                trace=lambda core, pc, instr: seen.append((core, pc, instr.name)))
    tile.run()
    # core 0 (the loader) waits one round for core 1's store; blocked rounds are not traced
    assert seen == [(1, 0, "st"), (0, 0, "ld"), (1, 1, "hlt"), (0, 1, "jmp"), (0, 2, "hlt")]
