"""Event counters of a golden-model run (inputs of the energy/latency model)."""

from __future__ import annotations

from collections import Counter

__all__ = ["EventCounter"]


class EventCounter:
    """Counts what a tile did.

    Members
    -------
    totals : collections.Counter
        Flat counters: ``vfu_ops`` (element operations), ``vfu_<fn>``, ``alu_int_ops``,
        ``rf_reads``/``rf_writes`` and ``xbar_buffer_reads``/``xbar_buffer_writes`` (operand
        words of instructions; an MVM reads its XBarIn, an MTVM its XBarOut, an OPA both, and
        their results are written), ``smem_reads``/``smem_writes`` (completed words).
    instructions : collections.Counter
        Retired instructions by assembly name (``beq`` etc. for branches).
    mcu : dict
        ``(core, mcu) -> Counter`` of ``mvm``, ``mtvm``, ``opa``, ``crs`` (issued) and
        ``opa_applied``, ``crs_applied`` (executed at ``hlt``).
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

    def count_mcu(self, core, mcu, op):
        self.mcu.setdefault((core, mcu), Counter())[op] += 1

    def to_dict(self, config):
        """JSON-ready dict; adds the events implied by the MCU operations.

        ``adc_conversions`` = ``input_steps * xbar_size * n_slices`` per MVM and per MTVM;
        ``mvm_steps``/``mtvm_steps``/``opa_steps`` = ``input_steps`` per operation (each
        step drives every slice of one crossbar copy); ``serial_read_rows`` and
        ``serial_write_rows`` = ``n_slices * xbar_size`` per CRS.
        """
        steps, n, slices = config.input_steps, config.xbar_size, config.n_slices
        ops = Counter()
        for counter in self.mcu.values():
            ops.update(counter)
        derived = {
            "mvm_steps": ops["mvm"] * steps,
            "mtvm_steps": ops["mtvm"] * steps,
            "opa_steps": ops["opa_applied"] * steps,
            "adc_conversions": (ops["mvm"] + ops["mtvm"]) * steps * n * slices,
            "serial_read_rows": ops["crs_applied"] * slices * n,
            "serial_write_rows": ops["crs_applied"] * slices * n,
        }
        return {
            "instructions": dict(sorted(self.instructions.items())),
            "instructions_total": sum(self.instructions.values()),
            "mcu": [{"core": core, "mcu": m, **{op: counter[op] for op in
                     ("mvm", "mtvm", "opa", "crs", "opa_applied", "crs_applied")}}
                    for (core, m), counter in sorted(self.mcu.items())],
            "mcu_totals": {op: ops[op] for op in ("mvm", "mtvm", "opa", "crs")},
            **dict(sorted(self.totals.items())),
            **derived,
        }
