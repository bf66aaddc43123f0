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

    The clock is toggled inside the simulator (cocotb's ``impl="gpi"``), never by a Python
    task. cocotb's own choice is a Python coroutine waking up at every clock edge unless
    ``COCOTB_TRUST_INERTIAL_WRITES`` is set, which its Verilator runner does and its Icarus
    runner does not."""
    from cocotb.clock import Clock

    clock = Clock(signal, period, unit="ps", impl="gpi")
    clock.start()
    return clock
