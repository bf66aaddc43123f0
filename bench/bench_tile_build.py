"""Time a tile build from an empty build directory, phase by phase (docs/tile.md "Build time").

``python -m bench.bench_tile_build --preset paper [--tiles-per-node N] --build-root DIR``
builds ``TileSimulation(config)`` for Verilator into ``DIR`` (which must be empty or absent)
and prints, for the Verilog conversion of each unit (converted at the same time, as a build
does), for Verilator's translation to C++ and for g++ under make: wall time, CPU time and
peak memory, then the Verilog and C++ sizes. Run it ``flock``ed (it uses both cores).
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from cosim import verilog
from cosim.tile_simulation import TileSimulation
from panther.config import PRESETS

TIME_FORMAT = "%e %U %S %M"     # GNU time: wall s, user s, system s, peak KB


class _TimedWriteVerilog:
    """``cosim.verilog.write_verilog`` wrapped to write its wall time, CPU time and peak
    memory (its own and its Yosys's) to ``record_dir/<name>.json``. Picklable, as
    ``write_verilogs`` sends it to its converting processes, where it wraps their own
    ``write_verilog`` (the one of this process is not sent)."""

    def __init__(self, record_dir, plain=None):
        self.record_dir = record_dir
        self.plain = plain

    def __getstate__(self):
        return {"record_dir": self.record_dir, "plain": None}

    def __call__(self, build, *, name, **kwargs):
        plain = self.plain if self.plain is not None else verilog.write_verilog
        start, before = time.monotonic(), _cpu()
        path = plain(build, name=name, **kwargs)
        cpu = _cpu() - before
        peak = max(resource.getrusage(who).ru_maxrss
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        (self.record_dir / f"{name}.json").write_text(json.dumps(
            dict(wall=time.monotonic() - start, cpu=cpu, peak_mb=peak / 1024,
                 verilog_mb=path.stat().st_size / 1e6)))
        return path


def _cpu():
    own, kids = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed_commands(record_dir):
    """cocotb's command runner, each command under GNU time (``record_dir/cmd<i>.txt``)."""
    from cocotb_tools.runner import Runner
    plain = Runner._execute_cmds
    count = [0]

    def timed(self, cmds, cwd, stdout=None):
        wrapped = []
        for cmd in cmds:
            out = record_dir / f"cmd{count[0]}.txt"
            count[0] += 1
            wrapped.append(["/usr/bin/time", "-o", str(out), "-f", TIME_FORMAT, *cmd])
        return plain(self, wrapped, cwd, stdout)
    return timed


def _phase(path):
    wall, user, system, peak = path.read_text().split()[-4:]
    return dict(wall=float(wall), cpu=float(user) + float(system), peak_mb=int(peak) / 1024)


def _size(folder, suffixes):
    files = [p for p in Path(folder).rglob("*") if p.suffix in suffixes and p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def main(argv=None):
    """Parse the arguments, build, print the phases as text and JSON; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="paper", choices=sorted(PRESETS))
    parser.add_argument("--tiles-per-node", type=int, default=None)
    parser.add_argument("--build-root", required=True, type=Path)
    args = parser.parse_args(argv)
    root = args.build_root.resolve()
    if root.exists() and any(root.iterdir()):
        print(f"error: {root} is not empty (the build is measured from empty)", file=sys.stderr)
        return 2
    config = PRESETS[args.preset]
    if args.tiles_per_node is not None:
        config = config.replace(tiles_per_node=args.tiles_per_node)
    record = root / "timing"
    record.mkdir(parents=True)
    verilog.write_verilog = _TimedWriteVerilog(record, verilog.write_verilog)
    from cocotb_tools.runner import Runner
    Runner._execute_cmds = _timed_commands(record)

    sim = TileSimulation(config, build_root=root)
    start = time.monotonic()
    sources = sim.sources()
    convert = time.monotonic() - start
    sim.build()
    total = time.monotonic() - start
    units = {p.stem: json.loads(p.read_text()) for p in sorted(record.glob("*.json"))}
    phases = [_phase(p) for p in sorted(record.glob("cmd*.txt"))]
    obj = root / sim.top / "verilator"
    cpp_mb, cpp_files = _size(obj, {".cpp", ".h"})
    result = dict(preset=args.preset, tiles_per_node=config.tiles_per_node, total_wall=total,
                  convert_wall=convert, units=units, verilator=phases[0], make=phases[1],
                  verilog_mb=sum(Path(s).stat().st_size for s in sources) / 1e6,
                  cpp_mb=cpp_mb, cpp_files=cpp_files, load=os.getloadavg())
    for name, unit in units.items():
        print(f"convert {name}: {unit['wall']:.0f} s wall, {unit['cpu']:.0f} s CPU, "
              f"peak {unit['peak_mb']:.0f} MB, {unit['verilog_mb']:.1f} MB of Verilog")
    for name in ("verilator", "make"):
        p = result[name]
        print(f"{name}: {p['wall']:.0f} s wall, {p['cpu']:.0f} s CPU, peak {p['peak_mb']:.0f} MB")
    print(f"conversion {convert:.0f} s, total {total:.0f} s; C++ {cpp_mb:.0f} MB in "
          f"{cpp_files} files; load {result['load'][0]:.1f}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
