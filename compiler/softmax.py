"""The softmax of the cross-entropy loss, lowered to VFU operations on one core.

Per sample, on the reducer of the last layer's (single) output block (docs/compiler.md,
"Softmax cross-entropy"): the max of the logits by a :func:`tree`, ``exp(z - max)`` (the max
:func:`broadcast` to a vector), the exps scaled by ``2**-k`` (:func:`softmax_shift`), their
sum by a tree, its ``recip``, the probabilities ``p`` (the kernel's outputs) and the error
``p - t``. The functions take the lowering (:class:`compiler.lower._Lowering`) they emit into.
"""

from __future__ import annotations

import math

from .errors import CompileError
from .ir import Ref

__all__ = ["softmax_shift", "tree", "broadcast", "softmax_error"]


def softmax_shift(model, config):
    """``k`` of the softmax: the exps are scaled by ``2**-k`` before they are summed, so that the
    sum of ``n`` words of at most 1.0 stays below half the data word's range and its
    reciprocal (at most ``2**k``) fits. Raises CompileError for an output layer the softmax
    cannot serve (more outputs than that allows, or outputs split over column blocks)."""
    n = model.sizes[-1]
    room = config.data_bits - 1 - config.data_frac_bits        # integer bits: 3 in Q4.12
    k = max(0, math.ceil(math.log2(n)) - (room - 1))
    if k > room - 1:
        raise CompileError(f"softmax_cross_entropy over {n} outputs: the sum of their exps does "
                           f"not fit Q{room + 1}.{config.data_frac_bits} with a reciprocal in "
                           f"range (at most {2 ** (2 * (room - 1))} outputs)")
    if n > config.xbar_size:
        raise CompileError(f"softmax_cross_entropy over {n} outputs needs them in one column "
                           f"block (xbar_size is {config.xbar_size})")
    return k


def tree(low, core, fn, vec, name):
    """``fn`` (max or add) over the words of ``vec``, as a Ref of one word: a scratch copy
    halved in place, ``S[0:h] = fn(S[0:h], S[w-h:w])`` with ``h = w // 2``, ``w -= h``,
    until one word is left (the order docs/compiler.md gives)."""
    scratch = low.value(core, vec.length, name)
    low.emit("cp", core, dst=scratch, srcs=(vec,), comment=f"{fn} tree")
    base, w = scratch.base, vec.length
    while w > 1:
        h = w // 2
        low.emit("alu", core, dst=Ref(base, 0, h), srcs=(Ref(base, 0, h), Ref(base, w - h, h)),
                 fn=fn, comment=f"{fn} tree: {w} -> {w - h}")
        w -= h
    return Ref(base, 0, 1)


def broadcast(low, core, word, n, name):
    """``n`` copies of the one-word ``word`` (copies doubling in width)."""
    vec = low.value(core, n, name)
    low.emit("cp", core, dst=Ref(vec.base, 0, 1), srcs=(word,), comment="broadcast")
    done = 1
    while done < n:
        width = min(done, n - done)
        low.emit("cp", core, dst=Ref(vec.base, done, width), srcs=(Ref(vec.base, 0, width),),
                 comment="broadcast")
        done += width
    return vec


def softmax_error(low, s):
    """``delta = softmax(z) - t`` of sample ``s`` on the reducer of the (single) output
    block; the probabilities are the kernel's outputs."""
    last = len(low.model.layers) - 1
    core = low.mapping.reducer(last, 0)
    z = low.fetch(("a", last + 1, s, 0), core)
    n, tag = z.length, f".s{s}"
    zmax = tree(low, core, "max", z, "zmax" + tag)
    shifted = low.alu(core, "sub", z, broadcast(low, core, zmax, n, "zmaxv" + tag),
                      name="z-max" + tag)
    e = low.alu(core, "exp", shifted, name="exp" + tag)
    if low.softmax_shift:          # keep the sum of the exps inside the data word
        scaled = low.value(core, n, "exp_scaled" + tag)
        low.emit("alui", core, dst=scaled, srcs=(e,), fn="mul",
                 imm=1 << (low.config.data_frac_bits - low.softmax_shift),
                 comment=f"exp * 2**-{low.softmax_shift}")
        e = scaled
    total = tree(low, core, "add", e, "sum" + tag)
    r = low.alu(core, "recip", total, name="1/sum" + tag)
    prob = low.alu(core, "mul", e, broadcast(low, core, r, n, "1/sumv" + tag),
                   name="p" + tag, comment="softmax")
    low.store_output(core, prob, s, 0)
    t = low.fetch(("t", s, 0), core, name=f"t{s}[0]")
    low.own(("d", last, s, 0), core,
            low.alu(core, "sub", prob, t, name=f"d{last}{tag}[0]", comment="p - t"))
