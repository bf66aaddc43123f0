"""The paper's evaluation point: 128x128 crossbars, 8 slices 44466555, ideal ADCs.

One random matrix; MVM and MTVM checked against exact Python-integer arithmetic, and an OPA
built so that no slice can saturate checked against the exact outer product.
"""

import numpy as np
import pytest

from panther.analog_models import AnalogMCU
from panther.config import PRESETS

PAPER = PRESETS["paper"]


def rhu_sat(total):
    y = (total + (1 << 23)) >> 24
    return min(max(y, -32768), 32767), not -32768 <= y <= 32767


@pytest.mark.slow
def test_paper_size_mvm_mtvm_opa_exact():
    assert PAPER.xbar_size == 128 and PAPER.slice_bits == (4, 4, 4, 6, 6, 5, 5, 5)
    n = 128
    rng = np.random.default_rng(2024)
    # representable weights: random canonical digits; the two MSB slices only in a few
    # rows so that most outputs stay inside the data range and some saturate
    digits = rng.integers(-8, 8, (8, n, n))
    digits[6:, :120] = 0
    W = sum(digits[k].astype(object) * 16 ** k for k in range(8))
    mcu = AnalogMCU(PAPER.replace(variant=2))
    mcu.program(np.array(W, dtype=np.int64))
    assert mcu.weights(0).tolist() == W.tolist()

    # scale inputs so that outputs land mostly inside the data range (some saturate)
    x = rng.integers(-32768, 32768, n) >> rng.integers(2, 16, n)
    x[:3] = [-32768, 32767, 0]
    x[120:] >>= 8
    y, oy = mcu.mvm(0, x)
    Wl = W.tolist()
    xl = [int(e) for e in x]
    ref = [rhu_sat(sum(xl[i] * Wl[i][j] for i in range(n))) for j in range(n)]
    assert y.tolist() == [r[0] for r in ref] and oy.tolist() == [r[1] for r in ref]

    v = rng.integers(-32768, 32768, n) >> rng.integers(8, 16, n)
    v[:2] = [-32768, 32767]
    z, oz = mcu.mtvm(1, v)
    vl = [int(e) for e in v]
    ref = [rhu_sat(sum(Wl[i][j] * vl[j] for j in range(n))) for i in range(n)]
    assert z.tolist() == [r[0] for r in ref] and oz.tolist() == [r[1] for r in ref]
    assert not all(oy) and not all(oz)

    # OPA that cannot saturate: weights with zero digits in slices 0-4 (random in 5-7), rows
    # with a single bit n <= 4 so |v| << n < 2**20 lands in slices 0-4 (>= 5 bits each), one
    # chunk <= 15 per cell and slice.
    digits[:5] = 0
    W = sum(digits[k].astype(object) * 16 ** k for k in range(8))
    mcu.program(np.array(W, dtype=np.int64))
    xo = rng.choice([-1, 1], n) * (1 << rng.integers(0, 5, n))
    vo = rng.integers(-32768, 32768, n)
    vo[:2] = [-32768, 32767]
    clipped = mcu.opa(0, xo, vo)
    assert clipped.sum() == 0
    expected = W + np.outer(xo.astype(object), vo.astype(object))
    assert mcu.weights(0).tolist() == expected.tolist()
