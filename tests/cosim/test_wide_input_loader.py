"""cosim.wide_input_loader: chunked writes land in the right bits (Amaranth simulator), the
chunk map covers every bit once, bad keywords are rejected with the value quoted."""

import random

import pytest
from amaranth.hdl import Module, Shape, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from panther.cosim.wide_input_loader import INPUT_BITS_LIMIT, WideInputLoader, input_bits


class _Echo(wiring.Component):
    """Outputs copy the inputs (so the test sees what reaches the inner component), plus a
    sync counter to show the ``sync`` domain still reaches the inner component."""

    wide: In(40)
    swide: In(signed(37))
    narrow: In(8)
    wide_out: Out(40)
    swide_out: Out(signed(37))
    narrow_out: Out(8)
    count: Out(4)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.wide_out.eq(self.wide), self.swide_out.eq(self.swide),
                     self.narrow_out.eq(self.narrow)]
        m.d.sync += self.count.eq(self.count + 1)
        return m


def test_members_keep_names_except_the_wide_inputs():
    top = WideInputLoader(_Echo(), max_input_bits=16, chunk_bits=16)
    names = set(top.signature.members)
    assert {"narrow", "wide_out", "swide_out", "narrow_out", "count"} <= names
    assert not {"wide", "swide"} & names
    assert top.loaded == {"wide": 40, "swide": 37}
    assert top.signature.members["swide_out"].shape == signed(37)
    assert Shape.cast(top.signature.members["load_data"].shape).width == 16
    # 3 + 3 chunks: load_sel needs 3 bits
    assert Shape.cast(top.signature.members["load_sel"].shape).width == 3
    assert input_bits(top.signature) == 8 + 1 + 3 + 16 + 1


@pytest.mark.parametrize("widths,max_bits,chunk", [((40, 37), 16, 16), ((40, 37), 36, 7),
                                                   ((40, 37), 38, 64), ((40, 37), 64, 8)])
def test_chunk_map_covers_every_bit_once(widths, max_bits, chunk):
    top = WideInputLoader(_Echo(), max_input_bits=max_bits, chunk_bits=chunk)
    expected = {name: w for name, w in zip(("wide", "swide"), widths) if w > max_bits}
    cmap = top.chunk_map
    assert set(cmap) == set(expected)
    sels = [sel for chunks in cmap.values() for sel, _, _ in chunks]
    assert sorted(sels) == list(range(len(sels)))         # unique, dense
    for name, width in expected.items():
        covered = [0] * width
        for _, offset, w in cmap[name]:
            assert 1 <= w <= chunk
            for bit in range(offset, offset + w):
                covered[bit] += 1
        assert covered == [1] * width


def test_chunked_writes_land_in_the_right_bits():
    top = WideInputLoader(_Echo(), max_input_bits=16, chunk_bits=16)
    cmap = top.chunk_map
    rng = random.Random(7)
    sim = Simulator(top)
    sim.add_clock(1e-6)           # sync domain: the inner counter must run
    seen = {}

    async def load(ctx, name, value):
        for sel, offset, width in cmap[name]:
            ctx.set(top.load_sel, sel)
            # garbage above the chunk's width must be ignored
            ctx.set(top.load_data, ((value >> offset) & ((1 << width) - 1)) | (0xFFFF << width & 0xFFFF))
            ctx.set(top.load_we, 1)
            await ctx.delay(1e-9)
            ctx.set(top.load_clk, 1)
            await ctx.delay(1e-9)
            ctx.set(top.load_clk, 0)
            ctx.set(top.load_we, 0)
            await ctx.delay(1e-9)

    async def bench(ctx):
        assert ctx.get(top.wide_out) == 0 and ctx.get(top.swide_out) == 0
        for _ in range(5):
            wide, swide = rng.getrandbits(40), rng.randrange(-(1 << 36), 1 << 36)
            await load(ctx, "wide", wide)
            assert ctx.get(top.wide_out) == wide
            await load(ctx, "swide", swide & ((1 << 37) - 1))
            assert ctx.get(top.swide_out) == swide
            assert ctx.get(top.wide_out) == wide          # other input untouched
        # a write with load_we low changes nothing
        ctx.set(top.load_sel, 0)
        ctx.set(top.load_data, 0xABCD)
        await ctx.delay(1e-9)
        ctx.set(top.load_clk, 1)
        await ctx.delay(1e-9)
        ctx.set(top.load_clk, 0)
        assert ctx.get(top.wide_out) == wide
        # one chunk alone: only its bits change
        sel, offset, width = cmap["wide"][1]
        ctx.set(top.load_sel, sel)
        ctx.set(top.load_data, 0)
        ctx.set(top.load_we, 1)
        await ctx.delay(1e-9)
        ctx.set(top.load_clk, 1)
        await ctx.delay(1e-9)
        assert ctx.get(top.wide_out) == wide & ~(((1 << width) - 1) << offset)
        ctx.set(top.narrow, 0x5A)
        await ctx.tick()
        assert ctx.get(top.narrow_out) == 0x5A
        before = ctx.get(top.count)
        await ctx.tick().repeat(3)
        assert ctx.get(top.count) == (before + 3) % 16
        seen["done"] = True

    sim.add_testbench(bench)
    sim.run()
    assert seen == {"done": True}


@pytest.mark.parametrize("kwargs,quoted", [
    ({"max_input_bits": 0}, "0"), ({"max_input_bits": "2048"}, "'2048'"),
    ({"max_input_bits": True}, "True"), ({"chunk_bits": -3}, "-3"), ({"chunk_bits": 1.5}, "1.5"),
])
def test_bad_keywords_are_rejected_with_the_value(kwargs, quoted):
    with pytest.raises(ValueError, match=quoted):
        WideInputLoader(_Echo(), **kwargs)


def test_inner_must_be_a_component():
    with pytest.raises(TypeError, match="'tile'"):
        WideInputLoader("tile")


def test_name_clash_with_the_load_bus():
    class Clash(wiring.Component):
        load_we: In(1)

        def elaborate(self, platform):
            return Module()

    with pytest.raises(TypeError, match="'load_we'"):
        WideInputLoader(Clash())


def test_too_many_input_bits_names_the_total():
    class Huge(wiring.Component):
        a: In(40000)
        b: In(40000)

        def elaborate(self, platform):
            return Module()

    # Nothing is loaded with this threshold: 80000 inputs + the bus stay at the top.
    total = 80000 + 1 + 1 + 1024 + 1
    with pytest.raises(ValueError, match=f"{total} input bits"):
        WideInputLoader(Huge(), max_input_bits=50000)
    top = WideInputLoader(Huge(), max_input_bits=2048)
    assert input_bits(top.signature) < INPUT_BITS_LIMIT


@pytest.mark.parametrize("config,cores,mode", [("small", 2, "direct"), ("paper", 1, "direct"),
                                               ("paper", 2, "load"), ("paper", 8, "load")])
def test_program_runner_loads_only_what_amaranth_cannot_take(config, cores, mode):
    from panther.config import PRESETS
    from panther.cosim.program_runner import tile_input_bits, wide_input_mode
    from panther.hdl.tile import TileSignature

    cfg = PRESETS[config].replace(cores_per_tile=cores)
    signature = TileSignature(cfg)       # no tile is built: its ports come from the config
    # Independent count: the MCU ADC code vectors (MVM and MTVM) dominate the inputs.
    code_bits = 2 * cfg.xbar_size * cfg.n_slices * cfg.adc_code_bits
    total = tile_input_bits(signature)
    assert total > cores * cfg.mcus_per_core * code_bits
    assert (total > INPUT_BITS_LIMIT) == (mode == "load")
    assert wide_input_mode(signature) == mode
    assert wide_input_mode(signature, "direct") == "direct"
    assert wide_input_mode(signature, "load") == "load"
    if mode == "load":
        from panther.cosim.program_runner import LOAD_CHUNK_BITS, LOADED_INPUT_BITS
        from panther.cosim.wide_input_loader import load_plan

        plan = load_plan(signature, max_input_bits=LOADED_INPUT_BITS, chunk_bits=LOAD_CHUNK_BITS)
        assert input_bits(wiring.Signature(plan.members())) + 2 <= INPUT_BITS_LIMIT
        loaded = {port.name for port in plan.loaded}
        assert {f"c{i}_analog_{m}_{v}_codes" for i in range(cores)
                for m in range(cfg.mcus_per_core) for v in ("mvm", "mtvm")} <= loaded
        assert all("_analog_" in name for name in loaded)


def test_program_runner_rejects_a_bad_wide_inputs_value():
    from panther.config import PRESETS
    from panther.cosim.program_runner import TileSimulation
    from panther.errors import UserError

    with pytest.raises(UserError, match="'loaded'"):
        TileSimulation(PRESETS["small"], wide_inputs="loaded")
