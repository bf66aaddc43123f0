"""Event counters of a golden-model run (inputs of the energy/latency model)."""

from __future__ import annotations

from collections import Counter

from . import variants

__all__ = ["EventCounter", "energy_events", "analog_transactions", "DIGITAL_EVENTS",
           "MCU_EVENTS", "ANALOG_EVENTS"]

#: Per-MCU counters: ``mvm``, ``mtvm``, ``opa``, ``crs`` issued; ``opa_applied``,
#: ``crs_applied`` carried out on the crossbars (at ``hlt`` on variants 1-2, at once on
#: variant 3); ``commits`` (variant 3 at ``hlt``); ``requests``: analog-port transactions.
MCU_EVENTS = ("mvm", "mtvm", "opa", "crs", "opa_applied", "crs_applied", "commits", "requests")

#: The analog event names of :meth:`analog_models.AnalogMCU.energy_counts`, which a
#: co-simulated run counts in the analog models themselves.
ANALOG_EVENTS = ("mvm_step", "mtvm_step", "opa_step", "adc_conversion", "dac_conversion",
                 "row_drive", "sample_hold", "shift_add", "serial_read_row", "serial_write_row")

#: The digital event counters (flat ``totals`` of :class:`EventCounter`) that the core RTL
#: counts too (:data:`hdl.core.constants.EVENT_REGS`), so an RTL report has its own.
DIGITAL_EVENTS = ("vfu_ops", "alu_int_ops", "rf_reads", "rf_writes", "xbar_in_reads",
                  "xbar_in_writes", "xbar_out_reads", "xbar_out_writes", "smem_reads",
                  "smem_writes", "noc_words_sent", "noc_words_received", "noc_flits",
                  "noc_flit_hops")


class EventCounter:
    """Counts what a tile did.

    Members
    -------
    totals : collections.Counter
        Flat counters: ``vfu_ops`` (element operations), ``vfu_<fn>``, ``alu_int_ops``;
        operand words accessed by instructions: ``rf_reads``/``rf_writes``,
        ``xbar_in_reads``/``xbar_in_writes``, ``xbar_out_reads``/``xbar_out_writes`` (an MVM
        reads its XBarIn and writes its XBarOut, an MTVM the reverse, an OPA reads both);
        ``smem_reads``/``smem_writes`` (completed words); the node's network:
        ``noc_words_sent``, ``noc_flits`` and ``noc_flit_hops`` (counted on the sending tile when
        a ``send`` retires: ``config.noc_flits(vw)`` flits, each crossing
        ``config.noc_hops(src, dst)`` links) and ``noc_words_received``.
    instructions : collections.Counter
        Retired instructions by assembly name (``beq`` etc. for branches).
    mcu : dict
        ``(core, mcu) -> Counter`` of :data:`MCU_EVENTS`.
    """

    def __init__(self):
        self.totals = Counter()
        self.instructions = Counter()
        self.mcu = {}

    def add(self, name, n=1):
        if n:
            self.totals[name] += int(n)

    def count_instruction(self, name):
        self.instructions[name] += 1

    def count_mcu(self, core, mcu, op, n=1):
        self.mcu.setdefault((core, mcu), Counter())[op] += int(n)

    def to_dict(self, config):
        """JSON-ready dict of every counter plus the events implied by the MCU operations.

        ``adc_conversions`` = ``input_steps * xbar_size * n_slices`` per MVM and per MTVM;
        ``analog_transactions`` (see :func:`analog_transactions`) and ``energy_events`` (in
        :mod:`analog_models.energy` event names, see :func:`energy_events`) follow from the
        MCU counters and the variant.
        """
        ops = Counter()
        for counter in self.mcu.values():
            ops.update(counter)
        steps, n, slices = config.input_steps, config.xbar_size, config.n_slices
        out = {
            "instructions": dict(sorted(self.instructions.items())),
            "instructions_total": sum(self.instructions.values()),
            "mcu": [{"core": core, "mcu": m, **{op: counter[op] for op in MCU_EVENTS}}
                    for (core, m), counter in sorted(self.mcu.items())],
            "mcu_totals": {op: ops[op] for op in MCU_EVENTS},
            **{name: self.totals.get(name, 0) for name in DIGITAL_EVENTS},
            **dict(sorted((k, v) for k, v in self.totals.items() if k not in DIGITAL_EVENTS)),
            "adc_conversions": (ops["mvm"] + ops["mtvm"]) * steps * n * slices,
        }
        out["analog_transactions"] = analog_transactions(out["mcu_totals"], config)
        out["energy_events"] = energy_events(out, config)
        return out


def analog_transactions(ops, config):
    """Analog-port transactions by kind, as :class:`cosim.analog_port.AnalogPort` counts them.

    ``mvm``, ``mtvm``, ``opa``: one per bit-step of each operation (a transaction that runs
    MVM and MTVM together, as variants 2-3 do, counts once under each); ``read``, ``write``:
    one per row of every slice of each CRS and each variant-3 commit; ``requests``: the
    handshakes themselves (:func:`isa.variants.transactions`).
    """
    steps, rows = config.input_steps, config.n_slices * config.xbar_size
    serial = (ops["crs_applied"] + ops["commits"]) * rows
    return {"mvm": ops["mvm"] * steps, "mtvm": ops["mtvm"] * steps,
            "opa": ops["opa_applied"] * steps, "read": serial, "write": serial,
            "requests": ops["requests"]}


def energy_events(events, config):
    """Counts in the event names of :class:`analog_models.energy.EnergyModel`.

    Per MVM or MTVM: ``input_steps * n_slices`` array steps, ``input_steps * xbar_size`` row
    (or column) drives, and ``input_steps * n_slices * xbar_size`` sample-and-holds, ADC
    conversions and shift-adds. Per OPA carried out, on each copy it updates
    (:func:`isa.variants.opa_copies`: two on variant 2): ``input_steps * n_slices`` array
    steps, ``input_steps * xbar_size`` row drives and ``input_steps * n_slices * xbar_size``
    column-DAC conversions. Per CRS: ``n_slices * xbar_size`` serial row reads and as many
    writes per copy written; per variant-3 commit: as many reads and writes to two copies.
    Instruction fetches count retired instructions. Network: one ``noc_flit`` per flit sent,
    one ``noc_hop`` per flit and link crossed.
    """
    steps, n, slices = config.input_steps, config.xbar_size, config.n_slices
    ops = events["mcu_totals"]
    reads = ops["mvm"] + ops["mtvm"]
    opas = ops["opa_applied"] * len(variants.opa_copies(config))
    rows = slices * n
    counts = {
        "mvm_step": ops["mvm"] * steps * slices,
        "mtvm_step": ops["mtvm"] * steps * slices,
        "opa_step": opas * steps * slices,
        "adc_conversion": reads * steps * slices * n,
        "dac_conversion": opas * steps * slices * n,
        "row_drive": (reads + opas) * steps * n,
        "sample_hold": reads * steps * slices * n,
        "shift_add": reads * steps * slices * n,
        "serial_read_row": (ops["crs_applied"] + ops["commits"]) * rows,
        "serial_write_row": (ops["crs_applied"] * len(variants.opa_copies(config))
                             + ops["commits"] * len(variants.COMMIT_WRITE_COPIES)) * rows,
        "vfu_op": events.get("vfu_ops", 0) + events.get("alu_int_ops", 0),
        "rf_access": events.get("rf_reads", 0) + events.get("rf_writes", 0),
        "smem_access": events.get("smem_reads", 0) + events.get("smem_writes", 0),
        "imem_fetch": events["instructions_total"],
        "xbar_in_access": events.get("xbar_in_reads", 0) + events.get("xbar_in_writes", 0),
        "xbar_out_access": events.get("xbar_out_reads", 0) + events.get("xbar_out_writes", 0),
        "noc_flit": events.get("noc_flits", 0),
        "noc_hop": events.get("noc_flit_hops", 0),
    }
    return counts
