"""``panther verilog``: determinism, plain module names, lint, atomic output, error paths."""

import json
import re

import pytest

import panther.hdl.synth.lint as lint_module
from panther.apps.cli import main
from panther.config import PRESETS, PantherConfig
from panther.hdl.export import (
    CONFIG_FILE,
    PORTS_FILE,
    PORTS_JSON_FILE,
    export_verilog,
    port_table,
    to_verilog,
)
from panther.hdl.mcu import MCU
from panther.hdl.synth import LINT_WAIVERS, ToolError, lint_verilog

SMALL = PRESETS["small"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    a = tmp_path_factory.mktemp("a")
    b = tmp_path_factory.mktemp("b")
    return a, export_verilog(SMALL, a, tops=["mcu"]), b, export_verilog(SMALL, b, tops=["mcu"])


def test_two_runs_are_byte_identical(exported):
    a, ra, b, rb = exported
    assert ra.files == rb.files == ("panther_mcu.v", CONFIG_FILE, PORTS_FILE, PORTS_JSON_FILE)
    for name in ra.files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_rerun_in_place_is_identical_and_leaves_no_scratch(exported, tmp_path):
    a, ra, _, _ = exported
    export_verilog(SMALL, tmp_path, tops=["mcu"], lint=False)
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    export_verilog(SMALL, tmp_path, tops=["mcu"], lint=False)
    second = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert first == second
    assert sorted(first) == sorted(ra.files)          # no scratch directory left behind
    assert first["panther_mcu.v"] == (a / "panther_mcu.v").read_bytes()


def test_no_paths_dates_or_escaped_module_names(exported):
    a, ra, _, _ = exported
    text = (a / "panther_mcu.v").read_text()
    assert str(a) not in text and "/work" not in text and "/home" not in text
    assert not re.search(r"20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d", text)
    modules = re.findall(r"^module (\S+?)\s*\(", text, re.M)
    assert modules[0] == "panther_mcu" and len(modules) > 3
    assert len(set(modules)) == len(modules)
    for name in modules:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and "__" not in name, name
        assert name == "panther_mcu" or name.startswith("panther_mcu_")


def test_config_json_round_trips(exported):
    a, _, _, _ = exported
    assert PantherConfig.from_json((a / CONFIG_FILE).read_text()) == SMALL
    assert json.loads((a / CONFIG_FILE).read_text())["xbar_size"] == 16


def test_port_map_lists_every_port_with_its_width(exported):
    a, _, _, _ = exported
    doc = (a / PORTS_FILE).read_text()
    n, slices, code = SMALL.xbar_size, SMALL.n_slices, SMALL.adc_code_bits
    # Widths from the configuration, independently of the MCU code.
    assert f"| `analog_mvm_codes` | input | {slices * n * code} | no |" in doc
    assert f"| `analog_row_bits` | output | {n} | no |" in doc
    assert f"| `xin_w_data` | input | {SMALL.data_bits} | yes |" in doc
    assert "| `clk` | input | 1 | no |" in doc
    verilog = (a / "panther_mcu.v").read_text()
    header = verilog[verilog.index("module panther_mcu("):].split(";", 1)[0]
    for row in doc.splitlines():
        m = re.match(r"\| `(\w+)` \|", row)
        if m:
            assert re.search(rf"\b{m.group(1)}\b", header), m.group(1)


def test_lint_waivers_are_justified_and_small():
    assert 1 <= len(LINT_WAIVERS) <= 8
    for flag, why in LINT_WAIVERS:
        assert flag.startswith("-Wno-") and len(why) > 40


def test_lint_rejects_a_real_warning(tmp_path):
    (tmp_path / "bad.v").write_text(
        "module bad(input clk, input [3:0] a, output reg z);\n"
        "  always @* begin if (a[0]) z = a[1]; end\n"     # an inferred latch (LATCH)
        "endmodule\n")
    with pytest.raises(ToolError) as info:
        lint_verilog(tmp_path, "bad.v", "bad")
    assert info.value.step == "lint bad.v" and "step 'lint bad.v' failed" in str(info.value)
    assert info.value.returncode not in (0, None) and "LATCH" in str(info.value)


def test_failed_lint_leaves_output_untouched(tmp_path, monkeypatch):
    (tmp_path / "keep.txt").write_text("old")

    def failing(directory, filename, top):
        raise ToolError(f"lint {filename}", "injected failure")

    monkeypatch.setattr(lint_module, "lint_verilog", failing)
    with pytest.raises(ToolError, match="lint panther_mcu.v"):
        export_verilog(SMALL, tmp_path, tops=["mcu"])
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_cli_errors_exit_2_without_traceback(tmp_path, capsys):
    assert main(["verilog", "--config", str(tmp_path / "missing.json"), "-o", str(tmp_path)]) == 2
    assert main(["verilog", "--top", "nonsense", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "missing.json" in err and "'nonsense'" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_files(tmp_path, capsys):
    assert main(["verilog", "--top", "mcu", "--no-lint", "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "panther_mcu.v").is_file()
    assert "panther_mcu.v" in capsys.readouterr().out


def test_port_table_of_a_tiny_config_matches_its_widths():
    cfg = SMALL.replace(xbar_size=4, adcs_per_xbar=2)
    mcu = MCU(config=cfg)
    rows = {n: (d, w, s) for n, d, w, s in port_table(mcu)}
    assert rows["analog_row_neg"] == ("output", 4, False)
    assert rows["analog_rdata"] == ("input", 4 * max(cfg.slice_bits), False)
    text = to_verilog(mcu, "panther_tiny")
    assert "module panther_tiny(" in text and "\\panther_tiny." not in text


def test_every_waiver_is_documented():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "synthesis.md").read_text()
    for flag, _ in LINT_WAIVERS:
        assert f"| `{flag}` |" in doc, flag


def test_the_node_top_is_exported_only_by_name_and_lints_clean(tmp_path):
    """A 2-tile node (the small configuration's tiles on a 2x1 mesh): every tile port but its
    network link is a top-level port, and Verilator lints it without a warning."""
    from panther.hdl.export import available_tops

    assert "node" not in {spec.name for spec, _ in available_tops()}
    config = PRESETS["small"].replace(tiles_per_node=2)
    result = export_verilog(config, tmp_path / "v", tops=["node"])
    text = (tmp_path / "v" / "panther_node.v").read_text()
    header = text[text.index("module panther_node("):text.index(");")]
    assert "t1_c1_dbg_req" in header and "t0_host_smem_we" in header and "deadlock" in header
    assert "noc_tx_flit" not in header                     # the links stay inside
    assert result.tops == ("panther_node",)
