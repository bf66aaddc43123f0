"""PANTHER instruction set: the encoding table, encoder/decoder, program images, assembler,
disassembler (and, in :mod:`isa.golden`, the golden model).

The single source of truth for the binary encoding is :mod:`isa.table`.
"""

__all__ = []
