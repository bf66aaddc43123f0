"""The Python interface of ``panther run``: load a program, run it, get a report object.

::

    from panther.apps.api import load_program, run

    image = load_program("examples/mlp2_step.s", config="small",
                         weights={"L1": W1})          # numpy in (optional)
    report = run(image, sim="golden")                  # or "verilator", "icarus"
    report.ok, report.status, report.cores             # per core status, cycles, instructions
    report.values("h")                                 # final values of a region, real and raw
    report.weights(0, 0)                               # final weights of core 0 MCU 0 (numpy)
    report.to_dict()                                   # the panther.run/1 JSON
    print(report.format())                             # the text panther run prints

A node program (a node image, or a program that uses ``send``/``recv``) runs on the golden
node or the node RTL (``rtl_tile=K``: tile K alone on the RTL) and returns a
:class:`panther.isa.node_run_report.NodeRunReport`: the same ``panther.run/1`` JSON with a
``tiles`` list and the ``noc``, and ``report.values("h", tile=1)`` for one tile's values.

Nothing here parses arguments or prints; the command line (:mod:`panther.apps.commands.run`)
is a thin layer over it. Programs can also be built in Python with :mod:`panther.isa.builder`.
"""

from __future__ import annotations

import time
from pathlib import Path

from panther.config import PantherConfig, load_config
from panther.errors import UserError

__all__ = ["SIMULATORS", "load_program", "run", "resolve_mcu", "uses_network"]

#: The back ends of :func:`run`.
SIMULATORS = ("golden", "verilator", "icarus")


def load_program(source, *, config="small", weights=None, data=None, smem=None):
    """A :class:`panther.isa.image.ProgramImage` from an assembly file (``.s``), a program
    image directory (``panther asm``) or an image, with optional numpy arrays written in; a
    :class:`panther.isa.node_image.NodeImage` from a source with ``.tile`` sections or a
    node image directory.

    ``config`` (a preset name, a JSON file or a :class:`PantherConfig`) applies to a ``.s``
    file; an image directory brings its own. ``weights``, ``data`` and ``smem`` are as in
    :func:`panther.isa.arrays.with_arrays` (tile images only).
    """
    from panther.isa.arrays import with_arrays
    from panther.isa.assembler import assemble
    from panther.isa.image import ProgramImage
    from panther.isa.node_image import NodeImage, load_any_image

    if isinstance(source, (ProgramImage, NodeImage)):
        image = source
    else:
        path = Path(source)
        if path.is_dir():
            image = load_any_image(path)
        elif not path.exists():
            raise UserError(f"{path}: no such assembly file or image directory")
        else:
            from .commands._common import read_source

            if not isinstance(config, PantherConfig):
                config = load_config(config)
            image = assemble(read_source(path), config=config, filename=str(path))
    if weights or data or smem:
        if isinstance(image, NodeImage):
            raise UserError(f"{source}: weights, data and smem arrays (--weights/--data/--smem) "
                            "apply to tile images, not to a node image")
        image = with_arrays(image, weights=weights, data=data, smem=smem)
    return image


def uses_network(image):
    """True when a program of ``image`` (a tile or a node image) holds a ``send`` or ``recv``."""
    from panther.isa.encoding import opcode_of
    from panther.isa.table import BY_MNEMONIC

    codes = {BY_MNEMONIC["send"].opcode, BY_MNEMONIC["recv"].opcode}
    return any(opcode_of(w) in codes for tile in getattr(image, "tiles", [image])
               for program in tile.programs for w in program)


def resolve_mcu(mcu, sim, config):
    """The golden MCU model of a run (``mcu`` if given) and a note to show, or None.

    An RTL run of a configuration with noise is compared with the analog golden model: the
    exact one ignores the noise the RTL's analog models apply, so it would differ."""
    noisy = not config.noise.ideal
    rtl = sim != "golden"
    if mcu is None:
        if rtl and noisy:
            return "analog", ("note: the configuration has analog noise, so the RTL is compared "
                              "with the analog golden model (--mcu analog)")
        return "exact", None
    if mcu not in ("exact", "analog"):
        raise UserError(f"mcu must be 'exact' or 'analog', not {mcu!r}")
    if mcu == "exact" and rtl and noisy:
        return "exact", ("note: --mcu exact ignores the configuration's analog noise, which the "
                         "RTL's analog models apply: the comparison is expected to differ "
                         "(use --mcu analog to compare like with like)")
    return mcu, None


def _positive(name, value):
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise UserError(f"{name} must be a positive integer, not {value!r}")


def run(image, *, sim="golden", mcu=None, check="auto", max_rounds=None, max_cycles=None,
        waves=None, trace=None, program=None, rtl_tile=None):
    """Run ``image`` on a back end and return its report: a
    :class:`panther.isa.run_report.RunReport` for a tile program, a
    :class:`panther.isa.node_run_report.NodeRunReport` for a node program (a node image, a
    program that uses ``send``/``recv``, or ``rtl_tile``). Both write ``panther.run/1``.

    Parameters
    ----------
    image : ProgramImage, NodeImage or path
        A program (see :func:`load_program`; a path is loaded with the ``small`` preset).
    sim : {'golden', 'verilator', 'icarus'}
        The golden model alone, or the RTL (the tile, or the node) compared with the golden
        model.
    mcu : {'exact', 'analog', None}
        The golden model's MCU; None: exact, or analog for an RTL run of a configuration
        with noise (see :func:`resolve_mcu`). The node RTL is compared with the exact golden
        node (a note says so when analog was asked for).
    check : str or None
        The reference check: ``'auto'`` the one the program names (``.check``), a name of
        :data:`panther.isa.golden.reference.CHECKS`, or None for none. A check runs only when
        every core halted, and only on a tile program.
    max_rounds : int, optional
        The golden model's scheduling-round limit (default 1000000).
    max_cycles : int, optional
        RTL: clock cycles before giving up (default 2000000).
    waves : path, optional
        RTL: record the simulation into this VCD/FST file (tile programs).
    trace : callable, optional
        Golden model: ``trace(core, pc, instruction)`` per retired instruction of a tile
        program, ``trace(tile, core, pc, instruction)`` of a node program.
    program : str, optional
        The program's name in the report (default: none).
    rtl_tile : int, optional
        RTL, node programs: only this tile is RTL, the other tiles are the golden model.

    A run that does not complete (a deadlock, a limit) still returns its report, with
    ``status`` saying how it ended.
    """
    from panther.isa.image import ProgramImage
    from panther.isa.node_image import NodeImage

    if sim not in SIMULATORS:
        raise UserError(f"sim must be one of {', '.join(SIMULATORS)}, not {sim!r}")
    _positive("max_rounds", max_rounds)
    _positive("max_cycles", max_cycles)
    if not isinstance(image, (ProgramImage, NodeImage)):
        program = program or str(image)
        image = load_program(image)
    if waves is not None and sim == "golden":
        raise UserError("waves records the RTL simulation: use it with sim='verilator' or "
                        "sim='icarus'")
    node = isinstance(image, NodeImage) or rtl_tile is not None or uses_network(image)
    if node:
        image = image if isinstance(image, NodeImage) else NodeImage(config=image.config,
                                                                     tiles=[image])
        _check_rtl_tile(rtl_tile, sim, image)
    mcu, note = resolve_mcu(mcu, sim, image.config)
    start = time.perf_counter()
    if node:
        report = _node(image, sim=sim, mcu=mcu, max_rounds=max_rounds, max_cycles=max_cycles,
                       waves=waves, trace=trace, program=program, rtl_tile=rtl_tile)
    elif sim == "golden":
        report = _golden(image, mcu=mcu, max_rounds=max_rounds, trace=trace, program=program)
    else:
        from panther.cosim.run_backend import rtl_run

        report = rtl_run(image, simulator=sim, mcu=mcu, max_cycles=max_cycles,
                         max_rounds=max_rounds, waves=waves, program=program)
    report.wall_seconds = time.perf_counter() - start
    if note and report.mcu_model == mcu:
        report.notes.append(note)
    if node:
        _node_check(report, image, check)
    else:
        _check(report, image, check)
    return report


def _check_rtl_tile(rtl_tile, sim, image):
    if rtl_tile is None:
        return
    if sim == "golden":
        raise UserError("panther run: --rtl-tile K puts tile K of a node on the RTL: use it "
                        "with --sim verilator or --sim icarus")
    if not isinstance(rtl_tile, int) or isinstance(rtl_tile, bool) \
            or not 0 <= rtl_tile < len(image.tiles):
        raise UserError(f"panther run: --rtl-tile {rtl_tile}: the program has "
                        f"{len(image.tiles)} tile(s) (0 .. {len(image.tiles) - 1})")


def _mcu_factory(mcu):
    """The golden model's MCU factory for ``mcu`` (None: the exact MCU)."""
    if mcu == "analog":
        from panther.isa.golden.analog_mcu import analog_mcu_factory
        return analog_mcu_factory
    return None


def _golden_outcome(model, max_rounds):
    """Run a golden tile or node; ``(state, status, message)``, a stop as a status."""
    from panther.isa.golden import GoldenError
    from panther.isa.golden.errors import DeadlockError
    from panther.isa.golden.tile import DEFAULT_MAX_ROUNDS

    try:
        state = model.run(max_rounds=max_rounds or DEFAULT_MAX_ROUNDS)
    except GoldenError as error:
        status = "deadlock" if isinstance(error, DeadlockError) else "round_limit"
        return error.report, status, str(error)
    return state, "halted" if state.ok else "error", None


def _golden(image, *, mcu, max_rounds, trace, program):
    from panther.isa.golden import Tile
    from panther.isa.run_report import RunReport

    tile = Tile.from_image(image, mcu_factory=_mcu_factory(mcu), trace=trace)
    state, status, message = _golden_outcome(tile, max_rounds)
    return RunReport(image=image, state=state, sim="golden", status=status, message=message,
                     mcu_model=mcu, program=program)


def _node(image, *, sim, mcu, max_rounds, max_cycles, waves, trace, program, rtl_tile):
    """A node program on the golden node, or on the node RTL (every tile or ``rtl_tile``)."""
    from panther.isa.golden import Node
    from panther.isa.node_run_report import NodeRunReport

    if sim != "golden":
        from panther.cosim.node_backend import node_rtl_run

        notes = [] if mcu == "exact" else [
            "note: the node RTL is compared with the exact golden node (an analog golden "
            "node is not supported for node RTL runs yet)"]
        return node_rtl_run(image, simulator=sim, rtl_tile=rtl_tile, max_cycles=max_cycles,
                            max_rounds=max_rounds, waves=waves, program=program, notes=notes)
    node = Node.from_image(image, mcu_factory=_mcu_factory(mcu), trace=trace)
    state, status, message = _golden_outcome(node, max_rounds)
    return NodeRunReport.from_golden(image, state, status=status, message=message,
                                     mcu_model=mcu, program=program)


def _node_check(report, image, check):
    """Reference checks read one tile's state: a node program gets none, and says why."""
    if check not in ("auto", None):
        raise UserError(f"reference check {check!r}: checks run on one-tile programs, not on a "
                        "node program (use --check none)")
    name = image.tiles[0].check
    if check is None:
        report.check_note = "none requested"
    elif name is None:
        report.check_note = "the program names no reference check"
    else:
        report.check_note = (f"check {name!r} not run: reference checks run on one-tile "
                             "programs, not on a node program")


def _check(report, image, check):
    from panther.isa.golden.reference import run_check

    name = image.check if check == "auto" else check
    if name is None:
        report.check_note = ("the program names no reference check; add '.check NAME' to it "
                             "or pass --check NAME" if check == "auto" else "none requested")
        return
    if report.status != "halted":
        report.check_note = f"check {name!r} not run: the program did not complete"
        return
    report.check = run_check(name, image, report.state)
