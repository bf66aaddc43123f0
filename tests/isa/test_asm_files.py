"""Numpy in: ``.weights_file``, ``.data_file``, ``.smem_file`` and ``.check``, and the same
arrays through ``isa.arrays.with_arrays`` (``panther run --weights/--data/--smem``).

Expected images come from the text directives (``.weights``, ``.data``, ``.smem`` with the
same numbers written out), an independent path through the assembler."""

import numpy as np
import pytest

from panther.config import PRESETS
from panther.isa.arrays import ArrayError, with_arrays
from panther.isa.assembler import AsmError, assemble

SMALL = PRESETS["small"]
HEAD = ".mcu L1, 0\n.region x, 0, 4\n.sregion xs, 8, 4\n"


def text_list(values):
    return ", ".join(repr(float(v)) for v in values)


def test_weights_data_and_smem_files_equal_the_text_directives(tmp_path):
    rng = np.random.default_rng(3)
    W = rng.uniform(-2, 2, (3, 5)).round(6)
    x = np.array([0.5, -0.25, 1.0, 0.125])
    xs = np.array([0.75, -1.5])
    np.save(tmp_path / "w.npy", W)
    np.savez(tmp_path / "d.npz", x=x, xs=xs)
    from_files = HEAD + ('.weights_file L1, "w.npy"\n.data_file x, "d.npz", "x"\n'
                         '.smem_file xs, 2, "d.npz", "xs"\nhlt\n')
    rows = "".join(f".weights L1, {r}, {text_list(W[r])}\n" for r in range(3))
    from_text = HEAD + rows + f".data x, {text_list(x)}\n.smem xs, 2, {text_list(xs)}\nhlt\n"
    a = assemble(from_files, config=SMALL, filename=str(tmp_path / "p.s"))
    b = assemble(from_text, config=SMALL, filename="t.s")
    assert a.same_contents(b)
    assert a.weights[(0, 0)][2, 4] == round(W[2, 4] * 2**24)       # Q8.24, row-major


def test_integer_arrays_are_raw_words_and_paths_are_relative_to_the_source(tmp_path):
    (tmp_path / "sub").mkdir()
    np.save(tmp_path / "sub" / "raw.npy", np.array([1, -2, 65535], dtype=np.int32))
    image = assemble('.data_file 0, "raw.npy"\nhlt\n', config=SMALL,
                     filename=str(tmp_path / "sub" / "p.s"))
    assert image.rf_init[0][:3].tolist() == [1, -2, -1]       # 65535: the unsigned form of -1


def test_a_hash_inside_a_file_name_is_not_a_comment(tmp_path):
    np.save(tmp_path / "a#b.npy", np.array([0.5]))
    image = assemble('.data_file 0, "a#b.npy"  # comment\nhlt\n', config=SMALL,
                     filename=str(tmp_path / "p.s"))
    assert image.rf_init[0][0] == 2048


@pytest.mark.parametrize("setup, source, message", [
    (None, '.data_file 0, "none.npy"', "none.npy: no such file"),
    ("big", '.data_file 0, "big.npy"', "data value 9.0 at index (1,) does not fit Q4.12"),
    ("nan", '.data_file 0, "nan.npy"', "at index (0,) is nan, not a finite number"),
    ("bool", '.data_file 0, "bool.npy"', "must be a floating-point (real values) or integer"),
    ("w3d", '.mcu L1, 0\n.weights_file L1, "w3d.npy"', "must be a 2-D array of at most 16 x 16"),
    ("npz", '.data_file 0, "d.npz"', "a .npz archive; name one of its arrays (a)"),
    ("npz", '.data_file 0, "d.npz", "b"', "no array 'b' in the archive (it has a)"),
    (None, ".data_file 0, none.npy", "expected a .npy or .npz file name as a double-quoted"),
    ("two", '.region r, 0, 1\n.data_file r, "two.npy"', "outside region 'r'"),
    ("w3d", '.check mlp2_stepp', "unknown reference check 'mlp2_stepp'; did you mean 'mlp2_step'"),
])
def test_bad_arrays_are_reported_at_their_line(tmp_path, setup, source, message):
    arrays = {"big": np.array([1.0, 9.0]), "nan": np.array([np.nan]),
              "bool": np.array([True]), "w3d": np.zeros((2, 2, 2)), "two": np.zeros(2)}
    if setup == "npz":
        np.savez(tmp_path / "d.npz", a=np.zeros(2))
    elif setup is not None:
        np.save(tmp_path / f"{setup}.npy", arrays[setup])
    with pytest.raises(AsmError) as info:
        assemble(source + "\nhlt\n", config=SMALL, filename=str(tmp_path / "p.s"))
    assert message in str(info.value)
    assert str(info.value).startswith(f"{tmp_path / 'p.s'}:")


def test_a_weights_file_may_not_overwrite_a_weights_line(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((2, 2)))
    with pytest.raises(AsmError, match=r"p.s:3:\d+: weight \[1, 0\] of MCU 0 on core 0 already "
                                       r"set at line 2"):
        assemble('.mcu L1, 0\n.weights L1, 1, 0.5\n.weights_file L1, "w.npy"\nhlt\n',
                 config=SMALL, filename=str(tmp_path / "p.s"))


def test_check_directive_names_the_image_check(tmp_path):
    image = assemble(".check sgd_fc_step\nhlt\n", config=SMALL)
    assert image.check == "sgd_fc_step"
    assert assemble("hlt\n", config=SMALL).check is None
    image.save(tmp_path / "img")
    from panther.isa.image import ProgramImage

    again = ProgramImage.load(tmp_path / "img")
    assert again.check == "sgd_fc_step" and again.regions == image.regions


def test_with_arrays_writes_the_same_image_as_the_directives(tmp_path):
    W = np.arange(12, dtype=float).reshape(3, 4) / 16
    x, xs = np.array([0.5, 0.25]), np.array([-0.5, 0.125, 1.0])
    np.save(tmp_path / "w.npy", W)
    base = assemble(HEAD + "hlt\n", config=SMALL)
    filled = with_arrays(base, weights={"L1": str(tmp_path / "w.npy")}, data={"x": x},
                         smem={"xs": xs})
    direct = assemble(HEAD + f'.weights_file L1, "w.npy"\n.data x, {text_list(x)}\n'
                             f".smem xs, 0, {text_list(xs)}\nhlt\n",
                      config=SMALL, filename=str(tmp_path / "p.s"))
    assert filled.same_contents(direct)
    assert not base.same_contents(filled)          # a copy: the original is unchanged


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": {"L2": np.zeros((2, 2))}}, "--weights MCU 'L2': the program defines no such name"
                                            "; did you mean 'L1'?"),
    ({"data": {"x": np.zeros(5)}}, "5 values do not fit region 'x' of 4 words"),
    ({"smem": {"xs": "missing.npy"}}, "missing.npy: no such file"),
    ({"weights": {"1:5": np.zeros((2, 2))}}, "no MCU 5 on core 1"),
])
def test_with_arrays_rejects_what_does_not_fit(kwargs, message):
    base = assemble(HEAD + "hlt\n", config=SMALL)
    with pytest.raises(ArrayError) as info:
        with_arrays(base, **kwargs)
    assert message in str(info.value)
