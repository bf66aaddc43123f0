"""The user's view of the RTL back ends: `panther demo` and `panther run --sim ...` on every
example and back end, and `--waves`, run as the commands a user types (subprocesses) and
checked against the golden model and the examples' float references."""

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from simulator_required import require_simulator

ROOT = Path(__file__).resolve().parents[2]


def panther(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "panther.apps.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.sim
def test_demo_runs_the_mlp_step_on_the_rtl_and_checks_it():
    result = panther("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "on the verilator model" in out
    assert "comparison with the golden model: identical final state" in out
    assert "check against the float reference (mlp2_step): PASS" in out
    assert "ADC conversions" in out and "total" in out          # the energy/latency table
    assert "Traceback" not in result.stderr


@pytest.mark.sim
def test_run_reports_a_mismatch_free_rtl_run_of_the_sgd_example(tmp_path):
    report = tmp_path / "report.json"
    result = panther("run", str(ROOT / "examples" / "sgd_fc_step.s"), "--sim", "verilator",
                     "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "comparison with the golden model: identical" in result.stdout
    assert report.is_file()


EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.s"))


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["golden", "verilator", "icarus"])
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_passes_on_every_back_end(tmp_path, example, sim, run_report_valid):
    if sim != "golden":
        require_simulator(sim)
    report = tmp_path / "report.json"
    result = panther("run", str(ROOT / "examples" / f"{example}.s"), "--sim", sim,
                     "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"check against the float reference ({example}): PASS" in result.stdout
    data = json.loads(report.read_text())
    assert run_report_valid(data)
    assert all(core["status"] == "halted" for core in data["cores"])
    if sim != "golden":
        assert "comparison with the golden model: identical" in result.stdout
        assert data["rtl"]["simulator"] == sim and data["sim"] == sim
        assert data["comparison"]["result"] == "identical"
        assert data["comparison"]["differences"] == [] and data["cycles"] > 0


def fst_hierarchy(path):
    """The uncompressed scope/variable block of an FST file (raises if there is none)."""
    data = Path(path).read_bytes()
    pos, blocks = 0, {}
    while pos + 9 <= len(data):
        kind, length = data[pos], struct.unpack(">Q", data[pos + 1:pos + 9])[0]
        blocks.setdefault(kind, data[pos + 9:pos + 1 + length])
        pos += 1 + length
    assert 0 in blocks, f"{path}: no FST header block"
    assert 4 in blocks, f"{path}: no gzip hierarchy block (blocks {sorted(blocks)})"
    return zlib.decompress(blocks[4][8:], 47)


def vcd_changes(path, name):
    """(time, value) changes of the 1-bit VCD variable ``name`` in the outermost scope that
    declares it (a line-based reader: pyvcd rejects Verilator's ``$rootio`` scope name)."""
    ids, changes, depth, time, found_depth = set(), [], 0, 0, None
    with open(path) as stream:
        for line in stream:
            words = line.split()
            if not words:
                continue
            if words[0] == "$scope":
                depth += 1
            elif words[0] == "$upscope":
                depth -= 1
            elif words[0] == "$var" and words[4] == name and found_depth in (None, depth):
                found_depth = depth
                ids.add(words[3])
            elif words[0].startswith("#"):
                time = int(words[0][1:])
            elif words[0][0] in "01xz" and words[0][1:] in ids:
                changes.append((time, words[0][0]))
    assert ids, f"{path}: no variable {name!r}"
    return changes


@pytest.mark.sim
@pytest.mark.parametrize("sim, suffix", [("verilator", "vcd"), ("icarus", "fst"),
                                         ("icarus", "vcd")])
def test_waves_are_recorded_on_request(tmp_path, sim, suffix):
    require_simulator(sim)
    default = sim == "verilator" or suffix == "fst"
    args = ["--waves"] if default else ["--waves", f"sub/w.{suffix}"]
    result = panther("run", str(ROOT / "examples" / "sgd_fc_step.s"), "--sim", sim, *args,
                     "--json", "report.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # The default is the program's name, in the current folder.
    waves = tmp_path / (f"sgd_fc_step.{suffix}" if default else f"sub/w.{suffix}")
    assert f"waveforms: {waves}" in result.stdout
    if suffix == "fst":
        hierarchy = fst_hierarchy(waves)
        for name in (b"all_halted", b"c0_run", b"x_fsm_state", b"host_smem_addr"):
            assert name in hierarchy, name
    else:
        # The recording shows the program: run rises, then all_halted rises and stays up,
        # as many cycles later as the report says, at the clock the report states.
        report = json.loads((tmp_path / "report.json").read_text())
        cycles, period = report["cycles"], 1e6 / report["clock_mhz"]          # ps
        run = [t for t, v in vcd_changes(waves, "c0_run") if v == "1"]
        halted = vcd_changes(waves, "all_halted")
        assert run and halted and halted[-1][1] == "1"
        assert (cycles - 2) * period <= halted[-1][0] - run[-1] <= (cycles + 2) * period
        clock = sorted({t for t, v in vcd_changes(waves, "clk") if v == "1"})
        assert clock[-1] - clock[-2] == period


def test_verilator_cannot_record_fst(tmp_path):
    result = panther("run", str(ROOT / "examples" / "sgd_fc_step.s"), "--sim", "verilator",
                     "--waves", "w.fst", cwd=tmp_path)
    assert result.returncode == 2
    assert "w.fst" in result.stderr and ".vcd" in result.stderr
    assert "Traceback" not in result.stderr


def test_waves_need_an_rtl_back_end():
    result = panther("run", str(ROOT / "examples" / "sgd_fc_step.s"), "--waves")
    assert result.returncode == 2
    assert "--waves" in result.stderr and "Traceback" not in result.stderr


def test_run_with_an_unknown_config_is_a_clear_error():
    result = panther("run", str(ROOT / "examples" / "sgd_fc_step.s"), "--sim", "verilator",
                     "--config", "no-such.json")
    assert result.returncode == 2
    assert "no-such.json" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.sim
def test_a_build_announces_itself_and_a_reused_one_is_silent(tmp_path, caplog):
    import logging

    from panther.config import PRESETS
    from panther.cosim.program_runner import TileSimulation

    require_simulator("icarus")
    config = PRESETS["small"]
    with caplog.at_level(logging.INFO, logger="panther.cosim"):
        TileSimulation(config, simulator="icarus", build_root=tmp_path).build()
    assert "building the tile model panther_tile_" in caplog.text
    assert "for icarus (2 cores, 16x16 crossbars" in caplog.text
    # the MCU, the core and the top level converted once each, at the same time (expected:
    # the longest of the three in the build model, hdl/estimate.py)
    assert ("converting the MCU, the core and the tile to Verilog, once each and at the same "
            "time (expected: about 21 s; then the icarus compile") in caplog.text
    assert "converting the core (panther_core_" in caplog.text
    assert "compiling the tile model panther_tile_" in caplog.text and "with icarus" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="panther.cosim"):
        TileSimulation(config, simulator="icarus", build_root=tmp_path).build()
    assert caplog.text == ""
