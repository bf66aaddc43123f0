"""The ``panther asm`` and ``panther disasm`` commands: outputs, exit codes, messages."""

import os
import subprocess
import sys
from pathlib import Path

from panther.apps.cli import main
from panther.isa.image import ProgramImage

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
.equ N, 4
.data 0, 0.5, 0.25, -0.5, 1.0
loop: cp xin0, 0, N
      mcu 0:mvm
      alu relu, 0, xout0, N
      hlt
"""


def run_cli(*args, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "panther.apps.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_asm_writes_an_image_and_disasm_prints_it(tmp_path, capsys):
    (tmp_path / "prog.s").write_text(GOOD)
    assert main(["asm", str(tmp_path / "prog.s"), "-o", str(tmp_path / "out")]) == 0
    assert "core 0: 4" in capsys.readouterr().out
    img = ProgramImage.load(tmp_path / "out")
    assert len(img.programs[0]) == 4 and img.rf_init[0][0] == 2048
    assert img.symbols == {"N": 4, "loop": 0}

    assert main(["disasm", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert "mcu 0:mvm" in text and ".core 0" in text and ".data 0, 2048, 1024, -2048, 4096" in text
    # the printed text re-assembles to the same image
    (tmp_path / "again.s").write_text(text)
    assert main(["asm", str(tmp_path / "again.s"), "-o", str(tmp_path / "again")]) == 0
    assert ProgramImage.load(tmp_path / "again").same_contents(img)
    capsys.readouterr()

    assert main(["disasm", str(tmp_path / "out" / "core0.hex"), "--config", "small"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["    cp xin0, 0, 4", "    mcu 0:mvm", "    alu relu, 0, xout0, 4", "    hlt"]
    assert main(["disasm", str(tmp_path / "out"), "--code-only"]) == 0
    assert ".data" not in capsys.readouterr().out


def test_asm_paper_config(tmp_path, capsys):
    (tmp_path / "p.s").write_text("cp xin1, 0, 128\nmcu 1:mtvm\nhlt\n")
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(tmp_path / "o"), "--config", "paper"]) == 0
    img = ProgramImage.load(tmp_path / "o")
    assert img.config.xbar_size == 128 and len(img.programs) == 8
    assert (img.programs[0][0] >> 38) & 0x3FFF == img.config.xbar_in_base(1)


def test_typo_exits_2_with_position_and_no_traceback_and_no_output(tmp_path):
    (tmp_path / "bad.s").write_text(GOOD.replace("mcu 0:mvm", "mcuu 0:mvm").replace("hlt", "hlt 3"))
    result = run_cli("asm", "bad.s", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "bad.s:4:7: unknown mnemonic 'mcuu'; did you mean 'mcu'?"
    assert lines[1].startswith("bad.s:6:11: hlt takes 0 operands")
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.s"]
    assert result.stdout == ""


def test_single_error_keeps_the_location_first_after_the_prefix(tmp_path, capsys):
    (tmp_path / "one.s").write_text("set 0, 99.0\n")
    assert main(["asm", str(tmp_path / "one.s"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'one.s'}:1:8: set value 99.0 does not fit Q4.12" in err
    assert not (tmp_path / "o").exists()


def test_failed_assembly_keeps_a_previous_image(tmp_path, capsys):
    (tmp_path / "p.s").write_text(GOOD)
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(tmp_path / "o")]) == 0
    (tmp_path / "p.s").write_text("jmp nowhere\n")
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(tmp_path / "o")]) == 2
    assert len(ProgramImage.load(tmp_path / "o").programs[0]) == 4


def test_bad_inputs_exit_2(tmp_path, capsys):
    assert main(["asm", str(tmp_path / "missing.s")]) == 2
    assert "missing.s: cannot read" in capsys.readouterr().err
    (tmp_path / "p.s").write_text("hlt\n")
    assert main(["asm", str(tmp_path / "p.s"), "--config", "huge"]) == 2
    assert "huge: not a preset" in capsys.readouterr().err
    assert main(["disasm", str(tmp_path / "nothing")]) == 2
    assert "no such image directory or .hex file" in capsys.readouterr().err
    (tmp_path / "x.hex").write_text("xyz\n")
    assert main(["disasm", str(tmp_path / "x.hex")]) == 2
    assert "x.hex:1:1: expected one 64-bit word" in capsys.readouterr().err


def test_default_output_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("prog.s").write_text("hlt\n")
    assert main(["asm", "prog.s"]) == 0
    assert (tmp_path / "out" / "prog" / "core0.hex").read_text() == "0400000000000000\n"


def test_asm_with_a_json_configuration(tmp_path, capsys):
    from panther.config import PantherConfig
    config = PantherConfig(cores_per_tile=3, mcus_per_core=1, xbar_size=8, rf_depth=32)
    config.save(tmp_path / "c.json")
    (tmp_path / "p.s").write_text(".core 2\ncp xout0, xin0, 8\nhlt\n")
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(tmp_path / "o"),
                 "--config", str(tmp_path / "c.json")]) == 0
    img = ProgramImage.load(tmp_path / "o")
    assert img.config == config and len(img.programs[2]) == 2
    ops = [(img.programs[2][0] >> 38) & 0x3FFF, (img.programs[2][0] >> 24) & 0x3FFF]
    assert ops == [32 + 8, 32]
    (tmp_path / "p.s").write_text("cp xin1, 0, 1\n")        # only one MCU in this configuration
    assert main(["asm", str(tmp_path / "p.s"), "--config", str(tmp_path / "c.json")]) == 2
    assert "p.s:1:4: undefined symbol 'xin1'; did you mean 'xin0'?" in capsys.readouterr().err
