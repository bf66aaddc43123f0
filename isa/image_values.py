"""The values a program image may hold: what the assembler can produce and the machine holds.

:func:`value_error` is the one check, called by the :class:`isa.image.ProgramImage`
constructor (a ValueError) and by :func:`isa.image_load.load_image` before it (an
:class:`isa.image_files.ImageError` naming ``image.npz``). The ranges:

* data words (``rf_init``, ``smem_init``, ``xbar_in``, ``xbar_out``): signed ``data_bits``;
* consumer counts (``smem_count``): ``0 ..`` the largest ``st`` count of the ISA table;
* weights: signed ``weight_bits``;
* slice digits: their ``config.digit_range(k)``;
* a shared-memory word that is not valid holds no value and no count.

Fields are named as the arrays of ``image.npz`` (``weights_c<core>_m<mcu>``,
``digits_c<core>_m<mcu>``), with the index of the first value out of range.
"""

from __future__ import annotations

import numpy as np

from panther.fixed_point import signed_range

from .table import BY_MNEMONIC

__all__ = ["value_error"]


def _out_of_range(name, array, low, high, what):
    """``'name[index] = value outside low .. high (what)'`` for the first value of ``array``
    outside ``low .. high`` (``what(index)`` when callable), or None."""
    array = np.asarray(array)
    bad = np.argwhere((array < low) | (array > high))
    if not len(bad):
        return None
    index = tuple(int(i) for i in bad[0])
    shown = ", ".join(str(i) for i in index)
    what = what(index) if callable(what) else what
    return f"{name}[{shown}] = {int(array[index])} outside {low} .. {high} ({what})"


def _xbar_word(buffer, config):
    def what(index):
        core, mcu, word = index
        return (f"core {core}, MCU {mcu}, {buffer} word {word}: a signed {config.data_bits}-bit "
                "data word, data_bits")
    return what


def value_error(config, *, rf_init, xbar_in, xbar_out, smem_init, smem_count, smem_valid,
                weights, digits):
    """The message for the first value of an image that no assembled image can hold, or None.

    Parameters
    ----------
    config : PantherConfig
    rf_init : array_like
        ``(cores_per_tile, rf_depth)`` register-file words.
    xbar_in, xbar_out : array_like
        ``(cores_per_tile, mcus_per_core, xbar_size)`` XBar buffer words.
    smem_init, smem_count, smem_valid : array_like
        ``(smem_depth,)`` shared-memory words, consumer counts and valid bits.
    weights, digits : dict
        ``(core, mcu) -> array``: raw weights ``(xbar_size, xbar_size)`` and slice digits
        ``(n_slices, xbar_size, xbar_size)``.
    """
    data = signed_range(config.data_bits)
    word = f"a signed {config.data_bits}-bit data word, data_bits"
    checks = [("rf_init", rf_init, *data, word),
              ("xbar_in", xbar_in, *data, _xbar_word("XBarIn", config)),
              ("xbar_out", xbar_out, *data, _xbar_word("XBarOut", config)),
              ("smem_init", smem_init, *data, word),
              ("smem_count", smem_count, 0, BY_MNEMONIC["st"].field("count").value_range[1],
               "a consumer count, 0 = persistent")]
    for (core, mcu), w in sorted(weights.items()):
        checks.append((f"weights_c{core}_m{mcu}", w, *signed_range(config.weight_bits),
                       f"a signed {config.weight_bits}-bit weight, weight_bits"))
    for (core, mcu), d in sorted(digits.items()):
        for k in range(config.n_slices):
            checks.append((f"digits_c{core}_m{mcu}[{k}]", np.asarray(d)[k], *config.digit_range(k),
                           f"a digit of slice {k}, config.digit_range({k})"))
    for name, array, low, high, what in checks:
        message = _out_of_range(name, array, low, high, what)
        if message is not None:
            return message
    smem_init, smem_count = np.asarray(smem_init), np.asarray(smem_count)
    stale = np.flatnonzero(~np.asarray(smem_valid, dtype=bool) & ((smem_init != 0) | (smem_count != 0)))
    if len(stale):
        a = int(stale[0])
        return (f"smem_init[{a}] = {int(smem_init[a])} with smem_count[{a}] = {int(smem_count[a])}, "
                f"but smem_valid[{a}] is false (a word that is not valid holds no value)")
    return None
