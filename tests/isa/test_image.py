"""Program images: save/load round trip, file formats, atomic replacement, load errors."""

import json

import numpy as np
import pytest

from panther.config import PRESETS, PantherConfig
from panther.isa import image as image_module
from panther.isa.image import ImageError, ProgramImage, read_hex

SMALL = PRESETS["small"]


def sample_image(config=SMALL):
    rng = np.random.default_rng(1)
    n = config.cores_per_tile
    user = np.arange(config.smem_depth) < config.smem_user_depth     # the OPA region stays free
    valid = rng.integers(0, 2, config.smem_depth).astype(bool) & user
    return ProgramImage(       # a word that is not valid holds no value (checked on load)
        config=config,
        programs=[[1 << 58, 2 ** 64 - 1, 0]] + [[] for _ in range(n - 1)],
        rf_init=[rng.integers(-2 ** 15, 2 ** 15, config.rf_depth) for _ in range(n)],
        xbar_in=[rng.integers(-5, 5, (config.mcus_per_core, config.xbar_size)) for _ in range(n)],
        smem_init=rng.integers(-100, 100, config.smem_depth) * valid,
        smem_count=rng.integers(0, 3, config.smem_depth) * valid,
        smem_valid=valid,
        weights={(0, 1): rng.integers(-2 ** 31, 2 ** 31, (config.xbar_size, config.xbar_size))},
        symbols={"loop": 3}, source="hlt\n")


def test_the_opa_region_must_start_free():
    valid = np.zeros(SMALL.smem_depth, bool)
    valid[SMALL.smem_user_depth - 1] = True
    ProgramImage(config=SMALL, smem_valid=valid)
    valid[SMALL.smem_user_depth] = True
    with pytest.raises(ValueError, match="word 896 lies in the OPA region 896 .. 2047"):
        ProgramImage(config=SMALL, smem_valid=valid)
    count = np.zeros(SMALL.smem_depth, np.int64)
    count[-1] = 1
    with pytest.raises(ValueError, match="word 2047 lies in the OPA region"):
        ProgramImage(config=SMALL, smem_count=count)


def test_save_load_round_trip(tmp_path):
    img = sample_image()
    out = img.save(tmp_path / "img")
    assert sorted(p.name for p in out.iterdir()) == ["core0.hex", "core1.hex", "image.json", "image.npz"]
    back = ProgramImage.load(out)
    assert back.same_contents(img)
    assert back.symbols == {"loop": 3} and back.source == "hlt\n"
    assert back.config == SMALL
    assert np.array_equal(back.weight_matrix(0, 1), img.weights[(0, 1)])
    assert not back.weight_matrix(1, 0).any()
    assert not back.xbar_out[1].any()


def test_hex_file_is_readmemh_format(tmp_path):
    out = sample_image().save(tmp_path / "img")
    assert (out / "core0.hex").read_text() == "0400000000000000\nffffffffffffffff\n0000000000000000\n"
    assert (out / "core1.hex").read_text() == ""
    assert read_hex(out / "core0.hex") == [1 << 58, 2 ** 64 - 1, 0]
    meta = json.loads((out / "image.json").read_text())
    assert meta["config"]["xbar_size"] == 16 and meta["programs"][0] == {"core": 0, "file": "core0.hex", "words": 3}


def test_save_replaces_an_existing_image_and_leaves_no_temporaries(tmp_path):
    sample_image().save(tmp_path / "img")
    other = ProgramImage(config=SMALL, programs=[[0], [1 << 58]])
    other.save(tmp_path / "img")
    assert ProgramImage.load(tmp_path / "img").programs == [[0], [1 << 58]]
    assert [p.name for p in tmp_path.iterdir()] == ["img"]


def test_failed_save_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(image_module.np, "savez_compressed", broken)
    with pytest.raises(ImageError, match="img: cannot write the image: disk full"):
        sample_image().save(tmp_path / "img")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_previous_image(tmp_path, monkeypatch):
    sample_image().save(tmp_path / "img")
    monkeypatch.setattr(image_module.np, "savez_compressed",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(ImageError, match="disk full"):
        ProgramImage(config=SMALL).save(tmp_path / "img")
    monkeypatch.undo()
    assert ProgramImage.load(tmp_path / "img").programs[0] == [1 << 58, 2 ** 64 - 1, 0]
    assert [p.name for p in tmp_path.iterdir()] == ["img"]


def test_refuses_to_replace_a_directory_that_is_not_an_image(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("precious")
    with pytest.raises(ImageError, match="not a program image directory"):
        sample_image().save(tmp_path / "notes")
    assert (tmp_path / "notes" / "keep.txt").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ImageError, match="not a directory"):
        sample_image().save(tmp_path / "file")


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(ImageError, match="image.json: cannot read"):
        ProgramImage.load(tmp_path)
    out = sample_image().save(tmp_path / "img")
    (out / "core0.hex").write_text("0400000000000000\n  12zz\n")
    with pytest.raises(ImageError, match=r"core0.hex:2:3: expected one 64-bit word as 16 hex digits"):
        ProgramImage.load(out)
    (out / "image.json").write_text("{")
    with pytest.raises(ImageError, match=r"image.json:1:2: invalid JSON"):
        ProgramImage.load(out)
    (out / "image.json").write_text('{"format": "other"}')
    with pytest.raises(ImageError, match="not a PANTHER program image"):
        ProgramImage.load(out)


def test_constructor_validates_shapes():
    with pytest.raises(ValueError, match="one list per core"):
        ProgramImage(config=SMALL, programs=[[]])
    with pytest.raises(ValueError, match="rf_init"):
        ProgramImage(config=SMALL, rf_init=[np.zeros(3), np.zeros(3)])
    with pytest.raises(ValueError, match="64-bit"):
        ProgramImage(config=SMALL, programs=[[-1], []])
    with pytest.raises(ValueError, match="imem_depth"):
        ProgramImage(config=SMALL.replace(imem_depth=1), programs=[[0, 0], []])
    with pytest.raises(ValueError, match="weights key"):
        ProgramImage(config=SMALL, weights={(0, 2): np.zeros((16, 16))})


def test_constructor_refuses_xbar_words_the_buffers_cannot_hold():
    """The XBar buffers hold signed data_bits words (16 on the small preset: -32768 .. 32767,
    by hand); the first word outside names its core, MCU and buffer word."""
    lo, hi = -2 ** 15, 2 ** 15 - 1
    buf = (SMALL.mcus_per_core, SMALL.xbar_size)
    edges = [np.full(buf, lo), np.full(buf, hi)]
    ProgramImage(config=SMALL, xbar_in=edges, xbar_out=edges[::-1])
    words = [np.zeros(buf, np.int64) for _ in range(SMALL.cores_per_tile)]
    words[1][0, 3] = hi + 1
    with pytest.raises(ValueError, match=r"^xbar_in\[1, 0, 3\] = 32768 outside -32768 \.\. 32767 "
                                         r"\(core 1, MCU 0, XBarIn word 3: a signed 16-bit"):
        ProgramImage(config=SMALL, xbar_in=words)
    words[1][0, 3] = 0
    words[0][1, 15] = lo - 1
    with pytest.raises(ValueError, match=r"^xbar_out\[0, 1, 15\] = -32769 outside .*XBarOut word 15"):
        ProgramImage(config=SMALL, xbar_out=words)
    narrow = SMALL.replace(data_bits=8, data_frac_bits=4, weight_frac_bits=8)
    words = [np.zeros(buf, np.int64) for _ in range(SMALL.cores_per_tile)]
    words[0][0, 0] = 2 ** 7
    with pytest.raises(ValueError, match=r"128 outside -128 \.\. 127 .*a signed 8-bit"):
        ProgramImage(config=narrow, xbar_in=words)


def _one_bad_value(field, index, value):
    """The keyword arguments of an otherwise empty small-preset image with one value set."""
    n, d = SMALL.cores_per_tile, SMALL.smem_depth
    kwargs = {"rf_init": [np.zeros(SMALL.rf_depth, np.int64) for _ in range(n)],
              "smem_init": np.zeros(d, np.int64), "smem_count": np.zeros(d, np.int64),
              "smem_valid": np.zeros(d, bool)}
    if field == "weights":
        kwargs["weights"] = {(1, 0): np.zeros((SMALL.xbar_size,) * 2, np.int64)}
        kwargs["weights"][(1, 0)][index] = value
    elif field == "rf_init":
        kwargs["rf_init"][index[0]][index[1]] = value
    else:
        kwargs[field][index] = value
        kwargs["smem_valid"][index] = True
    return kwargs


# Ranges by hand for the small preset: data words signed 16-bit, weights signed 32-bit (Q8.24),
# consumer counts an 8-bit field.
@pytest.mark.parametrize("field, index, value, message", [
    ("rf_init", (1, 7), 2 ** 15, r"^rf_init\[1, 7\] = 32768 outside -32768 \.\. 32767 \(a signed 16-bit"),
    ("rf_init", (0, 0), -2 ** 15 - 1, r"^rf_init\[0, 0\] = -32769 outside"),
    ("smem_init", 5, 2 ** 15, r"^smem_init\[5\] = 32768 outside -32768 \.\. 32767"),
    ("smem_count", 9, 256, r"^smem_count\[9\] = 256 outside 0 \.\. 255 \(a consumer count"),
    ("smem_count", 9, -1, r"^smem_count\[9\] = -1 outside 0 \.\. 255"),
    ("weights", (2, 3), 2 ** 31, r"^weights_c1_m0\[2, 3\] = 2147483648 outside -2147483648 \.\. "
                                 r"2147483647 \(a signed 32-bit weight"),
])
def test_constructor_refuses_values_the_machine_cannot_hold(field, index, value, message):
    """Built in memory, not only loaded from a file: an image the golden model and the RTL would
    read differently (one wraps a word, the other does not) never reaches either."""
    with pytest.raises(ValueError, match=message):
        ProgramImage(config=SMALL, **_one_bad_value(field, index, value))
    edge = value - 1 if value > 0 else value + 1          # the range's own end is accepted
    ProgramImage(config=SMALL, **_one_bad_value(field, index, edge))


def test_constructor_refuses_a_value_in_a_word_that_is_not_valid():
    kwargs = _one_bad_value("smem_init", 4, 3)
    kwargs["smem_valid"][4] = False
    with pytest.raises(ValueError, match=r"smem_init\[4\] = 3 with smem_count\[4\] = 0, but "
                                         r"smem_valid\[4\] is false"):
        ProgramImage(config=SMALL, **kwargs)


def test_defaults_are_zero_memories_of_the_configured_shapes():
    config = PantherConfig(cores_per_tile=3, mcus_per_core=1, xbar_size=4, rf_depth=32, smem_depth=64,
                           deferred_depth=1)
    img = ProgramImage(config=config)
    assert img.programs == [[], [], []]
    assert [a.shape for a in img.rf_init] == [(32,)] * 3
    assert img.xbar_in[2].shape == (1, 4) and img.smem_valid.dtype == bool
    assert img.smem_init.shape == (64,) and not img.smem_valid.any()


def _non_canonical_digits(config, rng):
    """Random slice digits in range (mostly not canonical; half range in the MSB slice, so the
    weight fits weight_bits) and the weights they hold."""
    shape = (config.n_slices, config.xbar_size, config.xbar_size)
    ranges = [config.digit_range(k) for k in range(config.n_slices)]
    ranges[-1] = (ranges[-1][0] // 2, ranges[-1][1] // 2)
    d = np.stack([rng.integers(low, high, endpoint=True, size=shape[1:]) for low, high in ranges])
    w = sum(d[k].astype(np.int64) << (config.nominal_bits * k) for k in range(config.n_slices))
    return d, w


def test_slice_digits_round_trip_and_start_the_golden_mcus(tmp_path):
    from panther.isa.golden import Tile

    d, w = _non_canonical_digits(SMALL, np.random.default_rng(4))
    image = ProgramImage(config=SMALL, programs=[[1 << 58], []], weights={(0, 1): w},
                         digits={(0, 1): d})
    loaded = ProgramImage.load(image.save(tmp_path / "img"))
    assert loaded.same_contents(image) and np.array_equal(loaded.digits[(0, 1)], d)
    assert json.loads((tmp_path / "img" / "image.json").read_text())["digits"] == [[0, 1]]
    assert not loaded.same_contents(ProgramImage(config=SMALL, programs=[[1 << 58], []],
                                                 weights={(0, 1): w}))
    report = Tile.from_image(loaded).run()
    assert np.array_equal(report.cores[0]["mcus"][1]["digits"], d)     # not re-canonicalised


def test_slice_digits_are_checked(tmp_path):
    d, w = _non_canonical_digits(SMALL, np.random.default_rng(5))
    with pytest.raises(ValueError, match="digits key .* has no weights"):
        ProgramImage(config=SMALL, digits={(0, 0): d})
    bad = d.copy()
    bad[0, 1, 2] = 99                                   # built in memory, named as on load
    with pytest.raises(ValueError, match=r"^digits_c0_m0\[0\]\[1, 2\] = 99 outside"):
        ProgramImage(config=SMALL, weights={(0, 0): w}, digits={(0, 0): bad})
    with pytest.raises(ValueError, match=r"digits\[\(0, 0\)\] do not hold weights"):
        ProgramImage(config=SMALL, weights={(0, 0): w + 1}, digits={(0, 0): d})
    path = ProgramImage(config=SMALL, weights={(0, 0): w}, digits={(0, 0): d}).save(tmp_path / "i")
    with np.load(path / "image.npz") as arrays:
        data = dict(arrays)
    data["digits_c0_m0"][3, 2, 1] = 99                  # slice 3 holds 6-bit digits
    np.savez(path / "image.npz", **data)
    with pytest.raises(ImageError, match=r"digits_c0_m0\[3\]\[2, 1\] = 99 outside -32 .. 31"):
        ProgramImage.load(path)
