"""Leave the all-zero memory initialisers out of the Verilog that Verilator compiles.

Yosys writes a memory's initial contents as an ``initial`` block with one assignment per
word, zeros included (``fifos[141311] = 16'h0000;``). The paper tile's network interface
has about 200 000 such words (its receive FIFOs, per-channel tables and credit queue, at
8832 channels), which Verilator parses and folds back into a table. A Verilated model starts
every variable at 0 (the runtime's ``+verilator+rand+reset`` default; nothing here sets it),
so a zero word needs no assignment. Icarus starts memories at X: its text keeps them
(:func:`cosim.verilog.enabled_registers` chooses the Verilator text).
"""

import re

__all__ = ["strip_zero_memory_init"]

# One word of a memory set to zero, as Yosys's write_verilog writes it.
_ZERO_WORD = re.compile(r"^\s+\\?[^\s\[]+\s*\[\d+\]\s*=\s*\d+'[hbd]0+;\s*$")


def strip_zero_memory_init(text):
    """``text`` without the zero word assignments of its ``initial`` blocks, and without a
    block left empty; a block with any other statement keeps that statement. Returns the
    new text."""
    out = []
    block = raw = None           # the initial block being read: the lines kept, all its lines
    depth = 0                    # begin ... end nesting inside it
    for line in text.split("\n"):
        if block is None:
            if line.strip() == "initial begin":
                block, raw, depth = [line], [line], 1
            else:
                out.append(line)
            continue
        raw.append(line)
        words = line.split()
        if words and words[-1] == "begin":
            depth += 1
        elif words[:1] == ["end"]:
            depth -= 1
        if depth == 0:
            if len(block) > 1:
                out.extend(block)
                out.append(line)
            block = None
        elif not _ZERO_WORD.match(line):
            block.append(line)
    if block is not None:        # no end: not a block this function understands, kept whole
        out.extend(raw)
    return "\n".join(out)
