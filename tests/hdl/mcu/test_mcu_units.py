"""Amaranth-simulator unit tests of the MCU building blocks against numpy integer math.

Packed vectors go through the project's packers (:mod:`cosim.analog_port`: field 0 at bit 0,
as the analog port and the XBar buffers lay them out), the shift-and-add through one driver
(:func:`_shift_add_operation`)."""

import numpy as np
import pytest
from amaranth.hdl import Signal, Value
from amaranth.lib import data
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.cosim.analog_port import pack_signed, unpack_signed, unpack_unsigned
from panther.fixed_point import canonical_digits, round_shift
from panther.hdl.mcu import CarryResolution, InputDriver, McuWidths, ShiftAdd, XBarIn

SMALL = PRESETS["small"]


def run(dut, testbench):
    sim = Simulator(dut)
    sim.add_clock(1e-9)
    sim.add_testbench(testbench)
    sim.run()


def test_widths_reject_non_config():
    with pytest.raises(TypeError, match="PantherConfig"):
        McuWidths("small")


@pytest.mark.parametrize("cfg", [SMALL, PRESETS["paper"], PRESETS["paper"].replace(adcs_per_xbar=4)],
                         ids=["small", "paper", "paper_4adcs"])
def test_xbar_buffer_core_port_and_result_writes(cfg):
    dut = XBarIn(config=cfg)
    rng = np.random.default_rng(3)
    words = rng.integers(-2**15, 2**15, cfg.xbar_size)
    results = rng.integers(-2**15, 2**15, cfg.xbar_size)
    lanes = cfg.adcs_per_xbar

    async def tb(ctx):
        for i, w in enumerate(words):
            # The write goes to w_addr, whatever the read address says.
            ctx.set(dut.core.w_addr, i)
            ctx.set(dut.core.addr, (i + 1) % cfg.xbar_size)
            ctx.set(dut.core.w_data, int(w))
            ctx.set(dut.core.w_en, 1)
            await ctx.tick()
        ctx.set(dut.core.w_en, 0)
        assert ctx.get(dut.words) == pack_signed(words, 16)
        for i in range(cfg.xbar_size):
            # The read selection is combinational: the core registers the address.
            ctx.set(dut.core.addr, i)
            assert ctx.get(dut.core.r_data) == words[i]
        # A core write is in the word the cycle after its `w_en`.
        ctx.set(dut.core.addr, 1)
        ctx.set(dut.core.w_addr, 1)
        ctx.set(dut.core.w_data, int(words[0]))
        ctx.set(dut.core.w_en, 1)
        assert ctx.get(dut.core.r_data) == words[1]
        await ctx.tick()
        ctx.set(dut.core.w_en, 0)
        assert ctx.get(dut.core.r_data) == words[0]
        ctx.set(dut.core.w_data, int(words[1]))
        ctx.set(dut.core.w_en, 1)
        await ctx.tick()
        ctx.set(dut.core.w_en, 0)
        assert ctx.get(dut.core.r_data) == words[1]
        ctx.set(dut.res_en, 1)
        for r in range(cfg.xbar_size // lanes):
            ctx.set(dut.res_round, r)
            for lane in range(lanes):
                ctx.set(dut.res_data[lane], int(results[r * lanes + lane]))
            await ctx.tick()
        # A result write wins over a core write in the same cycle.
        ctx.set(dut.res_round, 0)
        for lane in range(lanes):
            ctx.set(dut.res_data[lane], int(results[lane]))
        ctx.set(dut.core.w_addr, 0)
        ctx.set(dut.core.w_data, int(words[0]))
        ctx.set(dut.core.w_en, 1)
        await ctx.tick()
        ctx.set(dut.res_en, 0)
        ctx.set(dut.core.w_en, 0)
        assert ctx.get(dut.words) == pack_signed(results, 16)
        for i in reversed(range(cfg.xbar_size)):
            ctx.set(dut.core.addr, i)
            await ctx.tick()
            assert ctx.get(dut.core.r_data) == results[i]

    run(dut, tb)


@pytest.mark.parametrize("count,item_bits", [(1, 7), (2, 7), (6, 5), (20, 3), (126, 112)])
def test_shift_add_pick_selects_the_indexed_item(count, item_bits):
    from amaranth.hdl import Module

    from panther.hdl.mcu.shift_add import _pick
    rng = np.random.default_rng(count)
    items = [int.from_bytes(rng.bytes(16), "little") % (1 << item_bits) for _ in range(count)]
    m = Module()
    # unsigned items up to 112 bits: Amaranth's own array layout packs them (item 0 lowest)
    vector = Signal(data.ArrayLayout(item_bits, count), init=items)
    index = Signal(range(max(count, 2)))
    out = Signal(item_bits)
    m.d.comb += out.eq(_pick(Value.cast(vector), index, item_bits, count))

    async def tb(ctx):
        for i, item in enumerate(items):
            ctx.set(index, i)
            assert ctx.get(out) == item

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()


def test_input_driver_bits_signs_and_magnitudes():
    cfg = SMALL
    dut = InputDriver(config=cfg)
    rng = np.random.default_rng(4)
    words = rng.integers(-2**15, 2**15, cfg.xbar_size)
    words[0], words[1], words[2] = -2**15, 0, 2**15 - 1
    mag = np.abs(words)

    async def tb(ctx):
        ctx.set(dut.words, pack_signed(words, 16))
        ctx.set(dut.load, 1)
        await ctx.tick()
        ctx.set(dut.load, 0)
        ctx.set(dut.words, pack_signed([123] * cfg.xbar_size, 16))   # the snapshot must not follow
        for _repeat in range(2):                                # restart really restarts
            ctx.set(dut.restart, 1)
            await ctx.tick()
            ctx.set(dut.restart, 0)
            for n in range(cfg.input_steps):
                bits, neg = ctx.get(dut.bits), ctx.get(dut.neg)
                # the OPA operand: |x_i| of the snapshot, unsigned 16 bits (2**15 fits)
                assert unpack_unsigned(ctx.get(Value.cast(dut.mag)), cfg.xbar_size, 16).tolist() \
                    == mag.tolist()
                for i in range(cfg.xbar_size):
                    assert (bits >> i) & 1 == (mag[i] >> n) & 1
                    assert (neg >> i) & 1 == int(words[i] < 0)
                ctx.set(dut.advance, 1)
                await ctx.tick()
                ctx.set(dut.advance, 0)

    run(dut, tb)


async def _strobe_and_count_busy(ctx, dut, strobe):
    """Raise ``strobe`` (every bit: the replicas of a load) for one cycle; the cycles
    ``dut.busy`` then stays high."""
    ctx.set(strobe, (1 << len(strobe)) - 1)
    await ctx.tick()
    ctx.set(strobe, 0)
    cycles = 0
    while ctx.get(dut.busy):
        await ctx.tick()
        cycles += 1
    return cycles


async def _shift_add_operation(ctx, dut, cfg, steps, codes):
    """Drive one operation of the :class:`ShiftAdd` ``dut``: ``clear``; the codes of each
    bit-step (``codes[i]``: ``(slices, n)``) loaded with its step number ``steps[i]`` as soon
    as ``busy`` falls; ``finish`` in the cycle ``busy`` fell; the results taken as they are
    emitted.

    Returns ``(words, overflow per round, timing)``; ``timing`` has the busy cycles after
    each load (``conversions``) and ``busy``/``res_valid`` from the cycle after ``finish``
    until both fell."""
    w = McuWidths(cfg)
    ctx.set(dut.clear, 1)
    await ctx.tick()
    ctx.set(dut.clear, 0)
    conversions = []
    for n, step_codes in zip(steps, codes):
        column_major = np.asarray(step_codes).T.reshape(-1)
        ctx.set(Value.cast(dut.codes), pack_signed(column_major, w.code_bits))
        ctx.set(dut.step, n)
        conversions.append(await _strobe_and_count_busy(ctx, dut, dut.load))
    ctx.set(dut.finish, 1)                  # in the cycle busy fell: the last round's
    await ctx.tick()                        # addition is still in the pipeline
    ctx.set(dut.finish, 0)
    words, ovf = [None] * w.n, [None] * w.rounds
    busy, valid = [ctx.get(dut.busy)], [ctx.get(dut.res_valid)]
    while busy[-1] or valid[-1]:
        await ctx.tick()
        busy.append(ctx.get(dut.busy))
        valid.append(ctx.get(dut.res_valid))
        if valid[-1]:
            r = ctx.get(dut.res_round)
            row = [ctx.get(dut.res_data[i]) for i in range(w.lanes)]
            words[r * w.lanes:(r + 1) * w.lanes] = row
            ovf[r] = ctx.get(dut.res_overflow)
    return words, ovf, {"conversions": conversions, "busy": busy, "valid": valid}


def _shift_add_expected(cfg, codes, steps):
    """Integer formula of semantics §3: (words, overflow per column) of codes ``(len(steps),
    slices, n)`` loaded with the step numbers ``steps``."""
    acc = [0] * cfg.xbar_size
    for n, step_codes in zip(steps, codes):
        for k in range(cfg.n_slices):
            for j, c in enumerate(step_codes[k]):
                acc[j] += int(c) << (n + cfg.nominal_bits * k + cfg.adc_lsb_shift)
    frac, top = cfg.weight_frac_bits, 1 << (cfg.data_bits - 1)
    rounded = [(a + (1 << (frac - 1))) >> frac for a in acc]
    return [min(max(r, -top), top - 1) for r in rounded], [not -top <= r < top for r in rounded]


def _round_overflow(expected_ovf, lanes, rounds):
    """A round's overflow flag: any of its ``lanes`` columns saturated."""
    return [any(expected_ovf[r * lanes:(r + 1) * lanes]) for r in range(rounds)]


@pytest.mark.parametrize("adcs, latency, adc_bits", [(4, 1, 0), (1, 2, 0), (16, 1, 8), (2, 3, 6)])
def test_shift_add_matches_integer_formula_and_timing(adcs, latency, adc_bits):
    cfg = SMALL.replace(adcs_per_xbar=adcs, adc_latency=latency, adc_bits=adc_bits)
    w = McuWidths(cfg)
    dut = ShiftAdd(config=cfg)
    rng = np.random.default_rng(adcs * 10 + latency)
    cb = cfg.adc_code_bits
    codes = rng.integers(-(1 << (cb - 1)), 1 << (cb - 1), (cfg.input_steps, cfg.n_slices, w.n))
    codes[:, :, 0] = (1 << (cb - 1)) - 1     # column 0 saturates high
    codes[:, :, 1] = -(1 << (cb - 1))        # column 1 saturates low
    steps = range(cfg.input_steps)
    out = []

    async def tb(ctx):
        out.append(await _shift_add_operation(ctx, dut, cfg, steps, codes))

    run(dut, tb)
    [(got, ovf, timing)] = out
    assert timing["conversions"] == [w.rounds * latency] * cfg.input_steps
    assert dut.conversion_cycles == w.rounds * latency
    # emission waits a cycle for the last addition; each result follows its busy cycle by one
    assert timing["busy"] == [1] * (w.rounds + 1) + [0, 0]
    assert timing["valid"] == [0, 0] + [1] * w.rounds + [0]
    expected, expected_ovf = _shift_add_expected(cfg, codes, steps)
    assert got == expected
    assert ovf == _round_overflow(expected_ovf, w.lanes, w.rounds)
    assert ovf[0] == 1


def test_shift_add_rounds_half_up_once():
    # A single code just at a half LSB of the result: must round up, not truncate per step.
    cfg = SMALL.replace(adcs_per_xbar=16)
    w = McuWidths(cfg)
    dut = ShiftAdd(config=cfg)
    # step 20 is out of range; build 2**23 from code 1 at step n with slice k: n + 4k = 23.
    n, k = 15, 2
    codes = np.zeros((cfg.n_slices, w.n), dtype=np.int64)
    codes[k, 5] = 1      # +2**23 on column 5 -> rounds to +1
    codes[k, 6] = -1     # -2**23 on column 6 -> rounds to 0
    out = []

    async def tb(ctx):
        out.append(await _shift_add_operation(ctx, dut, cfg, [n], [codes]))

    run(dut, tb)
    [(got, _, _)] = out
    assert got[5] == round_shift(1 << 23, 24) == 1
    assert got[6] == round_shift(-(1 << 23), 24) == 0
    assert got[0] == 0


#: 3 slices: an adder tree with an odd operand (pipeline depth 2)
THREE_SLICES = SMALL.replace(slice_bits=[5, 4, 6], weight_bits=12, data_bits=4, data_frac_bits=2,
                             weight_frac_bits=4)


@pytest.mark.parametrize("cfg", [SMALL, THREE_SLICES], ids=["small", "three_slices"])
def test_carry_resolution_rewrites_canonical_digits(cfg):
    w = McuWidths(cfg)
    dut = CarryResolution(config=cfg)
    rng = np.random.default_rng(5)
    digits = np.stack([rng.integers(lo, hi + 1, w.n)
                       for lo, hi in (cfg.digit_range(k) for k in range(cfg.n_slices))])
    digits[:, 0] = [cfg.digit_range(k)[1] for k in range(cfg.n_slices)]   # saturating weight
    digits[:, 1] = [cfg.digit_range(k)[0] for k in range(cfg.n_slices)]
    weights = sum(digits[k].astype(np.int64) << (4 * k) for k in range(cfg.n_slices))
    expected = canonical_digits(weights, cfg)
    got = np.zeros_like(digits)

    async def tb(ctx):
        for k in range(cfg.n_slices):
            ctx.set(Value.cast(dut.rdata), pack_signed(digits[k], w.digit_bits))
            ctx.set(dut.slice, k)
            ctx.set(dut.load, 1)
            await ctx.tick()
        ctx.set(dut.load, 0)
        assert await _strobe_and_count_busy(ctx, dut, dut.start) == dut.compute_cycles
        await ctx.tick().repeat(2)          # the row holds once the unit is idle
        for k in range(cfg.n_slices):
            ctx.set(dut.slice, k)
            got[k] = unpack_signed(ctx.get(Value.cast(dut.wdata)), w.n, w.digit_bits)

    run(dut, tb)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("adcs, latency", [(16, 1), (8, 1), (4, 1), (2, 3)])
def test_shift_add_back_to_back_operations(adcs, latency):
    # Each operation starts from the rounding offset after `clear`, whatever the previous one
    # left in the accumulators; loads follow `busy` at once and `finish` comes in the cycle
    # `busy` fell (1 to 8 rounds: the accumulator rows are read ahead of their update and of
    # their emission).
    cfg = SMALL.replace(adcs_per_xbar=adcs, adc_latency=latency)
    w = McuWidths(cfg)
    dut = ShiftAdd(config=cfg)
    rng = np.random.default_rng(adcs + 100 * latency)
    cb = cfg.adc_code_bits
    ops = [list(range(cfg.input_steps)), [5, 0, 2], [15]]
    codes = [rng.integers(-(1 << (cb - 1)), 1 << (cb - 1), (len(s), cfg.n_slices, w.n)) for s in ops]
    codes[1][:, :, 3] = (1 << (cb - 1)) - 1
    got = []

    async def tb(ctx):
        for steps, op_codes in zip(ops, codes):
            got.append(await _shift_add_operation(ctx, dut, cfg, steps, op_codes))

    run(dut, tb)
    for (words, ovf, _), steps, op_codes in zip(got, ops, codes):
        expected, expected_ovf = _shift_add_expected(cfg, op_codes, steps)
        assert words == expected
        assert ovf == _round_overflow(expected_ovf, w.lanes, w.rounds)


@pytest.mark.parametrize("adcs", [16, 4])
def test_shift_add_finish_right_after_clear_emits_the_offset(adcs):
    # `finish` in the cycle after `clear`, no step loaded: every row was cleared, so each word
    # is the rounding offset alone (0), whatever the previous operation left in the rows.
    cfg = SMALL.replace(adcs_per_xbar=adcs)
    w = McuWidths(cfg)
    dut = ShiftAdd(config=cfg)
    rng = np.random.default_rng(7 + adcs)
    cb = cfg.adc_code_bits
    codes = rng.integers(1, 1 << (cb - 1), (1, cfg.n_slices, w.n))   # every column non-zero
    got = []

    async def tb(ctx):
        got.append(await _shift_add_operation(ctx, dut, cfg, [15], codes))
        got.append(await _shift_add_operation(ctx, dut, cfg, [], []))

    run(dut, tb)
    (first, _, _), (empty, ovf, _) = got
    assert first == _shift_add_expected(cfg, codes, [15])[0]
    assert any(first)
    assert empty == _shift_add_expected(cfg, [], [])[0] == [0] * w.n
    assert ovf == [0] * w.rounds
