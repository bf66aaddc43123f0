"""Board-independent FPGA tops: a tile (or a lone MCU) whose analog halves are digital ideal
crossbars, behind the 32-bit host bus of :mod:`hdl.fpga.host_protocol`.

Address map (``addr[31:28]`` is the region; every access is acknowledged, unmapped reads
return 0). Tile top:

======  ========================================================================================
region  meaning
======  ========================================================================================
0       control. offset 0: W bit ``i`` = ``run`` of core ``i``; R the same bits, bit 16
        ``all_halted``, bit 17 ``deadlock``. offset 1: R identifier. offset 2: RW high 32 bits
        of the next debug write. offset 3: R high 32 bits of the last debug read.
1       core debug port: ``addr[23:20]`` core, ``addr[17:16]`` space (0 IMEM, 1 DATA, 2 STATUS,
        see ``docs/core.md``), ``addr[15:0]`` address. Data: low 32 bits here, high 32 bits
        through offsets 2/3 of region 0 (write the high word first).
2       shared memory: ``addr[15:0]`` word. Data: bits 15:0 value, bit 16 valid, bits 31:24
        consumer count (write and read).
3       crossbar cell: ``addr[27:22]`` MCU (``core * mcus_per_core + m``), ``addr[21:20]``
        copy, ``addr[19:16]`` slice (0 = LSB), ``addr[15:8]`` row, ``addr[7:0]`` column. Data:
        the signed digit (sign-extended on read).
======  ========================================================================================

MCU top: region 0 offset 0 W bits 2:0 start mask (a start when non-zero), bit 3 CRS, bit 4
commit, bit 5 clear the overflow flag; R bit 0 busy, bit 1 done (since the last command),
bit 2 overflow; offset 1 R identifier. Region 1: XBarIn word ``addr[7:0]``; region 2: XBarOut
word; region 3: crossbar cell as above (MCU 0).
"""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

from .digital_crossbar import DigitalCrossbar
from .mcu_with_crossbar import McuWithCrossbar
from .tile_digital import connect_crossbars

__all__ = ["IDENT_TILE", "IDENT_MCU", "REGION_BITS", "bus_signature_members", "xbar_address",
           "TileBoard", "McuBoard"]

IDENT_TILE = 0x50414E54      # "PANT"
IDENT_MCU = 0x50414D43       # "PAMC"
REGION_BITS = slice(28, 32)


def bus_signature_members():
    """The bus port of a board core (the target side of :class:`HostBridge`)."""
    return {"bus_req": In(1), "bus_we": In(1), "bus_addr": In(32), "bus_wdata": In(32),
            "bus_ack": Out(1), "bus_rdata": Out(32)}


def xbar_address(*, mcu, copy, k, row, col):
    """Bus address of one crossbar cell (region 3)."""
    for name, value, bits in (("mcu", mcu, 6), ("copy", copy, 2), ("slice", k, 4),
                              ("row", row, 8), ("col", col, 8)):
        if not isinstance(value, int) or not 0 <= value < 1 << bits:
            raise ValueError(f"{name} must be an integer in [0, {1 << bits}), not {value!r}")
    return (3 << 28) | (mcu << 22) | (copy << 20) | (k << 16) | (row << 8) | col


def _check_config(config):
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    if config.xbar_size > 256:
        raise ValueError(f"the board address map holds crossbars up to 256x256, not "
                         f"{config.xbar_size!r}")


def _xbar_access(m, xbars, bus, rdata, done):
    """Serve a region-3 access on one of ``xbars`` (comb + sync statements into ``m``)."""
    a = bus.bus_addr
    sel = a[22:28]
    for idx, xbar in enumerate(xbars):
        hit = sel == idx
        m.d.comb += [xbar.h_req.eq(hit), xbar.h_we.eq(bus.bus_we), xbar.h_copy.eq(a[20:22]),
                     xbar.h_slice.eq(a[16:20]), xbar.h_row.eq(a[8:16]), xbar.h_col.eq(a[0:8]),
                     xbar.h_wdata.eq(bus.bus_wdata)]
        with m.If(hit & xbar.h_ack):
            m.d.sync += rdata.eq(xbar.h_rdata.as_signed())
            m.d.comb += done.eq(1)
    with m.If(sel >= len(xbars)):
        m.d.sync += rdata.eq(0)
        m.d.comb += done.eq(1)


class TileBoard(wiring.Component):
    """:class:`hdl.tile.Tile` with one :class:`DigitalCrossbar` per MCU, behind the host bus.

    Parameters
    ----------
    config : PantherConfig
        Ideal (see :class:`DigitalCrossbar`); ``cores_per_tile`` at most 16.

    Members
    -------
    bus_req, bus_we, bus_addr, bus_wdata : In
    bus_ack, bus_rdata : Out
        See :class:`hdl.fpga.host_protocol.HostBridge` and the address map above.
    leds : Out(8)
        0 all halted, 1 deadlock, 2 any core running, 3 any core in error.
    """

    def __init__(self, *, config):
        _check_config(config)
        if config.cores_per_tile > 16:
            raise ValueError(f"the board address map holds up to 16 cores, not "
                             f"{config.cores_per_tile!r}")
        from panther.hdl.tile import Tile
        self.config = config
        self.tile = Tile(config=config)
        self.xbars = [DigitalCrossbar(config=config)
                      for _ in range(config.cores_per_tile * config.mcus_per_core)]
        super().__init__({**bus_signature_members(), "leds": Out(8)})

    def elaborate(self, platform):
        cfg = self.config
        C = cfg.cores_per_tile
        m = Module()
        m.submodules.tile = tile = self.tile
        for idx, xbar in enumerate(self.xbars):
            m.submodules[f"xbar{idx}"] = xbar
        connect_crossbars(m, tile, self.xbars)

        run = Signal(C)
        wdata_hi, rdata_hi = Signal(32), Signal(32)
        rdata = Signal(32)
        done = Signal()
        m.d.comb += self.bus_rdata.eq(rdata)
        for i in range(C):
            m.d.comb += getattr(tile, f"c{i}_run").eq(run[i])
        m.d.comb += self.leds.eq(Cat(tile.all_halted, tile.deadlock,
                                     Cat(*(getattr(tile, f"c{i}_running") for i in range(C))).any(),
                                     Cat(*(getattr(tile, f"c{i}_error") for i in range(C))).any()))
        a = self.bus_addr
        region = a[REGION_BITS]
        with m.FSM(name="bus"):
            with m.State("IDLE"):
                with m.If(self.bus_req):
                    m.next = "ACCESS"
            with m.State("ACCESS"):
                with m.Switch(region):
                    with m.Case(0):
                        with m.Switch(a[0:2]):
                            with m.Case(0):
                                with m.If(self.bus_we):
                                    m.d.sync += run.eq(self.bus_wdata)
                                m.d.sync += rdata.eq(run | (tile.all_halted << 16)
                                                     | (tile.deadlock << 17))
                            with m.Case(1):
                                m.d.sync += rdata.eq(IDENT_TILE)
                            with m.Case(2):
                                with m.If(self.bus_we):
                                    m.d.sync += wdata_hi.eq(self.bus_wdata)
                                m.d.sync += rdata.eq(wdata_hi)
                            with m.Case(3):
                                m.d.sync += rdata.eq(rdata_hi)
                        m.d.comb += done.eq(1)
                    with m.Case(1):
                        core = a[20:24]
                        for i in range(C):
                            hit = core == i
                            m.d.comb += [getattr(tile, f"c{i}_dbg_req").eq(hit),
                                         getattr(tile, f"c{i}_dbg_space").eq(a[16:18]),
                                         getattr(tile, f"c{i}_dbg_addr").eq(a[0:16]),
                                         getattr(tile, f"c{i}_dbg_we").eq(self.bus_we),
                                         getattr(tile, f"c{i}_dbg_wdata").eq(Cat(self.bus_wdata,
                                                                                 wdata_hi))]
                            with m.If(hit & getattr(tile, f"c{i}_dbg_ack")):
                                value = getattr(tile, f"c{i}_dbg_rdata")
                                m.d.sync += [rdata.eq(value[0:32]), rdata_hi.eq(value[32:64])]
                                m.d.comb += done.eq(1)
                        with m.If(core >= C):
                            m.d.sync += rdata.eq(0)
                            m.d.comb += done.eq(1)
                    with m.Case(2):
                        m.d.comb += [tile.host_smem_addr.eq(a[0:16]),
                                     tile.host_smem_wvalue.eq(self.bus_wdata[0:16]),
                                     tile.host_smem_wvalid.eq(self.bus_wdata[16]),
                                     tile.host_smem_wcount.eq(self.bus_wdata[24:32])]
                        m.next = "SMEM"
                    with m.Case(3):
                        _xbar_access(m, self.xbars, self, rdata, done)
                    with m.Default():
                        m.d.sync += rdata.eq(0)
                        m.d.comb += done.eq(1)
                with m.If(done):
                    m.next = "ACK"
            with m.State("SMEM"):
                # The host port reads with a latency of one cycle; a write takes one cycle.
                m.d.comb += [tile.host_smem_addr.eq(a[0:16]),
                             tile.host_smem_wvalue.eq(self.bus_wdata[0:16]),
                             tile.host_smem_wvalid.eq(self.bus_wdata[16]),
                             tile.host_smem_wcount.eq(self.bus_wdata[24:32]),
                             tile.host_smem_we.eq(self.bus_we)]
                m.d.sync += rdata.eq(Cat(tile.host_smem_rvalue, tile.host_smem_rvalid,
                                         Signal(7), tile.host_smem_rcount))
                m.next = "ACK"
            with m.State("ACK"):
                # The master drops bus_req at the end of this cycle (HostBridge protocol).
                m.d.comb += self.bus_ack.eq(1)
                m.next = "IDLE"
        return m


class McuBoard(wiring.Component):
    """:class:`McuWithCrossbar` behind the host bus (the fallback FPGA top).

    Parameters
    ----------
    config : PantherConfig
        Ideal.

    Members
    -------
    bus_req, bus_we, bus_addr, bus_wdata : In
    bus_ack, bus_rdata : Out
    leds : Out(8)
        0 busy, 1 done, 2 overflow.
    """

    def __init__(self, *, config):
        _check_config(config)
        self.config = config
        self.unit = McuWithCrossbar(config=config)
        super().__init__({**bus_signature_members(), "leds": Out(8)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = self.unit
        rdata = Signal(32)
        done = Signal()
        finished = Signal()
        with m.If(u.done):
            m.d.sync += finished.eq(1)
        m.d.comb += [self.bus_rdata.eq(rdata), self.leds.eq(Cat(u.busy, finished, u.overflow))]
        a = self.bus_addr
        region = a[REGION_BITS]
        with m.FSM(name="bus"):
            with m.State("IDLE"):
                with m.If(self.bus_req):
                    m.next = "ACCESS"
            with m.State("ACCESS"):
                with m.Switch(region):
                    with m.Case(0):
                        with m.If(a[0]):
                            m.d.sync += rdata.eq(IDENT_MCU)
                        with m.Else():
                            with m.If(self.bus_we):
                                m.d.comb += [u.start_mask.eq(self.bus_wdata[0:3]),
                                             u.start.eq(self.bus_wdata[0:3].any()),
                                             u.crs.eq(self.bus_wdata[3]),
                                             u.commit.eq(self.bus_wdata[4]),
                                             u.overflow_clear.eq(self.bus_wdata[5])]
                                with m.If(self.bus_wdata[0:5].any()):
                                    m.d.sync += finished.eq(0)
                            m.d.sync += rdata.eq(Cat(u.busy, finished, u.overflow))
                        m.d.comb += done.eq(1)
                    with m.Case(1, 2):
                        # XBar buffers: address now, read data one cycle later.
                        for region_id, name in ((1, "xin"), (2, "xout")):
                            with m.If(region == region_id):
                                m.d.comb += [getattr(u, f"{name}_addr").eq(a[0:8]),
                                             getattr(u, f"{name}_w_data").eq(self.bus_wdata),
                                             getattr(u, f"{name}_w_en").eq(self.bus_we)]
                        m.next = "BUF"
                    with m.Case(3):
                        _xbar_access(m, [u], self, rdata, done)
                    with m.Default():
                        m.d.sync += rdata.eq(0)
                        m.d.comb += done.eq(1)
                with m.If(done):
                    m.next = "ACK"
            with m.State("BUF"):
                m.d.comb += [u.xin_addr.eq(a[0:8]), u.xout_addr.eq(a[0:8])]
                m.d.sync += rdata.eq(Mux(region == 1, u.xin_r_data, u.xout_r_data).as_signed())
                m.next = "ACK"
            with m.State("ACK"):
                # The master drops bus_req at the end of this cycle (HostBridge protocol).
                m.d.comb += self.bus_ack.eq(1)
                m.next = "IDLE"
        return m
