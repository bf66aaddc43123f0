"""A user's own cocotb test of the generated tile (``panther verilog --top tile``).

The program is built in Python (:mod:`panther.isa.builder`) from numpy data; the project's
bench (:class:`panther.cosim.tile_tb.TileBench`) loads it through the cores' host ports,
serves every MCU analog port with the analog models, runs it and dumps the final state; the
checks are this file's own: ``y = relu(W^T x)`` in integer arithmetic (docs/semantics.md).
"""

import os

import cocotb
import numpy as np

from panther.config import load_config
from panther.cosim.tile_tb import TileBench
from panther.isa.builder import ProgramBuilder

CONFIG = load_config(os.environ.get("PANTHER_CONFIG", "small"))
SIMULATOR = os.environ.get("SIM", "icarus")


def relu_mvm(w_raw, x_raw, config):
    """``relu(W^T x)`` in raw Q4.12 words: exact sum, round half up, saturate, then max(., 0)."""
    shift = config.weight_frac_bits
    high = (1 << (config.data_bits - 1)) - 1
    acc = w_raw.T.astype(object) @ x_raw.astype(object)
    return [max(0, min((int(a) + (1 << (shift - 1))) >> shift, high)) for a in acc]


@cocotb.test()
async def relu_layer_on_core_0(dut):
    c = CONFIG
    n = c.xbar_size
    rng = np.random.default_rng(7)
    weights, x = rng.uniform(-1, 1, (n, n)), rng.uniform(-1, 1, n)

    b = ProgramBuilder(config=c)
    layer = b.mcu("layer", 0)
    xs = b.sregion("xs", n)
    xr, y = b.region("x", n), b.region("y", n)
    b.smem(xs, x)                                  # reals -> Q4.12, persistent words
    b.weights(layer, weights)                      # reals -> Q8.24
    b.ld(xr, xs)
    b.cp(b.xin(layer), xr)
    b.mcu_ops({layer: "mvm"})
    b.alu("relu", y, b.xout(layer))
    b.hlt()
    image = b.build()

    bench = TileBench.for_tile(dut, c, simulator=SIMULATOR)
    result = await bench.run_image(image, 20_000)
    assert result["stopped"] == "halted", result["stopped"]
    core = result["cores"][0]
    assert core["status"] == "halted" and core["fault_code"] == 0
    got = core["rf"][y.base:y.base + n]
    assert got == relu_mvm(image.weights[(0, 0)], image.smem_init[:n], c)
    dut._log.info("relu layer of %d on core 0: %d cycles, %d instructions", n,
                  result["cycles"], core["instret"])
