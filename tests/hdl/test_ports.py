"""The port signatures of hdl/ports.py, the line-major rule and the flattening of hdl/flatten.py."""

import numpy as np
import pytest
from amaranth.hdl import Module, Shape, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.flatten import FlatPorts, flat_ports, input_bits
from panther.hdl.ports import (
    COUNT_BITS,
    AnalogOp,
    DebugPortSignature,
    McuAnalogSignature,
    RegisterBusSignature,
    SharedMemoryPortSignature,
    SmemAccessSignature,
    SmemHostSignature,
    XBarBufferSignature,
    from_line_major,
    line_major,
    to_line_major,
)

SMALL = PRESETS["small"]
CONFIG_SIGNATURES = (McuAnalogSignature, XBarBufferSignature, SharedMemoryPortSignature,
                     SmemAccessSignature, SmemHostSignature)


@pytest.mark.parametrize("signature", CONFIG_SIGNATURES)
def test_signatures_reject_a_non_config(signature):
    with pytest.raises(TypeError, match="must be a PantherConfig, not 'small'"):
        signature("small")


@pytest.mark.parametrize("signature", CONFIG_SIGNATURES)
def test_signatures_of_equal_configs_are_equal(signature):
    assert signature(SMALL) == signature(SMALL.replace())
    other = SMALL.replace(xbar_size=32, deferred_depth=4, data_bits=12, data_frac_bits=6,
                          weight_frac_bits=12, noc_flit_bits=24)
    assert signature(SMALL) != signature(other)


def test_analog_port_widths_follow_the_config():
    c = SMALL
    n, slices = c.xbar_size, c.n_slices
    members = McuAnalogSignature(c).members
    assert members["op"].flow == Out and members["op"].shape is AnalogOp
    assert members["ack"].flow == In
    for name in ("mvm_codes", "mtvm_codes"):
        layout = members[name].shape
        assert members[name].flow == In and layout.size == n * slices * c.adc_code_bits
        assert layout.elem_shape.elem_shape == signed(c.adc_code_bits)
    for name in ("row_mag", "col_mag"):          # |x| of a data word: data_bits unsigned
        assert members[name].flow == Out and members[name].shape.size == n * c.data_bits
        assert members[name].shape.elem_shape == unsigned(c.data_bits)
    assert "opa_chunks" not in members           # an OPA phase carries its operand instead
    assert members["wdata"].shape.size == n * max(c.slice_bits)
    assert Shape.cast(DebugPortSignature().members["wdata"].shape) == unsigned(64)
    assert RegisterBusSignature().members["rdata"].flow == In
    assert Shape.cast(SharedMemoryPortSignature(c).members["count"].shape) == unsigned(COUNT_BITS)


def test_line_major_layout_puts_line_j_slice_k_at_field_j_times_slices_plus_k():
    lines, slices, width = 5, 3, 4
    layout = line_major(unsigned(width), lines=lines, slices=slices)
    for j in range(lines):
        for k in range(slices):
            assert layout[j].offset + layout[j].shape[k].offset == (j * slices + k) * width
    with pytest.raises(ValueError, match="slices must be a positive integer, not 0"):
        line_major(unsigned(4), lines=2, slices=0)


def test_numpy_twins_follow_the_layout():
    rng = np.random.default_rng(1)
    lines, slices, width = 6, 4, 5
    per_slice = rng.integers(-(1 << (width - 1)), 1 << (width - 1), (slices, lines))
    fields = to_line_major(per_slice)
    raw = sum((int(v) & ((1 << width) - 1)) << (f * width) for f, v in enumerate(fields))
    view = line_major(signed(width), lines=lines, slices=slices).from_bits(raw)
    assert all(view[j][k] == per_slice[k, j] for j in range(lines) for k in range(slices))
    assert np.array_equal(from_line_major(fields, slices=slices), per_slice)
    with pytest.raises(ValueError, match="7 fields"):
        from_line_major(np.zeros(7), slices=slices)


class _Nested(wiring.Component):
    def __init__(self):
        super().__init__({
            "bus": In(RegisterBusSignature()),
            "lanes": Out(wiring.Signature({"v": Out(data.ArrayLayout(signed(3), 2)),
                                           "go": In(1)})).array(2),
            "op": Out(AnalogOp),
        })

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.bus.rdata.eq(self.bus.addr + 1), self.op.eq(AnalogOp.OPA)]
        for k, lane in enumerate(self.lanes):
            m.d.comb += [lane.v[0].eq(lane.go * -1), lane.v[1].eq(k)]
        return m


def test_flat_ports_names_flows_and_plain_shapes():
    ports = {p.name: p for p in flat_ports(_Nested().signature)}
    assert list(ports) == ["bus_req", "bus_we", "bus_addr", "bus_wdata", "bus_ack", "bus_rdata",
                           "lanes_0_v", "lanes_0_go", "lanes_1_v", "lanes_1_go", "op"]
    assert ports["bus_addr"].flow == In and ports["bus_rdata"].flow == Out
    assert ports["lanes_1_v"].shape == unsigned(6) and ports["lanes_1_go"].flow == In
    assert ports["op"].shape == unsigned(5)
    assert input_bits(_Nested().signature) == 1 + 1 + 32 + 32 + 1 + 1     # req we addr wdata go go


def test_flat_ports_reject_clashing_and_reserved_names():
    clash = wiring.Signature({"a_b": Out(1), "a": Out(wiring.Signature({"b": Out(1)}))})
    with pytest.raises(ValueError, match="both flatten to 'a_b'"):
        flat_ports(clash)
    with pytest.raises(ValueError, match="'x__y'"):
        flat_ports(wiring.Signature({"x_": Out(wiring.Signature({"y": Out(1)}))}))


def test_flat_top_passes_every_port_through():
    dut = FlatPorts(_Nested())
    sim = Simulator(dut)

    async def tb(ctx):
        ctx.set(dut.bus_addr, 41)
        ctx.set(dut.lanes_1_go, 1)
        assert ctx.get(dut.bus_rdata) == 42
        assert ctx.get(dut.lanes_1_v) == (1 << 3) | 0b111      # v[1] = 1, v[0] = -1
        assert ctx.get(dut.lanes_0_v) == 0
        assert ctx.get(dut.op) == AnalogOp.OPA.value

    sim.add_testbench(tb)
    sim.run()
