"""The longest combinational path of a synthesised top, in logic levels, from Yosys' ``ltp``.

The figure is taken on one well-defined netlist: the flattened design after Yosys' generic
``synth`` has mapped every cell to its internal gate library by ``techmap`` and *before* ABC
re-synthesises it (``synth -noabc``, then ``ltp -noff``). Each level is one generic gate
(``$_AND_``, ``$_OR_``, ``$_XOR_``, ``$_NOT_``, ``$_MUX_``, ...); flip-flops cut paths, and a
path runs from a flip-flop output or input port to a flip-flop input or output port. Before
ABC the depth is the structure of the RTL as written (an ``N``-input XOR chain is ``N - 1``
levels, an adder is Yosys' Brent-Kung carry network), so it is deterministic and moves only
when the RTL does; ABC's delay-driven restructuring would give fewer, heuristic levels
(docs/synthesis.md).
"""

import re

from .tools import ToolError

__all__ = ["LTP_FILE", "parse_ltp", "LOGIC_LEVELS_NETLIST"]

#: Yosys' ``ltp -noff`` output, written by the synthesis script.
LTP_FILE = "ltp.txt"
#: The netlist the levels are counted on (stored in the report next to the figure).
LOGIC_LEVELS_NETLIST = "yosys generic gates after techmap, before abc (ltp -noff)"

_HEAD = re.compile(r"^Longest topological path in (\S+) \(length=(\d+)\):\s*$")
_NODE = re.compile(r"^\s*(\d+): (.+?)(?: \(via \S+\))?\s*$")
_FF = re.compile(r"^\s*ff: (.+?)(?: \(via \S+\))?\s*$")
_LOOP = re.compile(r"Detected loop at (.+?) in (\S+)\s*$")


def _plain(name):
    """``\\y [3]`` -> ``y[3]`` (Yosys' public names drop their backslash)."""
    name = name.strip()
    if name.startswith("\\"):
        name = name[1:]
    return re.sub(r" \[(\d+)\]$", r"[\1]", name)


def parse_ltp(text, top, *, source=LTP_FILE):
    """Logic levels of module ``top`` from the text of ``ltp -noff``.

    Returns ``{"logic_levels": int or None, "logic_path": {"from": str, "to": str} or None,
    "logic_loop": str or None}``. ``from`` is the register or port the path starts at,
    ``to`` the register it ends in (or the last net, for a path ending at an output port).
    A combinational loop makes the longest path undefined: ``logic_levels`` and
    ``logic_path`` are then None and ``logic_loop`` names the net Yosys found on the loop.
    Raises :class:`ToolError` naming ``source`` when the text has no path for ``top``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {text!r}")
    loop, levels, nodes, ffs, in_top = None, None, [], [], False
    for line in text.splitlines():
        found = _LOOP.search(line)
        if found and found.group(2) == top and loop is None:
            loop = _plain(found.group(1))
        head = _HEAD.match(line)
        if head:
            in_top = head.group(1) == top
            if in_top:
                if levels is not None:
                    raise ToolError(f"parse {source}", f"two longest paths for {top}")
                levels = int(head.group(2))
            continue
        if not in_top:
            continue
        if (ff := _FF.match(line)) is not None:
            ffs.append(_plain(ff.group(1)))
        elif (node := _NODE.match(line)) is not None:
            if int(node.group(1)) != len(nodes):
                raise ToolError(f"parse {source}", f"path node {node.group(1)} of {top} out "
                                f"of order in {line.strip()!r}")
            nodes.append(_plain(node.group(2)))
        elif line.strip():
            in_top = False                          # the next pass' output
    if levels is None:
        raise ToolError(f"parse {source}", f"no 'Longest topological path in {top}' line: "
                        "Yosys' ltp output is missing or truncated")
    if len(nodes) != levels + 1:
        raise ToolError(f"parse {source}", f"the path of {top} has length={levels} but "
                        f"{len(nodes)} nodes")
    if loop is not None:
        return {"logic_levels": None, "logic_path": None, "logic_loop": loop}
    return {"logic_levels": levels,
            "logic_path": {"from": nodes[0], "to": ffs[0] if ffs else nodes[-1]},
            "logic_loop": None}
