"""The simulated clock of a co-simulation: the configuration's ``clock_mhz``."""

__all__ = ["period_ps"]


def period_ps(config):
    """The simulated clock period in picoseconds: the configuration's ``clock_mhz``, rounded
    to an even number of picoseconds (the simulators' 1 ps precision, two equal phases), so
    that a waveform shows the clock the report states."""
    return max(4, 2 * round(1e6 / config.clock_mhz / 2))
