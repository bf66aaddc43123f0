"""The core operand space: register file plus the XBar buffers of every MCU (semantics §4)."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.ports import XBarBufferSignature

__all__ = ["DataPortSignature", "DataSpace"]


class DataPortSignature(wiring.Signature):
    """One word access per cycle into the operand space, from the requester's side.

    Members
    -------
    addr : Out(config.ADDR_BITS)
    re : Out(1)
        Read ``addr``; ``rdata`` holds the word in the next cycle.
    we : Out(1)
        Write ``wdata`` to ``addr`` (a read and a write in one cycle are not allowed).
    wdata : Out(signed(data_bits))
    rdata : In(signed(data_bits))
    """

    def __init__(self, config):
        word = signed(config.data_bits)
        super().__init__({"addr": Out(config.ADDR_BITS), "re": Out(1), "we": Out(1),
                          "wdata": Out(word), "rdata": In(word)})


class DataSpace(wiring.Component):
    """Address decoder of the operand space and the register file memory.

    Address ``a < rf_depth`` is register-file word ``a`` (``lib.memory``); otherwise
    ``o = a - rf_depth`` names MCU ``o // (2 xbar_size)``, its XBarIn when
    ``o % (2 xbar_size) < xbar_size`` (``config.xbar_in_base``) else its XBarOut
    (``config.xbar_out_base``), word ``o % xbar_size``. The requester checks ranges (an
    address ``>= addr_space`` reads 0 and writes nothing).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    port : In(DataPortSignature)
    xin, xout : Out(XBarBufferSignature).array(mcus_per_core)
        The XBarIn / XBarOut port of every MCU.
    rf_rdata : Out(signed(data_bits))
        The register file's read data, straight off its memory (no logic after the block
        RAM): ``port.rdata`` when ``rf_read``.
    buf_rdata : Out(signed(data_bits))
        The XBar buffers' read data: ``port.rdata`` when not ``rf_read`` (0 after a read
        outside the space).
    rf_read : Out(1)
        The last read went to the register file.
    latency : int
        Read latency (1).
    """

    latency = 1

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        # The decoder below is the closed form of config.xbar_in_base / xbar_out_base: make
        # sure the configuration still places the buffers that way.
        for m in range(config.mcus_per_core):
            base = config.rf_depth + 2 * m * config.xbar_size
            if (config.xbar_in_base(m), config.xbar_out_base(m)) != (base, base + config.xbar_size):
                raise ValueError(f"XBar buffers of MCU {m} at {config.xbar_in_base(m)} / "
                                 f"{config.xbar_out_base(m)}: DataSpace decodes {base} / "
                                 f"{base + config.xbar_size}")
        super().__init__({
            "port": In(DataPortSignature(config)),
            "xin": Out(XBarBufferSignature(config)).array(config.mcus_per_core),
            "xout": Out(XBarBufferSignature(config)).array(config.mcus_per_core),
            "rf_rdata": Out(signed(config.data_bits)),
            "buf_rdata": Out(signed(config.data_bits)),
            "rf_read": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        c = self.config
        n = c.xbar_size
        log_n = n.bit_length() - 1
        m.submodules.rf = rf = memory.Memory(shape=signed(c.data_bits), depth=c.rf_depth, init=[])
        rd = rf.read_port()
        wr = rf.write_port()
        p = self.port

        in_rf = Signal()
        is_out = Signal()
        idx = Signal(max(1, log_n))
        m.d.comb += [
            rd.addr.eq(p.addr), rd.en.eq(p.re & in_rf),
            wr.addr.eq(p.addr), wr.data.eq(p.wdata), wr.en.eq(p.we & in_rf),
        ]
        rf_bits = c.rf_depth.bit_length() - 1
        if c.rf_depth == 1 << rf_bits:
            m.d.comb += in_rf.eq(p.addr[rf_bits:] == 0)
        else:
            m.d.comb += in_rf.eq(p.addr < c.rf_depth)
        if c.rf_depth % (2 * n) == 0:
            # The buffers start on a 2 xbar_size boundary: MCU k's pair is the address's
            # high bits equal to a constant, no subtractor (a carry chain on an FPGA, on the
            # path from the requesters to the XBar buffers' write enables, issue 20).
            block = p.addr[log_n + 1:]

            def hit_mcu(k):
                return block == c.rf_depth // (2 * n) + k
            m.d.comb += [is_out.eq(p.addr[log_n]), idx.eq(p.addr[:log_n] if log_n else 0)]
        else:
            off = Signal(c.ADDR_BITS)
            m.d.comb += [off.eq(p.addr - c.rf_depth), is_out.eq(off[log_n]),
                         idx.eq(off[:log_n] if log_n else 0)]

            def hit_mcu(k):
                return ~in_rf & ((off >> (log_n + 1)) == k)
        # Remember which memory the read went to; its data arrives next cycle.
        r_rf = Signal()
        r_sel = Signal(2 * c.mcus_per_core)
        with m.If(p.re):
            m.d.sync += r_rf.eq(in_rf)
            m.d.sync += r_sel.eq(0)
        # An XBar buffer write is registered (address, data, enable; one set per buffer, each
        # loaded only by its own writes, so that the synthesis keeps them apart and they can
        # sit next to their MCU) and lands a cycle later: no requester's address or decode
        # reaches the buffer's word enables in the cycle it is computed (issue 20). A read of
        # the word still in a write register, in the cycle it lands, is answered from it.
        m.d.comb += [self.rf_rdata.eq(rd.data), self.rf_read.eq(r_rf),
                     p.rdata.eq(Mux(r_rf, rd.data, self.buf_rdata))]
        bufs = [(b, f"{name}{k}", hit_mcu(k) & (is_out if name == "xout" else ~is_out))
                for k, pair in enumerate(zip(self.xin, self.xout))
                for name, b in zip(("xin", "xout"), pair)]
        for j, (buf, name, hit) in enumerate(bufs):
            w_en = Signal(name=f"{name}_w_en")
            w_addr = Signal.like(buf.w_addr, name=f"{name}_w_addr")
            w_data = Signal.like(buf.w_data, name=f"{name}_w_data")
            fwd = Signal(name=f"{name}_fwd")
            m.d.sync += w_en.eq(p.we & hit)
            with m.If(p.we & hit):
                m.d.sync += [w_addr.eq(idx), w_data.eq(p.wdata)]
            m.d.comb += [buf.addr.eq(idx), buf.w_addr.eq(w_addr), buf.w_data.eq(w_data),
                         buf.w_en.eq(w_en)]
            with m.If(p.re):
                m.d.sync += [r_sel[j].eq(hit), fwd.eq(hit & w_en & (w_addr == idx))]
            # w_data cannot change in the cycle after a read (no write in a read's cycle).
            with m.If(r_sel[j]):
                m.d.comb += self.buf_rdata.eq(Mux(fwd, w_data, buf.r_data))
        return m
