"""Shared-memory valid bits, consumer counters, two-core synchronisation and deadlocks."""

import numpy as np
import pytest

from panther.isa.golden import CoreFault, DeadlockError, SharedMemory

from ._golden_refs import SMALL, program, tile_run


def test_store_then_loads_consume_the_counter():
    smem = SharedMemory(depth=8)
    assert smem.can_store(3) and not smem.can_load(3)
    smem.store(3, -7, 2)
    assert (smem.valid[3], smem.count[3]) == (True, 2) and not smem.can_store(3)
    assert smem.load(3) == -7 and smem.valid[3] and smem.count[3] == 1
    assert smem.load(3) == -7 and not smem.valid[3] and smem.count[3] == 0
    assert (smem.reads, smem.writes) == (2, 1)


def test_persistent_word_is_never_invalidated():
    smem = SharedMemory(depth=4, values=[0, 5, 0, 0], valid=[False, True, False, False])
    for _ in range(5):
        assert smem.load(1) == 5
    assert smem.valid[1] and not smem.can_store(1)


def test_bad_construction_is_rejected():
    with pytest.raises(ValueError, match="must have 4 words, not 3"):
        SharedMemory(depth=4, values=[1, 2, 3])
    with pytest.raises(ValueError, match="depth must be a positive integer, not 0"):
        SharedMemory(depth=0)


def _nops(n):
    return ["nop"] * n


def test_producer_consumer_between_two_cores():
    # Core 0 works a while, then publishes x = [1.0, 2.0, -3.0] at smem 20; core 1 (which
    # starts waiting at once) adds 0.5 to each and sends the result back at smem 40.
    producer = program(
        *_nops(5),
        ("st", dict(saddr=20, src=0, vw=3, count=1)),
        ("ld", dict(dst=10, saddr=40, vw=3)),
        "hlt")
    consumer = program(
        ("ld", dict(dst=0, saddr=20, vw=3)),
        ("alui", dict(fn="add", dst=4, src1=0, imm=2048, vw=3)),
        ("st", dict(saddr=40, src=4, vw=3, count=1)),
        "hlt")
    x = [4096, 8192, -12288]
    tile, report = tile_run([producer, consumer], rf=[dict(enumerate(x)), {}])
    assert report.ok
    assert report.cores[1]["rf"][0:3] == x
    assert report.cores[0]["rf"][10:13] == [v + 2048 for v in x]
    # every word was consumed exactly once, so it is invalid again
    assert not any(report.smem["valid"][20:23]) and not any(report.smem["valid"][40:43])
    assert report.smem["values"][40:43] == [v + 2048 for v in x]
    assert report.events["smem_writes"] == 6 and report.events["smem_reads"] == 6
    # the consumer waited: more rounds than its 4 instructions + the producer's 8
    assert report.rounds > 8


def test_count_two_feeds_two_consumers_and_store_waits_for_invalid():
    # Core 0 stores value 1 (count 2) then value 2 to the same word: the second store must
    # wait until both loads (one by each core) consumed the first value.
    core0 = program(
        ("st", dict(saddr=7, src=0, vw=1, count=2)),
        ("ld", dict(dst=5, saddr=7, vw=1)),
        ("st", dict(saddr=7, src=1, vw=1, count=1)),
        "hlt")
    core1 = program(
        *_nops(3),
        ("ld", dict(dst=5, saddr=7, vw=1)),
        ("ld", dict(dst=6, saddr=7, vw=1)),
        "hlt")
    _, report = tile_run([core0, core1], rf=[{0: 111, 1: 222}, {}])
    assert report.ok
    assert report.cores[0]["rf"][5] == 111
    assert report.cores[1]["rf"][5:7] == [111, 222]
    assert report.smem["valid"][7] is False and report.smem["count"][7] == 0


def test_vector_load_proceeds_word_by_word_and_resumes():
    # Words 10, 11 are ready (count 1); 12, 13 come later from core 0.
    core0 = program(*_nops(6), ("st", dict(saddr=12, src=0, vw=2, count=1)), "hlt")
    core1 = program(("ld", dict(dst=0, saddr=10, vw=4)), "hlt")
    smem = {10: (5, True, 1), 11: (6, True, 1)}
    tile, report = tile_run([core0, core1], rf=[{0: 7, 1: 8}, {}], smem=smem)
    assert report.cores[1]["rf"][0:4] == [5, 6, 7, 8]
    assert report.events["instructions"]["ld"] == 1


def test_blocked_vector_load_reports_the_exact_word_in_a_deadlock():
    core1 = program(("ld", dict(dst=0, saddr=10, vw=4)), "hlt")
    smem = {10: (5, True, 1), 11: (6, True, 1)}
    with pytest.raises(DeadlockError) as info:
        tile_run([program("hlt"), core1], smem=smem)
    assert info.value.waits == [dict(core=1, pc=0, op="ld", saddr=12, wants="valid")]
    # the first two words were consumed before the core blocked
    state = info.value.report
    assert state.cores[1]["rf"][0:2] == [5, 6] and state.smem["valid"][10:12] == [False, False]


def test_deadlock_names_every_waiting_core_and_address():
    core0 = program(("ld", dict(dst=0, saddr=3, vw=1)), ("st", dict(saddr=4, src=0, vw=1, count=1)),
                    "hlt")
    core1 = program(("ld", dict(dst=0, saddr=4, vw=1)), ("st", dict(saddr=3, src=0, vw=1, count=1)),
                    "hlt")
    with pytest.raises(DeadlockError) as info:
        tile_run([core0, core1])
    message = str(info.value)
    assert "core 0 (pc 0, ld) waits for shared-memory word 3 to become valid" in message
    assert "core 1 (pc 0, ld) waits for shared-memory word 4 to become valid" in message
    assert [w["core"] for w in info.value.waits] == [0, 1]


def test_store_to_persistent_word_is_a_reported_deadlock():
    core0 = program(("st", dict(saddr=9, src=0, vw=1, count=1)), "hlt")
    with pytest.raises(DeadlockError, match="word 9 to become invalid"):
        tile_run([core0], smem={9: (1, True, 0)})


def test_persistent_word_feeds_many_loads():
    core = program(*[("ld", dict(dst=i, saddr=9, vw=1)) for i in range(4)], "hlt")
    _, report = tile_run([core, core], smem={9: (-42, True, 0)})
    assert report.ok and all(c["rf"][0:4] == [-42] * 4 for c in report.cores)
    assert report.smem["valid"][9] is True


# Programs address the words below the OPA region: 2048 - 2 cores * (16 + 2) * 32 = 896.
@pytest.mark.parametrize("instr", [
    ("ld", dict(dst=0, saddr=SMALL.smem_depth - 2, vw=4)),
    ("st", dict(saddr=SMALL.smem_depth - 1, src=0, vw=2, count=1)),
    ("ld", dict(dst=0, saddr=893, vw=4)),
    ("st", dict(saddr=896, src=0, vw=1, count=1)),
])
def test_shared_memory_range_fault(instr):
    _, report = tile_run([program(instr, "hlt")])
    core = report.cores[0]
    assert core["status"] == "error" and core["fault_code"] == CoreFault.SMEM_ADDRESS_RANGE
    assert "outside 0..895" in core["fault_message"] and not report.ok


def test_round_robin_order_is_core_index_order():
    # Both cores store to word 0 at once; core 0 is served first, core 1 waits until the
    # value is consumed by core 0's load.
    core0 = program(("st", dict(saddr=0, src=0, vw=1, count=1)), ("ld", dict(dst=1, saddr=0, vw=1)),
                    ("ld", dict(dst=2, saddr=0, vw=1)), "hlt")
    core1 = program(("st", dict(saddr=0, src=0, vw=1, count=1)), "hlt")
    _, report = tile_run([core0, core1], rf=[{0: 10}, {0: 20}])
    assert report.cores[0]["rf"][1:3] == [10, 20]
    assert np.sum(report.smem["valid"]) == 0


# -- register-indirect ldx / stx: ea = (M[base] mod 2**16) + saddr ------------------------------

def test_indexed_loop_walks_a_vector_of_records():
    # Core 0 sums records of 3 words at smem 100, 103, 106 (persistent) into rf 10..12 with
    # a loop whose pointer (rf 0) grows by 3, and stores each running sum at 200 + pointer.
    core = program(
        ("set", dict(dst=0, imm=0)), ("set", dict(dst=1, imm=3)), ("set", dict(dst=2, imm=9)),
        ("ldx", dict(dst=20, base=0, saddr=100, vw=3)),                       # 3: loop
        ("alu", dict(fn="add", dst=10, src1=10, src2=20, vw=3)),
        ("stx", dict(base=0, saddr=200, src=10, vw=3, count=1)),
        ("alu_int", dict(fn="add", dst=0, src1=0, src2=1)),
        ("blt", dict(src1=0, src2=2, target=3)),
        "hlt")
    records = [[1, 2, 3], [10, 20, 30], [100, 200, 300]]
    smem = {100 + 3 * r + i: (v, True, 0) for r, rec in enumerate(records) for i, v in enumerate(rec)}
    _, report = tile_run([core], smem=smem)
    assert report.ok
    sums = np.cumsum(records, axis=0)
    assert report.cores[0]["rf"][10:13] == sums[-1].tolist()
    assert report.smem["values"][200:209] == sums.reshape(-1).tolist()
    assert all(report.smem["valid"][200:209])
    assert report.events["instructions"]["ldx"] == 3 and report.events["instructions"]["stx"] == 3
    # every ldx/stx reads its base register once: 3 + 3 base reads, 3 * 3 stored words read,
    # 3 * (3 + 3) alu operands, 3 * 2 alu_int and 3 * 2 branch operands
    assert report.events["rf_reads"] == 6 + 9 + 18 + 6 + 6


def test_base_word_is_unsigned():
    # M[base] = -32768 is 32768 as an address: ea = 32768 + 5, past smem_user_depth.
    core = program(("set", dict(dst=3, imm=-32768)), ("ldx", dict(dst=0, base=3, saddr=5, vw=1)), "hlt")
    _, report = tile_run([core])
    c = report.cores[0]
    assert c["fault_code"] == CoreFault.SMEM_ADDRESS_RANGE and "32773..32773" in c["fault_message"]


@pytest.mark.parametrize("instr", [
    ("ldx", dict(dst=0, base=1, saddr=890, vw=4)),             # 6 + 890 .. 6 + 893 > 895
    ("stx", dict(base=1, saddr=890, src=0, vw=1, count=1)),    # 896
])
def test_indexed_range_fault_uses_the_effective_address(instr):
    _, report = tile_run([program(instr, "hlt")], rf=[{1: 6}])
    core = report.cores[0]
    assert core["status"] == "error" and core["fault_code"] == CoreFault.SMEM_ADDRESS_RANGE
    assert "outside 0..895" in core["fault_message"]
    smem = {886 + i: (i, True, 0) for i in range(4)} if instr[0] == "ldx" else {}
    _, ok = tile_run([program((instr[0], {**instr[1], "saddr": 880}), "hlt")], rf=[{1: 6}],
                     smem=smem)
    assert ok.cores[0]["status"] == "halted"


def test_base_outside_the_address_space_faults():
    from panther.config import PantherConfig
    tiny = PantherConfig(xbar_size=4, mcus_per_core=1, adcs_per_xbar=4, rf_depth=16,
                         smem_depth=512, imem_depth=16, cores_per_tile=1, deferred_depth=4)
    assert tiny.addr_space == 24
    _, report = tile_run([program(("ldx", dict(dst=0, base=30, saddr=0, vw=1)), "hlt")],
                         config=tiny)
    assert report.cores[0]["fault_code"] == CoreFault.ADDRESS_RANGE


def test_blocked_ldx_keeps_its_address_when_it_overwrites_the_base():
    # ldx into rf 0..3 with base rf 1 = 10: words 10, 11 are ready, 12, 13 come later from
    # core 0, by which time rf 1 holds the loaded word 11; the ldx still reads 12 and 13.
    core0 = program(*_nops(6), ("st", dict(saddr=12, src=0, vw=2, count=1)), "hlt")
    core1 = program(("ldx", dict(dst=0, base=1, saddr=0, vw=4)), "hlt")
    smem = {10: (5, True, 1), 11: (6, True, 1)}
    _, report = tile_run([core0, core1], rf=[{0: 7, 1: 8}, {1: 10}], smem=smem)
    assert report.ok and report.cores[1]["rf"][0:4] == [5, 6, 7, 8]
    assert report.events["rf_reads"] == 2 + 1         # core 0's two stored words, one base read
