"""Storage of the deferred weight updates of variants 1 and 2 (semantics §5).

The paper keeps the operand vectors of deferred OPAs in shared memory; we model that storage
as a dedicated per-core region: ``deferred_depth`` entries of ``2 xbar_size`` words (XBarIn
then XBarOut as they were when the OPA issued) plus one save slot per MCU, where ``hlt``
parks the live XBar buffers while it replays the OPAs through them. The entry tags (OPA or
CRS, and the MCU) are registers of :class:`hdl.core.execute.Execute`.
"""

from amaranth.hdl import Module, signed
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

__all__ = ["DeferredBuffer"]


class DeferredBuffer(wiring.Component):
    """``(deferred_depth + mcus_per_core) * 2 * xbar_size`` data words (``lib.memory``).

    Word ``k`` of entry ``e`` is at ``e * 2 * xbar_size + k``; entry
    ``deferred_depth + m`` is the hlt save slot of MCU ``m``.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    r_addr : In(addr_bits)
    r_en : In(1)
    r_data : Out(signed(data_bits))
        Read port, latency 1.
    w_addr : In(addr_bits)
    w_en : In(1)
    w_data : In(signed(data_bits))
    depth : int
        Words.
    entry_words : int
        ``2 * xbar_size``.
    """

    latency = 1

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.entry_words = 2 * config.xbar_size
        self.depth = (config.deferred_depth + config.mcus_per_core) * self.entry_words
        bits = max(1, (self.depth - 1).bit_length())
        word = signed(config.data_bits)
        super().__init__({"r_addr": In(bits), "r_en": In(1), "r_data": Out(word),
                          "w_addr": In(bits), "w_en": In(1), "w_data": In(word)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = memory.Memory(shape=signed(self.config.data_bits),
                                               depth=self.depth, init=[])
        rd = mem.read_port()
        wr = mem.write_port()
        m.d.comb += [rd.addr.eq(self.r_addr), rd.en.eq(self.r_en), self.r_data.eq(rd.data),
                     wr.addr.eq(self.w_addr), wr.en.eq(self.w_en), wr.data.eq(self.w_data)]
        return m
