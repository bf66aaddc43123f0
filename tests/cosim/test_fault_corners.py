"""Corner cases where the golden model and the RTL once disagreed, run on the tile RTL
(Verilator) and compared with the golden model, whose expected behaviour is checked first
with plain integer facts (no RTL values are copied into the test)."""

import numpy as np
import pytest
from simulator_required import require_simulator

from panther.config import PRESETS
from panther.cosim.program_runner import run_and_compare
from panther.isa.encoding import encode, make
from panther.isa.faults import CoreFault
from panther.isa.image import ProgramImage

pytestmark = pytest.mark.sim

CONFIG = PRESETS["small"]


def _mcu(**masks):
    return encode(make("mcu", **{f"m{k}": masks.get(f"m{k}", 0) for k in range(6)}))


def deferred_overflow_image():
    """A full deferred buffer, then one mcu with a saturating MVM on MCU 0 and one more OPA on
    MCU 1: the core must fault before the MVM runs."""
    c = CONFIG
    top = (1 << (c.weight_bits - 1)) - 1
    xbar_in = [np.zeros((c.mcus_per_core, c.xbar_size), np.int64)
               for _ in range(c.cores_per_tile)]
    xbar_in[0][0] = 32767
    program = [_mcu(m0=4)] * c.deferred_depth + [_mcu(m0=1, m1=4), encode(make("hlt"))]
    programs = [program] + [[] for _ in range(c.cores_per_tile - 1)]
    return ProgramImage(config=c, programs=programs, xbar_in=xbar_in,
                        weights={(0, 0): np.full((c.xbar_size, c.xbar_size), top, np.int64)})


def test_deferred_overflow_leaves_the_mvm_of_the_same_instruction_undone():
    require_simulator("verilator")
    image = deferred_overflow_image()
    outcome, = run_and_compare([image], simulator="verilator")
    core = outcome.golden.cores[0]
    assert core["fault_code"] == CoreFault.DEFERRED_OVERFLOW and core["overflow"] is False
    assert core["pc"] == CONFIG.deferred_depth
    assert outcome.diffs == [], outcome.format()
    assert outcome.dump["cores"][0]["status"] == "error"
