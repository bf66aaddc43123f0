"""The clock generated inside the design (cosim.clock, cosim.simulators.build): the text
transformation, and a counter clocked by it under each simulator."""

from pathlib import Path

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out
from simulator_required import require_simulator

from panther.cosim import simulators as sims
from panther.cosim.clock import clock_in_design, generator_tag
from panther.cosim.registered_top import RegisteredInputs
from panther.cosim.verilog import write_verilog

HERE = Path(__file__).resolve().parent

TEXT = """(* top = 1 *)
module top(a, clk, \\y$1 );
  input a;
  wire a;
  input clk;
  wire clk;
  output \\y$1 ;
  reg \\y$1 ;
  always @(posedge clk) \\y$1 <= a;
endmodule

module other(clk, q);
  input clk;
  wire clk;
  output q;
endmodule
"""


def test_clock_in_design_turns_the_top_clk_input_into_a_generated_register():
    text = clock_in_design(TEXT, "top")
    assert text.startswith(generator_tag())
    top, other = text.split("module other", 1)
    assert "module top(a, \\y$1 );" in top          # an escaped name keeps its space
    assert "input clk;" not in top and "wire clk;" not in top
    assert "reg clk " in top and "reg [31:0] clk_half_ps " in top and "#clk_half;" in top
    assert "input clk;" in other                    # other modules are left alone


def test_clock_in_design_leaves_a_top_without_clk_alone():
    assert clock_in_design(TEXT, "other".replace("other", "missing")) is None
    assert clock_in_design(TEXT.replace("clk", "ck"), "top") is None


def test_generator_delays_are_in_the_time_unit():
    assert "#(clk_half / 1000.0);" in clock_in_design(TEXT, "top", time_unit_ps=1000)


class Counter(wiring.Component):
    count: Out(16)

    def elaborate(self, platform):
        m = Module()
        value = Signal(16)
        m.d.sync += value.eq(value + 1)
        m.d.comb += self.count.eq(value)
        return m


@pytest.mark.sim
@pytest.mark.parametrize("clock", ["design", "testbench"])
@pytest.mark.parametrize("simulator", ["verilator", "icarus"])
def test_counter_counts_the_edges_of_the_clock(tmp_path, simulator, clock):
    require_simulator(simulator)
    root = tmp_path / "cosim"
    source = write_verilog(lambda: RegisteredInputs(Counter()), name="panther_clocktest",
                           sources=(__name__, RegisteredInputs.__module__), build_root=root)
    runner = sims.build(simulator, [source], "panther_clocktest", build_root=root, clock=clock)
    xml = sims.run(runner, "panther_clocktest", "cocotb_clock_tests", python_path=[HERE],
                   extra_env={"CLOCK_TEST_PERIOD": "1000",
                              "CLOCK_TEST_DESIGN": "1" if clock == "design" else "0"})
    results = sims.testcase_results(xml)
    assert results == {"generated_clock_has_the_period_and_drives_the_design": None}, results
