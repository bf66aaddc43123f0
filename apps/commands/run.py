"""``panther run``: assemble a program and run it on a simulator back end, with a report.

A thin layer over :func:`panther.apps.api.run`: ``golden`` is the instruction-level golden
model (:mod:`isa.golden`); ``verilator`` and ``icarus`` run the tile RTL
(:mod:`cosim.run_backend`) and compare it with the golden model. Every back end returns the
same ``panther.run/1`` report (:mod:`isa.run_report`), printed as text and, with ``--json``,
written as JSON.

Exit statuses, the same on every back end: 0 every core halted (and the RTL matches the
golden model, and the reference check passed); 1 a core stopped with a fault code, the RTL
differs from the golden model or the reference check failed (the report says which); 2 bad
input, or a program that cannot complete: a deadlock, or the round (golden) or cycle (RTL)
limit reached.

The golden model of an RTL run is the analog one when the configuration has noise (the RTL
runs the analog models with that noise), unless ``--mcu`` says otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from panther.errors import UserError

from ._common import add_config_argument, non_negative_int, positive_int, write_json

__all__ = ["NAME", "HELP", "add_arguments", "run", "add_array_arguments", "array_options",
           "load_program"]

NAME = "run"
HELP = "assemble a program and run it on the golden model or the tile RTL, with a report"


def add_array_arguments(parser):
    """``--weights``, ``--data`` and ``--smem``: numpy arrays into the program's image."""
    parser.add_argument("--weights", action="append", default=[], metavar="[CORE:]MCU=FILE",
                        help="initial weights of an MCU (.mcu name or number; core 0 unless "
                             "CORE: is given) from a .npy file or FILE.npz:KEY, from row 0, "
                             "column 0 (reals -> Q8.24, integers raw); repeatable")
    parser.add_argument("--data", action="append", default=[], metavar="[CORE:]REGION=FILE",
                        help="initial core words of a .region (or an address) from a .npy "
                             "file (reals -> Q4.12 in the default format); repeatable")
    parser.add_argument("--smem", action="append", default=[], metavar="SREGION=FILE",
                        help="initial persistent shared-memory words of an .sregion (or an "
                             "address) from a .npy file; repeatable")


def array_options(args):
    """``{"weights": {...}, "data": {...}, "smem": {...}}`` of the parsed array options."""
    out = {}
    for option in ("weights", "data", "smem"):
        table = {}
        for item in getattr(args, option, None) or []:
            target, sep, file = item.partition("=")
            if not sep or not target or not file:
                raise UserError(f"panther run: --{option}: expected TARGET=FILE, not {item!r}")
            table[target] = file
        out[option] = table
    return out


def _node_golden(image, args):
    from panther.isa.golden import DEFAULT_MAX_ROUNDS, run_image

    factory = None
    if getattr(args, "mcu", "exact") == "analog":
        from panther.isa.golden.analog_mcu import analog_mcu_factory as factory
    trace = None
    if getattr(args, "trace", False):
        from panther.isa.disassembler import format_instruction

        def trace(tile, core, pc, instr):         # the image is a NodeImage (see _run_node)
            print(f"tile {tile} core {core} pc {pc:4d}: "
                  f"{format_instruction(instr, config=image.config)}")
    return run_image(image, mcu_factory=factory, max_rounds=args.max_rounds or DEFAULT_MAX_ROUNDS,
                     trace=trace)


def uses_network(image):
    """True when a program of ``image`` (a tile or a node image) holds a ``send`` or ``recv``."""
    from panther.isa.encoding import opcode_of
    from panther.isa.table import BY_MNEMONIC

    codes = {BY_MNEMONIC["send"].opcode, BY_MNEMONIC["recv"].opcode}
    return any(opcode_of(w) in codes for tile in getattr(image, "tiles", [image])
               for program in tile.programs for w in program)


def _rtl(name):
    def backend(image, args):
        from panther.cosim.node_backend import node_backend  # node RTL + golden node

        return node_backend(name)(image, args)
    return backend


#: Node runs: simulator name -> back end ``f(image, args) -> NodeReport or GoldenReport``.
NODE_BACKENDS = {"golden": _node_golden, "verilator": _rtl("verilator"),
                 "icarus": _rtl("icarus")}


def add_arguments(parser):
    from panther.apps.api import SIMULATORS

    parser.add_argument("program", help="assembly file (.s) or a program image directory "
                                        "written by `panther asm`")
    parser.add_argument("--sim", choices=SIMULATORS, default="golden",
                        help="simulator back end (default: golden; verilator and icarus run the "
                             "tile RTL and compare it with the golden model)")
    add_config_argument(parser, help_extra="; for a .s file (an image directory brings its own)")
    parser.add_argument("--mcu", choices=("exact", "analog"), default=None,
                        help="golden MCU model: exact integer arithmetic or the behavioural "
                             "analog models with the configuration's noise (default: exact, "
                             "except analog for an RTL run of a configuration with noise)")
    parser.add_argument("--check", default="auto", metavar="NAME",
                        help="the float reference check: a name of isa/golden/reference.py, "
                             "'none', or 'auto' (default): the one the program names with "
                             "'.check NAME' (a program without one gets no check)")
    add_array_arguments(parser)
    parser.add_argument("--max-rounds", type=positive_int, default=None,
                        help="scheduling rounds before giving up (default: 1000000)")
    parser.add_argument("--trace", action="store_true",
                        help="print every retired instruction (core, PC, assembly text)")
    parser.add_argument("--waves", nargs="?", const="", default=None, metavar="FILE",
                        help="RTL back ends: record the simulation's waveforms into FILE, "
                             "VCD or FST by its suffix (Verilator: .vcd; Icarus: .fst or .vcd; "
                             "default: the program's name with the simulator's default suffix, "
                             "in the current folder)")
    parser.add_argument("--rtl-tile", type=non_negative_int, default=None, metavar="K",
                        help="RTL back ends, node programs: only tile K is RTL, the other tiles "
                             "are the golden model, joined at its NoC port (default: every "
                             "tile of the node is RTL)")
    parser.add_argument("--max-cycles", type=positive_int, default=None,
                        help="RTL back ends: clock cycles before giving up (default: 2000000)")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the report as JSON (schema panther.run/1, see "
                             "docs/report.md)")
    parser.add_argument("--json-state", action="store_true",
                        help="with --json: add the whole final state (register files, XBar "
                             "buffers, weights and slice digits, shared memory)")


def load_program(path, config_name, arrays=None):
    """A :class:`isa.image.ProgramImage` from a ``.s`` file or an image directory, or a
    :class:`isa.node_image.NodeImage` from a node image directory."""
    from panther.apps.api import load_program as load

    if Path(path).is_dir():
        from panther.isa.node_image import load_any_image

        image = load_any_image(Path(path))
        if hasattr(image, "tiles"):
            if any((arrays or {}).values()):
                raise UserError(f"{path}: --weights/--data/--smem apply to tile images, not to "
                                "a node image")
            return image
    return load(path, config=config_name, **(arrays or {}))


def _trace(image):
    from panther.isa.disassembler import format_instruction

    def trace(core, pc, instr):
        print(f"core {core} pc {pc:4d}: {format_instruction(instr, config=image.config)}")
    return trace


def _table(title, rows, headers):
    from panther.table import format_table

    if not rows:
        return [f"{title}: none"]
    return format_table(headers, rows, title=title + ":", indent="  ").splitlines()


def format_node_report(data, *, title, sim):
    """Readable text of a node run report (a :class:`isa.golden.NodeReport` as a dict)."""
    from panther.analog_models.energy import EnergyModel
    from panther.config import PantherConfig

    config = PantherConfig.from_dict(data["config"])
    events, noc = data["events"], data["noc"]
    lines = [f"{title} on the {sim} model: node of {config.tiles_per_node} tiles "
             f"({len(data['tiles'])} loaded) on a {config.noc_mesh_cols}x{config.noc_mesh_rows} "
             f"mesh of routers ({config.noc_concentration} tile(s) per router), "
             f"{config.cores_per_tile} cores x {config.mcus_per_core} MCUs per tile, "
             f"{config.xbar_size}x{config.xbar_size} crossbars, variant {config.variant}",
             f"node rounds: {data['rounds']}", ""]
    rows, faults = [], []
    for t, tile in enumerate(data["tiles"]):
        for c, core in enumerate(tile["cores"]):
            if core["instructions"] == 0 and core["status"] == "halted":
                continue            # idle
            status = core["status"] if core["status"] != "error" else f"error {core['fault']}"
            rows.append((f"tile {t} core {c}", status, core["pc"], core["instructions"],
                         "yes" if core["overflow"] else "no"))
            if core["fault_message"]:
                faults.append(f"  tile {t}: {core['fault_message']}")
    lines += _table("cores (idle cores not shown)", rows,
                    ("core", "status", "pc", "instructions", "overflow")) + faults + [""]
    mcu_rows = [(f"tile {e['tile']} core {e['core']} MCU {e['mcu']}", e["mvm"], e["mtvm"], e["opa"],
                 e["crs"]) for e in events.get("mcu", [])]
    lines += _table("MCU operations", mcu_rows, ("MCU", "MVM", "MTVM", "OPA", "CRS")) + [""]
    traffic = [(f"tile {r['src_tile']} -> tile {r['dst_tile']}", r["sends"], r["words"], r["flits"],
                r["flit_hops"]) for r in noc["traffic"]]
    lines += _table(f"network ({noc['words']} words, {noc['flits']} flits, {noc['flit_hops']} "
                    "flit-hops)", traffic, ("route", "sends", "words", "flits", "flit-hops"))
    for chan in noc["channels"]:
        lines.append(f"  left in channel tile {chan['src_tile']} core {chan['src_core']} -> tile "
                     f"{chan['dst_tile']} core {chan['dst_core']}: {len(chan['words'])} word(s)")
    lines += ["", f"instructions retired: {events['instructions_total']}; shared-memory word "
                  f"reads/writes: {events.get('smem_reads', 0)}/{events.get('smem_writes', 0)}; "
                  f"ADC conversions: {events['adc_conversions']}", ""]
    breakdown = EnergyModel(config).breakdown(events["energy_events"])
    lines.append("energy / latency (analog_models.energy; latency is a serialised upper bound):")
    lines += ["  " + line for line in breakdown.format().splitlines()]
    return "\n".join(lines)


def run(args):
    from panther.apps.api import run as run_program

    waves = args.waves
    if waves is not None:
        if args.sim == "golden":
            raise UserError("panther run: --waves records the RTL simulation: use it with "
                            "--sim verilator or --sim icarus")
        from panther.cosim.simulators import WAVE_FORMATS

        waves = waves or f"{Path(args.program).name.removesuffix('.s')}." \
                         f"{WAVE_FORMATS[args.sim][0]}"
    image = load_program(args.program, args.config, array_options(args))
    rtl_tile = getattr(args, "rtl_tile", None)     # panther demo has no --rtl-tile
    if hasattr(image, "tiles") or rtl_tile is not None or uses_network(image):
        return _run_node(image, args, waves)
    check = None if args.check == "none" else args.check
    report = run_program(image, sim=args.sim, mcu=args.mcu, check=check,
                         max_rounds=args.max_rounds, max_cycles=args.max_cycles, waves=waves,
                         trace=_trace(image) if args.trace else None, program=args.program)
    for note in report.notes:
        print(f"panther run: {note}", file=sys.stderr)
    report.notes = []
    print(report.format())
    if args.json:
        report.write_json(args.json, state=args.json_state)
        print(f"\nwrote the report to {args.json}")
    if report.status in ("deadlock", "round_limit", "cycle_limit"):
        where = "" if args.sim == "golden" else f"the RTL ({args.sim}) did not complete: "
        raise UserError(f"{args.program}: {where}{report.message}"
                        + ("; see the report above" if args.sim != "golden" else ""))
    return 0 if report.ok else 1


def _run_node(image, args, waves):
    """A node image, a program that uses the network, or ``--rtl-tile``: the golden node (and
    the node RTL), reported as a node report (not yet the ``panther.run/1`` schema)."""
    from panther.apps.api import resolve_mcu
    from panther.isa.golden import GoldenError
    from panther.isa.node_image import NodeImage

    if not isinstance(image, NodeImage):
        image = NodeImage(config=image.config, tiles=[image])
    args.rtl_tile = getattr(args, "rtl_tile", None)
    if args.rtl_tile is not None:
        if args.sim == "golden":
            raise UserError("panther run: --rtl-tile K puts tile K of a node on the RTL: use it "
                            "with --sim verilator or --sim icarus")
        if args.rtl_tile >= len(image.tiles):
            raise UserError(f"panther run: --rtl-tile {args.rtl_tile}: the program has "
                            f"{len(image.tiles)} tile(s) (0 .. {len(image.tiles) - 1})")
    args.waves = waves
    args.mcu, note = resolve_mcu(args.mcu, args.sim, image.config)
    if note:
        print(f"panther run: {note}", file=sys.stderr)
    try:
        report = NODE_BACKENDS[args.sim](image, args)
    except GoldenError as error:     # deadlock / round limit: keep the state for debugging
        if args.json and error.report is not None:
            _write_json(args.json, error.report)
        raise
    print(format_node_report(report.to_dict(), title=str(args.program), sim=args.sim))
    if hasattr(report, "extra_text"):       # RTL back ends: cycles and the golden comparison
        print()
        print(report.extra_text().replace("golden model: golden model: ", "golden model: "))
    status = 0 if report.ok else 1
    stopped = getattr(getattr(report, "outcome", None), "stopped", "halted")
    if args.json:
        _write_json(args.json, report)
        print(f"\nwrote the report to {args.json}")
    if stopped != "halted":
        what = ("deadlock" if stopped == "deadlock"
                else f"not every core halted within {args.max_cycles or 'the default'} cycles "
                     "(--max-cycles)")
        raise UserError(f"{args.program}: the RTL ({args.sim}) did not complete: {what}; see the "
                        "report above")
    return status


def _write_json(path, report):
    write_json(path, report.to_dict())
