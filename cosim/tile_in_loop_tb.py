"""cocotb side of :mod:`cosim.tile_in_loop`: one RTL tile among golden tiles.

The RTL is one :class:`hdl.tile.Tile` (``tile_id`` = K); the node's other tiles are the golden
model (:class:`isa.golden.Node`, with tile K empty), in this process. The bench joins them at
the tile's NoC port, cycle by cycle:

* every flit the tile sends is taken (``noc_tx_ready`` high): a data flit to a golden core
  appends its words to that golden channel; a credit flit (for words the RTL took from a golden
  sender's channel) lets the bench forward that many more words; a flit to tile K itself goes
  back in;
* flits go in (``noc_rx_*``) one at a time: flits back to the tile first, then credit flits for
  words golden cores took from the tile's channels, then data flits of words golden cores sent
  to the tile, each against the credits the tile returned (``noc_fifo_depth`` to start with),
  so the tile's receive buffers never overflow;
* the golden node runs one round per cycle.

It stops when every core of both has stopped, or everything waits (a deadlock: no golden
progress, no flit moving, every running RTL core waiting) for 64 cycles, or at the cycle
limit; then it dumps the RTL tile as :mod:`cosim.tile_tb` does and writes the golden tiles'
reports beside it.
"""

import json
import os
from collections import deque
from pathlib import Path

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from panther.fixed_point import wrap

from .clock import start_clock
from .tile_host import as_int as _int
from .tile_tb import TileBench, _gather

__all__ = ["FlitCodec", "run_loop_job"]

#: Cycles without any progress anywhere after which the bench calls it a deadlock.
QUIET_CYCLES = 64


class FlitCodec:
    """Packs and unpacks :class:`hdl.node.noc_port.FlitLayout` flits as integers."""

    def __init__(self, config):
        from panther.hdl.node.noc_port import FlitLayout

        layout = FlitLayout(config)
        self.fields = {name: (layout[name].offset, layout[name].width)
                       for name in ("kind", "src_tile", "src_core", "dst_tile", "dst_core", "count")}
        self.words_at = layout["words"].offset
        self.bits, self.per_flit = config.data_bits, config.noc_words_per_flit

    def pack(self, *, kind, src_tile, src_core, dst_tile, dst_core, count, words=()):
        value = 0
        for name, field in (("kind", kind), ("src_tile", src_tile), ("src_core", src_core),
                            ("dst_tile", dst_tile), ("dst_core", dst_core), ("count", count)):
            offset, width = self.fields[name]
            value |= (int(field) & ((1 << width) - 1)) << offset
        mask = (1 << self.bits) - 1
        for k, word in enumerate(words):
            value |= (int(word) & mask) << (self.words_at + k * self.bits)
        return value

    def unpack(self, value):
        out = {name: (value >> offset) & ((1 << width) - 1)
               for name, (offset, width) in self.fields.items()}
        words = []
        for k in range(out["count"] if out["kind"] == 0 else 0):
            word = (value >> (self.words_at + k * self.bits)) & ((1 << self.bits) - 1)
            words.append(wrap(word, self.bits))
        out["words"] = words
        return out


class LoopBench:
    """The RTL tile K and the golden rest of the node (see the module docstring)."""

    def __init__(self, dut, job):
        from panther.config import PantherConfig

        self.dut, self.job = dut, job
        self.config = c = PantherConfig.from_dict(job["config"])
        self.k = job["rtl_tile"]
        self.clock = dut.clk
        self.bench = TileBench(dut, job)
        self.codec = FlitCodec(c)
        self.inject = deque()            # flits (ints) for the tile, in order
        self.credits = {}                # channel into tile K -> words the bench may forward
        self.paid = {}                   # channel out of tile K -> words credited back
        dut.noc_rx_valid.value = 0
        dut.noc_tx_ready.value = 0

    def _golden_node(self, image):
        from panther.isa.golden import Node
        from panther.isa.image import ProgramImage
        from panther.isa.node_image import NodeImage

        tiles = list(image.tiles)
        tiles[self.k] = ProgramImage(config=self.config)        # tile K is the RTL's
        return Node.from_image(NodeImage(config=self.config, tiles=tiles))

    def _from_tile(self, flit):
        """A flit the RTL tile sent."""
        f = self.codec.unpack(flit)
        if f["dst_tile"] == self.k:
            self.inject.append(flit)
            return
        if f["kind"] == 1:          # credits for the channel golden sender -> RTL receiver
            key = (f["dst_tile"], f["dst_core"], self.k, f["src_core"])
            self.credits[key] = self.credits.get(key, self.depth) + f["count"]
        else:
            key = (self.k, f["src_core"], f["dst_tile"], f["dst_core"])
            self.network.deliver(key, f["words"])

    def _refill(self):
        """Credit flits for words golden cores took from the tile's channels, then data flits
        of golden words for the tile (against credits)."""
        net, c = self.network, self.config
        for key, popped in net.popped.items():
            if key[0] == self.k and popped > self.paid.get(key, 0):
                count = popped - self.paid.get(key, 0)
                self.paid[key] = popped
                self.inject.append(self.codec.pack(kind=1, src_tile=key[2], src_core=key[3],
                                                   dst_tile=self.k, dst_core=key[1], count=count))
        for key, chan in net.channels.items():
            if key[2] != self.k or not chan:
                continue
            credit = self.credits.get(key, self.depth)
            while chan and credit:
                n = min(len(chan), credit, c.noc_words_per_flit)
                words = [chan.popleft() for _ in range(n)]
                credit -= n
                self.inject.append(self.codec.pack(kind=0, src_tile=key[0], src_core=key[1],
                                                   dst_tile=self.k, dst_core=key[3], count=n,
                                                   words=words))
            self.credits[key] = credit

    def _rtl_waiting(self):
        d, c = self.dut, self.config
        stuck = _int(d.smem_stuck.value) or 0
        noc = _int(d.noc_waiting.value) or 0
        for i in range(c.cores_per_tile):
            halted = _int(getattr(d, f"c{i}_halted").value)
            error = _int(getattr(d, f"c{i}_error").value)
            if not (halted or error or (stuck >> i & 1) or (noc >> i & 1)):
                return False
        return not _int(d.noc_busy.value)

    async def run(self, image, max_cycles):
        from panther.isa.golden.node import merge_events

        c, d = self.config, self.dut
        node = self._golden_node(image)
        self.network, self.depth = node.network, c.noc_fifo_depth
        await self.bench.reset()
        own = image.tiles[self.k]
        self.bench.start_analog(own)
        self.bench.load_smem(own)
        await _gather(*(self.bench.load_core(i, own) for i in range(c.cores_per_tile)))
        await FallingEdge(self.clock)
        for p in self.bench.ports:
            getattr(d, p["run"]).value = 1
        d.noc_tx_ready.value = 1
        cycles, quiet, stopped = 0, 0, "cycle_limit"
        while cycles < max_cycles:
            # Inputs at the falling edge; the handshakes they make happen at the next rising
            # edge, so ready/valid are sampled once they settle, before it.
            presented = self.inject[0] if self.inject else None
            d.noc_rx_valid.value = int(presented is not None)
            d.noc_rx_flit.value = presented or 0
            await ReadOnly()
            taken = presented is not None and bool(_int(d.noc_rx_ready.value))
            sent = _int(d.noc_tx_flit.value) if _int(d.noc_tx_valid.value) else None
            rtl_done = bool(_int(d.all_halted.value))
            rtl_waiting = rtl_done or self._rtl_waiting()
            await RisingEdge(self.clock)
            cycles += 1
            if taken:
                self.inject.popleft()
            if sent is not None:
                self._from_tile(sent)
            progress = False if node.done else node.step()
            self._refill()
            if rtl_done and node.done and not self.inject:
                stopped = "halted"
                break
            still = rtl_waiting and not progress and not taken and sent is None
            quiet = quiet + 1 if still else 0
            if quiet >= QUIET_CYCLES:
                stopped = "deadlock"
                break
            await FallingEdge(self.clock)
        for p in self.bench.ports:
            getattr(d, p["run"]).value = 0
        d.noc_rx_valid.value = 0
        await FallingEdge(self.clock)
        cores = await _gather(*(self.bench.dump_core(i, own) for i in range(c.cores_per_tile)))
        smem = self.bench.dump_smem()
        summary = self.bench.summary(cores, smem, cycles, max_cycles, stopped, [])
        golden = node.report().to_dict()
        return {"simulator": self.job["simulator"], "stopped": stopped, "cycles": cycles,
                "max_cycles": max_cycles, "clock_mhz": c.clock_mhz, "rtl_tile": self.k,
                "rtl": {"cores": cores, "smem": smem, "events": summary["events"]},
                "golden_tiles": golden["tiles"], "golden_rounds": golden["rounds"],
                "channels": golden["noc"]["channels"],
                "golden_events": merge_events([t["events"] for t in golden["tiles"]])}


async def run_loop_job(dut, job):
    from panther.isa.node_image import load_any_image

    start_clock(dut.clk, job["period_ps"])
    bench = LoopBench(dut, job)
    for entry in job["runs"]:
        result = await bench.run(load_any_image(entry["image"]), job["max_cycles"])
        tmp = Path(entry["result"] + ".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(entry["result"])


@cocotb.test()
async def tile_in_loop(dut):
    """Run every node image of the job with tile K on the RTL."""
    job = json.loads(Path(os.environ["PANTHER_TILE_JOB"]).read_text())
    await run_loop_job(dut, job)
