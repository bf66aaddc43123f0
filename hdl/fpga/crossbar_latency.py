"""What the FPGA's digital crossbar (:mod:`.digital_crossbar`) accepts and how long its
analog transactions take."""

from panther.config import PantherConfig
from panther.hdl.ports import AnalogOp

__all__ = ["answer_latency", "check_ideal"]


def check_ideal(config):
    """Raise ``ValueError`` unless ``config`` is ideal (``adc_bits == 0`` and every noise field
    0): only then are the ADC codes the exact column sums the digital crossbar computes."""
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    if config.adc_bits != 0 or not config.noise.ideal:
        raise ValueError("the digital crossbar emulates the ideal crossbar only: adc_bits "
                         f"must be 0 (not {config.adc_bits!r}) and every noise field 0 "
                         f"(not {config.noise!r})")
    return config


def answer_latency(config, op, *, step=0):
    """Cycles from ``req`` rising to ``ack`` (1: in the same cycle) of one transaction of the
    :class:`DigitalCrossbar` with the :class:`AnalogOp` bits ``op`` (``step``: the request's
    step, used by an OPA beside an MVM/MTVM).

    IDLE, the last NEXT_OP and ACK take 3 cycles; each flag one NEXT_OP cycle and: MVM or
    MTVM a sweep of ``xbar_size + 2`` (row addresses, read, two pipeline stages; the MTVM's
    third, the code into its row's register, is in the NEXT_OP after the sweep); an OPA
    alone one OPA_SKIP cycle and ``input_steps`` sweeps of ``xbar_size + 1`` with an OPA_NEXT
    between; an OPA beside a sample ``step + 1`` OPA_SKIP cycles and one sweep; READ one (two
    after an OPA: the last row's write is still registered); WRITE one (its state: the row
    comes through two registers).
    """
    op, n = AnalogOp(op), config.xbar_size
    flags = [f for f in (AnalogOp.MVM, AnalogOp.MTVM, AnalogOp.OPA, AnalogOp.READ,
                         AnalogOp.WRITE) if f in op]
    cycles = 3 + len(flags)
    cycles += (n + 2) * len([f for f in flags if f in AnalogOp.MVM | AnalogOp.MTVM])
    if AnalogOp.OPA in op:
        if op == AnalogOp.OPA:
            cycles += 1 + config.input_steps * (n + 2) - 1
        else:
            cycles += step + 1 + n + 1
    if AnalogOp.READ in op:
        cycles += 2 if AnalogOp.OPA in op else 1
    if AnalogOp.WRITE in op:
        cycles += 1
    return cycles
