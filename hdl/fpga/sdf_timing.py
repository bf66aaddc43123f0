"""Every register-to-register endpoint's slack, from the SDF file nextpnr writes (``--sdf``).

nextpnr's own report names one critical path per clock. To see how many endpoints fail and
where, this module reads the routed design's delays back (each cell's ``IOPATH`` arcs and
``SETUPHOLD`` checks, each routed connection's ``INTERCONNECT``) and runs a static timing
analysis of one clock over them: a path starts at a clock-to-output arc of a register, block
RAM or DSP and ends at a data pin with a setup check; its slack is the period, less the setup
time and the path's delay. Delays are the maximum of each SDF triple, as nextpnr's report
uses. Clock skew is not modelled (nextpnr routes the clock on its global network, with zero
delay in the SDF), nor paths from or to the I/O pads.

The reader follows nextpnr's SDF layout, one statement per line (``(INSTANCE ...)``,
``(IOPATH ...)``, ``(INTERCONNECT ...)``, ``(SETUPHOLD ...)``).
"""

import re
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["RoutedDelays", "EndpointSlack", "SdfError", "read_sdf", "endpoint_slacks",
           "slow_nets", "module_of", "slack_summary"]


class SdfError(ValueError):
    """An SDF file this reader cannot use (line number and what was expected)."""


@dataclass(frozen=True)
class RoutedDelays:
    """The delays of a routed design, as :func:`read_sdf` reads them (ns).

    Members
    -------
    arcs : list of (cell, from pin, to pin, ns, launch)
        Each cell's ``IOPATH``; ``launch`` when the arc starts at a pin the cell's setup
        checks name as a clock (a clock-to-output arc).
    wires : list of ((cell, pin), (cell, pin), ns)
        Each routed connection (``INTERCONNECT``).
    checks : list of (cell, data pin, clock pin, setup ns)
    """

    arcs: list
    wires: list
    checks: list

    def clock_pins(self):
        """The ``(cell, pin)`` that setup checks name as a clock: not data sinks."""
        return {(cell, clock) for cell, _, clock, _ in self.checks}


@dataclass(frozen=True)
class EndpointSlack:
    """One setup-checked data pin and its worst register-to-register path.

    Members
    -------
    cell, pin : str
        The endpoint (SDF names, unescaped).
    start : str
        The cell whose clock-to-output arc starts the endpoint's worst path.
    arrival_ns, setup_ns, slack_ns : float
    """

    cell: str
    pin: str
    start: str
    arrival_ns: float
    setup_ns: float
    slack_ns: float


_TRIPLE = re.compile(r"\(([-\d.]*):([-\d.]*):([-\d.]*)\)")
_EDGE = re.compile(r"\((?:posedge|negedge) (\S+?)\)")
_UNESCAPE = re.compile(r"\\(.)")
_SPLIT_PIN = re.compile(r"^(.*?)(?<!\\)/([^/]+)$")


def _max_delay(text, lineno, scale):
    values = [float(v) for triple in _TRIPLE.findall(text) for v in triple if v]
    if not values:
        raise SdfError(f"line {lineno}: expected delay triples (min:typ:max), not {text!r}")
    return max(values) * scale


def _unescape(name):
    return _UNESCAPE.sub(r"\1", name)


def _pin(text, lineno):
    match = _SPLIT_PIN.match(text)
    if match is None:
        raise SdfError(f"line {lineno}: expected instance/pin, not {text!r}")
    return _unescape(match[1]), match[2]


def read_sdf(lines):
    """:class:`RoutedDelays` of the SDF text ``lines`` (a file object will do); a malformed
    statement raises :class:`SdfError` naming its line."""
    scale = None
    cell = None
    arcs, wires, checks = [], [], []
    cell_arcs, cell_clocks = [], set()

    def close_cell():
        arcs.extend((cell, a, b, ns, a in cell_clocks) for a, b, ns in cell_arcs)
        cell_arcs.clear()
        cell_clocks.clear()

    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.startswith("(TIMESCALE"):
            unit = line[len("(TIMESCALE"):].strip(" )")
            scale = {"1ps": 1e-3, "1ns": 1.0, "10ps": 1e-2, "100ps": 1e-1}.get(unit)
            if scale is None:
                raise SdfError(f"line {lineno}: expected a TIMESCALE of 1ps, 10ps, 100ps or "
                               f"1ns, not {unit!r}")
        elif line.startswith("(INSTANCE"):
            if cell is not None:
                close_cell()
            cell = _unescape(line[len("(INSTANCE"):].strip(" )"))
        elif line.startswith(("(IOPATH", "(INTERCONNECT", "(SETUPHOLD", "(SETUP ")):
            if scale is None:
                raise SdfError(f"line {lineno}: expected (TIMESCALE ...) before the delays")
            head = _TRIPLE.split(line, 1)[0]
            if line.startswith("(IOPATH"):
                words = _EDGE.sub(r"\1", head).split()
                if len(words) != 3:
                    raise SdfError(f"line {lineno}: expected (IOPATH in out delays), not "
                                   f"{line!r}")
                cell_arcs.append((words[1], words[2], _max_delay(line, lineno, scale)))
            elif line.startswith("(INTERCONNECT"):
                words = head.split()
                if len(words) != 3:
                    raise SdfError(f"line {lineno}: expected (INTERCONNECT from to delays), "
                                   f"not {line!r}")
                wires.append((_pin(words[1], lineno), _pin(words[2], lineno),
                              _max_delay(line, lineno, scale)))
            else:
                pins = _EDGE.findall(head)
                if len(pins) != 2:
                    raise SdfError(f"line {lineno}: expected (SETUPHOLD (edge data) (edge "
                                   f"clock) setup hold), not {line!r}")
                setup = _TRIPLE.findall(line)
                if not setup:
                    raise SdfError(f"line {lineno}: expected a setup triple in {line!r}")
                ns = max(float(v) for v in setup[0] if v) * scale
                checks.append((cell, pins[0], pins[1], ns))
                cell_clocks.add(pins[1])
    if cell is not None:
        close_cell()
    return RoutedDelays(arcs=arcs, wires=wires, checks=checks)


def endpoint_slacks(delays, *, period_ns):
    """:class:`EndpointSlack` of every setup-checked pin that a register-to-register path
    reaches, worst first, for a clock of ``period_ns``. ``delays``: :class:`RoutedDelays`.
    Pins on combinational loops are left out, as nextpnr leaves out their arcs."""
    arcs, wires, checks = delays.arcs, delays.wires, delays.checks
    fanout = defaultdict(list)          # (cell, pin) -> [((cell, pin), ns)]
    indegree = defaultdict(int)
    arrival, start = {}, {}
    for cell, a, b, ns, launch in arcs:
        if launch:
            node = (cell, b)
            if ns > arrival.get(node, -1.0):
                arrival[node], start[node] = ns, cell
        else:
            fanout[(cell, a)].append(((cell, b), ns))
            indegree[(cell, b)] += 1
    clocks = delays.clock_pins()
    for a, b, ns in wires:
        if b not in clocks:
            fanout[a].append((b, ns))
            indegree[b] += 1
    ready = [node for node in fanout if indegree[node] == 0]
    while ready:
        node = ready.pop()
        t = arrival.get(node)
        for succ, ns in fanout[node]:
            if t is not None and t + ns > arrival.get(succ, -1.0):
                arrival[succ], start[succ] = t + ns, start[node]
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    out = []
    for cell, pin, _, setup in checks:
        node = (cell, pin)
        if node in arrival and indegree[node] == 0:
            t = arrival[node]
            out.append(EndpointSlack(cell=cell, pin=pin, start=start[node], arrival_ns=t,
                                     setup_ns=setup, slack_ns=period_ns - setup - t))
    out.sort(key=lambda e: (e.slack_ns, e.cell, e.pin))
    return out


def slow_nets(delays, *, min_fanout=8, top=12):
    """The ``top`` routed nets of at least ``min_fanout`` sinks with the longest delay to
    their farthest sink (candidates for a replicated driver), as JSON-ready dicts:
    ``driver`` (cell.pin), ``fanout``, ``max_ns``. Clock pins are not sinks, and constants
    (a driver no cell arc reaches) are not nets."""
    clocks = delays.clock_pins()
    timed = {(cell, out) for cell, _, out, _, _ in delays.arcs}
    nets = {}
    for a, b, ns in delays.wires:
        if b in clocks or a not in timed:
            continue
        count, worst = nets.get(a, (0, 0.0))
        nets[a] = (count + 1, max(worst, ns))
    ranked = sorted(((worst, count, a) for a, (count, worst) in nets.items()
                     if count >= min_fanout), key=lambda n: (-n[0], -n[1], n[2]))
    return [{"driver": f"{cell}.{pin}", "fanout": count, "max_ns": round(worst, 3)}
            for worst, count, (cell, pin) in ranked[:top]]


_PRIMITIVE_SUFFIX = re.compile(r"(_TRELLIS_|_DP16KD|_MULT18X18D|_ALU54B|\$).*$")


def module_of(cell, depth):
    """The first ``depth`` levels of the hierarchical name of ``cell`` (Yosys's flat names
    join levels with dots; nextpnr appends the primitive's name), or ``"(unnamed)"``."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, not {depth!r}")
    name = _PRIMITIVE_SUFFIX.sub("", cell)
    if not name:
        return "(unnamed)"
    parts = name.split(".")
    return ".".join(parts[:min(depth, max(1, len(parts) - 1))])


def _common_prefix(cells):
    """The hierarchy levels every cell of ``cells`` below the top level shares (e.g.
    ``board.``)."""
    paths = [_PRIMITIVE_SUFFIX.sub("", c).split(".")[:-1] for c in cells]
    paths = [p for p in paths if p and p[0]]
    if not paths:
        return ""
    shared = []
    for level in zip(*paths):
        if len(set(level)) != 1:
            break
        shared.append(level[0])
    return "".join(part + "." for part in shared)


def slack_summary(endpoints, *, depth=5, top=12):
    """A JSON-ready summary of :func:`endpoint_slacks`: how many endpoints there are and fail,
    the worst and total negative slack, and the ``top`` worst groups of failing endpoints by
    the module of their path's start and of the endpoint (:func:`module_of` at ``depth``,
    below the hierarchy levels all of them share, ``prefix``)."""
    failing = [e for e in endpoints if e.slack_ns < 0]
    prefix = _common_prefix([c for e in failing for c in (e.start, e.cell)])

    def module(cell):
        return module_of(cell[len(prefix):] if cell.startswith(prefix) else cell, depth)
    groups = {}
    for e in failing:
        key = (module(e.start), module(e.cell))
        count, worst = groups.get(key, (0, 0.0))
        groups[key] = (count + 1, min(worst, e.slack_ns))
    ranked = sorted(groups.items(), key=lambda item: (item[1][1], -item[1][0], item[0]))
    return {
        "endpoints": len(endpoints), "failing": len(failing),
        "worst_slack_ns": round(endpoints[0].slack_ns, 3) if endpoints else None,
        "total_negative_slack_ns": round(sum(e.slack_ns for e in failing), 3),
        "prefix": prefix, "depth": depth,
        "groups": [{"from": src, "to": dst, "failing": count, "worst_slack_ns": round(worst, 3)}
                   for (src, dst), (count, worst) in ranked[:top]],
    }
