"""The core operand space: register file plus the XBar buffers of every MCU (semantics §4)."""

from amaranth.hdl import Module, Signal, signed
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
        for k, (xin, xout) in enumerate(zip(self.xin, self.xout)):
            hit_in = hit_mcu(k) & ~is_out
            hit_out = hit_mcu(k) & is_out
            m.d.comb += [
                xin.addr.eq(idx), xout.addr.eq(idx),
                xin.w_data.eq(p.wdata), xout.w_data.eq(p.wdata),
                xin.w_en.eq(p.we & hit_in), xout.w_en.eq(p.we & hit_out),
            ]
            with m.If(p.re):
                m.d.sync += [r_sel[2 * k].eq(hit_in), r_sel[2 * k + 1].eq(hit_out)]
        with m.If(r_rf):
            m.d.comb += p.rdata.eq(rd.data)
        for k, (xin, xout) in enumerate(zip(self.xin, self.xout)):
            with m.If(r_sel[2 * k]):
                m.d.comb += p.rdata.eq(xin.r_data)
            with m.If(r_sel[2 * k + 1]):
                m.d.comb += p.rdata.eq(xout.r_data)
        return m
