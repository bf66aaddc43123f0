"""How each MCU variant carries out MCU operations (paper §4.2-4.4, §5.2; docs/semantics.md §5).

The variant is a microarchitectural choice, not an ISA change: the same program gives the
same result on every variant. What differs is which crossbar copy each operation uses, which
operations of one request run together, and so the analog transactions and events. The RTL
MCU controller (:mod:`hdl.mcu.controller`) and the golden model (:mod:`isa.golden`) both read
these rules from here.

Copies (``config.xbar_copies`` = the variant number):

=======  ========  =========  ===================  ===============  =============
variant  MVM copy  MTVM copy  OPA updates copies   CRS reads copy   commit at hlt
=======  ========  =========  ===================  ===============  =============
1        0         0          0 (at ``hlt``)        0                none
2        0         1          0 and 1 (at ``hlt``)  0                none
3        0         1          2 (eagerly)           2                2 -> 0 and 1
=======  ========  =========  ===================  ===============  =============

CRS writes back to the copies OPA updates.
"""

from __future__ import annotations

from panther.config import Variant

__all__ = ["MVM", "MTVM", "OPA", "phases", "opa_copies", "crs_read_copy", "mvm_copy",
           "mtvm_copy", "COMMIT_READ_COPY", "COMMIT_WRITE_COPIES", "eager_updates",
           "transactions"]

#: Bits of an MCU start mask (the per-MCU mask of the ``mcu`` instruction).
MVM, MTVM, OPA = 1, 2, 4

#: The variant-3 commit copies the third crossbar into the first two.
COMMIT_READ_COPY = 2
COMMIT_WRITE_COPIES = (0, 1)


def eager_updates(config):
    """True when OPA and CRS change the learning copy at once (variant 3), False when they
    are deferred to ``hlt`` with their operands saved in shared memory (variants 1, 2)."""
    return config.variant == Variant.LARGE_BATCH


def mvm_copy(config):
    """The copy an MVM reads."""
    return 0


def mtvm_copy(config):
    """The copy an MTVM reads: the second copy where there is one."""
    return 0 if config.variant == Variant.SGD else 1


def opa_copies(config):
    """The copies an OPA (and the write-back of a CRS) updates."""
    return {Variant.SGD: (0,), Variant.MINI_BATCH: (0, 1),
            Variant.LARGE_BATCH: (2,)}[config.variant]


def crs_read_copy(config):
    """The copy a CRS reads."""
    return 2 if config.variant == Variant.LARGE_BATCH else 0


def phases(config, mask):
    """The phases (lists of op bits run together) of one MCU start request with ``mask``
    (analog transactions: :func:`transactions`).

    Variant 1 serialises MVM, MTVM and OPA; variant 2 runs MVM and MTVM together and then
    the OPA (on both copies); variant 3 runs all three together (OPA on the third copy).
    """
    mask = int(mask)
    if not 0 <= mask < 8:
        raise ValueError(f"mask must be a 3-bit MCU op mask, not {mask!r}")
    bits = [b for b in (MVM, MTVM, OPA) if mask & b]
    if config.variant == Variant.SGD:
        return [[b] for b in bits]
    if config.variant == Variant.MINI_BATCH:
        out = [[b for b in bits if b != OPA]] if mask & (MVM | MTVM) else []
        return out + ([[OPA]] if mask & OPA else [])
    return [bits] if bits else []


def transactions(config, mask):
    """Analog-port transactions (request/acknowledge handshakes) of a start request: one per
    bit-step of a phase that samples (MVM/MTVM, with the OPA pulse of that step on variant 3),
    one for an OPA-only phase (its request carries the whole operand)."""
    return sum(config.input_steps if any(b != OPA for b in phase) else 1
               for phase in phases(config, mask))
