"""``panther run``: assemble a program and run it on a simulator back end, with a report.

Back ends are entries of :data:`BACKENDS`: a function ``f(image, args) -> GoldenReport``
(the RTL back ends must return the same JSON-comparable report). ``golden`` is the
instruction-level golden model (:mod:`isa.golden`); ``verilator`` and ``icarus`` run the
tile RTL (:mod:`cosim.run_backend`) and compare it with the golden model.

Exit statuses, the same on every back end: 0 every core halted (and the RTL matches the
golden model); 1 a core stopped with a fault code, the RTL differs from the golden model or
an example's reference check failed (the report says which); 2 bad input, or a program that
cannot complete: a deadlock, or the round (golden) or cycle (RTL) limit reached.

The golden model of an RTL run is the analog one when the configuration has noise (the RTL
runs the analog models with that noise), unless ``--mcu`` says otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from panther.config import load_config
from panther.errors import UserError

from ._common import non_negative_int, positive_int, read_source

__all__ = ["NAME", "HELP", "add_arguments", "run", "BACKENDS", "load_program", "format_report",
           "simulate", "resolve_mcu"]

NAME = "run"
HELP = "assemble a program and run it on the golden model or the tile RTL, with a report"


def _golden(image, args):
    from panther.isa.golden import run_image

    factory = None
    if getattr(args, "mcu", "exact") == "analog":
        from panther.isa.golden.analog_mcu import analog_mcu_factory as factory
    trace = None
    if getattr(args, "trace", False):
        from panther.isa.disassembler import format_instruction

        if hasattr(image, "tiles"):
            def trace(tile, core, pc, instr):
                print(f"tile {tile} core {core} pc {pc:4d}: "
                      f"{format_instruction(instr, config=image.config)}")
        else:
            def trace(core, pc, instr):
                print(f"core {core} pc {pc:4d}: {format_instruction(instr, config=image.config)}")
    return run_image(image, mcu_factory=factory, max_rounds=args.max_rounds, trace=trace)


def uses_network(image):
    """True when a program of ``image`` (a tile or a node image) holds a ``send`` or ``recv``."""
    from panther.isa.encoding import opcode_of
    from panther.isa.table import BY_MNEMONIC

    codes = {BY_MNEMONIC["send"].opcode, BY_MNEMONIC["recv"].opcode}
    return any(opcode_of(w) in codes for tile in getattr(image, "tiles", [image])
               for program in tile.programs for w in program)


def _rtl(name):
    def backend(image, args):
        if hasattr(image, "tiles") or uses_network(image) or getattr(args, "rtl_tile", None) is not None:
            from panther.cosim.node_backend import node_backend  # node RTL + golden node

            return node_backend(name)(image, args)
        from panther.cosim.run_backend import rtl_backend  # tile RTL + golden comparison

        return rtl_backend(name)(image, args)
    return backend


#: Simulator name -> back end ``f(image, args) -> GoldenReport``.
BACKENDS = {"golden": _golden, "verilator": _rtl("verilator"), "icarus": _rtl("icarus")}


def add_arguments(parser):
    parser.add_argument("program", help="assembly file (.s) or a program image directory "
                                        "written by `panther asm`")
    parser.add_argument("--sim", choices=sorted(BACKENDS), default="golden",
                        help="simulator back end (default: golden; verilator and icarus run the "
                             "tile RTL and compare it with the golden model)")
    parser.add_argument("--config", default="small",
                        help="configuration for a .s file: a preset (small, paper) or a JSON "
                             "file (default: small); an image directory brings its own")
    parser.add_argument("--mcu", choices=("exact", "analog"), default=None,
                        help="golden MCU model: exact integer arithmetic or the behavioural "
                             "analog models with the configuration's noise (default: exact, "
                             "except analog for an RTL run of a configuration with noise)")
    parser.add_argument("--max-rounds", type=positive_int, default=1_000_000,
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
                        help="also write the full report (final state and events) as JSON")


def load_program(path, config_name):
    """A :class:`isa.image.ProgramImage` (or a :class:`isa.node_image.NodeImage`) from a
    ``.s`` file or an image directory."""
    from panther.isa.assembler import assemble
    from panther.isa.node_image import load_any_image

    path = Path(path)
    if path.is_dir():
        return load_any_image(path)
    if not path.exists():
        raise UserError(f"{path}: no such assembly file or image directory")
    text = read_source(path)
    return assemble(text, config=load_config(config_name), filename=str(path))


def simulate(image, args):
    """Run ``image`` on the back end ``args.sim``; returns the report."""
    for option in ("max_rounds", "max_cycles"):
        value = getattr(args, option, None)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise UserError(f"panther run: --{option.replace('_', '-')}: expected a positive integer, "
                            f"not {value!r}")
    return BACKENDS[args.sim](image, args)


def resolve_mcu(args, config):
    """The golden MCU model of a run (``args.mcu`` if given) and a note to print, or None.

    An RTL run of a configuration with noise is compared with the analog golden model: the
    exact one ignores the noise the RTL's analog models apply, so it would differ."""
    noisy = not config.noise.ideal
    rtl = args.sim != "golden"
    if getattr(args, "mcu", None) is None:
        if rtl and noisy:
            return "analog", ("note: the configuration has analog noise, so the RTL is compared "
                              "with the analog golden model (--mcu analog)")
        return "exact", None
    if args.mcu == "exact" and rtl and noisy:
        return "exact", ("note: --mcu exact ignores the configuration's analog noise, which the "
                         "RTL's analog models apply: the comparison is expected to differ "
                         "(use --mcu analog to compare like with like)")
    return args.mcu, None


def _table(title, rows, headers):
    if not rows:
        return [f"{title}: none"]
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    lines = [title + ":",
             "  " + "  ".join(str(h).rjust(w) if i else str(h).ljust(w)
                              for i, (h, w) in enumerate(zip(headers, widths)))]
    for r in rows:
        lines.append("  " + "  ".join(str(v).rjust(w) if i else str(v).ljust(w)
                                      for i, (v, w) in enumerate(zip(r, widths))))
    return lines


def format_report(report, *, title, sim):
    """Readable text of a run report (a GoldenReport, a NodeReport or its dict)."""
    from panther.config import PantherConfig

    data = report if isinstance(report, dict) else report.to_dict()
    if "tiles" in data:
        return format_node_report(data, title=title, sim=sim)
    config = PantherConfig.from_dict(data["config"])
    events = data["events"]
    slicing = "".join(str(b) for b in config.slice_bits)
    lines = [f"{title} on the {sim} model: {config.cores_per_tile} cores x "
             f"{config.mcus_per_core} MCUs, {config.xbar_size}x{config.xbar_size} crossbars, "
             f"slices {slicing}, variant {config.variant}, "
             f"Q{config.data_bits - config.data_frac_bits}.{config.data_frac_bits} data",
             f"scheduling rounds: {data['rounds']}", ""]
    core_rows = []
    for i, core in enumerate(data["cores"]):
        status = core["status"] if core["status"] != "error" else f"error {core['fault']}"
        core_rows.append((f"core {i}", status, core["pc"], "yes" if core["overflow"] else "no"))
    lines += _table("cores", core_rows, ("core", "status", "pc", "overflow"))
    for core in data["cores"]:
        if core["fault_message"]:
            lines.append(f"  {core['fault_message']}")
    lines.append("")
    lines += _table(f"instructions ({events['instructions_total']} retired)",
                    sorted(events["instructions"].items()), ("opcode", "count"))
    lines.append("")
    mcu_rows = [(f"core {e['core']} MCU {e['mcu']}", e["mvm"], e["mtvm"], e["opa"], e["crs"])
                for e in events["mcu"]]
    lines += _table("MCU operations", mcu_rows, ("MCU", "MVM", "MTVM", "OPA", "CRS"))
    lines.append("")
    counts = [("ADC conversions", events["adc_conversions"]),
              ("VFU element ops", events.get("vfu_ops", 0)),
              ("alu_int ops", events.get("alu_int_ops", 0)),
              ("RF word reads/writes", f"{events.get('rf_reads', 0)}/{events.get('rf_writes', 0)}"),
              ("XBarIn word reads/writes",
               f"{events.get('xbar_in_reads', 0)}/{events.get('xbar_in_writes', 0)}"),
              ("XBarOut word reads/writes",
               f"{events.get('xbar_out_reads', 0)}/{events.get('xbar_out_writes', 0)}"),
              ("shared-memory word reads/writes",
               f"{events.get('smem_reads', 0)}/{events.get('smem_writes', 0)}")]
    if data.get("noc"):
        counts.append(("network words/flits/flit-hops",
                       f"{data['noc']['words']}/{data['noc']['flits']}/{data['noc']['flit_hops']}"))
    lines += _table("events", counts, ("event", "count"))
    if "rtl" in data:
        import textwrap

        lines += textwrap.wrap(
            "(RTL run: the events and the energy table are counted by the RTL and its analog "
            "models; only the per-opcode and per-MCU tables come from the golden model's run "
            "of the same program, which the comparison below checks ends in the same state "
            "with the same totals.)",
            width=94, initial_indent="  ", subsequent_indent="   ")
    lines.append("")
    from panther.analog_models.energy import EnergyModel

    breakdown = EnergyModel(config).breakdown(events["energy_events"])
    lines.append("energy / latency (analog_models.energy; latency is a serialised upper bound):")
    lines += ["  " + line for line in breakdown.format().splitlines()]
    lines.append("")
    flags = ", ".join(f"core {i}: {'SET' if c['overflow'] else 'clear'}"
                      for i, c in enumerate(data["cores"]))
    lines.append(f"overflow flags: {flags}")
    return "\n".join(lines)


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
    from panther.isa.golden import GoldenError
    from panther.isa.golden.reference import check_example

    if args.waves is not None:
        if args.sim == "golden":
            raise UserError("panther run: --waves records the RTL simulation: use it with "
                            "--sim verilator or --sim icarus")
        from panther.cosim.simulators import WAVE_FORMATS

        default = f"{Path(args.program).name.removesuffix('.s')}.{WAVE_FORMATS[args.sim][0]}"
        args.waves = args.waves or default
    image = load_program(args.program, args.config)
    args.rtl_tile = getattr(args, "rtl_tile", None)     # panther demo has no --rtl-tile
    if args.rtl_tile is not None:
        if args.sim == "golden":
            raise UserError("panther run: --rtl-tile K puts tile K of a node on the RTL: use it "
                            "with --sim verilator or --sim icarus")
        tiles = getattr(image, "tiles", [image])
        if args.rtl_tile >= len(tiles):
            raise UserError(f"panther run: --rtl-tile {args.rtl_tile}: the program has "
                            f"{len(tiles)} tile(s) (0 .. {len(tiles) - 1})")
    args.mcu, note = resolve_mcu(args, image.config)
    if note:
        print(f"panther run: {note}", file=sys.stderr)
    try:
        report = simulate(image, args)
    except GoldenError as error:     # deadlock / round limit: keep the state for debugging
        if args.json and error.report is not None:
            _write_json(args.json, error.report)
        raise
    print(format_report(report, title=str(args.program), sim=args.sim))
    if hasattr(report, "extra_text"):       # RTL back ends: cycles and the golden comparison
        print()
        print(_single_prefix(report.extra_text()))
    status = 0 if report.ok else 1
    stopped = getattr(getattr(report, "outcome", None), "stopped", "halted")
    if stopped != "halted":     # as the golden model's DeadlockError / StepLimitError: exit 2
        if args.json:
            _write_json(args.json, report)
        what = ("deadlock" if stopped == "deadlock"
                else f"not every core halted within {args.max_cycles or 'the default'} cycles "
                     "(--max-cycles)")
        raise UserError(f"{args.program}: the RTL ({args.sim}) did not complete: {what}; see the "
                        "report above")
    check = check_example(Path(args.program).stem, image, report)
    if check is not None:
        print()
        print(check.format())
        status = status or (0 if check.ok else 1)
    if args.json:
        _write_json(args.json, report)
        print(f"\nwrote the full report to {args.json}")
    return status


def _single_prefix(text):
    """``text`` with a doubled ``golden model:`` prefix said once (the golden model's own
    messages already start with it)."""
    return text.replace("golden model: golden model: ", "golden model: ")


def _write_json(path, report):
    try:
        Path(path).write_text(json.dumps(report.to_dict()) + "\n")
    except OSError as error:
        raise UserError(f"{path}: cannot write: {error.strerror}") from None
