"""The one configuration object of the PANTHER generator.

Every other part of the project (the RTL generators in ``hdl/``, the behavioural models in
``analog_models/``, the ISA tools and golden model in ``isa/``, the co-simulation in
``cosim/`` and the tests) reads its parameters from a :class:`PantherConfig`. Nothing else
may define an architectural constant.

Numeric conventions (see ``docs/semantics.md``):

* data words are ``data_bits``-wide two's complement with ``data_frac_bits`` fraction bits
  (Q4.12 by default);
* weights are ``weight_bits``-wide with ``weight_frac_bits`` fraction bits (Q8.24), so the
  product of two data words lands on the weight LSB;
* a weight is spread over ``len(slice_bits)`` crossbar slices; slice ``k`` (``k = 0`` is the
  least significant) has significance ``2 ** (nominal_bits * k)`` and holds a signed digit in
  ``[-2**(b_k - 1), 2**(b_k - 1) - 1]`` where ``b_k`` is its physical cell precision.
  ``slice_bits`` is written MSB slice first, as in the paper (``44466555``).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .checks import ConfigError
from .checks import check as _check
from .checks import did_you_mean as _did_you_mean
from .checks import is_int as _is_int
from .checks import json_int as _json_int
from .checks import short as _short
from .noc_geometry import NocGeometry
from .noise import NoiseConfig

__all__ = ["ConfigError", "Variant", "NoiseConfig", "PantherConfig", "PRESETS", "load_config"]


class Variant(enum.IntEnum):
    """The MCU variant (paper §4.2-4.4): how many crossbar copies an MCU has and when an OPA
    changes the weights (``isa/variants.py`` holds the rules). A configuration file writes the
    number.

    Members
    -------
    SGD : 1
        One crossbar; OPAs deferred to ``hlt`` with their operands in shared memory.
    MINI_BATCH : 2
        Two copies (MVM and MTVM in parallel); OPAs deferred as on variant 1.
    LARGE_BATCH : 3
        Three copies; OPAs applied eagerly to the third, committed at ``hlt``.
    """

    SGD = 1
    MINI_BATCH = 2
    LARGE_BATCH = 3

    def __str__(self):
        return str(self.value)


@dataclass(frozen=True, kw_only=True)
class PantherConfig(NocGeometry):
    """Architecture parameters of a PANTHER tile and of the node it sits in.

    Members
    -------
    xbar_size : int
        Rows and columns of each (square) crossbar.
    mcus_per_core : int
        Matrix Computation Units per core, 1 to 6 (the ``mcu`` instruction has six masks).
    slice_bits : tuple of int
        Physical bits of each slice's cells, MSB slice first (paper: ``(4,4,4,6,6,5,5,5)``).
    nominal_bits : int
        Nominal bits per slice ``p``; slice ``k`` has significance ``2**(p*k)``. Also the
        width of the column DAC used by OPA.
    data_bits, data_frac_bits : int
        Width and fraction bits of data words (Q4.12).
    weight_bits, weight_frac_bits : int
        Width and fraction bits of weights (Q8.24). ``weight_bits`` must equal
        ``nominal_bits * len(slice_bits)`` and ``weight_frac_bits`` twice ``data_frac_bits``.
    adc_bits : int
        ADC resolution; 0 means ideal (wide enough for the worst-case column sum).
    adcs_per_xbar : int
        ADCs per crossbar slice, shared across columns (or rows) through a mux.
    adc_latency : int
        Clock cycles per ADC conversion.
    imem_depth : int
        Instruction memory words per core.
    rf_depth : int
        Register-file (data memory) words per core.
    smem_depth : int
        Shared-memory words per tile. On variants 1 and 2 the top
        :attr:`opa_region_words` of them are reserved for the saved OPA operands; programs
        may use the :attr:`smem_user_depth` words below.
    deferred_depth : int
        OPA and CRS operations a core can defer to ``hlt`` in one program run (variants 1
        and 2; variant 3 applies them eagerly and has no cap). Each deferred operation has
        a slot of ``2 * xbar_size`` words in the core's part of the shared-memory OPA region,
        where an OPA saves its XBarIn and XBarOut vectors (paper §5.2). One more is an
        error that halts the core.
    variant : Variant
        MCU variant: 1 (SGD), 2 (mini-batch, 2 copies), 3 (large batch, 3 copies); an int
        1-3 is accepted and stored as its :class:`Variant`.
    cores_per_tile : int
        Cores sharing one shared memory.
    tiles_per_node : int
        Tiles on the node's on-chip network (paper §6.3: 138). A program image may use
        fewer; the others are idle.
    noc_concentration : int
        Tiles per router of the concentrated mesh (``1``: a plain 2D mesh, one router per
        tile; PUMA's and ISAAC's cmesh: 4). Tile ``t`` sits on router ``t //
        noc_concentration``; the routers form a :attr:`noc_mesh_cols` x
        :attr:`noc_mesh_rows` mesh, router ``r`` at column ``r % noc_mesh_cols``, row ``r //
        noc_mesh_cols``, with dimension-ordered (X then Y) routing.
    noc_flit_bits : int
        Payload bits of one flit, the link width (PUMA ``config.py``: ``flit_width = 32``); a
        multiple of ``data_bits`` (a flit carries whole data words).
    noc_hop_cycles : int
        Cycles a flit takes per router traversal (see docs/node.md for the derivation from
        PUMA's ``noc_lat_dict``).
    noc_fifo_depth : int
        Words one channel (a sending core to a receiving core) holds before ``send``
        blocks (PUMA's receive-buffer entry: ``edram_buswidth / data_width`` = 16 words).
    vfu_lanes : int
        Elements the VFU processes per cycle.
    clock_mhz : float
        Clock frequency used to turn cycles into time.
    analog_latency : str
        ``"ideal"`` (default): the co-simulated analog half answers each transaction in one
        cycle; ``"modelled"``: in energy.py's array, DAC, sample-and-hold and serial-access
        latencies, whole cycles of ``clock_mhz`` (``analog_models/analog_latency.py``).
    noise : NoiseConfig
        Analog non-idealities (all off by default).
    """

    xbar_size: int = 16
    mcus_per_core: int = 2
    slice_bits: tuple = (4, 4, 4, 6, 6, 5, 5, 5)
    nominal_bits: int = 4
    data_bits: int = 16
    data_frac_bits: int = 12
    weight_bits: int = 32
    weight_frac_bits: int = 24
    adc_bits: int = 0
    adcs_per_xbar: int = 4
    adc_latency: int = 1
    imem_depth: int = 256
    rf_depth: int = 256
    smem_depth: int = 2048
    deferred_depth: int = 16
    variant: int = 1
    cores_per_tile: int = 2
    tiles_per_node: int = 4
    noc_concentration: int = 1
    noc_flit_bits: int = 32
    noc_hop_cycles: int = 6
    noc_fifo_depth: int = 16
    vfu_lanes: int = 4
    clock_mhz: float = 1000.0
    analog_latency: str = "ideal"
    noise: NoiseConfig = field(default_factory=NoiseConfig)

    # Limits of the fixed instruction encoding (see isa/table.py).
    MAX_MCUS = 6
    ADDR_BITS = 14
    SMEM_ADDR_BITS = 16
    TILE_BITS = 10          # the tile field of send/recv
    CORE_BITS = 6           # the core field of send/recv

    def __post_init__(self):
        # Limits of the machine and its models (weights are int64, a vector has at most 256
        # elements, the tile's weights fit a few hundred MB in the golden model). The encoding
        # bounds rf_depth (ADDR_BITS), smem_depth (SMEM_ADDR_BITS) and imem_depth (16-bit target).
        upper_bounds = {"xbar_size": 1024, "cores_per_tile": 64, "weight_bits": 64, "nominal_bits": 8,
                        "data_bits": 32, "adcs_per_xbar": 1024, "adc_latency": 1024,
                        "deferred_depth": 65536, "vfu_lanes": 256,
                        "tiles_per_node": 2 ** self.TILE_BITS, "noc_concentration": 64,
                        "noc_flit_bits": 1024, "noc_hop_cycles": 1024, "noc_fifo_depth": 4096}
        max_slices, max_tile_weights = 16, 2 ** 22
        if isinstance(self.slice_bits, list):
            object.__setattr__(self, "slice_bits", tuple(self.slice_bits))
        if isinstance(self.noise, dict):
            object.__setattr__(self, "noise", NoiseConfig(**self.noise))
        positive = ("xbar_size", "mcus_per_core", "nominal_bits", "data_bits", "weight_bits",
                    "adcs_per_xbar", "adc_latency", "imem_depth", "rf_depth", "smem_depth", "deferred_depth",
                    "cores_per_tile", "vfu_lanes", "tiles_per_node", "noc_concentration",
                    "noc_flit_bits", "noc_hop_cycles", "noc_fifo_depth")
        for name in positive:
            value = getattr(self, name)
            _check(_is_int(value) and value >= 1, f"{name} must be a positive integer, not {_short(value)}")
        for name in ("data_frac_bits", "weight_frac_bits", "adc_bits"):
            value = getattr(self, name)
            _check(_is_int(value) and value >= 0,
                   f"{name} must be a non-negative integer, not {_short(value)}")
        for name, high in upper_bounds.items():
            _check(getattr(self, name) <= high, f"{name} must be at most {high}, not "
                                                f"{_short(getattr(self, name))}")
        _check(self.xbar_size >= 2 and self.xbar_size & (self.xbar_size - 1) == 0,
               f"xbar_size must be a power of two >= 2, not {self.xbar_size!r}")
        _check(self.mcus_per_core <= self.MAX_MCUS,
               f"mcus_per_core must be at most {self.MAX_MCUS}, not {self.mcus_per_core!r}")
        _check(isinstance(self.slice_bits, tuple) and 1 <= len(self.slice_bits) <= max_slices
               and all(_is_int(b) and 1 <= b <= 8 for b in self.slice_bits),
               f"slice_bits must be a list of 1 to {max_slices} integers from 1 to 8, not "
               f"{_short(self.slice_bits)}")
        _check(self.cores_per_tile * self.mcus_per_core * self.xbar_size ** 2 <= max_tile_weights,
               f"cores_per_tile * mcus_per_core * xbar_size**2 (the tile's weights) must be at most "
               f"{max_tile_weights}, not {self.cores_per_tile * self.mcus_per_core * self.xbar_size ** 2}")
        _check(self.data_frac_bits < self.data_bits,
               f"data_frac_bits must be below data_bits ({self.data_bits}), not {self.data_frac_bits!r}")
        _check(self.weight_bits == self.nominal_bits * self.n_slices,
               f"weight_bits ({self.weight_bits!r}) must equal nominal_bits ({self.nominal_bits!r}) "
               f"* len(slice_bits) for slice_bits {self.slice_bits!r}")
        _check(self.weight_frac_bits == 2 * self.data_frac_bits,
               f"weight_frac_bits must be 2 * data_frac_bits = {2 * self.data_frac_bits} so that a "
               f"data product lands on the weight LSB, not {self.weight_frac_bits!r}")
        _check(2 * self.data_bits - 2 < self.weight_bits,
               f"weight_bits must exceed 2 * data_bits - 2 = {2 * self.data_bits - 2} so that an OPA "
               f"step's shifted column input fits the slices, not {self.weight_bits!r}")
        _check(self.weight_frac_bits < self.weight_bits,
               f"weight_frac_bits must be below weight_bits ({self.weight_bits}), not {self.weight_frac_bits!r}")
        _check(self.adc_bits == 0 or 2 <= self.adc_bits <= self.adc_ideal_bits,
               f"adc_bits must be 0 (ideal) or from 2 to {self.adc_ideal_bits}, not {self.adc_bits!r}")
        _check(self.xbar_size % self.adcs_per_xbar == 0,
               f"adcs_per_xbar must divide xbar_size ({self.xbar_size}), not {self.adcs_per_xbar!r}")
        _check(_is_int(self.variant) and self.variant in tuple(Variant),
               f"variant must be 1, 2 or 3, not {_short(self.variant)}")
        object.__setattr__(self, "variant", Variant(self.variant))
        _check(self.rf_depth + 2 * self.mcus_per_core * self.xbar_size <= 2 ** self.ADDR_BITS,
               f"rf_depth + 2 * mcus_per_core * xbar_size must fit in {self.ADDR_BITS} address bits; "
               f"rf_depth {self.rf_depth!r} + 2 * {self.mcus_per_core!r} * {self.xbar_size!r} is "
               f"{self.addr_space!r}")
        _check(self.smem_depth <= 2 ** self.SMEM_ADDR_BITS,
               f"smem_depth must be at most {2 ** self.SMEM_ADDR_BITS}, not {self.smem_depth!r}")
        _check(self.opa_region_words < self.smem_depth,
               f"the shared-memory OPA region (cores_per_tile * (deferred_depth + mcus_per_core) "
               f"* 2 * xbar_size = {self.opa_region_words} words on variant {self.variant}) must "
               f"leave room in smem_depth, not {self.smem_depth!r}")
        _check(self.noc_flit_bits % self.data_bits == 0,
               f"noc_flit_bits must be a multiple of data_bits ({self.data_bits}): a flit carries "
               f"whole data words, not {self.noc_flit_bits!r}")
        _check(self.cores_per_tile <= 2 ** self.CORE_BITS,
               f"cores_per_tile must be at most {2 ** self.CORE_BITS} (the core field of send/recv), "
               f"not {self.cores_per_tile!r}")
        _check(self.imem_depth <= 2 ** 16, f"imem_depth must be at most 65536, not {self.imem_depth!r}")
        _check(isinstance(self.clock_mhz, (int, float)) and not isinstance(self.clock_mhz, bool)
               and math.isfinite(self.clock_mhz) and 0 < self.clock_mhz <= 1e6,
               f"clock_mhz must be a positive number of at most 1e6, not {_short(self.clock_mhz)}")
        _check(self.analog_latency in ("ideal", "modelled"), "analog_latency must be one of 'ideal', "
               f"'modelled', not {_short(self.analog_latency)}"
               f"{_did_you_mean([str(self.analog_latency)], ('ideal', 'modelled'))}")
        _check(isinstance(self.noise, NoiseConfig),
               f"noise must be a NoiseConfig, not {self.noise!r}")

    # -- derived quantities ---------------------------------------------------------------

    @property
    def n_slices(self):
        """Number of crossbar slices per weight."""
        return len(self.slice_bits)

    @property
    def slice_bits_lsb_first(self):
        """Physical bits per slice, indexed by slice number ``k`` (0 = least significant)."""
        return tuple(reversed(self.slice_bits))

    def digit_range(self, k):
        """Inclusive ``(low, high)`` signed digit range of slice ``k`` (0 = LSB slice)."""
        b = self.slice_bits_lsb_first[k]
        return -(1 << (b - 1)), (1 << (b - 1)) - 1

    @property
    def input_steps(self):
        """Bit-steps of an MVM/MTVM/OPA: the magnitude of a sign-magnitude data word."""
        return self.data_bits

    @property
    def adc_ideal_bits(self):
        """Signed ADC width that converts the worst-case column sum of any slice exactly."""
        return (self.xbar_size - 1).bit_length() + max(self.slice_bits) + 1

    @property
    def adc_code_bits(self):
        """Width of an ADC code on the analog port."""
        return self.adc_bits or self.adc_ideal_bits

    @property
    def adc_lsb_shift(self):
        """log2 of the ADC LSB in units of one digit-row product (0 when ideal)."""
        return self.adc_ideal_bits - self.adc_code_bits

    @property
    def xbar_copies(self):
        """Crossbar copies per MCU: one per variant number."""
        return int(self.variant)

    @property
    def addr_space(self):
        """Words in a core's operand address space: register file, then XBar buffers."""
        return self.rf_depth + 2 * self.mcus_per_core * self.xbar_size

    @property
    def opa_slot_words(self):
        """Words of one slot of the OPA region: an OPA's XBarIn then XBarOut vector."""
        return 2 * self.xbar_size

    @property
    def opa_core_words(self):
        """Words of one core's part of the OPA region: ``deferred_depth`` slots (slot ``e``
        belongs to the ``e``-th deferred OPA or CRS of the run), then one slot per MCU where
        ``hlt`` parks the live XBar buffers while it replays the OPAs. 0 on variant 3."""
        if self.variant == Variant.LARGE_BATCH:
            return 0
        return (self.deferred_depth + self.mcus_per_core) * self.opa_slot_words

    @property
    def opa_region_words(self):
        """Shared-memory words reserved for saved OPA operands (top of the shared memory)."""
        return self.cores_per_tile * self.opa_core_words

    @property
    def smem_user_depth(self):
        """Shared-memory words programs may address: ``0 .. smem_user_depth - 1``."""
        return self.smem_depth - self.opa_region_words

    def opa_slot_base(self, core, slot):
        """Shared-memory address of slot ``slot`` of core ``core``'s OPA region (slots
        ``deferred_depth + m`` are the ``hlt`` park slots of MCU ``m``)."""
        return self.smem_user_depth + core * self.opa_core_words + slot * self.opa_slot_words

    def xbar_in_base(self, mcu):
        """Core address of XBarIn[0] of MCU ``mcu``."""
        return self.rf_depth + 2 * mcu * self.xbar_size

    def xbar_out_base(self, mcu):
        """Core address of XBarOut[0] of MCU ``mcu``."""
        return self.xbar_in_base(mcu) + self.xbar_size

    # -- conversions ----------------------------------------------------------------------

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["slice_bits"] = list(self.slice_bits)
        return d

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data, *, source="<dict>"):
        _check(isinstance(data, dict), f"{source}: a configuration must be a JSON object, not {data!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        _check(not unknown, f"{source}: unknown configuration field(s) {unknown!r}"
                            f"{_did_you_mean(unknown, names)}; expected some of {sorted(names)!r}")
        data = dict(data)
        try:
            if isinstance(data.get("noise"), dict):
                noise_names = {f.name for f in dataclasses.fields(NoiseConfig)}
                unknown = sorted(set(data["noise"]) - noise_names)
                _check(not unknown, f"unknown noise field(s) {unknown!r}"
                                    f"{_did_you_mean(unknown, noise_names)}; "
                                    f"expected some of {sorted(noise_names)!r}")
                data["noise"] = NoiseConfig(**data["noise"])
            return cls(**data)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None

    @classmethod
    def from_json(cls, text, *, source="<json>"):
        try:
            data = json.loads(text, parse_int=_json_int)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{source}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}") from None
        except RecursionError:
            raise ConfigError(f"{source}: invalid JSON: nested too deeply") from None
        except ValueError as error:         # an integer past _JSON_INT_DIGITS
            raise ConfigError(f"{source}: invalid JSON: {error}") from None
        return cls.from_dict(data, source=source)

    def save(self, path):
        Path(path).write_text(self.to_json())


PRESETS = {
    # Fast tests: 16x16 crossbars, the paper's slicing, two small cores; a 2x2 mesh node.
    "small": PantherConfig(),
    # The paper's evaluation point (Sec. 6): 128x128 crossbars, 8 slices 44466555,
    # 2 MCUs per core, 8 cores per tile. ADCs are ideal so that results are exact; set
    # adc_bits to 8..12 for the paper's converters. The shared memory is the largest the
    # encoding addresses: variants 1-2 reserve 36864 of its words for saved OPA operands.
    # The node: 138 tiles (§6.3) on PUMA's concentrated mesh (4 tiles per router, 6x6 routers).
    "paper": PantherConfig(xbar_size=128, mcus_per_core=2, adcs_per_xbar=1, imem_depth=4096,
                           rf_depth=2048, smem_depth=65536, cores_per_tile=8, vfu_lanes=8,
                           tiles_per_node=138, noc_concentration=4),
}


def load_config(name_or_path):
    """A preset by name (``small``, ``paper``; any case) or a configuration JSON file by
    path. A name that is neither says which preset it is closest to."""
    if isinstance(name_or_path, PantherConfig):
        return name_or_path
    text = str(name_or_path)
    if text.lower() in PRESETS and not Path(text).is_file():
        return PRESETS[text.lower()]
    path = Path(name_or_path)
    if not path.is_file():
        hint = "" if path.suffix == ".json" else _did_you_mean([text], PRESETS)
        raise ConfigError(f"{name_or_path}: not a preset ({', '.join(sorted(PRESETS))}) "
                          f"nor a readable configuration file{hint}")
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text: invalid byte at offset {error.start}") from None
    return PantherConfig.from_json(text, source=str(path))
