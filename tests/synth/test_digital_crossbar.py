"""The FPGA's digital crossbar equals the ideal analog model and exact integer arithmetic."""

import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from panther.analog_models import AnalogMCU
from panther.config import PRESETS
from panther.cosim.amaranth_bridge import read_buffer, run_request, write_buffer
from panther.cosim.analog_port import AnalogPort, unpack_signed
from panther.fixed_point import canonical_digits, round_shift, saturate, weights_from_digits
from panther.hdl.fpga.digital_crossbar import DigitalCrossbar, answer_latency
from panther.hdl.fpga.mcu_with_crossbar import McuWithCrossbar
from panther.hdl.ports import AnalogOp

SMALL = PRESETS["small"]


async def host_access(ctx, dut, *, copy, k, row, col, value=None):
    cells = dut.cells
    ctx.set(cells.copy, copy)
    ctx.set(cells.slice, k)
    ctx.set(cells.row, row)
    ctx.set(cells.col, col)
    ctx.set(cells.we, value is not None)
    ctx.set(cells.wdata, 0 if value is None else int(value))
    ctx.set(cells.req, 1)
    await ctx.tick().until(cells.ack)
    ctx.set(cells.req, 0)
    await ctx.tick()
    return ctx.get(cells.rdata)


async def program_digits(ctx, dut, copy, digits):
    S, n, _ = digits.shape
    for k in range(S):
        for i in range(n):
            for j in range(n):
                await host_access(ctx, dut, copy=copy, k=k, row=i, col=j, value=digits[k, i, j])


async def read_digits(ctx, dut, copy, config):
    n, S = config.xbar_size, config.n_slices
    out = np.zeros((S, n, n), dtype=np.int64)
    for k in range(S):
        for i in range(n):
            for j in range(n):
                out[k, i, j] = await host_access(ctx, dut, copy=copy, k=k, row=i, col=j)
    return out


def _random_fields(rng, port, op, config):
    w = port.widths
    n = w.n
    f = {"mvm_copy": int(rng.integers(w.copies)), "mtvm_copy": int(rng.integers(w.copies)),
         "read_copy": int(rng.integers(w.copies)),
         "opa_copies": int(rng.integers(1, 1 << w.copies)),
         "write_copies": int(rng.integers(1, 1 << w.copies)),
         "slice": int(rng.integers(w.slices)), "row": int(rng.integers(n))}
    for name in ("row_bits", "row_neg", "col_bits", "col_neg"):
        f[name] = int(rng.integers(1 << n))
    # The OPA operand: magnitudes of data words (2**(data_bits-1) included) and a step
    # (used beside MVM/MTVM only).
    db = w.data_bits
    for name in ("row_mag", "col_mag"):
        mags = rng.integers(0, (1 << (db - 1)) + 1, size=n)
        f[name] = sum(int(v) << (i * db) for i, v in enumerate(mags))
    f["step"] = int(rng.integers(w.steps))
    f["wdata"] = _random_wdata(rng, port, config, f["slice"])
    return f


def _random_wdata(rng, port, config, k):
    """A serial write's row of random digits of slice ``k``, packed as the port carries them."""
    w = port.widths
    lo, hi = config.digit_range(k)
    digits = rng.integers(lo, hi + 1, size=w.n)
    return sum((int(d) & ((1 << w.digit_bits) - 1)) << (j * w.digit_bits)
               for j, d in enumerate(digits))


def _programmed_crossbar(seed):
    """A variant-3 crossbar of 4x4 cells beside the ideal model, and a coroutine programming
    both with random weights per copy: ``(config, rng, dut, amcu, port, program)``."""
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2, variant=3)
    rng = np.random.default_rng(seed)
    dut = DigitalCrossbar(config=config)
    amcu = AnalogMCU(config)
    n, C = config.xbar_size, config.xbar_copies
    weights = rng.integers(-(1 << 20), 1 << 20, size=(C, n, n))

    async def program(ctx):
        for c in range(C):
            amcu.program(weights[c], copies=[c])
            await program_digits(ctx, dut, c, canonical_digits(weights[c], config))

    return config, rng, dut, amcu, AnalogPort(config), program


async def transaction(ctx, dut, op, fields, expected):
    """Drive one analog request with ``fields`` and return the answer's ``expected`` fields;
    check that ``ack`` comes :func:`answer_latency` cycles after ``req`` rises."""
    analog = dut.analog
    for name, value in fields.items():
        ctx.set(Value.cast(getattr(analog, name)), value)
    ctx.set(Value.cast(analog.op), op)
    ctx.set(analog.req, 1)
    cycles = 1
    while not ctx.get(analog.ack):
        await ctx.tick()
        cycles += 1
    assert cycles == answer_latency(dut.config, op, step=fields["step"]), (op, fields["step"])
    got = {name: ctx.get(Value.cast(getattr(analog, name))) for name in expected}
    await ctx.tick()                               # the end of the ack cycle
    ctx.set(analog.req, 0)
    await ctx.tick()
    return got


@pytest.mark.parametrize("config", [SMALL.replace(xbar_size=4, adcs_per_xbar=2, variant=3),
                                    SMALL.replace(xbar_size=8, adcs_per_xbar=2)],
                         ids=["4x4-variant3", "8x8-variant1"])
def test_transactions_match_the_ideal_analog_model(config):
    rng = np.random.default_rng(7)
    dut = DigitalCrossbar(config=config)
    amcu = AnalogMCU(config)
    port = AnalogPort(config)
    n, S = config.xbar_size, config.n_slices
    # Random weights near the edges of the slices so that OPA steps clip.
    weights = rng.integers(-(1 << 30), 1 << 30, size=(config.xbar_copies, n, n))
    code_bits = port.widths.code_bits
    ops = [AnalogOp.MVM, AnalogOp.MTVM, AnalogOp.OPA, AnalogOp.READ, AnalogOp.WRITE,
           AnalogOp.MVM | AnalogOp.MTVM, AnalogOp.MVM | AnalogOp.MTVM | AnalogOp.OPA]
    checked = {"codes": 0, "rdata": 0}

    async def bench(ctx):
        for c in range(config.xbar_copies):
            amcu.program(weights[c], copies=[c])
            await program_digits(ctx, dut, c, canonical_digits(weights[c], config))
        for t in range(40):
            op = ops[t % len(ops)].value
            fields = _random_fields(rng, port, op, config)
            expected = port.serve(amcu, op, {k: fields[k] for k in port.needed(op)})
            got = await transaction(ctx, dut, op, fields, expected)
            for name, value in expected.items():
                if name == "rdata":
                    assert got[name] == value, (t, op)
                    checked["rdata"] += 1
                else:
                    assert np.array_equal(unpack_signed(got[name], S * n, code_bits),
                                          unpack_signed(value, S * n, code_bits)), (t, op, name)
                    checked["codes"] += 1
        for c in range(config.xbar_copies):
            assert np.array_equal(await read_digits(ctx, dut, c, config), amcu.xbars[c].digits())
        assert sum(amcu.xbars[c].saturation_events.sum() for c in range(config.xbar_copies)) > 0

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert checked["codes"] >= 20 and checked["rdata"] >= 4


def test_reads_after_writes_see_the_written_digits():
    """Writes reach the cell RAMs a cycle after they are computed: a READ of the row an OPA
    wrote last (in the same request), of a row just written, and host reads must see them."""
    config, rng, dut, amcu, port, program = _programmed_crossbar(5)
    n, C = config.xbar_size, config.xbar_copies
    OPA, READ, WRITE = AnalogOp.OPA, AnalogOp.READ, AnalogOp.WRITE
    ops = [OPA | READ, WRITE, READ, OPA | READ | WRITE, READ]
    reads = []

    async def bench(ctx):
        await program(ctx)
        last = {}
        for t in range(20):
            op = ops[t % len(ops)].value
            fields = _random_fields(rng, port, op, config)
            copy = int(rng.integers(C))
            fields.update(read_copy=copy, opa_copies=1 << copy, write_copies=1 << copy)
            if op & OPA.value:
                fields["row"] = n - 1                      # the OPA's last row
            elif op == READ.value:                         # the row the last request wrote
                fields.update(last, read_copy=last["write_copies"].bit_length() - 1)
            last = {k: fields[k] for k in ("row", "slice", "write_copies")}
            expected = port.serve(amcu, op, {k: fields[k] for k in port.needed(op)})
            got = await transaction(ctx, dut, op, fields, expected)
            if "rdata" in expected:
                reads.append(expected["rdata"])
                assert got["rdata"] == expected["rdata"], (t, op)
        for c in range(C):
            assert np.array_equal(await read_digits(ctx, dut, c, config), amcu.xbars[c].digits())

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert len(reads) == 16 and len(set(reads)) > 8


def test_every_copy_and_slice_takes_writes_reads_and_opas():
    """The crossbar's per-RAM flip-flops (read address, write-data selects) and per-column
    OPA enables are replicas: a serial WRITE, a READ and an OPA reach every copy and slice,
    checked against the ideal model and by host reads of every cell."""
    config, rng, dut, amcu, port, program = _programmed_crossbar(3)
    C, S = config.xbar_copies, config.n_slices
    assert C >= 2 and S >= 2

    async def bench(ctx):
        await program(ctx)
        requests = [(AnalogOp.WRITE, {"write_copies": 1 << c, "slice": k})
                    for c in range(C) for k in range(S)]
        requests += [(AnalogOp.READ, {"read_copy": c, "slice": k})
                     for c in range(C) for k in range(S)]
        requests += [(AnalogOp.OPA, {"opa_copies": (1 << C) - 1, "step": 0})]
        for op, chosen in requests:
            fields = {**_random_fields(rng, port, op.value, config), **chosen}
            fields["wdata"] = _random_wdata(rng, port, config, fields["slice"])   # chosen slice
            expected = port.serve(amcu, op.value, {k: fields[k] for k in port.needed(op.value)})
            got = await transaction(ctx, dut, op.value, fields, expected)
            assert got == expected, (op, chosen)
        for c in range(C):
            assert np.array_equal(await read_digits(ctx, dut, c, config), amcu.xbars[c].digits())

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_mcu_with_digital_crossbar_equals_exact_integer_math():
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2)
    rng = np.random.default_rng(11)
    n = config.xbar_size
    dut = McuWithCrossbar(config=config)
    W = rng.integers(-(1 << 24), 1 << 24, size=(n, n))
    x = rng.integers(-(1 << 13), 1 << 13, size=n)
    v = rng.integers(-(1 << 13), 1 << 13, size=n)
    x[0], v[1] = -(1 << 15), (1 << 15) - 1                   # extreme words
    fb, db = config.weight_frac_bits, config.data_bits
    exact_y = [saturate(round_shift(int(sum(int(W[i, j]) * int(x[i]) for i in range(n))), fb), db)[0]
               for j in range(n)]
    exact_z = [saturate(round_shift(int(sum(int(W[i, j]) * int(v[j]) for j in range(n))), fb), db)[0]
               for i in range(n)]
    # OPA reference: the ideal model (per-step clipping); where no step of a cell clipped,
    # exact integer arithmetic W + x v^T.
    model = AnalogMCU(config)
    model.program(W)
    model.opa(0, x, v)
    model_digits = model.xbars[0].digits()
    exact_w = W + np.outer(x, v)
    small_x, small_v = rng.integers(-3, 4, size=n), rng.integers(-3, 4, size=n)

    async def bench(ctx):
        await program_digits(ctx, dut, 0, canonical_digits(W, config))
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        assert await run_request(ctx, dut, mask=2) == dut.rtl_cycles(2)   # MTVM: W v -> XBarIn
        z = await read_buffer(ctx, dut, "xin")
        await write_buffer(ctx, dut, "xin", x)
        assert await run_request(ctx, dut, mask=1) == dut.rtl_cycles(1)   # MVM: W^T x -> XBarOut
        y = await read_buffer(ctx, dut, "xout")
        await write_buffer(ctx, dut, "xout", v)
        assert await run_request(ctx, dut, mask=4) == dut.rtl_cycles(4)   # OPA: W += x v^T
        digits = await read_digits(ctx, dut, 0, config)
        assert z == exact_z
        assert y == exact_y
        assert np.array_equal(digits, model_digits)
        if model.xbars[0].saturation_events.sum() == 0:
            assert np.array_equal(weights_from_digits(digits, config), exact_w)
        after = weights_from_digits(digits, config)
        assert await run_request(ctx, dut, crs=True) == dut.crs_cycles()  # CRS: canonical
        digits = await read_digits(ctx, dut, 0, config)
        assert np.array_equal(digits, canonical_digits(after, config))
        # A small OPA on canonical digits cannot clip: exactly W += x v^T.
        await write_buffer(ctx, dut, "xin", small_x)
        await write_buffer(ctx, dut, "xout", small_v)
        await run_request(ctx, dut, mask=4)
        digits = await read_digits(ctx, dut, 0, config)
        assert np.array_equal(weights_from_digits(digits, config),
                              after + np.outer(small_x, small_v))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_mcu_with_digital_crossbar_takes_the_cycles_of_its_formulas(variant):
    """Every request of the FPGA's MCU top takes the cycles its formulas give (the controller's
    with the crossbar's answer latencies), on every variant; the MVM and MTVM transactions'
    answers each take their sweep's two pipeline stages."""
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2, variant=variant)
    dut = McuWithCrossbar(config=config)
    n = config.xbar_size
    # A sampling transaction alone: IDLE, NEXT_OP, the sweep (n + 2), NEXT_OP, ACK.
    assert answer_latency(config, AnalogOp.MVM) == answer_latency(config, AnalogOp.MTVM) == n + 6
    # A serial write alone: IDLE, NEXT_OP, WRITE, NEXT_OP, ACK.
    assert answer_latency(config, AnalogOp.WRITE) == 5
    got = {}

    async def bench(ctx):
        await write_buffer(ctx, dut, "xin", [3, -5, 7, 1 << 12][:n])
        await write_buffer(ctx, dut, "xout", [-2, 9, 1 << 11, 4][:n])
        for mask in (1, 2, 4, 3, 7):
            got[mask] = await run_request(ctx, dut, mask=mask)
        got["crs"] = await run_request(ctx, dut, crs=True)
        got["commit"] = await run_request(ctx, dut, commit=True)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == {**{mask: dut.rtl_cycles(mask) for mask in (1, 2, 4, 3, 7)},
                   "crs": dut.crs_cycles(), "commit": dut.commit_cycles()}


def test_rejects_a_non_ideal_configuration():
    with pytest.raises(ValueError, match="adc_bits"):
        DigitalCrossbar(config=SMALL.replace(adc_bits=8))


def test_host_access_latency_and_a_request_held_a_cycle_after_ack():
    """A host cell access acknowledges 6 cycles after ``req`` rises (counting that cycle: the
    registered request seen in IDLE, H_READ, HOST, H_PICK, H_ACK), and a ``req`` still high in
    the cycle after ``ack`` (the protocol's latest drop) is not served again."""
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2)
    dut = DigitalCrossbar(config=config)
    cells = dut.cells
    acks = []

    async def bench(ctx):
        for value in (5, None):                    # write 5, then read it back
            ctx.set(cells.we, value is not None)
            ctx.set(cells.wdata, 0 if value is None else value)
            ctx.set(cells.slice, 1)
            ctx.set(cells.row, 2)
            ctx.set(cells.col, 3)
            ctx.set(cells.req, 1)
            cycles = 1
            while not ctx.get(cells.ack):
                await ctx.tick()
                cycles += 1
            assert cycles == 6
            await ctx.tick().repeat(2)             # req held through the cycle after ack
            ctx.set(cells.req, 0)
            for _ in range(8):
                acks.append(ctx.get(cells.ack))
                await ctx.tick()
        assert ctx.get(cells.rdata) == 5

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert not any(acks)
