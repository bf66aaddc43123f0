"""The simulated clock of a co-simulation: the configuration's ``clock_mhz``, toggled by the
simulator."""

__all__ = ["period_ps", "start_clock"]


def period_ps(config):
    """The simulated clock period in picoseconds: the configuration's ``clock_mhz``, rounded
    to an even number of picoseconds (the simulators' 1 ps precision, two equal phases), so
    that a waveform shows the clock the report states."""
    return max(4, 2 * round(1e6 / config.clock_mhz / 2))


def start_clock(signal, period):
    """Start a free-running clock of ``period`` picoseconds on the cocotb handle ``signal``
    and return the :class:`cocotb.clock.Clock`.

    The clock is toggled inside the simulator (cocotb's ``impl="gpi"``), not by a Python task:
    cocotb's default without ``COCOTB_TRUST_INERTIAL_WRITES`` is a Python coroutine that
    wakes up at every clock edge, two Python round trips per simulated cycle whether or not
    the testbench has anything to do (docs/mcu.md, "Co-simulation speed")."""
    from cocotb.clock import Clock

    clock = Clock(signal, period, unit="ps", impl="gpi")
    clock.start()
    return clock
