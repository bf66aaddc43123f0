"""The simulated clock of a co-simulation: the configuration's ``clock_mhz``, generated inside
the design.

:func:`cosim.simulators.build` gives a top level with a ``clk`` input a clock generator of
its own (:func:`clock_in_design`: ``clk`` becomes a register of the top module toggled by
Verilog delays, Verilator compiling with ``--timing``), so that no simulator callback or
Python runs per clock edge. The testbench sets the period at run time through
:func:`start_clock`, which writes the generator's half period; a top level built without a
generator (a user's own build, :func:`cosim.simulators.get_runner`) gets cocotb's clock
instead. ``RisingEdge(dut.clk)`` and the like work either way.
"""

import hashlib
import os
import re
from pathlib import Path

__all__ = ["CLOCK", "HALF_PERIOD", "period_ps", "generator_tag", "clock_in_design", "clocked_sources", "start_clock", "DesignClock"]

#: The clock port a generator replaces.
CLOCK = "clk"
#: The generator's half period in picoseconds, written by :func:`start_clock` (0: stopped).
HALF_PERIOD = "clk_half_ps"


def period_ps(config):
    """The simulated clock period in picoseconds: the configuration's ``clock_mhz``, rounded
    to an even number of picoseconds (the simulators' 1 ps precision, two equal phases), so
    that a waveform shows the clock the report states."""
    return max(4, 2 * round(1e6 / config.clock_mhz / 2))


def _generator(time_unit_ps):
    """The Verilog lines of the generator (module items of the top module)."""
    half = f"{CLOCK}_half" if time_unit_ps == 1 else f"({CLOCK}_half / {time_unit_ps}.0)"
    return (
        "  // clock generated in the design (cosim.clock): high for the first half period;\n"
        "  // the half period is taken once per cycle, so a delay is never 0\n"
        f"  reg {CLOCK} /*verilator public_flat_rd*/;\n"
        f"  reg [31:0] {HALF_PERIOD} /*verilator public_flat_rw*/;\n"
        f"  reg [31:0] {CLOCK}_half;\n"
        f"  initial {CLOCK} = 1'b0;\n"
        "  always begin\n"
        f"    wait ({HALF_PERIOD} != 0);\n"
        f"    {CLOCK}_half = {HALF_PERIOD};\n"
        f"    {CLOCK} = 1'b1;\n"
        f"    #{half};\n"
        f"    {CLOCK} = 1'b0;\n"
        f"    #{half};\n"
        "  end\n")


def generator_tag(time_unit_ps=1):
    """The first line of a text :func:`clock_in_design` writes: a comment with a digest of
    the generator, so that a cached copy made by another generator is made again."""
    digest = hashlib.sha1(_generator(time_unit_ps).encode()).hexdigest()[:12]
    return f"// cosim.clock generator {digest}\n"


def clock_in_design(text, toplevel, *, time_unit_ps=1):
    """``text`` (Verilog as Yosys writes it) with module ``toplevel``'s ``clk`` input turned
    into a register driven by a clock generator, or None when ``toplevel`` has no ``clk``
    input (then the testbench's clock drives it).

    The generator waits until :data:`HALF_PERIOD` is non-zero (:func:`start_clock` writes
    it), then raises ``clk`` at once and toggles it every half period, as cocotb's
    ``Clock.start()`` does. ``time_unit_ps``: the module's time unit in picoseconds (the
    build's timescale), the unit of its delays.
    """
    header = re.compile(rf"^module {re.escape(toplevel)}\((?P<ports>[^;]*)\);\n", re.M)
    found = header.search(text)
    if found is None:
        return None
    end = text.find("\nendmodule", found.end())
    body = text[found.end():end]
    ports = [p.strip() for p in found["ports"].split(",")]
    declaration = re.compile(rf"^\s*(input|wire)\s+{CLOCK};\n", re.M)
    if CLOCK not in ports or not re.search(rf"^\s*input\s+{CLOCK};$", body, re.M):
        return None
    ports.remove(CLOCK)
    body = declaration.sub("", body)
    return (generator_tag(time_unit_ps) + text[:found.start()]
            + f"module {toplevel}({', '.join(ports)}{' ' * ports[-1].startswith(chr(92))});\n"
            + _generator(time_unit_ps) + body + text[end:])


def _first_line(path):
    with open(path) as handle:
        return handle.readline()


def clocked_sources(sources, toplevel, *, time_unit_ps=1):
    """``sources`` with the file of module ``toplevel`` replaced by a copy whose ``clk`` is
    generated inside (:func:`clock_in_design`, written next to it as
    ``<stem>.clocked.v``, again only when its source is newer), and whether one was;
    ``sources`` unchanged when ``toplevel`` has no ``clk`` input."""
    sources = [Path(s) for s in sources]
    for i, source in enumerate(sources):
        clocked = source.with_name(source.name.removesuffix(".v") + ".clocked.v")
        # cosim.verilog names a top level's file after it (<top>.v, <top>.enables.v)
        named = source.name.split(".")[0] == toplevel
        if (named and clocked.is_file() and clocked.stat().st_mtime >= source.stat().st_mtime
                and _first_line(clocked) == generator_tag(time_unit_ps)):
            return sources[:i] + [clocked] + sources[i + 1:], True
        text = source.read_text()
        if f"module {toplevel}(" not in text:
            continue
        text = clock_in_design(text, toplevel, time_unit_ps=time_unit_ps)
        if text is None:
            return sources, False
        if not clocked.is_file() or clocked.read_text() != text:
            partial = clocked.with_name(f"{clocked.name}.{os.getpid()}")
            partial.write_text(text)
            os.replace(partial, clocked)        # a parallel build never reads half a file
        else:
            os.utime(clocked)
        return sources[:i] + [clocked] + sources[i + 1:], True
    return sources, False


class DesignClock:
    """The clock a design generates itself (:func:`clock_in_design`), started and stopped
    through its half-period register.

    Attributes
    ----------
    signal : cocotb handle of ``clk``
    period : int
        Picoseconds.
    """

    def __init__(self, half_handle, signal, period):
        self._half, self.signal, self.period = half_handle, signal, period

    def start(self):
        self._half.value = self.period // 2

    def stop(self):
        """Stop toggling after the current period (``clk`` then stays low)."""
        self._half.value = 0


def start_clock(signal, period):
    """Start a free-running clock of ``period`` picoseconds (even) on the cocotb handle
    ``signal`` and return it (a :class:`DesignClock` or a :class:`cocotb.clock.Clock`).

    When the top level generates its clock (:func:`clock_in_design`) and ``signal`` is that
    clock, the generator's half period is written; otherwise cocotb's ``Clock`` toggles
    ``signal`` inside the simulator (``impl="gpi"``), never as a Python task (cocotb's own
    choice is a Python coroutine waking up at every clock edge unless
    ``COCOTB_TRUST_INERTIAL_WRITES`` is set, which its Verilator runner does and its Icarus
    runner does not)."""
    import cocotb
    from cocotb.clock import Clock

    if period % 2 or period < 2:
        raise ValueError(f"the clock period must be an even number of picoseconds, not {period!r}")
    top = cocotb.top
    half = _find(top, HALF_PERIOD)
    if half is not None and signal is _find(top, CLOCK):     # handles are cached
        clock = DesignClock(half, signal, period)
    else:
        clock = Clock(signal, period, unit="ps", impl="gpi")
    clock.start()
    return clock


def _find(top, name):
    """``top``'s member ``name``, or None."""
    try:
        return getattr(top, name)
    except AttributeError:
        return None
