"""A run aborted anywhere (``run`` dropped) leaves nothing that changes the next run.

The execute stage's data registers have no reset (docs/synthesis.md, "xreset"): each is
loaded before it is read. A program aborted in every phase of its instructions and then
run to the end must give the golden model's state and event counts, and the cycles of an
uninterrupted run. The program reads no location it writes (no loop counter, no ``sna``),
so its aborted runs do not change its inputs.
"""

from panther.config import PRESETS
from panther.isa.assembler import assemble

from .core_harness import compare, run_rtl

CFG = PRESETS["small"]

PROGRAM = """
    .data 0, 5, -3, 7
    .data 10, 0.5, -1.25, 3.0, -7.5, 7.9, 0.001
    .data 20, 1.5, 2.0, -0.5, 7.99, 4.0, -8
    set 80, -3                  # first: a stale operand select would misplace it
    alu add, 30, 10, 20, 6
    alu_int add, 3, 0, 1
    alu mul, 40, 10, 20, 6
    blt 1, 0, skip
    alui sigmoid, 50, 10, 0, 5
skip:
    cp 60, 10, 6
    alu_int sub, 4, 1, 2
    alui relu, 70, 20, 0, 6
    jmp end
    set 81, 9
end:
    hlt
"""


def test_aborted_runs_leave_no_trace():
    image = assemble(PROGRAM, config=CFG)
    fresh, gold = compare(image)
    assert gold["status"] == "halted"
    aborts = tuple(range(1, fresh["cycles"] + 2, 3))
    rtl = run_rtl(image, aborts=aborts)
    for key in ("status", "pc", "instructions", "cycles", "overflow", "deferred", "events"):
        assert rtl[key] == fresh[key], (key, rtl[key], fresh[key])
    assert (rtl["memory"] == fresh["memory"]).all()
