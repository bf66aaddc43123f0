"""Numpy arrays in: read ``.npy``/``.npz`` files and turn arrays into raw data and weight words.

One set of rules for every way an array enters a program image: the assembler's
``.data_file``, ``.smem_file`` and ``.weights_file`` directives (:mod:`isa.asm_files`), the
``--data``/``--smem``/``--weights`` options of ``panther run`` and the Python program builder
(:mod:`isa.builder`):

* a floating-point array holds real values: each is rounded to the fixed-point format (data
  words Q(data_bits - data_frac_bits).data_frac_bits, weights Q(weight_bits -
  weight_frac_bits).weight_frac_bits, ties half up) and a value that does not fit is an
  error naming its index (no silent saturation);
* an integer array holds raw words, as an integer literal of ``.data`` does: two's complement
  ``-2**(bits-1) .. 2**(bits-1)-1`` or its unsigned form ``0 .. 2**bits-1``;
* booleans, complex numbers, objects, NaN and infinities are errors;
* ``.npz`` archives need the array's name (``FILE.npz`` with the key as a separate operand,
  or ``FILE.npz:KEY`` on the command line); pickled objects are never loaded.

Errors are :class:`ArrayError` (a :class:`panther.errors.UserError`) whose message names the
file and, for a value, its index.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from panther.errors import UserError
from panther.fixed_point import to_fixed

__all__ = ["ArrayError", "read_array", "raw_words", "data_words", "weight_words", "with_arrays"]


class ArrayError(UserError):
    """An array file that cannot be read, or values that do not fit their words."""


def read_array(path, key=None):
    """The array of a ``.npy`` file, or the array ``key`` of a ``.npz`` archive.

    Raises :class:`ArrayError` naming the file (and the key) when it cannot be read, holds
    pickled objects, or ``key`` is missing or given for a ``.npy`` file.
    """
    path = Path(path)
    where = f"{path}[{key!r}]" if key is not None else str(path)
    try:
        loaded = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ArrayError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ArrayError(f"{where}: not a numpy .npy/.npz file without pickled objects "
                         f"({error})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            names = sorted(loaded.files)
            if key is None:
                raise ArrayError(f"{path}: a .npz archive; name one of its arrays "
                                 f"({', '.join(names) or 'none'})")
            if key not in names:
                raise ArrayError(f"{path}: no array {key!r} in the archive (it has "
                                 f"{', '.join(names) or 'none'})")
            try:
                return loaded[key]
            except ValueError as error:
                raise ArrayError(f"{where}: cannot load ({error})") from None
    if key is not None:
        raise ArrayError(f"{path}: a .npy file holds one array; it takes no key ({key!r})")
    return loaded


def _index(array, flat):
    return tuple(int(i) for i in np.unravel_index(flat, array.shape)) if array.ndim else ()


def raw_words(array, *, bits, frac_bits, what, where):
    """Raw ``bits``-wide two's complement words of ``array`` (same shape, int64).

    Floating-point values are reals (rounded to Q(bits - frac_bits).frac_bits), integers raw
    words; see the module docstring. ``what`` (e.g. ``'data value'``) and ``where`` (a file
    name) appear in errors.
    """
    array = np.asarray(array)
    kind = array.dtype.kind
    if kind == "f":
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            i = int(bad[0])
            raise ArrayError(f"{where}: {what} at index {_index(array, i)} is "
                             f"{float(array.flat[i])!r}, not a finite number")
        raw, overflow = to_fixed(array.astype(np.float64), frac_bits, bits)
        raw = np.asarray(raw, dtype=np.int64)
        bad = np.flatnonzero(overflow)
        if bad.size:
            i = int(bad[0])
            lo = -(1 << (bits - 1)) / (1 << frac_bits)
            hi = ((1 << (bits - 1)) - 1) / (1 << frac_bits)
            raise ArrayError(f"{where}: {what} {float(array.flat[i])!r} at index "
                             f"{_index(array, i)} does not fit Q{bits - frac_bits}.{frac_bits} "
                             f"({lo:g} .. {hi:g}); {bad.size} value(s) do not")
        return raw
    if kind in "iu":
        values = array.astype(object) if array.dtype.itemsize >= 8 else array.astype(np.int64)
        low, high = -(1 << (bits - 1)), (1 << bits) - 1
        bad = np.flatnonzero((values < low) | (values > high))
        if bad.size:
            i = int(bad[0])
            raise ArrayError(f"{where}: {what} {int(array.flat[i])} at index {_index(array, i)} "
                             f"does not fit a {bits}-bit word (raw integers {low} .. {high}; "
                             "store real values as a floating-point array)")
        values = np.asarray(values, dtype=np.int64) if values.dtype == object else values
        return np.where(values >= 1 << (bits - 1), values - (1 << bits), values).astype(np.int64)
    raise ArrayError(f"{where}: {what}s must be a floating-point (real values) or integer (raw "
                     f"words) array, not {array.dtype}")


def data_words(array, config, *, where, what="data value"):
    """Raw data words (``config.data_bits``) of ``array``, flattened in C order."""
    return raw_words(array, bits=config.data_bits, frac_bits=config.data_frac_bits,
                     what=what, where=where).reshape(-1)


def weight_words(array, config, *, where):
    """Raw weights (``config.weight_bits``) of a 2-D ``array`` of at most ``xbar_size`` rows
    and columns, ``W[row, col]`` as ``.weights`` writes them."""
    array = np.asarray(array)
    n = config.xbar_size
    if array.ndim != 2 or not (1 <= array.shape[0] <= n and 1 <= array.shape[1] <= n):
        raise ArrayError(f"{where}: weights must be a 2-D array of at most {n} x {n} "
                         f"(rows x columns of the crossbar), not shape {array.shape}")
    return raw_words(array, bits=config.weight_bits, frac_bits=config.weight_frac_bits,
                     what="weight", where=where)


# -- arrays into a program image ---------------------------------------------------------------

def _source(value, what):
    """``(array, where)`` of an array or a file name (``FILE.npz:KEY`` names an array)."""
    if isinstance(value, (str, Path)):
        text = str(value)
        key = None
        if ".npz:" in text:
            text, key = text.rsplit(":", 1)
        return read_array(text, key), str(value)
    if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
        return np.asarray(value), what
    raise ArrayError(f"{what}: expected a numpy array or a .npy/.npz file name, not {value!r}")


def _target(key, names, what, *, default_core=0):
    """``(core, name_or_index)`` of a key ``NAME``, ``INDEX``, ``'CORE:NAME'`` or a tuple."""
    core = default_core
    if isinstance(key, tuple) and len(key) == 2:
        core, key = key
    elif isinstance(key, str) and ":" in key:
        head, key = key.split(":", 1)
        if not head.strip().isdigit():
            raise ArrayError(f"{what} {head}:{key}: expected CORE:NAME with a core number")
        core = int(head)
    if isinstance(key, str) and key.strip().lstrip("-").isdigit():
        key = int(key)
    if isinstance(key, str) and key not in names:
        import difflib

        close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ArrayError(f"{what} {key!r}: the program defines no such name{hint} (names: "
                         f"{', '.join(sorted(names)) or 'none'})")
    return int(core), key


def with_arrays(image, *, weights=None, data=None, smem=None):
    """A copy of ``image`` with numpy arrays written into its initial state.

    Parameters
    ----------
    image : isa.image.ProgramImage
    weights : dict, optional
        ``MCU -> array``: MCU is a ``.mcu`` name, an MCU number, ``'CORE:MCU'`` or a
        ``(core, mcu)`` tuple (core 0 by default); the array (or a ``.npy`` file name, or
        ``FILE.npz:KEY``) is written from row 0, column 0 of the crossbar.
    data : dict, optional
        ``REGION -> array`` of core words: a ``.region`` name or an address, core 0 unless
        ``'CORE:REGION'``/``(core, region)``.
    smem : dict, optional
        ``SREGION -> array`` of persistent shared-memory words (valid, consumer count 0): an
        ``.sregion`` name or a shared address.

    Values follow :func:`raw_words`; an array longer than its region, or outside the
    memory, is an :class:`ArrayError`.
    """
    from .image import ProgramImage

    c = image.config
    new = ProgramImage(config=c, programs=image.programs, rf_init=image.rf_init,
                       xbar_in=image.xbar_in, xbar_out=image.xbar_out, smem_init=image.smem_init,
                       smem_count=image.smem_count, smem_valid=image.smem_valid,
                       weights=image.weights, symbols=image.symbols, source=image.source,
                       regions=image.regions, mcu_names=image.mcu_names, check=image.check)
    for key, value in (weights or {}).items():
        core, mcu = _target(key, new.mcu_names, "--weights MCU")
        mcu = new.mcu_names.get(mcu, mcu)
        if not (0 <= core < c.cores_per_tile and 0 <= mcu < c.mcus_per_core):
            raise ArrayError(f"--weights {key}: no MCU {mcu} on core {core} ({c.cores_per_tile} "
                             f"cores x {c.mcus_per_core} MCUs)")
        array, where = _source(value, f"weights of {key}")
        raw = weight_words(array, c, where=where)
        w = new.weight_matrix(core, mcu)
        w[:raw.shape[0], :raw.shape[1]] = raw
        new.weights[(core, mcu)] = w
    core_regions = {n: r for n, r in new.regions.items() if r["space"] == "core"}
    for key, value in (data or {}).items():
        core, name = _target(key, core_regions, "--data REGION")
        array, where = _source(value, f"data of {key}")
        raw = data_words(array, c, where=where)
        base, room = _span(name, core_regions, c.addr_space, raw.size, where, "core address space")
        if not 0 <= core < c.cores_per_tile:
            raise ArrayError(f"--data {key}: no core {core} ({c.cores_per_tile} cores)")
        space = np.concatenate([new.rf_init[core]] + [np.concatenate(
            [new.xbar_in[core][m], new.xbar_out[core][m]]) for m in range(c.mcus_per_core)])
        space[base:base + raw.size] = raw
        new.rf_init[core] = space[:c.rf_depth].copy()
        for m in range(c.mcus_per_core):
            new.xbar_in[core][m] = space[c.xbar_in_base(m):c.xbar_in_base(m) + c.xbar_size]
            new.xbar_out[core][m] = space[c.xbar_out_base(m):c.xbar_out_base(m) + c.xbar_size]
    shared = {n: r for n, r in new.regions.items() if r["space"] == "shared"}
    for key, value in (smem or {}).items():
        _, name = _target(key, shared, "--smem SREGION")
        array, where = _source(value, f"shared memory of {key}")
        raw = data_words(array, c, where=where)
        base, _ = _span(name, shared, c.smem_user_depth, raw.size, where, "shared memory")
        new.smem_init[base:base + raw.size] = raw
        new.smem_valid[base:base + raw.size] = True
        new.smem_count[base:base + raw.size] = 0
    return new


def _span(name, regions, size, n, where, space):
    """``(base, room)`` of a region name or an address for ``n`` words."""
    if isinstance(name, str):
        base, room = regions[name]["base"], regions[name]["length"]
        if n > room:
            raise ArrayError(f"{where}: {n} values do not fit region {name!r} of {room} words")
        return base, room
    if not 0 <= name and name + n <= size:
        raise ArrayError(f"{where}: {n} values from address {name} exceed the {space} "
                         f"(0 .. {size - 1})")
    return name, size - name
