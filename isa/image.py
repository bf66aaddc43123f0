"""Program images: everything a tile needs to start (programs and initial memory contents).

An image directory holds

* ``core<N>.hex``: the program of core ``N`` for Verilog ``$readmemh``, one 16-hex-digit
  64-bit word per line (one file per core of the tile, empty for an idle core);
* ``image.npz``: the initial memories (see :class:`ProgramImage`);
* ``image.json``: the configuration, the symbols, the source and a manifest of the files.

:meth:`ProgramImage.save` writes to a temporary directory beside the target and renames it
into place, so the target is never left half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panther.config import PantherConfig

from .image_files import IMAGE_FORMAT, IMAGE_VERSION, ImageError, hex_lines, read_hex
from .image_load import load_image
from .image_values import value_error

__all__ = ["ProgramImage", "ImageError", "IMAGE_FORMAT", "IMAGE_VERSION", "read_hex", "hex_lines",
           "write_dir_atomically"]

def write_dir_atomically(out_dir, fill):
    """Write a directory through a temporary one renamed into place: ``fill(tmp)`` writes the
    contents; an existing image directory ``out_dir`` is replaced, anything else is refused.
    Returns ``out_dir`` as a :class:`pathlib.Path`."""
    out_dir = Path(out_dir)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    try:
        fill(tmp)
        old = None
        if out_dir.exists():
            if not out_dir.is_dir():
                raise ImageError(f"{out_dir}: exists and is not a directory; refusing to replace it")
            if not (out_dir / "image.json").is_file() and any(out_dir.iterdir()):
                raise ImageError(f"{out_dir}: exists and is not a program image directory; "
                                 "refusing to replace it")
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.rename(out_dir, old / "d")
        os.rename(tmp, out_dir)
        tmp = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _region(name, region, config):
    """A checked copy of one ``regions`` entry."""
    try:
        space, base, length = region["space"], int(region["base"]), int(region["length"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"regions[{name!r}] must be {{'space', 'base', 'length'}}, not "
                         f"{region!r}") from None
    size = {"core": config.addr_space, "shared": config.smem_user_depth}.get(space)
    if size is None:
        raise ValueError(f"regions[{name!r}]: space must be 'core' or 'shared', not {space!r}")
    if not (0 <= base and 1 <= length and base + length <= size):
        raise ValueError(f"regions[{name!r}]: {base} .. {base + length - 1} outside the "
                         f"{space} space 0 .. {size - 1}")
    return {"space": space, "base": base, "length": length}


def _from_digits(digits, config):
    """Raw weights held by slice digits (semantics §2: sum of d_k 2**(p k))."""
    p = config.nominal_bits
    return sum(digits[k] << (p * k) for k in range(digits.shape[0]))


def _array(value, shape, name, dtype=np.int64):
    arr = np.zeros(shape, dtype=dtype) if value is None else np.asarray(value, dtype=dtype)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, not {arr.shape}")
    return arr.copy()


@dataclass(eq=False)
class ProgramImage:
    """Programs and initial memory contents of one tile.

    Members
    -------
    config : PantherConfig
        The configuration the image was assembled for.
    programs : list of list of int
        One list of 64-bit instruction words per core (``config.cores_per_tile`` lists).
    rf_init : list of numpy.ndarray
        Per core, int64 ``(rf_depth,)`` initial register-file words (raw data words).
    xbar_in, xbar_out : list of numpy.ndarray
        Per core, int64 ``(mcus_per_core, xbar_size)`` initial XBarIn / XBarOut words, each a
        signed ``data_bits`` word (a ValueError names the first that is not). ``None`` in
        the constructor means zeros.
    smem_init : numpy.ndarray
        int64 ``(smem_depth,)`` initial shared-memory words.
    smem_count : numpy.ndarray
        int64 ``(smem_depth,)`` initial consumer counters; 0 with ``smem_valid`` = persistent.
    smem_valid : numpy.ndarray
        bool ``(smem_depth,)`` initial valid bits.
    weights : dict
        ``(core, mcu) -> int64 (xbar_size, xbar_size)`` raw weights (Q8.24), ``W[row, col]``;
        MCUs not listed start with all-zero weights.
    digits : dict
        ``(core, mcu) -> int64 (n_slices, xbar_size, xbar_size)`` slice digits (LSB slice
        first, each in its ``config.digit_range``) that an MCU starts from instead of the
        canonical digits of its weights: the state a previous run left, carries CRS has not
        resolved yet included (training over several kernel invocations). Every key must
        also be a key of ``weights``, with the weights the digits hold.
    symbols : dict of str to int
        Labels and constants of the source (for tools and debugging).
    source : str
        The assembly source text (may be empty).
    regions : dict
        ``name -> {"space": "core" | "shared", "base": int, "length": int}``: the
        ``.region`` (core address space, the same on every core) and ``.sregion`` (shared
        memory) symbols, whose final values a run report decodes.
    mcu_names : dict of str to int
        The ``.mcu`` names and their MCU numbers.
    check : str or None
        The reference check the program names (``.check``), see
        :data:`isa.golden.reference.CHECKS`; None: none.
    """

    config: PantherConfig
    programs: list = None
    rf_init: list = None
    xbar_in: list = None
    xbar_out: list = None
    smem_init: np.ndarray = None
    smem_count: np.ndarray = None
    smem_valid: np.ndarray = None
    weights: dict = field(default_factory=dict)
    digits: dict = field(default_factory=dict)
    symbols: dict = field(default_factory=dict)
    source: str = ""
    regions: dict = field(default_factory=dict)
    mcu_names: dict = field(default_factory=dict)
    check: str = None

    def __post_init__(self):
        c = self.config
        if not isinstance(c, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {c!r}")
        n = c.cores_per_tile
        programs = self.programs if self.programs is not None else [[] for _ in range(n)]
        if len(programs) != n:
            raise ValueError(f"programs must have one list per core ({n}), not {len(programs)}")
        self.programs = [[int(w) for w in p] for p in programs]
        for core, prog in enumerate(self.programs):
            hex_lines(prog)
            if len(prog) > c.imem_depth:
                raise ValueError(f"core {core}: {len(prog)} instructions exceed imem_depth {c.imem_depth}")

        def per_core(value, shape, name):
            value = value if value is not None else [None] * n
            if len(value) != n:
                raise ValueError(f"{name} must have one array per core ({n}), not {len(value)}")
            return [_array(v, shape, f"{name}[{i}]") for i, v in enumerate(value)]

        self.rf_init = per_core(self.rf_init, (c.rf_depth,), "rf_init")
        buf = (c.mcus_per_core, c.xbar_size)
        self.xbar_in = per_core(self.xbar_in, buf, "xbar_in")
        self.xbar_out = per_core(self.xbar_out, buf, "xbar_out")
        self.smem_init = _array(self.smem_init, (c.smem_depth,), "smem_init")
        self.smem_count = _array(self.smem_count, (c.smem_depth,), "smem_count")
        self.smem_valid = _array(self.smem_valid, (c.smem_depth,), "smem_valid", dtype=bool)
        region = slice(c.smem_user_depth, c.smem_depth)
        taken = np.flatnonzero(self.smem_valid[region] | (self.smem_count[region] != 0))
        if taken.size:
            raise ValueError(f"smem_valid/smem_count: shared-memory word "
                             f"{c.smem_user_depth + int(taken[0])} lies in the OPA region "
                             f"{c.smem_user_depth} .. {c.smem_depth - 1}, which must start "
                             "invalid with count 0 (the cores save OPA operands there)")
        weights = {}
        for key, w in dict(self.weights).items():
            core, mcu = (int(k) for k in key)
            if not (0 <= core < n and 0 <= mcu < c.mcus_per_core):
                raise ValueError(f"weights key {key!r} is not a (core, mcu) of this configuration")
            weights[(core, mcu)] = _array(w, (c.xbar_size, c.xbar_size), f"weights[{key}]")
        self.weights = weights
        digits = {}
        shape = (c.n_slices, c.xbar_size, c.xbar_size)
        for key, d in dict(self.digits).items():
            core, mcu = (int(k) for k in key)
            if (core, mcu) not in weights:
                raise ValueError(f"digits key {key!r} has no weights (digits must come with the "
                                 "weights they hold)")
            digits[(core, mcu)] = _array(d, shape, f"digits[{key}]")
        self.digits = digits
        message = value_error(c, rf_init=np.stack(self.rf_init), xbar_in=np.stack(self.xbar_in),
                              xbar_out=np.stack(self.xbar_out), smem_init=self.smem_init,
                              smem_count=self.smem_count, smem_valid=self.smem_valid,
                              weights=weights, digits=digits)
        if message is not None:
            raise ValueError(message)
        for key, d in digits.items():
            if not np.array_equal(_from_digits(d, c), weights[key]):
                raise ValueError(f"digits[{key}] do not hold weights[{key}]")
        self.symbols = {str(k): int(v) for k, v in dict(self.symbols).items()}
        self.source = str(self.source)
        self.regions = {str(name): _region(name, r, c) for name, r in dict(self.regions).items()}
        self.mcu_names = {str(k): int(v) for k, v in dict(self.mcu_names).items()}
        for name, m in self.mcu_names.items():
            if not 0 <= m < c.mcus_per_core:
                raise ValueError(f"mcu_names[{name!r}] = {m} is not an MCU of this configuration")
        if self.check is not None and not isinstance(self.check, str):
            raise TypeError(f"check must be a str or None, not {self.check!r}")

    # -- comparison --------------------------------------------------------------------------

    def weight_matrix(self, core, mcu):
        """Initial raw weights of one MCU (zeros when the image sets none)."""
        w = self.weights.get((core, mcu))
        if w is None:
            return np.zeros((self.config.xbar_size,) * 2, dtype=np.int64)
        return w.copy()

    def same_contents(self, other):
        """True when both images hold the same configuration, programs and memories
        (symbols and source are not compared)."""
        keys = set(self.weights) | set(other.weights)
        return (self.config == other.config and self.programs == other.programs
                and self.digits.keys() == other.digits.keys()
                and all(np.array_equal(d, other.digits[k]) for k, d in self.digits.items())
                and all(np.array_equal(a, b) for a, b in zip(self.rf_init, other.rf_init))
                and all(np.array_equal(a, b) for a, b in zip(self.xbar_in, other.xbar_in))
                and all(np.array_equal(a, b) for a, b in zip(self.xbar_out, other.xbar_out))
                and np.array_equal(self.smem_init, other.smem_init)
                and np.array_equal(self.smem_count, other.smem_count)
                and np.array_equal(self.smem_valid, other.smem_valid)
                and all(np.array_equal(self.weight_matrix(*k), other.weight_matrix(*k)) for k in keys))

    # -- files -------------------------------------------------------------------------------

    def _arrays(self):
        arrays = {
            "rf_init": np.stack(self.rf_init),
            "xbar_in": np.stack(self.xbar_in),
            "xbar_out": np.stack(self.xbar_out),
            "smem_init": self.smem_init,
            "smem_count": self.smem_count,
            "smem_valid": self.smem_valid,
        }
        for (core, mcu), w in sorted(self.weights.items()):
            arrays[f"weights_c{core}_m{mcu}"] = w
        for (core, mcu), d in sorted(self.digits.items()):
            arrays[f"digits_c{core}_m{mcu}"] = d
        return arrays

    def save(self, out_dir):
        """Write the image directory ``out_dir`` atomically (replacing an existing one).

        Returns the :class:`pathlib.Path` of the directory.
        """
        out_dir = Path(out_dir)
        try:
            return self._save(out_dir)
        except OSError as error:
            raise ImageError(f"{out_dir}: cannot write the image: "
                             f"{error.strerror or error}") from None

    def _save(self, out_dir):
        return write_dir_atomically(out_dir, self.write_into)

    def write_into(self, directory):
        """Write the image's files into the new, empty ``directory`` (no atomicity: see
        :meth:`save`)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        files = []
        for core, prog in enumerate(self.programs):
            name = f"core{core}.hex"
            lines = hex_lines(prog)
            (directory / name).write_text("".join(line + "\n" for line in lines))
            files.append({"core": core, "file": name, "words": len(prog)})
        with open(directory / "image.npz", "wb") as handle:
            np.savez_compressed(handle, **self._arrays())
        meta = {
            "format": IMAGE_FORMAT,
            "version": IMAGE_VERSION,
            "config": self.config.to_dict(),
            "programs": files,
            "weights": [list(k) for k in sorted(self.weights)],
            **({"digits": [list(k) for k in sorted(self.digits)]} if self.digits else {}),
            "symbols": dict(sorted(self.symbols.items())),
            "source": self.source,
            "regions": dict(sorted(self.regions.items())),
            "mcu_names": dict(sorted(self.mcu_names.items())),
            "check": self.check,
        }
        (directory / "image.json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, in_dir):
        """Read an image directory written by :meth:`save`, checking every file, field,
        shape, dtype and value against the configuration first (:mod:`isa.image_load`).

        Raises :class:`ImageError` naming the file and the field of anything missing,
        malformed or out of range.
        """
        return load_image(cls, in_dir)
