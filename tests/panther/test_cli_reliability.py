"""No traceback on any input (issue 19): every reproducer of the CLI, images, configurations
and run semantics ends in ``file[:line:col]: message`` and exit 2, a bug in exit 70."""

import json
import time

import numpy as np
import pytest

from panther.apps.cli import main
from panther.config import PRESETS, NoiseConfig

PROGRAM = """\
.data 0, 0.5, 0.25
.smem 3, 1, 7
cp xin0, 0, 2
mcu 0:mvm
hlt
"""


@pytest.fixture
def image_dir(tmp_path, capsys):
    (tmp_path / "p.s").write_text(PROGRAM)
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(tmp_path / "img")]) == 0
    capsys.readouterr()
    return tmp_path / "img"


def cli(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def refused(capsys, *argv):
    status, out, err = cli(capsys, *argv)
    assert status == 2, err
    return err.strip()


# -- the assembler through the CLI ------------------------------------------------------

def test_one_error_and_several_errors_print_alike(tmp_path, capsys):
    (tmp_path / "one.s").write_text("hltt\n")
    (tmp_path / "two.s").write_text("hltt\nnopp\n")
    one = refused(capsys, "asm", tmp_path / "one.s", "-o", tmp_path / "o")
    two = refused(capsys, "asm", tmp_path / "two.s", "-o", tmp_path / "o")
    assert one == f"{tmp_path / 'one.s'}:1:1: unknown mnemonic 'hltt'; did you mean 'hlt'?"
    assert two.splitlines()[0] == one.replace("one.s", "two.s")
    assert two.splitlines()[1].startswith(f"{tmp_path / 'two.s'}:2:1: unknown mnemonic 'nopp'")
    assert not (tmp_path / "o").exists()


def test_an_output_path_that_cannot_be_created(tmp_path, capsys):
    (tmp_path / "p.s").write_text("hlt\n")
    err = refused(capsys, "asm", tmp_path / "p.s", "-o", "/dev/null/x")
    assert err.startswith("/dev/null/x: cannot write the image: ")


def test_a_source_that_is_not_utf8(tmp_path, capsys):
    (tmp_path / "p.s").write_bytes(b"nop\n\xff\n")
    assert refused(capsys, "asm", tmp_path / "p.s") == \
        f"{tmp_path / 'p.s'}: not UTF-8 text: invalid byte 0xff at offset 4"


def test_a_lone_carriage_return_is_not_turned_into_a_line_break(tmp_path, capsys):
    (tmp_path / "p.s").write_bytes(b"nop\rhltt\n")
    assert refused(capsys, "asm", tmp_path / "p.s", "-o", tmp_path / "o") == \
        f"{tmp_path / 'p.s'}:1:4: unexpected character '\\r' (U+000D)"


def test_an_internal_error_is_one_line_with_exit_70(tmp_path, capsys, monkeypatch):
    import panther.isa.assembler

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(panther.isa.assembler, "assemble", broken)
    (tmp_path / "p.s").write_text("hlt\n")
    status, _, err = cli(capsys, "asm", tmp_path / "p.s", "-o", tmp_path / "o")
    assert status == 70
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("panther asm: internal error (a bug, please report it): RuntimeError: boom")
    assert "--debug" in err
    for argv in (["--debug", "asm", tmp_path / "p.s"], ["asm", tmp_path / "p.s", "--debug"]):
        status = main([str(a) for a in argv])
        err = capsys.readouterr().err
        assert status == 70 and "Traceback" in err and "RuntimeError: boom" in err


# -- program images -----------------------------------------------------------------------

def test_hex_file_that_is_not_utf8(image_dir, capsys):
    (image_dir / "core0.hex").write_bytes(b"\xff\xfe\n")
    for command in ("disasm", "run"):
        assert refused(capsys, command, image_dir) == \
            f"{image_dir / 'core0.hex'}: not UTF-8 text: invalid byte 0xff at offset 0"


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04" + b"\x00" * 20, "truncated"])
def test_truncated_or_empty_npz(image_dir, capsys, content):
    npz = image_dir / "image.npz"
    npz.write_bytes(npz.read_bytes()[:100] if content == "truncated" else content)
    for command in ("disasm", "run"):
        assert refused(capsys, command, image_dir).startswith(f"{npz}: cannot read: ")


def _edit_meta(image_dir, edit):
    meta = json.loads((image_dir / "image.json").read_text())
    edit(meta)
    (image_dir / "image.json").write_text(json.dumps(meta))


def test_program_entry_without_a_file(image_dir, capsys):
    _edit_meta(image_dir, lambda m: m["programs"][0].pop("file"))
    assert refused(capsys, "disasm", image_dir) == (
        f"{image_dir / 'image.json'}: programs[0] must be an object with the fields 'core', "
        "'file' and 'words', not {'core': 0, 'words': 3}")


@pytest.mark.parametrize("weights", [[[0]], [0], [[0, 1, 2]], [["0", "1"]], [[True, 0]], [[0, 2]]])
def test_weights_that_are_not_pairs(image_dir, capsys, weights):
    _edit_meta(image_dir, lambda m: m.update(weights=weights))
    assert refused(capsys, "disasm", image_dir).startswith(
        f"{image_dir / 'image.json'}: weights[0] must be a [core, mcu] pair of this configuration")


def test_program_file_outside_the_image(image_dir, capsys):
    _edit_meta(image_dir, lambda m: m["programs"][0].update(file="../p.s"))
    assert "programs[0]: file must name a .hex file of the image directory" in \
        refused(capsys, "disasm", image_dir)


def test_a_missing_program_entry(image_dir, capsys):
    _edit_meta(image_dir, lambda m: m["programs"].pop())
    assert refused(capsys, "disasm", image_dir) == \
        f"{image_dir / 'image.json'}: field 'programs' has no entry for core(s) [1]"


@pytest.mark.parametrize("field, value, kind", [("symbols", [1], "an object, not list"),
                                                ("programs", None, "a list, not NoneType"),
                                                ("version", True, "")])
def test_a_json_field_of_the_wrong_type(image_dir, capsys, field, value, kind):
    _edit_meta(image_dir, lambda m: m.update({field: value}))
    err = refused(capsys, "disasm", image_dir)
    if kind:
        assert err == f"{image_dir / 'image.json'}: field {field!r} must be {kind}"
    else:
        assert err == f"{image_dir / 'image.json'}: unsupported image version True; expected 1"


def _edit_array(image_dir, name, index, value, valid=None):
    with np.load(image_dir / "image.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays[name][index] = value
    if valid is not None:
        arrays["smem_valid"][valid] = True
    with open(image_dir / "image.npz", "wb") as handle:
        np.savez_compressed(handle, **arrays)


@pytest.mark.parametrize("name, index, value, message", [
    ("rf_init", (0, 5), 70000, "rf_init[0, 5] = 70000 outside -32768 .. 32767 (a signed 16-bit data word"),
    ("xbar_out", (1, 0, 2), -32769, "xbar_out[1, 0, 2] = -32769 outside -32768 .. 32767 "
     "(core 1, MCU 0, XBarOut word 2: a signed 16-bit data word"),
    ("xbar_in", (0, 1, 15), 32768, "xbar_in[0, 1, 15] = 32768 outside -32768 .. 32767 "
     "(core 0, MCU 1, XBarIn word 15: a signed 16-bit data word"),
    ("smem_init", 3, 70000, "smem_init[3] = 70000 outside -32768 .. 32767"),
    ("smem_count", 3, 300, "smem_count[3] = 300 outside 0 .. 255 (a consumer count"),
    ("smem_init", 9, 5, "smem_init[9] = 5 with smem_count[9] = 0, but smem_valid[9] is false"),
])
def test_out_of_range_image_values_are_refused_before_running(image_dir, capsys, name, index,
                                                              value, message):
    _edit_array(image_dir, name, index, value)
    for command in ("disasm", "run"):
        assert refused(capsys, command, image_dir).startswith(f"{image_dir / 'image.npz'}: {message}")


def test_wrong_shape_and_dtype(image_dir, capsys):
    with np.load(image_dir / "image.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["smem_count"] = arrays["smem_count"].astype(np.float64)
    with open(image_dir / "image.npz", "wb") as handle:
        np.savez(handle, **arrays)
    assert refused(capsys, "disasm", image_dir) == (
        f"{image_dir / 'image.npz'}: array 'smem_count' has dtype float64, expected a signed "
        "integer dtype of at most 64 bits")
    arrays["smem_count"] = np.zeros(5, np.int64)
    with open(image_dir / "image.npz", "wb") as handle:
        np.savez(handle, **arrays)
    depth = PRESETS["small"].smem_depth
    assert refused(capsys, "disasm", image_dir) == \
        f"{image_dir / 'image.npz'}: array 'smem_count' has shape (5,), expected ({depth},)"


def test_a_hex_file_disassembles_under_the_default_configuration(tmp_path, capsys):
    (tmp_path / "w.hex").write_text("0c0d4646c9000000\n3000000000000004\n")
    status, out, _ = cli(capsys, "disasm", tmp_path / "w.hex")
    assert status == 0
    (tmp_path / "again.s").write_text(out)
    assert main(["asm", str(tmp_path / "again.s"), "-o", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "core0.hex").read_text() == "0c0d4646c9000000\n3000000000000004\n"


# -- configuration files -------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"{\"xbar_size\": 16\xff}", "not UTF-8 text: invalid byte at offset 16"),
    (b"[" * 100000, "invalid JSON: nested too deeply"),
    (b"{\"variant\": " + b"9" * 5000 + b"}", "invalid JSON: Exceeds the limit"),
    (b"{\"cores_per_tile\": 100000}", "cores_per_tile must be at most 64, not 100000"),
    (b"{\"variant\": true}", "variant must be 1, 2 or 3, not True"),
    (b"{\"xbar_size\": true}", "xbar_size must be a positive integer, not True"),
    (b"{\"noise\": {\"seed\": 18446744073709551616}}", "noise.seed must be an integer from 0 to 2**64 - 1"),
    (b"{\"noise\": {\"read_noise\": 1e300}}", "noise.read_noise must be a number from 0 to 1000"),
    (b"{\"slice_bits\": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}",
     "slice_bits must be a list of 1 to 16 integers"),
    (b"{\"xbar_size\": 1024, \"rf_depth\": 16, \"mcus_per_core\": 1, \"cores_per_tile\": 8}",
     "the tile's weights) must be at most 4194304"),
])
def test_bad_configuration_files(tmp_path, capsys, content, message):
    (tmp_path / "p.s").write_text("hlt\n")
    (tmp_path / "c.json").write_bytes(content)
    start = time.perf_counter()
    err = refused(capsys, "asm", tmp_path / "p.s", "-o", tmp_path / "o", "--config", tmp_path / "c.json")
    assert time.perf_counter() - start < 2
    assert err.startswith(str(tmp_path / "c.json")) and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "p.s"]


# -- run semantics --------------------------------------------------------------------------

@pytest.mark.parametrize("option, value", [("--max-cycles", "0"), ("--max-cycles", "-5"),
                                           ("--max-rounds", "0"), ("--max-rounds", "1e3")])
def test_run_options_are_validated_by_name(tmp_path, capsys, option, value):
    (tmp_path / "p.s").write_text("hlt\n")
    with pytest.raises(SystemExit) as info:
        main(["run", str(tmp_path / "p.s"), option, value])
    assert info.value.code == 2
    assert f"argument {option}: expected a positive integer, not '{value}'" in capsys.readouterr().err


def _fake_rtl(status, golden_error, seen):
    """An RTL back end that reports the golden model's run as if the RTL had ended with
    ``status`` (a run-report status) and the golden model with ``golden_error``."""
    def rtl_run(image, *, simulator, mcu="exact", program=None, **kwargs):
        from panther.isa.golden import run_image
        from panther.isa.run_report import RunReport

        seen.append(mcu)
        comparison = {"reference": "golden", "result": "identical", "reason": None,
                      "golden_status": "halted", "golden_error": golden_error,
                      "compared_state": [], "compared_counters": ["x"],
                      "not_compared_counters": {}, "differences": []}
        return RunReport(image=image, state=run_image(image), sim=simulator, status=status,
                         message=None if status == "halted" else status, mcu_model=mcu,
                         program=program, cycles=10, rtl={"max_cycles": 100, "deadlock": []},
                         comparison=comparison)
    return rtl_run


def test_an_rtl_deadlock_exits_2_like_the_golden_model(tmp_path, capsys, monkeypatch):
    import panther.cosim.run_backend

    (tmp_path / "dead.s").write_text("ld 0, 5, 1\nhlt\n")
    golden = refused(capsys, "run", tmp_path / "dead.s")
    assert "deadlock" in golden
    seen = []
    monkeypatch.setattr(panther.cosim.run_backend, "rtl_run", _fake_rtl(
        "deadlock", "golden model: deadlock: core 0 waits", seen))
    (tmp_path / "hlt.s").write_text("hlt\n")
    status, out, err = cli(capsys, "run", tmp_path / "hlt.s", "--sim", "verilator")
    assert status == 2
    assert "the RTL (verilator) did not complete: deadlock" in err
    assert "golden model: deadlock: core 0 waits" in out and "golden model: golden model" not in out


def test_a_noisy_configuration_on_the_rtl_uses_the_analog_golden_model(tmp_path, capsys, monkeypatch):
    import panther.cosim.run_backend

    seen = []
    monkeypatch.setattr(panther.cosim.run_backend, "rtl_run", _fake_rtl("halted", None, seen))
    PRESETS["small"].replace(noise=NoiseConfig(read_noise=0.1)).save(tmp_path / "noisy.json")
    (tmp_path / "p.s").write_text("hlt\n")
    argv = ["run", tmp_path / "p.s", "--sim", "verilator", "--config", tmp_path / "noisy.json"]
    status, out, err = cli(capsys, *argv, "--json", tmp_path / "r.json")
    assert status == 0 and seen == ["analog"]
    assert "compared with the analog golden model (--mcu analog)" in err
    assert "--mcu analog" not in out                    # on stderr only, not twice
    notes = json.loads((tmp_path / "r.json").read_text())["notes"]
    assert len(notes) == 1 and "compared with the analog golden model" in notes[0]
    status, _, err = cli(capsys, *argv, "--mcu", "exact")
    assert seen == ["analog", "exact"] and "expected to differ" in err
    status, _, err = cli(capsys, "run", tmp_path / "p.s", "--sim", "verilator")   # ideal: exact
    assert seen[-1] == "exact" and err == ""


@pytest.mark.parametrize("command", ["verilog", "synth"])
def test_an_output_directory_that_cannot_be_written(capsys, monkeypatch, command):
    import panther.hdl.export

    def unwritable(config, out, **kwargs):
        raise NotADirectoryError(20, "Not a directory", "/dev/null/x")

    monkeypatch.setattr(panther.hdl.export, "export_verilog", unwritable)
    assert refused(capsys, command, "-o", "/dev/null/x") == "/dev/null/x: Not a directory"


def test_study_options_are_named(capsys):
    with pytest.raises(SystemExit) as info:           # typed argparse options: exit 2
        main(["study", "slicing", "--jobs", "0"])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        "panther study: error: argument --jobs: expected a positive integer, not '0'")
