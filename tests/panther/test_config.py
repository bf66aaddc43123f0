"""The configuration object: presets, validation messages, JSON round trip, derived values."""

import dataclasses
import json

import pytest

from panther.config import PRESETS, ConfigError, NoiseConfig, PantherConfig, load_config


def test_paper_preset_matches_the_paper():
    paper = PRESETS["paper"]
    assert paper.xbar_size == 128
    assert paper.slice_bits == (4, 4, 4, 6, 6, 5, 5, 5)        # 44466555, MSB slice first
    assert sum(paper.slice_bits) == 39                          # DESIGN.md §4: 39 bits in all
    assert paper.mcus_per_core == 2 and paper.cores_per_tile == 8
    assert paper.weight_bits == 32 and paper.data_bits == 16


def test_small_preset_is_small():
    small = PRESETS["small"]
    assert small.xbar_size == 16 and small.slice_bits == PRESETS["paper"].slice_bits


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_json_round_trip(name, tmp_path):
    config = PRESETS[name].replace(noise=NoiseConfig(seed=7, read_noise=0.25))
    path = tmp_path / "c.json"
    config.save(path)
    assert load_config(str(path)) == config
    assert json.loads(path.read_text())["noise"]["read_noise"] == 0.25


def bad(**changes):
    return pytest.param(changes, id="-".join(f"{k}={v}" for k, v in changes.items()))


@pytest.mark.parametrize("changes", [
    bad(xbar_size=12), bad(xbar_size=0), bad(mcus_per_core=7), bad(mcus_per_core=0),
    bad(slice_bits=()), bad(slice_bits=(4, 4, 9, 4, 4, 4, 4, 4)), bad(slice_bits=(4, 4, 4)),
    bad(nominal_bits=3), bad(weight_frac_bits=20), bad(data_frac_bits=16), bad(variant=4),
    bad(adcs_per_xbar=3), bad(adc_bits=1), bad(adc_bits=40), bad(rf_depth=16384),
    bad(smem_depth=70000), bad(clock_mhz=-1.0), bad(vfu_lanes=True), bad(adc_latency=0),
    bad(analog_latency="model"), bad(analog_latency=1),
])
def test_bad_values_are_rejected_with_the_value_quoted(changes):
    with pytest.raises(ConfigError) as info:
        PantherConfig(**changes)
    name, value = next(iter(changes.items()))
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("changes", [
    {"seed": -1}, {"read_noise": -0.1}, {"stuck_on_rate": 1.5}, {"adc_noise": float("nan")},
    {"stuck_on_rate": 0.6, "stuck_off_rate": 0.6},
])
def test_bad_noise_values_are_rejected(changes):
    with pytest.raises(ConfigError):
        NoiseConfig(**changes)


def test_unknown_json_field_names_the_file(tmp_path):
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"xbar_sise": 32}))
    with pytest.raises(ConfigError, match=r"typo\.json.*xbar_sise"):
        load_config(str(path))


def test_invalid_json_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "xbar_size": 32,\n  oops\n}\n')
    with pytest.raises(ConfigError, match=r"broken\.json:3:3: invalid JSON"):
        load_config(str(path))


def test_missing_config_file_is_a_clear_error():
    with pytest.raises(ConfigError, match="not a preset"):
        load_config("no-such-config.json")


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["small"].xbar_size = 32


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_adc_ideal_bits_cover_the_worst_case_column_sum(name):
    config = PRESETS[name]
    for k in range(config.n_slices):
        low, high = config.digit_range(k)
        worst = config.xbar_size * max(-low, high)        # every row driven at +-1
        assert -(1 << (config.adc_ideal_bits - 1)) <= -worst
        assert worst <= (1 << (config.adc_ideal_bits - 1)) - 1
    # and not wastefully: one bit fewer cannot hold the widest slice's worst case
    widest = max(config.slice_bits)
    assert config.xbar_size * (1 << (widest - 1)) > (1 << (config.adc_ideal_bits - 2)) - 1


def test_address_map_is_contiguous_and_disjoint():
    config = PRESETS["paper"]
    regions = [(0, config.rf_depth)]
    for m in range(config.mcus_per_core):
        regions.append((config.xbar_in_base(m), config.xbar_in_base(m) + config.xbar_size))
        regions.append((config.xbar_out_base(m), config.xbar_out_base(m) + config.xbar_size))
    regions.sort()
    assert all(a[1] == b[0] for a, b in zip(regions, regions[1:]))
    assert regions[-1][1] == config.addr_space <= 2 ** config.ADDR_BITS


def test_noise_ideal_flag():
    assert NoiseConfig(seed=3).ideal
    assert not NoiseConfig(read_noise=0.1).ideal


@pytest.mark.parametrize("name", ["PAPER", "Small", "paper"])
def test_preset_names_are_case_insensitive(name):
    assert load_config(name) is PRESETS[name.lower()]


@pytest.mark.parametrize("name, hint", [("papr", "did you mean 'paper'"),
                                        ("smal", "did you mean 'small'")])
def test_a_near_miss_preset_gets_a_suggestion(name, hint):
    with pytest.raises(ConfigError) as info:
        load_config(name)
    assert hint in str(info.value) and "not a preset (paper, small)" in str(info.value)


def test_a_misspelt_json_field_gets_a_suggestion(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"xbar_sise": 8, "noise": {"read_noize": 0.1}}')
    with pytest.raises(ConfigError, match="did you mean 'xbar_size' for 'xbar_sise'"):
        load_config(path)
    path.write_text('{"noise": {"read_noize": 0.1}}')
    with pytest.raises(ConfigError, match="did you mean 'read_noise' for 'read_noize'"):
        load_config(path)
def test_the_node_presets():
    paper, small = PRESETS["paper"], PRESETS["small"]
    assert paper.tiles_per_node == 138 and paper.noc_concentration == 4      # §6.3; PUMA cmesh
    assert (paper.noc_routers, paper.noc_mesh_cols, paper.noc_mesh_rows) == (35, 6, 6)
    assert small.tiles_per_node == 4 and small.noc_concentration == 1        # the 2x2 RTL node
    assert (small.noc_mesh_cols, small.noc_mesh_rows) == (2, 2)
    assert paper.noc_flit_bits == 32 and paper.noc_fifo_depth == 16          # PUMA config.py


def test_hops_are_the_manhattan_distance_of_the_routers():
    paper = PRESETS["paper"]
    assert paper.noc_hops(0, 3) == 0                  # one router holds tiles 0 .. 3
    assert paper.noc_hops(0, 4) == 1                  # router 1 is next to router 0
    assert paper.noc_hops(0, 137) == 4 + 5            # router 34 at column 4, row 5
    assert paper.noc_router_xy(137) == (4, 5)
    small = PRESETS["small"]
    assert [small.noc_hops(0, t) for t in range(4)] == [0, 1, 1, 2]
    assert small.noc_flits(1) == 1 and small.noc_flits(2) == 1 and small.noc_flits(3) == 2
    assert small.replace(noc_flit_bits=16).noc_flits(3) == 3
    assert small.replace(noc_flit_bits=64).noc_flits(9) == 3


@pytest.mark.parametrize("changes", [
    bad(tiles_per_node=0), bad(tiles_per_node=1025), bad(noc_concentration=0),
    bad(noc_flit_bits=0), bad(noc_flit_bits=24), bad(noc_hop_cycles=0), bad(noc_fifo_depth=0), bad(cores_per_tile=65),
])
def test_bad_node_values_are_rejected(changes):
    with pytest.raises(ConfigError) as info:
        PantherConfig(**changes)
    assert repr(next(iter(changes.values()))) in str(info.value)


def test_analog_latency_is_ideal_by_default_and_loads_from_json(tmp_path):
    assert PantherConfig().analog_latency == "ideal"
    path = tmp_path / "modelled.json"
    path.write_text('{"analog_latency": "modelled", "clock_mhz": 250}')
    config = load_config(str(path))
    assert config.analog_latency == "modelled"
    assert PantherConfig.from_json(config.to_json()) == config
    path.write_text('{"analog_latency": "slow"}')
    with pytest.raises(ConfigError, match=r"modelled\.json: analog_latency must be one of "
                                          r"'ideal', 'modelled', not 'slow'"):
        load_config(str(path))
