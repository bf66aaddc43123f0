"""Timing of the analog behavioural models at the paper's size (128x128, 8 slices 44466555).

Run as ``python bench/bench_analog.py``. Prints the median wall time of a full 16-bit MVM
(16 bit-steps x 8 slices, ADC conversions and shift-and-add included), a full MTVM, a full
OPA, one MVM bit-step, a CRS, and the same operations with non-idealities switched on.
Target (issue 3): a full ideal MVM under 5 ms on the 2-core reference machine.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panther.analog_models import AnalogMCU, row_drive  # noqa: E402
from panther.config import PRESETS, NoiseConfig  # noqa: E402

__all__ = ["bench", "main"]


def _time(fn, repeats):
    fn()                                              # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def bench(config, *, repeats=20, label="ideal"):
    """``{operation: median ms}`` for ``config`` (variant forced to 2 for MVM + MTVM copies)."""
    config = config.replace(variant=2)
    n = config.xbar_size
    rng = np.random.default_rng(0)
    mcu = AnalogMCU(config)
    mcu.program(rng.integers(-2 ** 28, 2 ** 28, (n, n)))
    x = rng.integers(-32768, 32768, n)
    v = rng.integers(-32768, 32768, n)
    drive = row_drive(x, 3, config)
    results = {
        "MVM bit-step (8 slices + ADC)": _time(lambda: mcu.sample(0, "mvm", drive), repeats * 10),
        "full MVM (16 steps x 8 slices)": _time(lambda: mcu.mvm(0, x), repeats),
        "full MTVM (16 steps x 8 slices)": _time(lambda: mcu.mtvm(1, v), repeats),
        "full OPA (16 steps x 8 slices)": _time(lambda: mcu.opa(0, x, v), repeats),
        "CRS (all slices)": _time(lambda: mcu.crs(0), max(3, repeats // 4)),
    }
    print(f"\n{label}: xbar {n}x{n}, slices {''.join(map(str, config.slice_bits))}, "
          f"ADC {config.adc_code_bits} bits")
    for name, ms in results.items():
        print(f"  {name:<34} {ms:8.3f} ms")
    return results


def main():
    paper = PRESETS["paper"]
    ideal = bench(paper, label="ideal (adc_bits=0)")
    bench(paper.replace(adc_bits=10), label="10-bit ADC")
    noisy = paper.replace(adc_bits=10, noise=NoiseConfig(
        seed=1, program_noise=0.1, read_noise=0.05, d2d_update_variation=0.1,
        c2c_update_variation=0.1, stuck_on_rate=0.001, stuck_off_rate=0.001,
        update_nonlinearity=0.3, update_asymmetry=0.1, adc_offset=0.2, adc_noise=0.3,
        adc_cap_mismatch=0.01, dac_gain_error=0.01, dac_inl=0.1))
    bench(noisy, label="all non-idealities on, 10-bit ADC")
    target = 5.0
    mvm_ms = ideal["full MVM (16 steps x 8 slices)"]
    print(f"\nfull ideal MVM: {mvm_ms:.3f} ms (target < {target} ms): "
          f"{'OK' if mvm_ms < target else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
