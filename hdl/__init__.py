"""Amaranth 0.5 generators of the digital half of a PANTHER core.

``hdl.mcu`` holds the Matrix Computation Unit (XBar buffers, input drivers, shift-and-add,
controller). Every width comes from :class:`panther.config.PantherConfig`.
"""

__all__ = []
