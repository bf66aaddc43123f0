"""The analog port's planned MVM/MTVM steps (``AnalogPort.serve(..., read=...)``): every step of
an operation computed at its first, each served only when the MCU drives what was predicted.

Expected codes come from integer math on the crossbar's digits (``docs/semantics.md`` §3: a
step's held sum is ``sum_i drive_i * d_k[i, j]``, the ADC code ``clip(floor(s / 2**lsb_shift
+ 1/2))``), and the planned path is compared with the per-step path (no ``read``) on an
identical MCU: answers, event counters, clipped codes and the random generators' states.
"""

import numpy as np
import pytest

from panther.analog_models import AnalogMCU
from panther.config import PRESETS
from panther.cosim.analog_port import AnalogPort, pack_signed_rows
from panther.hdl.ports import AnalogOp
from panther.noise import NoiseConfig

SMALL = PRESETS["small"].replace(variant=2)


def _fields(config, x, step):
    """The MCU outputs of step ``step`` of an MVM (rows) driven by raw words ``x``, built
    bit by bit with Python ints (field ``i`` of ``row_mag`` at ``i * data_bits``)."""
    db = config.data_bits
    mags = [abs(int(v)) for v in x]
    return {"mvm_copy": 0, "step": step,
            "row_bits": sum(((m >> step) & 1) << i for i, m in enumerate(mags)),
            "row_neg": sum(int(v < 0) << i for i, v in enumerate(x)),
            "row_mag": sum(m << (i * db) for i, m in enumerate(mags))}


def _expected_codes(amcu, x, step):
    """Line-major codes of one MVM step from integer math on the digits (copy 0)."""
    config = amcu.config
    digits = amcu.xbars[0].digits()                                  # (k, i, j)
    drive = np.array([((abs(int(v)) >> step) & 1) * (-1 if v < 0 else 1) for v in x])
    sums = np.einsum("i,kij->kj", drive, digits)                     # exact integers
    lsb = amcu.adcs[0].lsb_shift
    codes = np.floor_divide(sums + ((1 << lsb) >> 1), 1 << lsb) if lsb else sums
    bits = config.adc_code_bits
    codes = np.clip(codes, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    return codes.T.reshape(-1)                                       # line-major


def _unpack(value, count, width):
    out = []
    for _ in range(count):
        field = value & ((1 << width) - 1)
        out.append(field - (1 << width) if field >> (width - 1) else field)
        value >>= width
    return np.array(out)


def _pair(config, weights, range_mode="config"):
    mcus = []
    for _ in range(2):
        amcu = AnalogMCU(config, adc_range_mode=range_mode)
        amcu.program(weights)
        mcus.append(amcu)
    return mcus


def _state(amcu):
    return ([dict(x.events) for x in amcu.xbars], [(a.conversions, a.clipped) for a in amcu.adcs],
            [x.rng.bit_generator.state for x in amcu.xbars],
            [a.rng.bit_generator.state for a in amcu.adcs])


def _operands(config, seed, scale=2 ** 25):
    rng = np.random.default_rng(seed)
    n = config.xbar_size
    x = rng.integers(-2 ** (config.data_bits - 1), 2 ** (config.data_bits - 1), n)
    x[0] = -2 ** (config.data_bits - 1)             # magnitude 2**(data_bits-1): the top bit
    return rng.integers(-scale, scale, (n, n)), x


@pytest.mark.parametrize("config,clipping", [
    (SMALL, False), (SMALL.replace(adc_bits=6), True), (PRESETS["paper"], False),
    (SMALL.replace(noise=NoiseConfig(seed=5, program_noise=0.3, stuck_on_rate=0.05)), False)],
    ids=["small", "small_adc6_clipping", "paper", "small_programming_noise"])
def test_planned_steps_equal_integer_math_and_the_per_step_path(config, clipping):
    weights, x = _operands(config, 1)
    planned, stepped = _pair(config, weights, "calibrated" if clipping else "config")
    if clipping:    # the most negative digits driven by -1 on every row: the positive worst case
        n = config.xbar_size
        low = np.array([config.digit_range(k)[0] for k in range(config.n_slices)])
        for amcu in (planned, stepped):
            amcu.program_digits(np.broadcast_to(low[:, None, None], (config.n_slices, n, n)))
        x[:] = -(2 ** (config.data_bits - 1) - 1)
    port, ref = AnalogPort(config), AnalogPort(config)
    reads = []
    w = port.widths
    for step in range(config.input_steps):
        fields = _fields(config, x, step)
        needed = {k: fields[k] for k in port.needed(AnalogOp.MVM.value)}

        def read(name, fields=fields):
            reads.append(name)
            return fields[name]
        got = port.serve(planned, AnalogOp.MVM.value, needed, read=read)["mvm_codes"]
        want = ref.serve(stepped, AnalogOp.MVM.value, dict(needed))["mvm_codes"]
        assert got == want
        if config.noise.ideal:      # else the levels are not the digits
            np.testing.assert_array_equal(_unpack(got, w.n * w.slices, w.code_bits),
                                          _expected_codes(planned, x, step))
        assert _state(planned) == _state(stepped)
    assert reads == ["step", "row_mag"]           # one plan, made at step 0, then served
    if clipping:
        assert planned.adcs[0].clipped > 0        # the clipped counts were compared


@pytest.mark.parametrize("event", ["drive", "opa"])
def test_a_mispredicted_drive_or_a_changed_crossbar_is_served_per_step(event):
    config = SMALL
    weights, x = _operands(config, 2)
    planned, stepped = _pair(config, weights)
    port, ref = AnalogPort(config), AnalogPort(config)
    w = port.widths
    other = x.copy()
    other[3] = -other[3] if other[3] else 5        # another drive of row 3
    for step in range(config.input_steps):
        drive_x = other if event == "drive" and step == 2 else x
        fields = _fields(config, drive_x, step)
        if event == "opa" and step == 6:    # an OPA between steps changes copy 0
            for amcu in (planned, stepped):
                amcu.opa_step(0, np.eye(1, config.xbar_size, 1, dtype=np.int64)[0],
                              np.ones((config.n_slices, config.xbar_size), dtype=np.int64))
        needed = {k: fields[k] for k in port.needed(AnalogOp.MVM.value)}
        got = port.serve(planned, AnalogOp.MVM.value, needed,
                         read=lambda name, fields=fields: fields[name])["mvm_codes"]
        want = ref.serve(stepped, AnalogOp.MVM.value, dict(needed))["mvm_codes"]
        assert got == want
        np.testing.assert_array_equal(_unpack(got, w.n * w.slices, w.code_bits),
                                      _expected_codes(planned, drive_x, step))
        assert _state(planned) == _state(stepped)


def test_noisy_configurations_are_not_planned_and_draw_as_per_step():
    config = SMALL.replace(adc_bits=8, noise=NoiseConfig(seed=99, read_noise=0.3,
                                                        program_noise=0.2, adc_noise=0.4))
    weights, x = _operands(config, 3)
    planned, stepped = _pair(config, weights)
    assert planned.plan_samples(0, "mvm", np.zeros((2, config.xbar_size), dtype=np.int64)) is None
    port, ref = AnalogPort(config), AnalogPort(config)
    for step in range(config.input_steps):
        fields = _fields(config, x, step)
        needed = {k: fields[k] for k in port.needed(AnalogOp.MVM.value)}
        got = port.serve(planned, AnalogOp.MVM.value, needed,
                         read=lambda name, fields=fields: fields[name])
        assert got == ref.serve(stepped, AnalogOp.MVM.value, dict(needed))
        assert _state(planned) == _state(stepped)


@pytest.mark.parametrize("width", [1, 3, 13, 14, 16, 17, 33])
def test_pack_signed_rows_equals_python_integers(width):
    rng = np.random.default_rng(width)
    values = rng.integers(-(1 << (width - 1)), 1 << (width - 1), (5, 23))
    want = [sum((int(v) & ((1 << width) - 1)) << (i * width) for i, v in enumerate(row))
            for row in values]
    assert pack_signed_rows(values, width) == want
