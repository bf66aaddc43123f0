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

import operator
from functools import reduce
from types import SimpleNamespace

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.mcu.replica import REPLICA
from panther.hdl.ports import RegisterBusSignature
from panther.hdl.tile import Tile

from .digital_crossbar import DigitalCrossbar, check_ideal
from .mcu_with_crossbar import McuWithCrossbar
from .tile_digital import connect_crossbars

__all__ = ["IDENT_TILE", "IDENT_MCU", "REGION_BITS", "xbar_address", "check_board_config",
           "TileBoard", "McuBoard"]

IDENT_TILE = 0x50414E54      # "PANT"
IDENT_MCU = 0x50414D43       # "PAMC"
REGION_BITS = slice(28, 32)


def xbar_address(*, mcu, copy, k, row, col):
    """Bus address of one crossbar cell (region 3)."""
    for name, value, bits in (("mcu", mcu, 6), ("copy", copy, 2), ("slice", k, 4),
                              ("row", row, 8), ("col", col, 8)):
        if not isinstance(value, int) or not 0 <= value < 1 << bits:
            raise ValueError(f"{name} must be an integer in [0, {1 << bits}), not {value!r}")
    return (3 << 28) | (mcu << 22) | (copy << 20) | (k << 16) | (row << 8) | col


def check_board_config(config, *, kind="tile"):
    """Raise ``ValueError`` unless the board top ``kind`` (``'tile'`` or ``'mcu'``) can be built
    for ``config``: ideal (:func:`~hdl.fpga.digital_crossbar.check_ideal`), crossbars up to
    256x256 and (tile) up to 16 cores, as the address map holds."""
    check_ideal(config)
    if config.xbar_size > 256:
        raise ValueError(f"the board address map holds crossbars up to 256x256, not "
                         f"{config.xbar_size!r}")
    if kind == "tile" and config.cores_per_tile > 16:
        raise ValueError(f"the board address map holds up to 16 cores, not "
                         f"{config.cores_per_tile!r}")
    return config


def _xbar_fields(m, cell_ports, bus):
    """Drive every field of ``cell_ports`` but ``req`` from the bus at every cycle, outside the
    bus FSM: the crossbar registers them with its ``req`` (only ``req`` needs the decode)."""
    a = bus.addr
    for cells in cell_ports:
        m.d.comb += [cells.we.eq(bus.we), cells.copy.eq(a[20:22]), cells.slice.eq(a[16:20]),
                     cells.row.eq(a[8:16]), cells.col.eq(a[0:8]), cells.wdata.eq(bus.wdata)]


def _xbar_select(m, cell_ports, bus, *, region, access):
    """The region-3 side of a board's bus (statements into ``m``; the fields come from
    :func:`_xbar_fields`).

    The MCU select is decoded from the bus address at every cycle into flip-flops (the bridge
    holds ``addr`` from the cycle it raises ``req``, so they are valid from ``ACCESS`` on), and
    only the addressed crossbar sees ``req`` (while ``access``, a comb signal, is high). Each
    crossbar acknowledges from a flip-flop with its read data registered (and held); the board
    registers the OR of the acknowledges once more, so the access is done a cycle after any
    ``ack`` and no crossbar wire reaches the bus state but through that register.

    Returns a namespace: ``hit`` (registered one-hot select, 0 outside region ``region``),
    ``none`` (registered: region ``region`` with no such MCU), ``ack`` (the registered OR of
    the acknowledges) and ``word`` (the addressed crossbar's read data, sign-extended to the
    bus width: an AND-OR on ``hit``)."""
    a = bus.addr
    n = len(cell_ports)
    in_region = a[REGION_BITS] == region
    sel = a[22:28]
    x = SimpleNamespace(hit=Signal(n, name="xbar_hit", reset_less=True),
                        none=Signal(name="xbar_none", reset_less=True),
                        ack=Signal(name="xbar_ack"), word=Signal(len(bus.rdata)))
    m.d.sync += [x.hit.eq(Cat(*(in_region & (sel == idx) for idx in range(n)))),
                 x.none.eq(in_region & (sel >= n)),
                 x.ack.eq(Cat(*(cells.ack for cells in cell_ports)).any())]
    for hit, cells in zip(x.hit, cell_ports):
        m.d.comb += cells.req.eq(hit & access)
    m.d.comb += x.word.eq(reduce(operator.or_, (
        Mux(hit, cells.rdata.as_signed(), 0) for hit, cells in zip(x.hit, cell_ports))))
    return x


class TileBoard(wiring.Component):
    """:class:`hdl.tile.Tile` with one :class:`DigitalCrossbar` per MCU, behind the host bus.

    Parameters
    ----------
    config : PantherConfig
        Ideal (see :class:`DigitalCrossbar`); ``cores_per_tile`` at most 16.

    Members
    -------
    bus : In(RegisterBusSignature())
        See :class:`hdl.fpga.host_protocol.HostBridge` and the address map above.
    leds : Out(8)
        0 all halted, 1 deadlock, 2 any core running, 3 any core in error (registered, as
        region 0's status bits: a cycle behind the tile).
    """

    def __init__(self, *, config):
        self.config = check_board_config(config, kind="tile")
        self.tile = Tile(config=config)
        self.xbars = [DigitalCrossbar(config=config)
                      for _ in range(config.cores_per_tile * config.mcus_per_core)]
        super().__init__({"bus": In(RegisterBusSignature()), "leds": Out(8)})

    def elaborate(self, platform):
        cfg = self.config
        C = cfg.cores_per_tile
        m = Module()
        m.submodules.tile = tile = self.tile
        cores = [getattr(tile, f"c{i}") for i in range(C)]
        for idx, xbar in enumerate(self.xbars):
            m.submodules[f"xbar{idx}"] = xbar
        connect_crossbars(m, tile, self.xbars)

        bus = self.bus
        a = bus.addr
        region = a[REGION_BITS]
        in_access = Signal()
        _xbar_fields(m, [xbar.cells for xbar in self.xbars], bus)
        xsel = _xbar_select(m, [xbar.cells for xbar in self.xbars], bus, region=3,
                            access=in_access)
        # The address decode, one-hot flip-flops loaded at every cycle (valid from ACCESS on:
        # the bridge holds `addr` from the cycle it raises `req`): region 0's offsets, region
        # 1's core (0 for a core beyond the tile), region 2, and `imm` (done in ACCESS; a
        # region-3 access to no MCU is `xsel.none`).
        ctl = Signal(4, name="dec_ctl", reset_less=True)
        dbg_sel = Signal(C, name="dec_dbg", reset_less=True)
        dbg_any = Signal(name="dec_dbg_any", reset_less=True)
        smem_sel = Signal(name="dec_smem", reset_less=True)
        imm = Signal(name="dec_imm", reset_less=True)
        core_idx = a[20:24]
        is_dbg = (region == 1) & (core_idx < C)
        m.d.sync += [
            ctl.eq(Cat(*((region == 0) & (a[0:2] == i) for i in range(4)))),
            dbg_sel.eq(Cat(*((region == 1) & (core_idx == i) for i in range(C)))),
            dbg_any.eq(is_dbg),
            smem_sel.eq(region == 2),
            imm.eq(~(is_dbg | (region == 2) | (region == 3))),
        ]
        # The tile's flags, registered by the board (for `rdata` and the LEDs).
        halted, deadlock, running, error = (Signal(name=n) for n in (
            "all_halted_q", "deadlock_q", "running_q", "error_q"))
        m.d.sync += [halted.eq(tile.all_halted), deadlock.eq(tile.deadlock),
                     running.eq(Cat(*(core.running for core in cores)).any()),
                     error.eq(Cat(*(core.error for core in cores)).any())]
        m.d.comb += self.leds.eq(Cat(halted, deadlock, running, error))

        run = Signal(C)
        # The high word of a debug write: data only, written by the host before the access
        # that uses it, so no reset (a reset copy reached its 32 LSR pins in 9.7 ns).
        wdata_hi = Signal(32, reset_less=True)
        # The bus's read data for regions 0 and 3 (and 0 for the unmapped): an AND-OR of
        # registers on the registered decode, loaded at every cycle (in ACK it holds the word
        # of the access's last cycle).
        rdata = Signal(32, reset_less=True)
        # A debug access's read data has a register of its own (all 64 bits), loaded in every
        # cycle of DEBUG, the last one the core's ack: from the cores' read registers through
        # their AND-OR and the core select only, not through `rdata`'s multiplexer of the
        # other regions (issue 20). The bus reads it after a debug access.
        dbg_rdata = Signal(64, reset_less=True)
        from_dbg = Signal()
        # A shared-memory word likewise (the block RAM's output straight into it, every
        # cycle: in ACK it holds the word read in ACCESS).
        smem_rdata = Signal(32, reset_less=True)
        from_smem = Signal()
        m.d.comb += bus.rdata.eq(Mux(from_dbg, dbg_rdata[0:32],
                                     Mux(from_smem, smem_rdata, rdata)))
        m.d.sync += rdata.eq(reduce(operator.or_, (
            Mux(ctl[0], Cat(run, Const(0, 16 - C), halted, deadlock), 0),
            Mux(ctl[1], IDENT_TILE, 0), Mux(ctl[2], wdata_hi, 0),
            Mux(ctl[3], dbg_rdata[32:64], 0), xsel.word)))
        # A core's debug request, registered: from ACCESS until the core's ack. Its fields
        # are registered at every cycle, one copy per core (REPLICA: each by its core).
        dbg_req = Signal(C)
        # The requested core's read data (each core's comes from its own registers), an
        # AND-OR on the registered one-hot request; and whether that core acknowledged.
        dbg_word = Signal(64)
        dbg_ack = Signal()
        for i in range(C):
            m.d.comb += cores[i].run.eq(run[i])
            dbg = cores[i].dbg
            fields = [Signal.like(dbg.space, name=f"c{i}_dbg_space", reset_less=True,
                                  attrs=REPLICA),
                      Signal.like(dbg.addr, name=f"c{i}_dbg_addr", reset_less=True,
                                  attrs=REPLICA),
                      Signal.like(dbg.we, name=f"c{i}_dbg_we", reset_less=True, attrs=REPLICA),
                      Signal.like(dbg.wdata, name=f"c{i}_dbg_wdata", reset_less=True,
                                  attrs=REPLICA)]
            m.d.sync += [f.eq(v) for f, v in zip(fields, (a[16:18], a[0:16], bus.we,
                                                          Cat(bus.wdata, wdata_hi)))]
            m.d.comb += [dbg.req.eq(dbg_req[i]), dbg.space.eq(fields[0]),
                         dbg.addr.eq(fields[1]), dbg.we.eq(fields[2]), dbg.wdata.eq(fields[3])]
        m.d.comb += [
            dbg_word.eq(reduce(operator.or_, (Mux(dbg_req[i], cores[i].dbg.rdata, 0)
                                              for i in range(C)))),
            dbg_ack.eq(Cat(*(dbg_req[i] & cores[i].dbg.ack for i in range(C))).any()),
        ]
        host = tile.host_smem
        # The shared memory's host port sees the bus's address and data in every cycle (its
        # read port's address straight from the bridge's registers); only `we` is decoded.
        m.d.comb += [host.addr.eq(a[0:16]), host.wvalue.eq(bus.wdata[0:16]),
                     host.wvalid.eq(bus.wdata[16]), host.wcount.eq(bus.wdata[24:32])]
        m.d.sync += smem_rdata.eq(Cat(host.rvalue, host.rvalid, Signal(7), host.rcount))
        with m.FSM(name="bus"):
            with m.State("IDLE"):
                with m.If(bus.req):
                    m.d.sync += [from_dbg.eq(0), from_smem.eq(0)]
                    m.next = "ACCESS"
            with m.State("ACCESS"):
                # Every decision from the registered decode (and the crossbars' registered
                # acknowledge); `rdata` takes its word at every cycle.
                m.d.comb += in_access.eq(1)
                with m.If(bus.we & ctl[0]):
                    m.d.sync += run.eq(bus.wdata)
                with m.If(bus.we & ctl[2]):
                    m.d.sync += wdata_hi.eq(bus.wdata)
                m.d.sync += dbg_req.eq(dbg_sel)
                with m.If(dbg_any):
                    m.next = "DEBUG"
                with m.Elif(smem_sel):
                    m.d.sync += from_smem.eq(1)
                    m.next = "SMEM"
                with m.Elif(imm | xsel.none | xsel.ack):
                    m.next = "ACK"
            with m.State("DEBUG"):
                # The core's debug request comes from the registers above (issue 20: from
                # the bus address, the core's port multiplexer and the operand-space decode
                # reached the XBar buffers' write enables in one cycle).
                m.d.sync += dbg_rdata.eq(dbg_word)
                with m.If(dbg_ack):
                    m.d.sync += [dbg_req.eq(0), from_dbg.eq(1)]
                    m.next = "ACK"
            with m.State("SMEM"):
                # The host port reads with a latency of one cycle (the word addressed in
                # ACCESS, in `smem_rdata` from ACK on); a write lands in the next cycle.
                m.d.comb += host.we.eq(bus.we)
                m.next = "ACK"
            with m.State("ACK"):
                # The master drops req at the end of this cycle (HostBridge protocol).
                m.d.comb += bus.ack.eq(1)
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
    bus : In(RegisterBusSignature())
    leds : Out(8)
        0 busy, 1 done, 2 overflow.
    """

    def __init__(self, *, config):
        self.config = check_board_config(config, kind="mcu")
        self.unit = McuWithCrossbar(config=config)
        super().__init__({"bus": In(RegisterBusSignature()), "leds": Out(8)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = self.unit
        bus = self.bus
        _xbar_fields(m, [u.cells], bus)
        in_access = Signal()
        xsel = _xbar_select(m, [u.cells], bus, region=3, access=in_access)
        rdata = Signal(32)
        done = Signal()
        finished = Signal()
        with m.If(u.done):
            m.d.sync += finished.eq(1)
        m.d.comb += [bus.rdata.eq(rdata), self.leds.eq(Cat(u.busy, finished, u.overflow))]
        # The host's MCU command reaches the MCU from registers, a cycle after its bus write
        # (in ACK): the bus data and its decode end here, not at the controller's enables.
        mask, start, crs, commit, clear = (Signal(w, name=f"cmd_{n}") for w, n in (
            (3, "mask"), (1, "start"), (1, "crs"), (1, "commit"), (1, "clear")))
        m.d.sync += [start.eq(0), crs.eq(0), commit.eq(0), clear.eq(0)]
        m.d.comb += [u.start_mask.eq(mask), u.start.eq(start), u.crs.eq(crs),
                     u.commit.eq(commit), u.overflow_clear.eq(clear)]
        a = bus.addr
        region = a[REGION_BITS]
        # The XBar buffers' write port from the bus at every cycle (the bridge holds it during
        # an access); a write lands in BUF, enabled by a flip-flop set in ACCESS (`buf_w`): no
        # decode of the bus state or address reaches the buffers' enables. (The read address
        # stays 0 outside ACCESS and BUF: driven at every cycle, it cost ~700 LUT4s.)
        buf_w = Signal(2, name="buf_w")
        m.d.sync += buf_w.eq(0)
        for i, buf in enumerate((u.xin, u.xout)):
            m.d.comb += [buf.w_addr.eq(a[0:8]), buf.w_data.eq(bus.wdata), buf.w_en.eq(buf_w[i])]
        with m.FSM(name="bus"):
            with m.State("IDLE"):
                with m.If(bus.req):
                    m.next = "ACCESS"
            with m.State("ACCESS"):
                with m.Switch(region):
                    with m.Case(0):
                        with m.If(a[0]):
                            m.d.sync += rdata.eq(IDENT_MCU)
                        with m.Else():
                            with m.If(bus.we):
                                m.d.sync += [mask.eq(bus.wdata[0:3]),
                                             start.eq(bus.wdata[0:3].any()),
                                             crs.eq(bus.wdata[3]), commit.eq(bus.wdata[4]),
                                             clear.eq(bus.wdata[5])]
                                with m.If(bus.wdata[0:5].any()):
                                    m.d.sync += finished.eq(0)
                            m.d.sync += rdata.eq(Cat(u.busy, finished, u.overflow))
                        m.d.comb += done.eq(1)
                    with m.Case(1, 2):
                        # XBar buffers: the read data in BUF, a write there too.
                        m.d.sync += buf_w.eq(Cat(region == 1, region == 2) & bus.we.replicate(2))
                        for region_id, buf in ((1, u.xin), (2, u.xout)):
                            with m.If(region == region_id):
                                m.d.comb += buf.addr.eq(a[0:8])
                        m.next = "BUF"
                    with m.Case(3):
                        m.d.comb += in_access.eq(1)
                        with m.If(xsel.ack):
                            m.d.sync += rdata.eq(xsel.word)
                        m.d.comb += done.eq(xsel.ack | xsel.none)
                        with m.If(xsel.none):
                            m.d.sync += rdata.eq(0)
                    with m.Default():
                        m.d.sync += rdata.eq(0)
                        m.d.comb += done.eq(1)
                with m.If(done):
                    m.next = "ACK"
            with m.State("BUF"):
                m.d.comb += [u.xin.addr.eq(a[0:8]), u.xout.addr.eq(a[0:8])]
                m.d.sync += rdata.eq(Mux(region == 1, u.xin.r_data, u.xout.r_data).as_signed())
                m.next = "ACK"
            with m.State("ACK"):
                # The master drops req at the end of this cycle (HostBridge protocol).
                m.d.comb += bus.ack.eq(1)
                m.next = "IDLE"
        return m
