"""What the execute stage counts each cycle (:class:`~hdl.core.layouts.EventLayout`)."""

from amaranth.hdl import Value

from panther.isa.table import MCU_OPS
from panther.isa.variants import eager_updates

__all__ = ["execute_events"]

_OP = dict(MCU_OPS)


def _when(cond, value):
    """``value`` while ``cond``, else 0, as an AND: a ``Mux(cond, value, 0)`` before a
    register becomes its synchronous reset (LSR), a slow pin at the end of ``retire``
    (docs/synthesis.md, "frontq")."""
    value = Value.cast(value)
    return value & cond.replicate(len(value))


def execute_events(m, *, config, ev, ins, retire, data_port, smem, net, silent, mcu_masks,
                   mcu_started):
    """Drive the event record ``ev`` of the execute stage (combinational).

    Parameters
    ----------
    m : Module
    config : PantherConfig
    ev : EventLayout view
    ins : DecodeLayout view
        The instruction register.
    retire : Value
        The instruction retires this cycle.
    data_port : DataPortSignature interface
        The stage's operand-space port (as the core sees it).
    smem : SharedMemoryPortSignature interface
    net : NetworkTransfer
    silent : Value
        The deferred unit's copies, which count no operand access.
    mcu_masks : ArrayLayout view
        The MCU requests' masks this cycle.
    mcu_started : Value
        An ``mcu`` instruction starts its MCUs this cycle.
    """
    op, vw, n = ins.op, ins.vw, config.xbar_size
    m.d.comb += [
        ev.dp_read.eq(data_port.re & ~silent),
        ev.dp_write.eq(data_port.we & ~silent),
        ev.vfu_ops.eq(_when(retire & (op.alu | op.alui), vw)),
        ev.alu_int_ops.eq(retire & op.alu_int),
        ev.smem_reads.eq(smem.req & smem.ack & ~smem.write),
        ev.smem_writes.eq(smem.req & smem.ack & smem.write),
        ev.noc_word_sent.eq(net.sent), ev.noc_word_received.eq(net.received),
        ev.noc_flit.eq(net.flit), ev.noc_hops.eq(net.hops),
    ]

    def count(name):
        bit = _OP[name].bit_length() - 1
        return sum(mcu_masks[k][bit] for k in range(config.mcus_per_core))

    mvms, mtvms = count("mvm"), count("mtvm")
    opas = count("opa") if eager_updates(config) else 0   # variants 1-2: the copy reads them
    m.d.comb += [
        ev.xbar_in_reads.eq(_when(mcu_started, (mvms + opas) * n)),
        ev.xbar_out_writes.eq(_when(mcu_started, mvms * n)),
        ev.xbar_out_reads.eq(_when(mcu_started, (mtvms + opas) * n)),
        ev.xbar_in_writes.eq(_when(mcu_started, mtvms * n)),
    ]
