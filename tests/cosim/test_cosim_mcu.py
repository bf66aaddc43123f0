"""cocotb co-simulation of the MCU RTL with the analog models, under Verilator and Icarus.

Each (configuration, simulator) pair is converted and compiled once (cached in build/cosim
across runs); all cocotb tests of ``cocotb_mcu_tests`` run in that one simulation and each is
reported as its own pytest test. The paper-size run is marked ``slow`` (a cold Verilator build
takes minutes on a busy 2-core machine; warm runs take seconds).
"""

from pathlib import Path

import pytest
from simulator_required import require_simulator

from panther.config import PRESETS, NoiseConfig
from panther.cosim import simulators as sims
from panther.cosim.analog_answer import HOLD_MODULE, hold_verilog
from panther.cosim.cosim_mcu import SOURCES, CosimMcu
from panther.cosim.verilog import enabled_registers, module_name, write_text, write_verilog

HERE = Path(__file__).resolve().parent
MCU_TESTS = HERE.parent / "hdl" / "mcu"

SMALL = PRESETS["small"]
CONFIGS = {
    "small_v1": SMALL,
    "small_v3": SMALL.replace(variant=3),
    "small_v2_noisy": SMALL.replace(variant=2, adc_bits=8,
                                    noise=NoiseConfig(seed=99, read_noise=0.3, program_noise=0.2)),
    "paper_v2": PRESETS["paper"].replace(variant=2),
    # the modelled answer latencies (9 cycles per MVM/MTVM step, 3 per OPA step, 81 and 86
    # per serial row read and write): cycle counts as rtl_cycles with those latencies
    "small_v3_modelled": SMALL.replace(variant=3, analog_latency="modelled"),
}
CASES = ["mvm_mtvm_exact", "matches_standalone_model", "all_ops_saturating_opa_commit_crs"]
RUNS = [(name, sim) for name in CONFIGS for sim in ("verilator", "icarus")
        if not ((name.startswith("paper") or name.endswith("modelled")) and sim == "icarus")]


@pytest.fixture(scope="module",
                params=[pytest.param(r, marks=[pytest.mark.sim] + ([pytest.mark.slow]
                                                                  if r[0].startswith("paper") else []))
                        for r in RUNS],
                ids=[f"{n}-{s}" for n, s in RUNS])
def cosim_results(request):
    name, simulator = request.param
    require_simulator(simulator)
    config = CONFIGS[name]
    top = module_name("mcu", config, "cosim")
    source = write_verilog(lambda: CosimMcu(config), name=top, sources=SOURCES,
                           enables=enabled_registers(simulator))
    hold = write_text(hold_verilog(), name=HOLD_MODULE)
    runner = sims.build(simulator, [hold, source], top, opt_fast=sims.OPT_FAST_MCU)
    try:
        xml = sims.run(runner, top, "cocotb_mcu_tests", python_path=[HERE, MCU_TESTS],
                  extra_env={"PANTHER_COSIM_CONFIG": config.to_json(),
                             "PANTHER_COSIM_SIMULATOR": simulator,
                             "PANTHER_COSIM_INPUT_LATENCY": str(CosimMcu.input_latency)},
                  results_name=name)
    except Exception as error:      # cocotb raises under pytest when a testcase failed
        xml = runner.test_dir / f"{name}.xml"
        if not xml.is_file():
            raise
        print(f"cocotb reported: {error}")
    results = sims.testcase_results(xml)
    assert results, f"no cocotb results in {xml}"
    return name, results


@pytest.mark.sim
@pytest.mark.parametrize("case", CASES)
def test_cosim(cosim_results, case):
    name, results = cosim_results
    assert case in results, f"{case} did not run in {name}: {sorted(results)}"
    if results[case] == "SKIPPED":
        pytest.skip(f"{case} does not apply to {name}")
    assert results[case] is None, f"{name}: {case} failed: {results[case]}"
