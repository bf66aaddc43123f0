"""Every test, and every process a test starts, shares the repository's build directory
(``build/``), whatever its current directory: a test that runs ``panther`` in a temporary
folder would otherwise compile the tile again there (``cosim.verilog.build_dir``)."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("PANTHER_BUILD_DIR", str(Path(__file__).resolve().parents[1] / "build"))


@pytest.fixture(scope="session")
def run_report_valid():
    """``valid(data)``: whether ``data`` follows the panther.run/1 JSON Schema
    (panther/schemas/run.schema.json), checked with jschon."""
    import json
    import warnings

    from jschon import JSON, JSONSchema, create_catalog

    from panther.isa.run_report import SCHEMA_FILE

    with warnings.catch_warnings():      # jschon's URI library warns about its own API use
        warnings.simplefilter("ignore", DeprecationWarning)
        create_catalog("2020-12")
        schema = JSONSchema(json.loads(SCHEMA_FILE.read_text()))
        assert schema.validate().valid

    def valid(data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return schema.evaluate(JSON(data)).valid
    return valid
