"""The analog-model MCU backend of the golden tile equals the exact one in ideal mode."""

from pathlib import Path

import numpy as np
import pytest

from panther.config import NoiseConfig
from panther.isa.assembler import assemble
from panther.isa.golden import Tile, diff_states, run_image
from panther.isa.golden.analog_mcu import analog_mcu_factory

from ._golden_refs import SMALL, program, tile_run

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("variant", [1, 2])
def test_ideal_analog_backend_equals_exact_on_mixed_program(variant):
    config = SMALL.replace(variant=variant)
    rng = np.random.default_rng(5)
    n = config.xbar_size
    weights = {(0, 0): rng.integers(-2 ** 27, 2 ** 27, (n, n)),
               (0, 1): rng.integers(-2 ** 24, 2 ** 24, (n, n))}
    rf = {config.xbar_in_base(m) + i: int(v) for m in range(2)
          for i, v in enumerate(rng.integers(-32768, 32768, n))}
    rf.update({config.xbar_out_base(m) + i: int(v) for m in range(2)
               for i, v in enumerate(rng.integers(-32768, 32768, n))})
    prog = program(("mcu", dict(m0=3, m1=4, m2=0, m3=0, m4=0, m5=0)),
                   ("crs", dict(mask=2)),
                   ("mcu", dict(m0=4, m1=1, m2=0, m3=0, m4=0, m5=0)),
                   ("mcu", dict(m0=2, m1=6, m2=0, m3=0, m4=0, m5=0)), "hlt")
    _, exact = tile_run(prog, config=config, rf=[rf], weights=weights)
    _, analog = tile_run(prog, config=config, rf=[rf], weights=weights,
                         mcu_factory=analog_mcu_factory)
    assert diff_states(exact.state(), analog.state()) == []
    assert exact.cores[0]["overflow"] is True      # large data: saturation took place too


@pytest.mark.parametrize("name", ["sgd_fc_step", "mlp2_step"])
def test_ideal_analog_backend_equals_exact_on_examples(name):
    image = assemble((EXAMPLES / f"{name}.s").read_text(), config=SMALL, filename=name)
    exact = run_image(image)
    analog = run_image(image, mcu_factory=analog_mcu_factory)
    assert diff_states(exact.state(), analog.state()) == []


def test_noisy_analog_backend_runs_and_differs():
    config = SMALL.replace(adc_bits=8, noise=NoiseConfig(seed=3, read_noise=0.2))
    image = assemble((EXAMPLES / "sgd_fc_step.s").read_text(), config=config, filename="sgd")
    exact = Tile.from_image(image).run()
    noisy = Tile.from_image(image, mcu_factory=analog_mcu_factory).run()
    again = Tile.from_image(image, mcu_factory=analog_mcu_factory).run()
    assert noisy.ok and diff_states(exact.state(), noisy.state()) != []
    assert diff_states(noisy.state(), again.state()) == []     # seeded: reproducible
