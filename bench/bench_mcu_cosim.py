"""Benchmark: MCU co-simulation (Verilator + analog models) against the numpy model alone.

Run ``python bench/bench_mcu_cosim.py [--config paper|small|file.json] [--simulator ...]
[--before DIR]``. At the chosen configuration (default: the paper's 128x128, 8 slices
44466555; variant 2) it prints, for one MVM, one MTVM and one OPA:

* the wall time under co-simulation (RTL in the simulator, analog half in numpy, one Python
  wake-up per analog transaction) next to the same operation in ``analog_models`` alone, and
  their ratio (issue 20's target for a paper-size MVM: within 5x);
* the RTL cycle count next to the analytic count (steps x conversions per step / ADCs +
  pipeline latency);
* where the time goes: the simulator alone clocking as many cycles with nothing to serve,
  the bridge reading the MCU's outputs, running the models and writing the answer, and the
  rest (cocotb's scheduling, the driver).

``--ops MVM`` measures the named operations only (a profile of one operation alone).
``--before DIR`` also runs the same measurements in the simulation built in ``DIR`` (a copy
of ``build/cosim/<top>/verilator`` from an older tree, by default with cocotb's own choice
of clock, as before) and prints both and the speed-up, measured in this one run.

This file is also the cocotb test module the simulation imports (``timed_ops``).
"""

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
REPEATS = 3          # default of --repeats
OPS = ("MVM", "MTVM", "OPA")    # default of --ops


def _operands(config):
    rng = np.random.default_rng(2024)
    n = config.xbar_size
    weights = rng.integers(-2**25, 2**25, (n, n))
    x = rng.integers(-2**15, 2**15, n)
    v = rng.integers(-2**15, 2**15, n)
    return weights, x, v


try:   # inside the simulator: the cocotb test that takes the measurements
    import cocotb

    sys.set_int_max_str_digits(0)

    if os.environ.get("PANTHER_BENCH_OUT"):
        @cocotb.test()
        async def timed_ops(dut):
            from cocotb.clock import Clock
            from cocotb.triggers import ClockCycles, Timer

            from panther.analog_models import AnalogMCU
            from panther.config import PantherConfig
            from panther.cosim.clock import period_ps, start_clock
            from panther.cosim.cosim_mcu import MCU_HOLD_PATHS
            from panther.cosim.mcu_bridge import McuDriver, resolve, start_mcu_bridge
            from panther.hdl.mcu import McuOp, analytic_cycles, rtl_cycles

            config = PantherConfig.from_json(os.environ["PANTHER_COSIM_CONFIG"])
            latency = int(os.environ.get("PANTHER_COSIM_INPUT_LATENCY", "0"))
            weights, x, v = _operands(config)
            impl = os.environ.get("PANTHER_BENCH_CLOCK", "design")
            period = period_ps(config)
            if impl == "design":     # the design's generator if it has one (cosim.clock)
                start_clock(dut.clk, period)
            else:
                Clock(dut.clk, period, unit="ps", impl=None if impl == "auto" else impl).start()
            driver = McuDriver(dut, dut.clk, period_ps=period, input_latency=latency)
            await ClockCycles(dut.clk, 2)      # a CosimMcu top has no reset
            amcu = AnalogMCU(config)
            amcu.program(weights)
            holds = {name: resolve(dut, path) for name, path in MCU_HOLD_PATHS.items()}
            settle = os.environ.get("PANTHER_COSIM_SIMULATOR") == "icarus"
            _, port = start_mcu_bridge(dut, dut.clk, amcu, config, holds=holds, settle=settle)
            alone = AnalogMCU(config)
            alone.program(weights)
            copy_mtvm = 1 if config.variant >= 2 else 0
            numpy_ops = {
                "MVM": lambda: alone.mvm(0, x),
                "MTVM": lambda: alone.mtvm(copy_mtvm, v),
                "OPA": lambda: alone.opa(0, x, v),
            }
            out = {}
            repeats = int(os.environ.get("PANTHER_BENCH_REPEATS", REPEATS))
            for name in os.environ.get("PANTHER_BENCH_OPS", " ".join(OPS)).split():
                mask = getattr(McuOp, name).value
                cosim_times, numpy_times, bridges = [], [], []
                for _ in range(repeats):
                    await driver.write_buffer("xin", x)
                    await driver.write_buffer("xout", v)
                    wakeups, requests = port.wakeups, port.transactions["requests"]
                    bridge = dict(port.bridge_s)
                    t0 = time.perf_counter()
                    cycles = await driver.request(mask=mask)
                    cosim_times.append(time.perf_counter() - t0)
                    wakeups, requests = (port.wakeups - wakeups,
                                         port.transactions["requests"] - requests)
                    bridge = {k: port.bridge_s[k] - bridge[k] for k in bridge}
                    bridges.append(bridge)
                    t0 = time.perf_counter()
                    numpy_ops[name]()
                    numpy_times.append(time.perf_counter() - t0)
                best = cosim_times.index(min(cosim_times))
                idle_times = []
                for _ in range(repeats):    # the same cycles with nothing to serve
                    t0 = time.perf_counter()
                    await Timer(int(cycles) * period, unit="ps")
                    idle_times.append(time.perf_counter() - t0)
                out[name] = {"cosim_s": min(cosim_times), "numpy_s": min(numpy_times),
                             "idle_s": min(idle_times), "bridge_s": bridges[best],
                             "cycles": int(cycles), "wakeups": wakeups, "transactions": requests,
                             "rtl_formula": rtl_cycles(config, mask, ack_latency=1),
                             "analytic": analytic_cycles(config, mask)}
            Path(os.environ["PANTHER_BENCH_OUT"]).write_text(json.dumps(out, indent=2))
except ImportError:     # pragma: no cover - cocotb is a project dependency
    pass


def _measure(runner, top, args, config, input_latency, clock):
    """Run the ``timed_ops`` test in ``runner``'s build; its figures, or None."""
    from panther.cosim.simulators import run, testcase_results

    out_file = runner.build_dir / "run" / "bench.json"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.unlink(missing_ok=True)
    xml = run(runner, top, "bench_mcu_cosim", python_path=[HERE],
              extra_env={"PANTHER_COSIM_CONFIG": config.to_json(),
                         "PANTHER_COSIM_SIMULATOR": args.simulator,
                         "PANTHER_COSIM_INPUT_LATENCY": str(input_latency),
                         "PANTHER_BENCH_CLOCK": clock,
                         "PANTHER_BENCH_REPEATS": str(args.repeats),
                         "PANTHER_BENCH_OPS": " ".join(args.ops),
                         "PANTHER_BENCH_OUT": str(out_file)}, results_name="bench")
    failures = {k: v for k, v in testcase_results(xml).items() if v}
    if failures or not out_file.is_file():
        print(f"benchmark simulation in {runner.build_dir} failed: {failures or 'no output'}")
        return None
    return json.loads(out_file.read_text())


def _print(data, label):
    print(f"{label}:")
    print(f"{'op':5} {'cosim ms':>9} {'numpy ms':>9} {'ratio':>6} {'RTL cycles':>11} "
          f"{'analytic':>9} {'RTL/analytic':>13} {'transactions':>13} {'wake-ups':>9}")
    for name, row in data.items():
        ratio = row["cosim_s"] / row["numpy_s"]
        print(f"{name:5} {1e3 * row['cosim_s']:9.2f} {1e3 * row['numpy_s']:9.2f} {ratio:6.2f} "
              f"{row['cycles']:11d} {row['analytic']:9d} {row['cycles'] / row['analytic']:13.3f} "
              f"{row['transactions']:13d} {row['wakeups']:9d}")
    print("where the co-simulation's time goes (ms): the simulator alone clocking as many cycles "
          "with nothing to serve; the bridge reading the MCU's outputs, running the analog "
          "models and writing the answer; the rest (cocotb's scheduling, the driver)")
    print(f"{'op':5} {'simulator':>9} {'read':>7} {'models':>7} {'write':>7} {'rest':>7}")
    for name, row in data.items():
        b = row["bridge_s"]
        rest = row["cosim_s"] - row["idle_s"] - sum(b.values())
        print(f"{name:5} {1e3 * row['idle_s']:9.2f} {1e3 * b['read']:7.2f} {1e3 * b['serve']:7.2f} "
              f"{1e3 * b['write']:7.2f} {1e3 * rest:7.2f}")


def main(argv=None):
    sys.path.insert(0, str(HERE.parent))
    sys.set_int_max_str_digits(0)
    from panther.config import load_config
    from panther.cosim.analog_answer import HOLD_MODULE, hold_verilog
    from panther.cosim.cosim_mcu import SOURCES, CosimMcu
    from panther.cosim.simulators import OPT_FAST_MCU, availability, build
    from panther.cosim.verilog import enabled_registers, module_name, write_text, write_verilog

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="paper", help="preset name or JSON file (default: paper)")
    parser.add_argument("--variant", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--simulator", default="verilator", choices=("verilator", "icarus"))
    parser.add_argument("--clock", default="design", choices=("design", "gpi", "py"),
                        help="the clock: generated in the design (default, cosim.clock), or "
                             "cocotb's in the simulator (gpi) or as a Python task (py), in a "
                             "build whose clk is an input")
    parser.add_argument("--before", metavar="DIR",
                        help="also measure the simulation already built in DIR (a copy of "
                             "build/cosim/<top>/<simulator> made by an earlier tree) and print "
                             "both, with the speed-up")
    parser.add_argument("--before-clock", default="auto", choices=("auto", "gpi", "py", "design"),
                        help="clock of the --before run (default: auto, cocotb's own choice, "
                             "as before: gpi under Verilator, whose runner sets "
                             "COCOTB_TRUST_INERTIAL_WRITES, py under Icarus; design: the "
                             "build generates it)")
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help=f"runs of each operation, the best is kept (default {REPEATS}; more "
                             "on a loaded machine)")
    parser.add_argument("--ops", nargs="+", default=list(OPS), choices=OPS, metavar="OP",
                        help=f"operations to measure, in order (default: {' '.join(OPS)}; one "
                             "alone for a profile of it)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        print(f"--repeats must be at least 1, not {args.repeats}")
        return 2
    config = load_config(args.config).replace(variant=args.variant)
    ok, reason = availability(args.simulator)
    if not ok:
        print(f"cannot run: {reason}")
        return 2
    if args.before and not Path(args.before).is_dir():
        print(f"--before: {args.before} is not a directory")
        return 2
    top = module_name("mcu", config, "cosim")
    t0 = time.perf_counter()
    source = write_verilog(lambda: CosimMcu(config), name=top, sources=SOURCES,
                           enables=enabled_registers(args.simulator))
    runner = build(args.simulator, [write_text(hold_verilog(), name=HOLD_MODULE), source], top,
                   clock="design" if args.clock == "design" else "testbench", opt_fast=OPT_FAST_MCU)
    build_s = time.perf_counter() - t0
    before = None
    if args.before:
        old = copy.copy(runner)          # the same runner, pointed at the older build
        old.build_dir = Path(args.before).resolve()
        before = _measure(old, top, args, config, CosimMcu.input_latency, args.before_clock)
        if before is None:
            return 1
    data = _measure(runner, top, args, config, CosimMcu.input_latency, args.clock)
    if data is None:
        return 1
    print(f"MCU co-simulation benchmark: {args.simulator}, xbar {config.xbar_size}x{config.xbar_size}, "
          f"{config.n_slices} slices {''.join(map(str, config.slice_bits))}, variant {config.variant}, "
          f"{config.adcs_per_xbar} ADC(s)/slice x {config.adc_latency} cycle(s)")
    print(f"(Verilog + build, cached when unchanged: {build_s:.1f} s; best of {args.repeats})")
    if before is not None:
        _print(before, f"before ({args.before}, {args.before_clock} clock)")
    _print(data, f"this tree ({args.clock} clock)")
    if before is not None:
        print("speed-up of the co-simulation: " + ", ".join(
            f"{name} {before[name]['cosim_s'] / row['cosim_s']:.2f}x" for name, row in data.items()))
        for name, row in data.items():
            if (row["cycles"], row["transactions"]) != (before[name]["cycles"],
                                                        before[name]["transactions"]):
                print(f"note: {name} ran {row['cycles']} cycles here, "
                      f"{before[name]['cycles']} before")
    return 0


if __name__ == "__main__":
    sys.exit(main())
