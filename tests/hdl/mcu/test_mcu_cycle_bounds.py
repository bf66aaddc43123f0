"""The MCU's cycles against the analytic bound at PAPER size (issue 20, item 2).

The bound is written here from its definition (integer math, not ``analytic_cycles``): per
sampling phase, ``input_steps`` steps of ``xbar_size / adcs_per_xbar`` ADC rounds of
``adc_latency`` cycles, plus one result pass; per OPA-only phase, one cycle per step. The
RTL side is ``rtl_cycles``, which the simulations of ``test_mcu_top.py`` (every variant)
and ``tests/cosim`` check cycle for cycle. Run with ``-s`` to see the table.
"""

import pytest

from panther.config import PRESETS
from panther.hdl.mcu import McuOp, analytic_cycles, rtl_cycles

PAPER = PRESETS["paper"]
MVM, MTVM, OPA = McuOp.MVM.value, McuOp.MTVM.value, McuOp.OPA.value
#: mask -> the ratio rtl_cycles / bound must stay within (issue 20, item 2)
LIMITS = {MVM: 1.05, MTVM: 1.05, OPA: 1.10, MVM | MTVM | OPA: 1.05}


def bound(config, mask):
    """Analytic cycles of ``mask``: sampling phases as the variant groups them, OPA apart on
    variants 1-2 (and alone on any variant), merged into the sampling phase on variant 3."""
    steps, rounds = config.input_steps, config.xbar_size // config.adcs_per_xbar
    sampling = steps * rounds * config.adc_latency + rounds
    reads = [op for op in (MVM, MTVM) if mask & op]
    if config.variant == 1:
        phases = len(reads)
    else:
        phases = 1 if reads else 0
    opa_apart = bool(mask & OPA) and (config.variant != 3 or not reads)
    return phases * sampling + (steps if opa_apart else 0)


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_paper_size_cycles_are_within_the_issue_bounds(variant):
    config = PAPER.replace(variant=variant)
    rows = []
    for mask, limit in LIMITS.items():
        expected = bound(config, mask)
        assert analytic_cycles(config, mask) == expected
        ratio = rtl_cycles(config, mask) / expected
        rows.append(f"  {McuOp(mask)!s:28s} {rtl_cycles(config, mask):6d} {expected:6d} "
                    f"{ratio:6.3f}")
        assert ratio <= limit, (mask, ratio)
    print(f"\npaper, variant {variant}: mask, rtl_cycles, analytic, ratio\n" + "\n".join(rows))


def test_an_opa_alone_costs_its_steps_plus_the_start_cycle():
    """The OPA phase is one transaction of input_steps cycles (ideal answer)."""
    for variant in (1, 2, 3):
        config = PAPER.replace(variant=variant)
        assert rtl_cycles(config, OPA) == config.input_steps + 1
        # every cycle of answer latency delays the OPA's single ack once, not per step
        assert rtl_cycles(config, OPA, ack_latency=3) == config.input_steps + 3
