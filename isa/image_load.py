"""Reading a program image directory with every field checked before anything runs.

:func:`load_image` is :meth:`isa.image.ProgramImage.load`. It checks, and names the file and
the field of the first thing wrong:

* ``image.json``: UTF-8, valid JSON (bounded nesting), an object with the known keys only,
  each of the right JSON type; the configuration (:meth:`PantherConfig.from_dict`); one
  program entry per core naming a plain ``.hex`` file of this directory and its word count;
  weight and slice-digit keys as distinct ``[core, mcu]`` pairs of the configuration (digits
  only where there are weights); symbols as names to
  integers of at most :data:`isa.asm_expr.MAX_INT_BITS` bits;
* every ``core<N>.hex`` (:func:`isa.image.read_hex`): at most ``imem_depth`` words;
* ``image.npz``: exactly the arrays the image needs, each of the configured shape and an
  integer (``smem_valid``: boolean) dtype, checked from the array headers before any data is
  read; every value in the range the assembler can produce and the machine holds
  (:func:`isa.image_values.value_error`, which the constructor applies too).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from panther.config import ConfigError, PantherConfig

from .asm_expr import MAX_INT_BITS
from .image_files import IMAGE_FORMAT, IMAGE_VERSION, ImageError, read_hex, read_utf8
from .image_values import value_error

__all__ = ["load_image", "META_KEYS"]

#: Keys of ``image.json`` and their JSON types.
META_KEYS = {"format": str, "version": int, "config": dict, "programs": list, "weights": list,
             "digits": list, "symbols": dict, "source": str, "regions": dict, "mcu_names": dict,
             "check": str}
#: Optional fields that may be null.
_NULLABLE = {"check"}
#: The arrays of ``image.npz`` whose values :func:`isa.image_values.value_error` checks, besides
#: the weights and digits.
_VALUE_ARRAYS = ("rf_init", "xbar_in", "xbar_out", "smem_init", "smem_count", "smem_valid")

_JSON_TYPES = {str: "a string", int: "an integer", dict: "an object", list: "a list"}


def _error(message):
    return ImageError(message)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _read_meta(path):
    text = read_utf8(path)
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as error:
        raise _error(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}") from None
    except RecursionError:
        raise _error(f"{path}: invalid JSON: nested too deeply") from None
    except ValueError as error:                   # e.g. an integer of more than 4300 digits
        raise _error(f"{path}: invalid JSON: {error}") from None
    return meta


def _check_meta(meta, path):
    if not isinstance(meta, dict) or meta.get("format") != IMAGE_FORMAT:
        raise _error(f"{path}: not a PANTHER program image (format must be {IMAGE_FORMAT!r})")
    if meta.get("version") != IMAGE_VERSION or not _is_int(meta.get("version")):
        raise _error(f"{path}: unsupported image version {meta.get('version')!r}; "
                     f"expected {IMAGE_VERSION}")
    unknown = sorted(set(meta) - set(META_KEYS))
    if unknown:
        raise _error(f"{path}: unknown field(s) {unknown}; expected some of {sorted(META_KEYS)}")
    for key in ("config", "programs"):
        if key not in meta:
            raise _error(f"{path}: field {key!r} is missing")
    for key, kind in META_KEYS.items():
        value = meta.get(key, kind())
        if value is None and key in _NULLABLE:
            continue
        if not (isinstance(value, kind) and (kind is not int or _is_int(value))):
            raise _error(f"{path}: field {key!r} must be {_JSON_TYPES[kind]}, not "
                         f"{type(value).__name__}")
    try:
        return PantherConfig.from_dict(meta["config"], source=f"{path}: field 'config'")
    except ConfigError as error:
        raise _error(str(error)) from None


def _programs(meta, path, in_dir, config):
    n = config.cores_per_tile
    programs = [None] * n
    for i, entry in enumerate(meta["programs"]):
        where = f"{path}: programs[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"core", "file", "words"}:
            raise _error(f"{where} must be an object with the fields 'core', 'file' and 'words', "
                         f"not {_short(entry)}")
        core, name, words = entry["core"], entry["file"], entry["words"]
        if not _is_int(core) or not 0 <= core < n:
            raise _error(f"{where}: core {_short(core)} outside the tile (0 .. {n - 1}, cores_per_tile)")
        if programs[core] is not None:
            raise _error(f"{where}: a second program entry for core {core}")
        if (not isinstance(name, str) or not name.endswith(".hex") or "/" in name or "\\" in name
                or name.startswith(".")):
            raise _error(f"{where}: file must name a .hex file of the image directory, not "
                         f"{_short(name)}")
        if not _is_int(words) or not 0 <= words <= config.imem_depth:
            raise _error(f"{where}: words must be 0 .. {config.imem_depth} (imem_depth), not "
                         f"{_short(words)}")
        program = read_hex(in_dir / name, max_words=config.imem_depth)
        if len(program) != words:
            raise _error(f"{in_dir / name}: {len(program)} words, but {path} says {words}")
        programs[core] = program
    missing = [core for core, p in enumerate(programs) if p is None]
    if missing:
        raise _error(f"{path}: field 'programs' has no entry for core(s) {missing}")
    return programs


def _weight_keys(meta, path, config, field="weights"):
    keys = []
    for i, pair in enumerate(meta.get(field) or []):
        if (not isinstance(pair, list) or len(pair) != 2 or not all(_is_int(v) for v in pair)
                or not 0 <= pair[0] < config.cores_per_tile or not 0 <= pair[1] < config.mcus_per_core):
            raise _error(f"{path}: {field}[{i}] must be a [core, mcu] pair of this configuration "
                         f"(cores 0 .. {config.cores_per_tile - 1}, MCUs 0 .. "
                         f"{config.mcus_per_core - 1}), not {_short(pair)}")
        if tuple(pair) in keys:
            raise _error(f"{path}: {field}[{i}] repeats {pair}")
        keys.append(tuple(pair))
    return keys


def _symbols(meta, path):
    symbols = meta.get("symbols") or {}
    for name, value in symbols.items():
        if not _is_int(value) or value.bit_length() > MAX_INT_BITS:
            raise _error(f"{path}: symbols[{name!r}] must be an integer of at most {MAX_INT_BITS} "
                         f"bits, not {_short(value)}")
    return symbols


def _short(value):
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "a huge integer"
    return text if len(text) <= 60 else text[:57] + "..."


def _expected_arrays(config, weight_keys, digit_keys=()):
    c = config
    shapes = {"rf_init": (c.cores_per_tile, c.rf_depth),
              "xbar_in": (c.cores_per_tile, c.mcus_per_core, c.xbar_size),
              "xbar_out": (c.cores_per_tile, c.mcus_per_core, c.xbar_size),
              "smem_init": (c.smem_depth,), "smem_count": (c.smem_depth,), "smem_valid": (c.smem_depth,)}
    for core, mcu in weight_keys:
        shapes[f"weights_c{core}_m{mcu}"] = (c.xbar_size, c.xbar_size)
    for core, mcu in digit_keys:
        shapes[f"digits_c{core}_m{mcu}"] = (c.n_slices, c.xbar_size, c.xbar_size)
    return shapes


_NPZ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
               NotImplementedError)


def _read_arrays(npz_path, shapes):
    """The arrays of ``image.npz``, each checked for name, shape and dtype from its header
    before its data is read (so a forged header cannot make the load allocate much)."""
    arrays = {}
    try:
        with zipfile.ZipFile(npz_path) as archive:
            names = [n.removesuffix(".npy") for n in archive.namelist()]
            unknown = sorted(set(names) - set(shapes))
            if unknown:
                raise _error(f"{npz_path}: unexpected array(s) {unknown}")
            missing = sorted(set(shapes) - set(names))
            if missing:
                raise _error(f"{npz_path}: missing array(s) {missing}")
            for name, shape in shapes.items():
                with archive.open(name + ".npy") as handle:
                    version = np.lib.format.read_magic(handle)
                    header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)
                    got, _, dtype = header(handle)
                want_bool = name == "smem_valid"
                if tuple(got) != shape:
                    raise _error(f"{npz_path}: array {name!r} has shape {tuple(got)}, expected {shape}")
                integer = (dtype.kind == "i" and dtype.itemsize <= 8
                           or dtype.kind == "u" and dtype.itemsize < 8)
                if (dtype.kind != "b") if want_bool else not integer:
                    raise _error(f"{npz_path}: array {name!r} has dtype {dtype}, expected "
                                 f"{'bool' if want_bool else 'a signed integer dtype of at most 64 bits'}")
                with archive.open(name + ".npy") as handle:
                    arrays[name] = np.lib.format.read_array(handle, allow_pickle=False)
    except _NPZ_ERRORS as error:
        raise _error(f"{npz_path}: cannot read: {error or type(error).__name__}") from None
    return arrays


def load_image(cls, in_dir):
    """A :class:`isa.image.ProgramImage` (``cls``) read from ``in_dir`` and checked (see the
    module docstring). Raises :class:`isa.image.ImageError`."""
    in_dir = Path(in_dir)
    if not in_dir.is_dir():
        raise _error(f"{in_dir}: not an image directory")
    meta_path = in_dir / "image.json"
    meta = _read_meta(meta_path)
    config = _check_meta(meta, meta_path)
    programs = _programs(meta, meta_path, in_dir, config)
    keys = _weight_keys(meta, meta_path, config)
    digit_keys = _weight_keys(meta, meta_path, config, "digits")
    symbols = _symbols(meta, meta_path)
    npz_path = in_dir / "image.npz"
    arrays = _read_arrays(npz_path, _expected_arrays(config, keys, digit_keys))
    digits = {k: arrays[f"digits_c{k[0]}_m{k[1]}"] for k in digit_keys}
    weights = {k: arrays[f"weights_c{k[0]}_m{k[1]}"] for k in keys}
    message = value_error(config, weights=weights, digits=digits,   # before the constructor
                          **{name: arrays[name] for name in _VALUE_ARRAYS})  # (which checks
    if message is not None:                                         # them too), to name the file
        raise _error(f"{npz_path}: {message}")
    try:
        image = cls(config=config, programs=programs,
                    rf_init=list(arrays["rf_init"]), xbar_in=list(arrays["xbar_in"]),
                    xbar_out=list(arrays["xbar_out"]), smem_init=arrays["smem_init"],
                    smem_count=arrays["smem_count"], smem_valid=arrays["smem_valid"],
                    weights=weights,
                    digits=digits, symbols=symbols, source=meta.get("source") or "",
                    regions=meta.get("regions") or {}, mcu_names=meta.get("mcu_names") or {},
                    check=meta.get("check"))
    except (ValueError, TypeError, OverflowError) as error:
        raise _error(f"{in_dir}: inconsistent image: {error}") from None
    return image
