"""MCU semantics of the golden model: exact MVM/MTVM, per-step clipped OPA, CRS, deferral
to hlt and the read-before-write rule of one mcu instruction (docs/semantics.md §2-§5)."""

import numpy as np
import pytest

from panther.isa.golden import CoreFault, ExactMCU

from ._golden_refs import SMALL, program, rs, sat, tile_run

N = SMALL.xbar_size
P = SMALL.nominal_bits
SLICES = SMALL.n_slices


def _weights(seed, scale=2 ** 24):
    rng = np.random.default_rng(seed)
    return rng.integers(-scale, scale, (N, N)).astype(np.int64)


def _vector(seed, scale=4096):
    rng = np.random.default_rng(seed)
    return rng.integers(-scale, scale, N).astype(np.int64)


def ref_mvm(W, x):
    """y_j = sat(rs(sum_i W[i][j] x[i], 24)) with Python ints."""
    out = [sat(rs(sum(int(W[i][j]) * int(x[i]) for i in range(N)), 24)) for j in range(N)]
    return [v for v, _ in out], [f for _, f in out]


def ref_mtvm(W, v):
    out = [sat(rs(sum(int(W[i][j]) * int(v[j]) for j in range(N)), 24)) for i in range(N)]
    return [y for y, _ in out], [f for _, f in out]


def naive_opa(digits, x, v, config=SMALL):
    """Per-cell, per-step, per-slice clipped OPA with Python ints (docs/semantics.md §3)."""
    d = [[[int(digits[k][i][j]) for j in range(N)] for i in range(N)] for k in range(SLICES)]
    for n in range(config.input_steps):
        for i in range(N):
            xi = int(x[i])
            drive = ((abs(xi) >> n) & 1) * (1 if xi > 0 else -1 if xi < 0 else 0)
            if drive == 0:
                continue
            for j in range(N):
                vj = int(v[j])
                sign = 1 if vj > 0 else -1 if vj < 0 else 0
                for k in range(SLICES):
                    chunk = sign * (((abs(vj) << n) >> (P * k)) & (2 ** P - 1))
                    low, high = config.digit_range(k)
                    d[k][i][j] = min(max(d[k][i][j] + drive * chunk, low), high)
    return np.array(d)


def weights_of(digits):
    return sum(np.asarray(digits[k], dtype=np.int64) << (P * k) for k in range(SLICES))


def test_program_stores_canonical_digits_that_sum_to_the_weight():
    W = _weights(1, 2 ** 30)
    mcu = ExactMCU(config=SMALL, weights=W)
    digits = mcu.digits()
    assert np.array_equal(weights_of(digits), W)
    for k in range(SLICES - 1):    # balanced digits in [-8, 7] below the MSB slice
        assert digits[k].min() >= -8 and digits[k].max() <= 7


@pytest.mark.parametrize("seed", [0, 1])
def test_mvm_and_mtvm_are_exact_integer_products(seed):
    W = _weights(10 + seed, 2 ** 26)
    x, v = _vector(20 + seed, 32768), _vector(30 + seed, 32768)
    mcu = ExactMCU(config=SMALL, weights=W)
    y, y_over = mcu.mvm(x)
    z, z_over = mcu.mtvm(v)
    assert (y.tolist(), y_over.tolist()) == ref_mvm(W, x)
    assert (z.tolist(), z_over.tolist()) == ref_mtvm(W, v)
    assert any(ref_mvm(W, x)[1])       # the data are large enough to saturate somewhere


def test_mtvm_is_a_true_transpose():
    W = np.zeros((N, N), dtype=np.int64)
    W[2, 5] = 3 << 24                   # only row 2, column 5
    mcu = ExactMCU(config=SMALL, weights=W)
    x = np.zeros(N, dtype=np.int64)
    x[2] = 4096
    y, _ = mcu.mvm(x)
    assert y[5] == 3 * 4096 and np.count_nonzero(y) == 1
    v = np.zeros(N, dtype=np.int64)
    v[5] = 4096
    z, _ = mcu.mtvm(v)
    assert z[2] == 3 * 4096 and np.count_nonzero(z) == 1


def test_opa_without_saturation_adds_the_outer_product_exactly():
    # Carries stay in the slices, so an OPA is exact only while no slice digit leaves its
    # range: from zero digits, a single-bit x = 2**e (one step) adds one chunk <= 15 to each
    # slice; with e <= 4 the chunks land in slices 0-4 (5 and 6 bits), which hold 15.
    rng = np.random.default_rng(3)
    x = rng.choice([-1, 1], N) * 2 ** rng.integers(0, 5, N)
    v = rng.integers(-32768, 32768, N)
    mcu = ExactMCU(config=SMALL)
    mcu.opa(x, v)
    assert np.array_equal(mcu.weights(), np.outer(x, v))
    assert mcu.inexact_updates == 0
    mcu.crs()                          # then a CRS makes room for the next one
    mcu.opa(x, v)
    assert np.array_equal(mcu.weights(), 2 * np.outer(x, v))


def test_opa_clips_per_slice_even_when_the_weight_would_fit():
    # x = 3 streams two steps; v = 15 adds 15 to slice 0 in step 0 and 14 (+1 into slice 1)
    # in step 1: slice 0 (5 bits, max 15) clips although 45 fits the weight easily.
    mcu = ExactMCU(config=SMALL)
    x = np.zeros(N, dtype=np.int64)
    v = np.zeros(N, dtype=np.int64)
    x[0], v[0] = 3, 15
    mcu.opa(x, v)
    assert mcu.digits()[0, 0, 0] == 15 and mcu.digits()[1, 0, 0] == 1
    assert mcu.weights()[0, 0] == 15 + 16 and mcu.inexact_updates == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_saturating_opa_matches_a_naive_per_cell_loop(seed):
    rng = np.random.default_rng(seed)
    digits = np.empty((SLICES, N, N), dtype=np.int64)
    for k in range(SLICES):
        low, high = SMALL.digit_range(k)
        # digits at or near the edges so that clipping happens in many cells
        digits[k] = rng.choice([low, low + 1, 0, high - 1, high], (N, N))
    x = rng.integers(-32768, 32768, N)
    v = rng.integers(-32768, 32768, N)
    x[0], v[0] = -32768, -32768         # magnitude 2**15 in sign-magnitude
    mcu = ExactMCU(config=SMALL)
    mcu.set_digits(digits)
    mcu.opa(x, v)
    expected = naive_opa(digits, x, v)
    assert np.array_equal(mcu.digits(), expected)
    assert mcu.inexact_updates == int(np.count_nonzero(
        weights_of(expected) - weights_of(digits) != np.outer(x, v)))
    assert mcu.inexact_updates > 0


def test_crs_renormalises_to_canonical_digits_keeping_the_weight():
    rng = np.random.default_rng(7)
    digits = np.stack([rng.integers(*SMALL.digit_range(k), (N, N), endpoint=True)
                       for k in range(SLICES)])
    digits[SLICES - 1] //= 2           # keep the weight inside the representable range
    mcu = ExactMCU(config=SMALL)
    mcu.set_digits(digits)
    W = weights_of(digits)
    mcu.crs()
    assert np.array_equal(mcu.weights(), W)
    assert np.array_equal(mcu.digits(), ExactMCU(config=SMALL, weights=W).digits())


def test_set_digits_checks_ranges():
    mcu = ExactMCU(config=SMALL)
    bad = np.zeros((SLICES, N, N), dtype=np.int64)
    bad[0, 0, 0] = 99
    with pytest.raises(ValueError, match="slice 0 digits must be in -16..15"):
        mcu.set_digits(bad)


# -- through the core ------------------------------------------------------------------------

XIN0, XOUT0 = SMALL.xbar_in_base(0), SMALL.xbar_out_base(0)
XIN1, XOUT1 = SMALL.xbar_in_base(1), SMALL.xbar_out_base(1)


def _rf_with(base, values, rf=None):
    rf = dict(rf or {})
    rf.update({base + i: int(v) for i, v in enumerate(values)})
    return rf


def test_mcu_instruction_mvm_and_mtvm_write_the_buffers():
    W = _weights(11, 2 ** 25)
    x, v = _vector(12), _vector(13)
    rf = _rf_with(XIN0, x, _rf_with(XOUT1, v))
    prog = program(("mcu", dict(m0=1, m1=2, m2=0, m3=0, m4=0, m5=0)), "hlt")
    _, report = tile_run(prog, rf=[rf], weights={(0, 0): W, (0, 1): W.T.copy()})
    core = report.cores[0]
    assert core["xbar_out"][0] == ref_mvm(W, x)[0]
    assert core["xbar_in"][1] == ref_mtvm(W.T, v)[0]
    events = report.events
    # Variant 1 serialises MVM and MTVM: two phases of 16 bit-step transactions.
    assert events["mcu_totals"] == {"mvm": 1, "mtvm": 1, "opa": 0, "crs": 0,
                                    "opa_applied": 0, "crs_applied": 0, "commits": 0,
                                    "requests": 2 * 16}
    assert events["adc_conversions"] == 2 * SMALL.input_steps * N * SLICES
    assert events["energy_events"]["adc_conversion"] == 2 * 16 * 16 * 8
    assert events["energy_events"]["mvm_step"] == 16 * 8
    # MVM reads XBarIn[0], writes XBarOut[0]; MTVM reads XBarOut[1], writes XBarIn[1]
    assert [events[k] for k in ("xbar_in_reads", "xbar_in_writes", "xbar_out_reads",
                                "xbar_out_writes")] == [N, N, N, N]


def test_mvm_mtvm_on_one_mcu_swap_the_buffers():
    W = _weights(14, 2 ** 25)
    x, v = _vector(15), _vector(16)
    rf = _rf_with(XIN0, x, _rf_with(XOUT0, v))
    prog = program(("mcu", dict(m0=3, m1=0, m2=0, m3=0, m4=0, m5=0)), "hlt")
    _, report = tile_run(prog, rf=[rf], weights={(0, 0): W})
    core = report.cores[0]
    # both read the old buffers: the MTVM used the old XBarOut, not the MVM's result
    assert core["xbar_out"][0] == ref_mvm(W, x)[0]
    assert core["xbar_in"][0] == ref_mtvm(W, v)[0]


def test_opa_is_deferred_to_hlt_and_uses_the_operands_at_issue():
    W = _weights(17, 2 ** 20)
    x, v = _vector(18), _vector(19)
    rf = _rf_with(XIN0, x, _rf_with(XOUT0, v))
    prog = program(
        ("mcu", dict(m0=4, m1=0, m2=0, m3=0, m4=0, m5=0)),     # OPA (snapshot x, v)
        ("set", dict(dst=XIN0, imm=0)),                        # change XBarIn[0] afterwards
        ("mcu", dict(m0=1, m1=0, m2=0, m3=0, m4=0, m5=0)),     # MVM sees the OLD weights
        "hlt")
    _, report = tile_run(prog, rf=[rf], weights={(0, 0): W})
    core = report.cores[0]
    x_after = x.copy()
    x_after[0] = 0
    assert core["xbar_out"][0] == ref_mvm(W, x_after)[0]
    expected = naive_opa(ExactMCU(config=SMALL, weights=W).digits(), x, v)
    assert np.array_equal(np.array(core["mcus"][0]["digits"]), expected)
    assert np.array_equal(np.array(core["mcus"][0]["weights"]), weights_of(expected))
    assert report.events["mcu"][0]["opa_applied"] == 1 and core["pending_updates"] == 0


def test_opa_and_crs_apply_in_program_order_at_hlt():
    rng = np.random.default_rng(21)
    digits = np.stack([rng.integers(*SMALL.digit_range(k), (N, N), endpoint=True)
                       for k in range(SLICES)])
    digits[SLICES - 1] //= 4
    x1, v1 = rng.integers(-32768, 32768, N), rng.integers(-32768, 32768, N)

    # Expected: OPA(x1, v1) on the raw digits, CRS, then OPA(x1, v1) again.
    expected = naive_opa(digits, x1, v1)
    expected = ExactMCU(config=SMALL, weights=weights_of(expected)).digits()
    expected = naive_opa(expected, x1, v1)

    def factory(config, core, mcu, weights):
        m = ExactMCU(config=config)
        if (core, mcu) == (0, 1):
            m.set_digits(digits)
        return m

    rf = _rf_with(XIN1, x1, _rf_with(XOUT1, v1))
    prog = program(
        ("mcu", dict(m0=0, m1=4, m2=0, m3=0, m4=0, m5=0)),
        ("crs", dict(mask=0b10)),
        ("mcu", dict(m0=0, m1=4, m2=0, m3=0, m4=0, m5=0)),
        "hlt")
    _, report = tile_run(prog, rf=[rf], mcu_factory=factory)
    assert np.array_equal(np.array(report.cores[0]["mcus"][1]["digits"]), expected)
    # two OPAs of 16 bit-steps, one analog request each (the request carries the operand);
    # one CRS: a serial read and a write per row of every slice
    assert report.events["mcu"] == [dict(core=0, mcu=1, mvm=0, mtvm=0, opa=2, crs=1,
                                         opa_applied=2, crs_applied=1, commits=0,
                                         requests=2 + 2 * SLICES * N)]
    assert report.events["analog_transactions"]["opa"] == 2 * 16
    assert report.events["energy_events"]["serial_write_row"] == SLICES * N
    assert report.events["energy_events"]["opa_step"] == 2 * 16 * SLICES


def test_mvm_saturation_sets_the_sticky_overflow_flag():
    W = np.full((N, N), 127 << 24, dtype=np.int64)
    rf = _rf_with(XIN0, [4096] * N)
    prog = program(("mcu", dict(m0=1, m1=0, m2=0, m3=0, m4=0, m5=0)),
                   ("set", dict(dst=0, imm=1)), "hlt")
    _, report = tile_run(prog, rf=[rf], weights={(0, 0): W})
    assert report.cores[0]["overflow"] is True
    assert report.cores[0]["xbar_out"][0] == [32767] * N


@pytest.mark.parametrize("instr", [
    ("mcu", dict(m0=0, m1=0, m2=1, m3=0, m4=0, m5=0)),
    ("crs", dict(mask=0b100)),
])
def test_naming_a_missing_mcu_faults(instr):
    _, report = tile_run(program(instr, "hlt"))
    core = report.cores[0]
    assert core["status"] == "error" and core["fault_code"] == CoreFault.NO_SUCH_MCU
    assert "MCU 2 but the core has 2" in core["fault_message"]
