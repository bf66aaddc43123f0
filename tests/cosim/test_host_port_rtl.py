"""The cocotb driver of a core's host/debug port (:class:`cosim.tile_host.HostPort`) against
the core's Verilog under each simulator: single accesses and the timed streams
(``write_many``/``read_many``) write and read back IMEM, DATA and STATUS words, and ``ack``
comes ``DebugPortSignature.latency`` cycles after the request is taken.
(:mod:`cocotb_host_port_tests`)."""

import json
from pathlib import Path

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In
from simulator_required import require_simulator

from panther.config import PRESETS
from panther.cosim import simulators as sims
from panther.cosim.verilog import write_verilog
from panther.hdl.core import Core
from panther.hdl.flatten import FlatPorts
from panther.hdl.ports import DebugPortSignature

HERE = Path(__file__).resolve().parent
CFG = PRESETS["small"].replace(xbar_size=4, adcs_per_xbar=2, mcus_per_core=2, imem_depth=64,
                               rf_depth=32)
CORE_ID = 1


class DebugOnly(wiring.Component):
    """A :class:`Core` whose only port is ``dbg`` (stopped; every other input at 0)."""

    dbg: In(DebugPortSignature())

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = Core(config=CFG, core_id=CORE_ID)
        wiring.connect(m, wiring.flipped(self.dbg), core.dbg)
        return m


@pytest.mark.sim
@pytest.mark.parametrize("simulator", ["verilator", "icarus"])
def test_host_port_driver_reads_back_what_it_wrote(tmp_path, simulator):
    require_simulator(simulator)
    root = tmp_path / "cosim"
    source = write_verilog(lambda: FlatPorts(DebugOnly()), name="panther_hostport",
                           sources=(__name__, Core.__module__), build_root=root)
    # warnings not fatal, as for the tile (cosim.tile_simulation): lint is not this test's job
    runner = sims.build(simulator, [source], "panther_hostport", build_root=root,
                        extra_args=["-Wno-fatal"] if simulator == "verilator" else [])
    layout = {"imem_depth": CFG.imem_depth, "rf_depth": CFG.rf_depth,
              "data_bits": CFG.data_bits, "core_id": CORE_ID,
              "buffers": [b for k in range(CFG.mcus_per_core)
                          for b in (CFG.xbar_in_base(k), CFG.xbar_out_base(k))],
              "xbar_size": CFG.xbar_size}
    xml = sims.run(runner, "panther_hostport", "cocotb_host_port_tests", python_path=[HERE],
                   extra_env={"HOST_PORT_TEST": json.dumps(layout)})
    results = sims.testcase_results(xml)
    assert results == {"host_port_streams_and_accesses": None}, results
