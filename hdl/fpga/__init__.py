"""FPGA support: a digital emulation of the ideal crossbar, a UART host interface and the
ULX3S board top (see docs/synthesis.md)."""

__all__ = []
