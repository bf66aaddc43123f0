"""A user's install: build the wheel, install it into a fresh virtual environment and run
``panther`` from a folder outside the clone.

The wheel must hold one top-level package, ``panther``, with the examples and the report
schema as package data. Installing its dependencies from the network takes minutes here (no
pip cache), so the fresh environment gets only the wheel, and sees the dependencies of this
environment through a ``.pth`` line (their versions are the tested ones of constraints.txt);
``PANTHER_WHEEL_FULL_INSTALL=1`` installs them with pip instead (with network access).
The RTL run reuses the repository's build directory through ``--build-dir`` (the same
cocotb and Verilator, so the cached tile is valid); where the build goes by default is
checked without building.
"""

import fcntl
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(argv, *, cwd, env=None, timeout=900):
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(python, panther, outside folder, environment)`` of a fresh install of the wheel."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # pip builds in the clone's build/ folder: one build at a time across xdist workers.
    with open(tmp_path_factory.getbasetemp().parent / "wheel-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                      "-q", "-w", dist, ROOT], cwd=base)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("panther_generator-*.whl")
    venv = base / "venv"
    full = os.environ.get("PANTHER_WHEEL_FULL_INSTALL") == "1"
    made = _run([sys.executable, "-m", "venv", *([] if full else ["--without-pip"]), venv],
                cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    if full:
        install = [python, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", wheel]
    else:
        site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=base).stdout.strip()
        Path(site, "tested_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        install = [sys.executable, "-m", "pip", "--python", python, "install", "-q",
                   "--no-deps", wheel]
    done = _run(install, cwd=base)
    assert done.returncode == 0, done.stderr
    outside = base / "work"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PANTHER_BUILD_DIR", "PYTHONPATH")}
    return python, venv / "bin" / "panther", outside, env, wheel


def test_the_wheel_holds_one_top_level_package_with_its_data(installed):
    *_, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"panther", wheel.name.split("-")[0] + "-"
                                                + wheel.name.split("-")[1] + ".dist-info"}
    for data in ("panther/examples/mlp2_step.s", "panther/examples/paper/mlp2_128/step.npz",
                 "panther/schemas/run.schema.json", "panther/hdl/fpga/ulx3s_tile_config.json"):
        assert data in names, data


def test_the_installed_package_runs_outside_the_clone(installed):
    python, panther, outside, env, _ = installed
    where = _run([python, "-c", "import panther, panther.examples as e; "
                                "from panther.cosim.verilog import default_build_root; "
                                "print(panther.__file__); print(e.__file__); "
                                "print(default_build_root())"], cwd=outside, env=env)
    assert where.returncode == 0, where.stderr
    package, examples, build = where.stdout.split()
    assert str(ROOT) not in package and str(ROOT) not in examples
    assert Path(build) == outside.resolve() / "build" / "cosim"     # never inside the install
    for generic in ("hdl", "isa", "cosim", "analog_models", "apps", "compiler"):
        probe = _run([python, "-c", f"import {generic}"], cwd=outside, env=env)
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, generic
    version = _run([panther, "--version"], cwd=outside, env=env)
    assert version.returncode == 0 and version.stdout.startswith("panther 0.")
    assert _run([python, "-m", "panther", "--version"], cwd=outside, env=env).stdout == \
        version.stdout


def test_demo_runs_on_the_golden_model_from_the_install(installed):
    _, panther, outside, env, _ = installed
    demo = _run([panther, "demo", "--sim", "golden"], cwd=outside, env=env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "demo: PASS" in demo.stdout and "float reference (mlp2_step): PASS" in demo.stdout


@pytest.mark.sim
@pytest.mark.slow
def test_run_on_verilator_from_the_install(installed):
    from panther.cosim.simulators import availability

    ok, reason = availability("verilator")
    if not ok:
        pytest.skip(reason)
    _, panther, outside, env, _ = installed
    program = outside / "mine.s"
    program.write_text((ROOT / "examples" / "sgd_fc_step.s").read_text())
    run = _run([panther, "run", program, "--sim", "verilator", "--json", "r.json",
                "--build-dir", ROOT / "build"], cwd=outside, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "comparison with the golden model: identical" in run.stdout
    assert "float reference (sgd_fc_step): PASS" in run.stdout
    assert (outside / "r.json").is_file() and not (outside / "build").exists()
