"""Rolled kernels: the loop over the samples of a batch (docs/compiler.md, "Loops").

A rolled core runs a prologue that sets its loop registers (:data:`LOOP_REGISTERS`, the first
words of its register file, so that they can be ``ldx``/``stx`` bases), the loop body (the
lowering of one sample, whose per-sample data are addressed through the pointer registers),
then :func:`loop_control`'s ``alu_int`` updates and ``blt`` back to the body.
"""

from __future__ import annotations

from .errors import CompileError
from .ir import Op, Ref, Value

__all__ = ["LOOP_MODES", "LOOP_REGISTERS", "loop_control"]

#: How a kernel treats the batch: ``auto`` unrolls it (the Table 2 pipeline) when every core
#: fits ``imem_depth`` and rolls it into a loop otherwise; ``unrolled`` / ``rolled`` force one.
LOOP_MODES = ("auto", "unrolled", "rolled")

#: Reserved register words of a rolled kernel (the first ones: ldx/stx bases are 0 .. 63).
LOOP_REGISTERS = {"count": 0, "one": 1, "batch": 2, "x": 3, "x_stride": 4, "t": 5, "t_stride": 6}


def _register(core, name):
    value = Value(core, 1, name)
    value.addr = LOOP_REGISTERS[name]
    return Ref(value, 0, 1)


def loop_control(core, body_ops, model, config):
    """``(prologue, control)`` op lists of a rolled core: the loop registers are set, and
    after the body the pointers advance by one sample and the counter loops ``batch`` times."""
    sizes, batch = model.sizes, model.train.batch
    used = {op.transfer.index for op in body_ops
            if op.kind in ("ld", "st") and op.transfer is not None and op.transfer.index}
    strides = {"x": sizes[0], "t": sizes[-1]}
    limit = 1 << config.data_bits
    for name in sorted(used):
        if (batch - 1) * strides[name] >= limit or strides[name] >= limit // 2:
            raise CompileError(f"a loop over {batch} samples of {strides[name]} words needs "
                               f"shared-memory pointers past the {config.data_bits}-bit data word")
    r = lambda name: _register(core, name)        # noqa: E731
    prologue = [Op("set", core, dst=r("count"), imm=0, comment="loop: sample counter"),
                Op("set", core, dst=r("one"), imm=1),
                Op("set", core, dst=r("batch"), imm=batch, comment="loop: samples per batch")]
    control = []
    for name in sorted(used):
        prologue += [Op("set", core, dst=r(name), imm=0, comment=f"loop: {name} pointer"),
                     Op("set", core, dst=r(f"{name}_stride"), imm=strides[name])]
        control.append(Op("alu_int", core, fn="add", dst=r(name), srcs=(r(name), r(f"{name}_stride")),
                          comment=f"next sample's {name}"))
    control += [Op("alu_int", core, fn="add", dst=r("count"), srcs=(r("count"), r("one"))),
                Op("br", core, fn="blt", srcs=(r("count"), r("batch")), target=len(prologue),
                   comment="next sample")]
    return prologue, control
