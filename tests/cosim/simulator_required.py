""":func:`require_simulator`: skip a test when its simulator is missing, except where the
environment says the simulator must be there (``PANTHER_REQUIRE_ICARUS=1``, set by ``.ci/run``
after installing Icarus): then a missing simulator fails the test instead of hiding it."""

import os

import pytest

__all__ = ["REQUIRED_ENV", "require_simulator"]

#: Environment variable per simulator that turns "missing" from a skip into a failure.
REQUIRED_ENV = {"icarus": "PANTHER_REQUIRE_ICARUS", "verilator": "PANTHER_REQUIRE_VERILATOR"}


def require_simulator(simulator):
    """Skip (or fail, see the module docstring) unless ``simulator`` can run here."""
    from panther.cosim.simulators import availability

    ok, reason = availability(simulator)
    if ok:
        return
    if os.environ.get(REQUIRED_ENV[simulator]) == "1":
        pytest.fail(f"{REQUIRED_ENV[simulator]}=1 but {simulator} cannot run: {reason}")
    pytest.skip(reason)
