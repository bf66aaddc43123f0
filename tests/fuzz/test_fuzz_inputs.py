"""A bounded fuzz run in the test suite (``scripts/fuzz.py --minutes N`` runs as long as
asked): hostile assembly through the API and the CLI, corrupted images, configuration files.
Each input must be accepted (and then disassemble and reassemble to the same image) or be
refused with ``file[:line:col]: message`` and exit 2, within one second per kilobyte."""

import shutil

import fuzz_files as ff
import fuzz_inputs as fz
import pytest
from hypothesis import HealthCheck, given, settings


def fuzz(examples):
    """Settings of a bounded, reproducible fuzz test of ``examples`` inputs."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@fuzz(200)
@given(text=fz.assembly_texts())
def test_assembler_api(text):
    assert fz.check_assembly(text) == []


@fuzz(60)
@given(text=fz.assembly_texts())
def test_asm_command(text, tmp_path_factory):
    assert fz.check_asm_cli(text, tmp_path_factory.mktemp("asm")) == []


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return ff.base_image().save(tmp_path_factory.mktemp("template") / "img")


@fuzz(80)
@given(mutation=ff.image_mutations())
def test_corrupted_images(mutation, template, tmp_path_factory):
    target = tmp_path_factory.mktemp("image") / "img"
    shutil.copytree(template, target)
    ff.apply_mutation(target, mutation)
    assert ff.check_image(target) == []


@fuzz(80)
@given(text=ff.config_texts())
def test_configuration_files(text, tmp_path_factory):
    assert ff.check_config(text, tmp_path_factory.mktemp("config")) == []


def test_the_fuzz_script_counts_inputs_and_failures(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "fuzz.py"
    spec = importlib.util.spec_from_file_location("fuzz_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--minutes", "0.02", "--seed", "3", "--kinds", "asm", "--chunk", "5"]) == 0
    out = capsys.readouterr().out
    assert "fuzz: 0.02 min, seeds 3 .. " in out
    line = next(l for l in out.splitlines() if l.strip().startswith("asm"))
    tried, failed = (int(v) for v in line.split()[1:3])
    assert tried >= 5 and failed == 0
