"""Core-level programs in the Amaranth simulator, checked against the golden model."""

import pytest

from isa.assembler import assemble
from panther.config import PRESETS

from .core_harness import compare

CFG = PRESETS["small"]


def _asm(text, config=CFG):
    return assemble(text, config=config)


def test_scalar_loop_and_vectors():
    image = _asm("""
        .data 0, 0, 5, 1            # counter, limit, one
        .data 10, 0.5, -1.25, 3.0, -7.5, 7.9, 0.001
        .data 20, 1.5, 2.0, -0.5, 7.99, 4.0, -8
    loop:
        alu_int add, 0, 0, 2
        alu add, 30, 10, 20, 6
        alu mul, 40, 10, 20, 6
        alui sigmoid, 50, 10, 0, 6
        alui tanh, 60, 10, 0, 6
        alui sna, 40, 10, 3, 6
        cp 11, 10, 6
        blt 0, 1, loop
        set 70, -3
        hlt
    """)
    rtl, gold = compare(image)
    assert gold["status"] == "halted" and rtl["cycles"] > 0
