"""Flip-flops and LUTs copied so that none drives more than ``max_fanout`` sinks (Yosys JSON
netlist).

A flip-flop whose output enables or selects hundreds of others across the FPGA is a net that
no placement makes short: on the reduced tile such nets (an MCU controller's load flag into
the clock enables of a shift-and-add stage) were critical with no logic at all. Commercial
tools copy the driver (a "max fan-out" constraint); Yosys and nextpnr do not, and Yosys merges
equal flip-flops written in the RTL. This pass runs between Yosys and nextpnr on the netlist
nextpnr reads: each ``TRELLIS_FF`` or ``LUT4`` (:data:`COPIED`) with more than ``max_fanout``
sinks gets copies (same parameters, attributes and inputs, so the same value in every cycle:
a reset or enable decoded by a LUT is copied as well as a registered one), and its sinks, in the
order of their names (which follows the design's hierarchy and bit order), are split evenly
among them; the placer then puts each copy near its share. Nets that reach a clock input or
a port of the top module are left as they are.

With ``sink_ports`` (for example ``{"LSR"}``, :data:`RESET_PORTS`) only the nets that reach
one of those input ports are split: ``panther fpga --max-reset-fanout`` copies the flip-flop
that drives the tile's reset (thousands of ``LSR`` pins) and leaves every other net alone.

The copies of a driver all read its inputs, so an input that was one sink becomes as many:
the pass runs again until no net is over the bound, which copies the stage before as well
(along a chain of flip-flops such as a reset synchroniser, a tree of copies that all change
in the same cycle as the original did).
"""

import math
import re

__all__ = ["CLOCK_PORTS", "COPIED", "MAX_PASSES", "RESET_PORTS", "check_max_fanout",
           "replicate_fanout"]

#: Cell types that are copied, with their output port.
COPIED = {"TRELLIS_FF": "Q", "LUT4": "Z"}

#: Input ports that take a clock: a net reaching one is not split.
CLOCK_PORTS = frozenset({"CLK", "WCK", "CLKI", "CLKA", "CLKB", "CLKFB", "ECLK", "SCLK"})

#: The ECP5 slice's set/reset input: a net that reaches one is a reset or a synchronous clear.
RESET_PORTS = frozenset({"LSR"})

_DIGITS = re.compile(r"(\d+)")


def _fresh(taken, name):
    """``name``, or ``name`` with a suffix ``$2``, ``$3``... that ``taken`` does not hold."""
    if name not in taken:
        return name
    n = 2
    while f"{name}${n}" in taken:
        n += 1
    return f"{name}${n}"


def _natural(name):
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(name)]


#: Passes of :func:`replicate_fanout` at most (a chain deeper than this keeps one wide net).
MAX_PASSES = 8


def check_max_fanout(max_fanout):
    """``max_fanout`` if it is an integer of at least 2, else raise ``ValueError``."""
    if isinstance(max_fanout, bool) or not isinstance(max_fanout, int) or max_fanout < 2:
        raise ValueError(f"max_fanout must be an integer of at least 2, not {max_fanout!r}")
    return max_fanout


def replicate_fanout(netlist, *, top, max_fanout, sink_ports=None):
    """Split, in place, every net of module ``top`` of the Yosys JSON ``netlist`` that a cell
    of :data:`COPIED` drives with more than ``max_fanout`` sinks, pass after pass until none
    is left or :data:`MAX_PASSES` (module docstring). ``sink_ports`` (None: every net) limits
    the split to nets that reach one of these input ports.

    Returns
    -------
    dict
        ``{"max_fanout", "sink_ports", "nets", "copies", "largest", "passes"}``: nets split,
        cells added, the largest fan-out before (0 when none was split), and the passes that
        split any.
    """
    check_max_fanout(max_fanout)
    if sink_ports is not None:
        if isinstance(sink_ports, str) or not all(isinstance(p, str) for p in sink_ports) \
                or not sink_ports:
            raise ValueError(f"sink_ports must be a non-empty set of port names, not {sink_ports!r}")
        sink_ports = frozenset(sink_ports)
    total = {"max_fanout": max_fanout, "sink_ports": None if sink_ports is None else sorted(sink_ports),
             "nets": 0, "copies": 0, "largest": 0, "passes": 0}
    for _ in range(MAX_PASSES):
        one = _one_pass(netlist, top=top, max_fanout=max_fanout, sink_ports=sink_ports)
        if not one["copies"]:
            break
        total["passes"] += 1
        total["nets"] += one["nets"]
        total["copies"] += one["copies"]
        total["largest"] = max(total["largest"], one["largest"])
    return total


def _one_pass(netlist, *, top, max_fanout, sink_ports):
    """One pass of :func:`replicate_fanout` (the copies' input nets are not split)."""
    try:
        module = netlist["modules"][top]
        cells = module["cells"]
    except (KeyError, TypeError):
        raise ValueError(f"netlist has no module {top!r} with cells") from None
    sinks, drivers, blocked = {}, {}, set()
    for name, cell in cells.items():
        directions = cell.get("port_directions", {})
        for port, bits in cell.get("connections", {}).items():
            direction = directions.get(port)
            for index, bit in enumerate(bits):
                if isinstance(bit, str):            # a constant
                    continue
                if direction == "output":
                    drivers[bit] = (name, port)
                elif direction == "input":
                    sinks.setdefault(bit, []).append((name, port, index))
                    if port in CLOCK_PORTS:
                        blocked.add(bit)
                else:
                    blocked.add(bit)                # inout: never split
    for port in module.get("ports", {}).values():
        blocked.update(b for b in port.get("bits", []) if not isinstance(b, str))
    names, used = {}, [1]
    for netname, net in module.get("netnames", {}).items():
        bits = [b for b in net.get("bits", []) if not isinstance(b, str)]
        used += bits
        if not net.get("hide_name"):
            for bit in bits:
                names.setdefault(bit, netname)
    used += list(drivers) + list(sinks)
    next_bit = max(used) + 1
    split = copies = largest = 0
    for bit, (driver, port) in sorted(drivers.items()):
        users = sinks.get(bit, [])
        if (len(users) <= max_fanout or bit in blocked
                or COPIED.get(cells[driver].get("type")) != port):
            continue
        if sink_ports is not None and not any(p in sink_ports for _, p, _ in users):
            continue
        users.sort(key=lambda user: (_natural(user[0]), user[1], user[2]))
        groups = math.ceil(len(users) / max_fanout)
        size = math.ceil(len(users) / groups)
        original = cells[driver]
        for k in range(1, groups):
            copy_name = _fresh(cells, f"{driver}$fanout{k}")
            copy = {key: value for key, value in original.items() if key != "connections"}
            copy["parameters"] = dict(original.get("parameters", {}))
            copy["attributes"] = dict(original.get("attributes", {}))
            copy["connections"] = {p: list(b) for p, b in original["connections"].items()}
            copy["connections"][port] = [next_bit]
            cells[copy_name] = copy
            netnames = module.setdefault("netnames", {})
            netnames[_fresh(netnames, f"{names.get(bit, driver)}$fanout{k}")] = {
                "hide_name": 0, "bits": [next_bit], "attributes": {}}
            for user, user_port, index in users[k * size:(k + 1) * size]:
                cells[user]["connections"][user_port][index] = next_bit
            next_bit += 1
            copies += 1
        split += 1
        largest = max(largest, len(users))
    return {"max_fanout": max_fanout, "nets": split, "copies": copies, "largest": largest}
