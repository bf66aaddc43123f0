"""Amaranth 0.5 generators of the PANTHER RTL: the MCU, the core and the tile, and the FPGA
tops around them.

* :mod:`.ports` -- every interface between units (``lib.wiring`` signatures) and the
  line-major packing rule; :mod:`.widths` -- the MCU's derived widths;
* :mod:`.mcu` -- the Matrix Computation Unit (XBar buffers, input drivers, shift-and-add,
  carry resolution, controller);
* :mod:`.core` -- a core (fetch/decode/execute, operand space, VFU, transfers, deferred
  updates, host/debug port) with its MCUs;
* :mod:`.tile` -- the tile: cores around the synchronised shared memory;
* :mod:`.flatten` -- plain top-level ports for simulators and netlist tools;
  :mod:`.export` -- ``panther verilog``; :mod:`.synth` -- lint and Yosys statistics;
  :mod:`.fpga` -- the ULX3S board build with digital ideal crossbars.

Every width comes from :class:`panther.config.PantherConfig`; see ``docs/architecture.md``.
"""

__all__ = []
