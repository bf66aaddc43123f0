"""The core operand space: register file plus the XBar buffers of every MCU (semantics §4)."""

import operator
from functools import reduce

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.mcu.replica import REPLICA
from panther.hdl.ports import X_ON_COLLISION, XBarBufferSignature

__all__ = ["DataPortSignature", "DataSpace"]


class DataPortSignature(wiring.Signature):
    """One word access per cycle into the operand space, from the requester's side.

    Members
    -------
    addr : Out(config.ADDR_BITS)
    re : Out(1)
        Read ``addr``; ``rdata`` is the word in the next cycle only (0 in a cycle that
        follows no read): the requester registers it then.
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

    Address ``a < rf_depth`` is register-file word ``a`` (``lib.memory``, written a cycle
    after the request from flip-flops, a read of the landing word forwarded); otherwise
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
        The core's requesters (the execute stage's operand port).
    host : In(DataPortSignature)
        The host's access (the debug port of a stopped core). Its ``rdata`` is 0: the host
        reads ``rf_rdata`` or ``buf_rdata`` by ``rf_read``.
    host_sel : In(1)
        ``host`` drives the space in this cycle, not ``port`` (a register: the core is not
        running). The register file's forward decision (``rdata``'s register-file terms)
        follows ``port`` alone, before this multiplexer (section "rfsel").
    xin, xout : Out(XBarBufferSignature).array(mcus_per_core)
        The XBarIn / XBarOut port of every MCU.
    rf_rdata : Out(signed(data_bits))
        The register file's read data, straight off its memory (no logic after the block
        RAM; its read port is always enabled): ``port.rdata`` when ``rf_read``, unless the
        word was written in the cycle before the read (it lands in the read's cycle; the
        debug port reads a stopped core).
    buf_rdata : Out(signed(data_bits))
        The XBar buffers' read data: ``port.rdata`` when not ``rf_read`` (0 after a read
        outside the space or in a cycle that follows no read).
    rf_read : Out(1)
        The previous cycle read the register file.
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
            "host": In(DataPortSignature(config)),
            "host_sel": In(1),
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
        # `p` is the access of this cycle: the requesters' or the host's, by a register. Its
        # address and data only: the enables (`w_rf`, each buffer's `w_en` and `sel`) are
        # decided for the requesters and the host apart and joined in their last LUT, so
        # that neither the multiplexer nor the host's request (the debug port's `take`)
        # sits on the requesters' way into them (section "dispreq").
        req, host = self.port, self.host
        p = DataPortSignature(c).create(path=("access",))
        m.d.comb += [getattr(p, f).eq(Mux(self.host_sel, getattr(host, f), getattr(req, f)))
                     for f in ("addr", "wdata")]
        req_re, req_we = req.re & ~self.host_sel, req.we & ~self.host_sel
        host_re, host_we = host.re & self.host_sel, host.we & self.host_sel

        # The read port is always enabled (the address is always presented): `rd.data` is
        # only used in the cycle after a read, and an enable would be emulated after the
        # block RAM with a register and a multiplexer (issue 20).
        m.d.comb += rd.addr.eq(p.addr)
        rf_bits = c.rf_depth.bit_length() - 1

        def below_rf(addr):
            return addr[rf_bits:] == 0 if c.rf_depth == 1 << rf_bits else addr < c.rf_depth

        def decode(addr):
            """(is_out, idx, hit_mcu) of an address: XBarOut, the word, MCU k's pair."""
            if c.rf_depth % (2 * n) == 0:
                # The buffers start on a 2 xbar_size boundary: MCU k's pair is the address's
                # high bits equal to a constant, no subtractor (a carry chain on an FPGA, on
                # the path from the requesters to the XBar buffers' write enables, issue 20).
                return (addr[log_n], addr[:log_n] if log_n else 0,
                        lambda k: addr[log_n + 1:] == c.rf_depth // (2 * n) + k)
            off = (addr - c.rf_depth)[:c.ADDR_BITS]
            return (off[log_n], off[:log_n] if log_n else 0,
                    lambda k: ~below_rf(addr) & ((off >> (log_n + 1)) == k))
        idx = Signal(max(1, log_n))
        m.d.comb += idx.eq(decode(p.addr)[1])
        # An XBar buffer access is registered: the word index and data are loaded in every
        # cycle (no enable: only the flags, one per buffer, are decoded). A write lands a
        # cycle later (`w_en`); a read selects the word in the next cycle, from `w_idx`
        # (`sel`), so no requester's address or decode reaches a buffer's word enables or
        # its word selection in the cycle it is computed (issue 20). The selection sees the
        # write registered in the read's cycle (no write in a read's cycle), no forwarding.
        w_idx = Signal.like(idx, name="w_idx", reset_less=True)
        w_data = Signal.like(p.wdata, name="w_data", reset_less=True)
        m.d.sync += [w_idx.eq(idx), w_data.eq(p.wdata)]
        # A register-file write is registered too: the block RAM's write address, data and
        # enable are flip-flops (`a_q` is the address of every cycle, `w_rf` the enable), so
        # no requester's address or decode reaches the write port (issue 20). A read of the
        # word landing in its cycle (written in the cycle before) is decided then, beside
        # `r_rf` (`hit`), and takes the word from `fwd_word`: the block RAM's word on that
        # collision is not used (X_ON_COLLISION: no bypass of Yosys's behind it).
        rf_abits = len(rd.addr)
        a_q = Signal(rf_abits, name="a_q", reset_less=True, attrs=REPLICA)
        w_rf = Signal(name="w_rf")
        m.d.sync += [a_q.eq(p.addr[:rf_abits]),
                     w_rf.eq(req_we & below_rf(req.addr) | host_we & below_rf(host.addr))]
        m.d.comb += [wr.addr.eq(a_q), wr.data.eq(w_data), wr.en.eq(w_rf)]
        # Where the read's data comes from: flags registered in the read's cycle (all 0
        # after a cycle without a read, or a read outside the space). `rdata` is an AND-OR
        # of the sources, the block RAM's output through one slice (docs/synthesis.md).
        # The forwarded word is `w_data` a cycle later (`fwd_word`, loaded in every cycle)
        # under its flag `fwd_sel`: the hit decision reaches one flip-flop's D input, not a
        # synchronous clear of the word's 16 (the flip-flops' LSR, section "opread").
        # `rf_sel` and `fwd_sel` serve the requesters alone (the host reads `rf_rdata`): they
        # are decided from `port` before the host's multiplexer, one LUT level fewer on the
        # operand address's way into them (section "rfsel").
        hit = Signal(name="rf_hit")
        req_rf = Signal(name="req_rf")
        m.d.comb += [hit.eq(w_rf & (req.addr[:rf_abits] == a_q)),
                     req_rf.eq(req_re & below_rf(req.addr))]
        r_rf = Signal(name="r_rf")
        rf_sel = Signal(name="rf_sel")
        fwd_sel = Signal(name="fwd_sel")
        fwd_word = Signal(c.data_bits, name="fwd_word", reset_less=True)
        host_rf = host_re & below_rf(host.addr)
        m.d.sync += [r_rf.eq(req_rf | host_rf), rf_sel.eq(req_rf & ~hit),
                     fwd_sel.eq(req_rf & hit), fwd_word.eq(w_data)]
        rf_word = Signal.like(rd.data, name="rf_word", attrs={X_ON_COLLISION: 1})
        m.d.comb += rf_word.eq(rd.data)
        def buf_hit(addr, k, name):
            is_out, _, hit_mcu = decode(addr)
            return hit_mcu(k) & (is_out if name == "xout" else ~is_out)
        bufs = [(b, f"{name}{k}", buf_hit(req.addr, k, name), buf_hit(host.addr, k, name))
                for k, pair in enumerate(zip(self.xin, self.xout))
                for name, b in zip(("xin", "xout"), pair)]
        buf_terms = []
        for buf, name, req_hit, host_hit in bufs:
            w_en = Signal(name=f"{name}_w_en")
            sel = Signal(name=f"{name}_r_sel")
            # The buffer's own copy of the read index (a REPLICA, not merged with `w_idx` and
            # `a_q`, which also drive the block RAM's write address and the hit compare), so
            # that the placer can put it next to this buffer's word selection (section
            # "opread").
            r_idx = Signal.like(idx, name=f"{name}_r_idx", reset_less=True, attrs=REPLICA)
            m.d.sync += [w_en.eq(req_we & req_hit | host_we & host_hit),
                         sel.eq(req_re & req_hit | host_re & host_hit), r_idx.eq(idx)]
            m.d.comb += [buf.addr.eq(r_idx), buf.w_addr.eq(w_idx), buf.w_data.eq(w_data),
                         buf.w_en.eq(w_en)]
            buf_terms.append(buf.r_data.as_unsigned() & sel.replicate(c.data_bits))
        # `keep` makes the buffers' OR a net of its own for the synthesis (ABC does not know
        # the block RAM's output is late and would mix it into the first level).
        buf_or = Signal.like(self.buf_rdata, name="buf_or", attrs={"keep": 1})
        m.d.comb += buf_or.eq(reduce(operator.or_, buf_terms))
        m.d.comb += [self.rf_rdata.eq(rf_word), self.rf_read.eq(r_rf),
                     self.buf_rdata.eq(buf_or),
                     req.rdata.eq((rf_word.as_unsigned() & rf_sel.replicate(c.data_bits))
                                  | (fwd_word & fwd_sel.replicate(c.data_bits)) | buf_or)]
        return m
