"""Instruction memory: ``imem_depth`` 64-bit words, fetch read port and host port."""

from amaranth.hdl import Module
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import INSTR_BITS

__all__ = ["InstructionMemory"]


def _bits(depth):
    return max(1, (depth - 1).bit_length())


class InstructionMemory(wiring.Component):
    """``lib.memory`` instruction store, loaded at run time through the host port.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    f_addr : In(addr_bits)
    f_en : In(1)
    f_data : Out(64)
        Fetch port: ``f_data`` is the word addressed when ``f_en`` was high, one cycle later;
        it holds while ``f_en`` is low.
    h_addr : In(addr_bits)
    h_we : In(1)
    h_wdata : In(64)
    h_rdata : Out(64)
        Host port (write; synchronous read, latency 1).
    addr_bits : int
    latency : int
        Fetch read latency (1).
    """

    latency = 1

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.addr_bits = _bits(config.imem_depth)
        super().__init__({
            "f_addr": In(self.addr_bits), "f_en": In(1), "f_data": Out(INSTR_BITS),
            "h_addr": In(self.addr_bits), "h_we": In(1), "h_wdata": In(INSTR_BITS),
            "h_rdata": Out(INSTR_BITS),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = memory.Memory(shape=INSTR_BITS, depth=self.config.imem_depth,
                                               init=[])
        fetch = mem.read_port()
        host_r = mem.read_port()
        host_w = mem.write_port()
        m.d.comb += [
            fetch.addr.eq(self.f_addr), fetch.en.eq(self.f_en), self.f_data.eq(fetch.data),
            host_r.addr.eq(self.h_addr), self.h_rdata.eq(host_r.data),
            host_w.addr.eq(self.h_addr), host_w.en.eq(self.h_we), host_w.data.eq(self.h_wdata),
        ]
        return m
