"""PANTHER generator: configuration and command-line interface.

The hardware lives in ``hdl/``, the analog behavioural models in ``analog_models/``, the ISA
tools and golden model in ``isa/``, and the co-simulation glue in ``cosim/``.
"""

__all__ = []
