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

Nothing here parses arguments or prints; the command line (:mod:`panther.apps.commands.run`)
is a thin layer over it. Programs can also be built in Python with :mod:`panther.isa.builder`.
"""

from __future__ import annotations

import time
from pathlib import Path

from panther.config import PantherConfig, load_config
from panther.errors import UserError

__all__ = ["SIMULATORS", "load_program", "run", "resolve_mcu"]

#: The back ends of :func:`run`.
SIMULATORS = ("golden", "verilator", "icarus")


def load_program(source, *, config="small", weights=None, data=None, smem=None):
    """A :class:`panther.isa.image.ProgramImage` from an assembly file (``.s``), a program
    image directory (``panther asm``) or an image, with optional numpy arrays written in.

    ``config`` (a preset name, a JSON file or a :class:`PantherConfig`) applies to a ``.s``
    file; an image directory brings its own. ``weights``, ``data`` and ``smem`` are as in
    :func:`panther.isa.arrays.with_arrays`.
    """
    from panther.isa.arrays import with_arrays
    from panther.isa.assembler import assemble
    from panther.isa.image import ProgramImage

    if isinstance(source, ProgramImage):
        image = source
    else:
        path = Path(source)
        if path.is_dir():
            image = ProgramImage.load(path)
        elif not path.exists():
            raise UserError(f"{path}: no such assembly file or image directory")
        else:
            from .commands._common import read_source

            if not isinstance(config, PantherConfig):
                config = load_config(config)
            image = assemble(read_source(path), config=config, filename=str(path))
    if weights or data or smem:
        image = with_arrays(image, weights=weights, data=data, smem=smem)
    return image


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
        waves=None, trace=None, program=None):
    """Run ``image`` on a back end and return its :class:`panther.isa.run_report.RunReport`.

    Parameters
    ----------
    image : ProgramImage or path
        A program (see :func:`load_program`; a path is loaded with the ``small`` preset).
    sim : {'golden', 'verilator', 'icarus'}
        The golden model alone, or the tile RTL compared with the golden model.
    mcu : {'exact', 'analog', None}
        The golden model's MCU; None: exact, or analog for an RTL run of a configuration
        with noise (see :func:`resolve_mcu`).
    check : str or None
        The reference check: ``'auto'`` the one the program names (``.check``), a name of
        :data:`panther.isa.golden.reference.CHECKS`, or None for none. A check runs only when
        every core halted.
    max_rounds : int, optional
        The golden model's scheduling-round limit (default 1000000).
    max_cycles : int, optional
        RTL: clock cycles before giving up (default 2000000).
    waves : path, optional
        RTL: record the simulation into this VCD/FST file.
    trace : callable, optional
        Golden model: ``trace(core, pc, instruction)`` per retired instruction.
    program : str, optional
        The program's name in the report (default: none).

    A run that does not complete (a deadlock, a limit) still returns its report, with
    ``status`` saying how it ended.
    """
    from panther.isa.image import ProgramImage

    if sim not in SIMULATORS:
        raise UserError(f"sim must be one of {', '.join(SIMULATORS)}, not {sim!r}")
    _positive("max_rounds", max_rounds)
    _positive("max_cycles", max_cycles)
    if not isinstance(image, ProgramImage):
        program = program or str(image)
        image = load_program(image)
    if waves is not None and sim == "golden":
        raise UserError("waves records the RTL simulation: use it with sim='verilator' or "
                        "sim='icarus'")
    mcu, note = resolve_mcu(mcu, sim, image.config)
    start = time.perf_counter()
    if sim == "golden":
        report = _golden(image, mcu=mcu, max_rounds=max_rounds, trace=trace, program=program)
    else:
        from panther.cosim.run_backend import rtl_run

        report = rtl_run(image, simulator=sim, mcu=mcu, max_cycles=max_cycles,
                         max_rounds=max_rounds, waves=waves, program=program)
    report.wall_seconds = time.perf_counter() - start
    if note:
        report.notes.append(note)
    _check(report, image, check)
    return report


def _golden(image, *, mcu, max_rounds, trace, program):
    from panther.isa.golden import GoldenError, Tile
    from panther.isa.golden.errors import DeadlockError
    from panther.isa.golden.tile import DEFAULT_MAX_ROUNDS
    from panther.isa.run_report import RunReport

    factory = None
    if mcu == "analog":
        from panther.isa.golden.analog_mcu import analog_mcu_factory as factory
    tile = Tile.from_image(image, mcu_factory=factory, trace=trace)
    message = None
    try:
        state = tile.run(max_rounds=max_rounds or DEFAULT_MAX_ROUNDS)
        status = "halted" if state.ok else "error"
    except GoldenError as error:
        state, message = error.report, str(error)
        status = "deadlock" if isinstance(error, DeadlockError) else "round_limit"
    return RunReport(image=image, state=state, sim="golden", status=status, message=message,
                     mcu_model=mcu, program=program)


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
