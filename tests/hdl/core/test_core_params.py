"""Constructor validation of the core components (messages quote the bad value)."""

import gc
import warnings

import pytest
from amaranth.hdl import UnusedElaboratable

from panther.config import PRESETS
from panther.hdl.core import VFU, Core

CFG = PRESETS["small"]


@pytest.fixture(autouse=True)
def _collect_rejected_components():
    """A constructor that raises still leaves an (unused) elaboratable behind; collect it here
    rather than let it warn during another test."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        gc.collect()


@pytest.mark.parametrize("core_id", [-1, CFG.cores_per_tile, "0", True, 1.0])
def test_core_id_rejected(core_id):
    with pytest.raises(ValueError, match=repr(core_id).replace("(", r"\(")):
        Core(config=CFG, core_id=core_id)


def test_config_type_rejected():
    with pytest.raises(TypeError, match="'small'"):
        Core(config="small", core_id=0)
    with pytest.raises(TypeError, match="None"):
        VFU(config=None)


def test_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        Core(CFG, 0)


def test_ports_per_configuration():
    core = Core(config=CFG.replace(mcus_per_core=3), core_id=1)
    assert len(core.analog) == 3 and len(core.mcus) == 3
    assert {"smem", "dbg", "run", "halted", "error", "error_code", "overflow", "pc",
            "smem_waiting", "running"} <= set(core.signature.members)
