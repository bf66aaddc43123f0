"""Leave Amaranth's debug field wires out of the Verilog a simulator compiles.

For every signal with a :mod:`amaranth.lib.data` layout, Amaranth's Verilog has one wire per
field and array element, named after it (``\\c6__analog__1__wdata[10]``,
``\\port__op.kind``), each only assigned its slice of the signal: a waveform shows the fields
by name. Nothing reads them. The paper tile's top level has hundreds of thousands (the
analog-port vectors of 16 MCUs, element by element: most of its 41 MB), and Verilator parses
and then removes every one; :func:`strip_debug_fields` drops them from the text before, and a
build that records waveforms keeps them (:class:`cosim.tile_simulation.TileSimulation`).
"""

import re
from collections import Counter

__all__ = ["strip_debug_fields"]

# An escaped identifier (it ends at white space) naming a field: "[<index>]" or ".<name>"
# after the signal's name.
_FIELD = r"\\[^\s\[.]+\S*?(?:\[\d+\]|\.[A-Za-z_][A-Za-z0-9_$]*)"
_WIRE = re.compile(rf"^\s*wire\s+(?:signed\s+)?(?:\[\d+:\d+\]\s+)?({_FIELD})\s*;\s*$")
_ASSIGN = re.compile(rf"^\s*assign\s+({_FIELD})\s*=[^;]*;\s*$")
_ESCAPED = re.compile(r"\\\S+")


def strip_debug_fields(text):
    """``text`` (Verilog as Amaranth writes it) without the field wires that nothing reads:
    a field's ``wire`` line and its ``assign`` line go, unless its name appears anywhere
    else in its module. Returns the new text.

    Names are counted per module: a unit's wrapper and the module it wraps both declare the
    fields of the same ports (``\\c7__analog__1__mvm_codes[63][3]`` in the paper tile's top
    level and in its ``tile``), and counted over the whole file neither was dropped."""
    lines = text.split("\n")
    module = [0] * len(lines)    # line index -> the module it is in (its number)
    fields = {}                  # line index -> field name
    current = 0
    for i, line in enumerate(lines):
        if line.startswith("module "):
            current += 1
        module[i] = current
        if not line.lstrip().startswith(("wire", "assign")) or "\\" not in line:
            continue
        found = _WIRE.match(line) or _ASSIGN.match(line)
        if found:
            fields[i] = found.group(1)
    declared = {(module[i], name) for i, name in fields.items()
                if lines[i].lstrip().startswith("wire")}
    # A name is dropped only when its declaration and its assignment are all there is of it.
    seen = Counter(key for i, name in fields.items() if (key := (module[i], name)) in declared)
    used = Counter()
    for i, line in enumerate(lines):
        if "\\" in line:
            used.update(key for token in _ESCAPED.findall(line)
                        if (key := (module[i], token)) in declared)
    drop = {key for key in declared if seen[key] == 2 and used[key] == 2}
    return "\n".join(line for i, line in enumerate(lines)
                     if i not in fields or (module[i], fields[i]) not in drop)
