"""The count model: event counts of a compiled conv kernel without running it.

Every instruction of a compiled kernel does a fixed amount of work (no data-dependent
branches), so the events the golden model counts (:class:`isa.events.EventCounter`) follow
from the scheduled instructions of every core. :func:`kernel_events` counts them from a
:class:`compiler.conv_kernel.Built` with the rules of docs/golden_model.md and
``isa/events.py``, and returns the same dict as a golden run's ``report.events``; the tests
check they are equal, word for word, on every kernel that runs.

For kernels too large for one tile (the VGG-16 layers of Table 4), :func:`network_events`
builds the kernel without the tile's limits (cores numbered on past ``cores_per_tile``,
unlimited deferred updates, imem and shared memory unchecked) and counts it. Samples run
one after another with the same code, so a batch of ``B`` costs ``c(1) + (B - 1) (c(2) -
c(1))``: the model builds batches of 1 and 2 and extrapolates (tests check the rule against
directly built batches and golden runs).
"""

from __future__ import annotations

from panther.isa import variants
from panther.isa.events import EventCounter

from .conv_kernel import build_network
from .ir import MCU_OPS, Buf
from .partition import needs

__all__ = ["kernel_events", "network_events", "kernel_shape", "extrapolate", "at_batch"]


def _region_words(ref, config):
    """``{'rf': n, 'xbar_in': n, 'xbar_out': n}`` of the words a reference covers."""
    if isinstance(ref.base, Buf):
        return {f"xbar_{ref.base.kind}": ref.length}
    return {"rf": ref.length}


def _raw_region(addr, width, config):
    """Region words of a raw core address range (the unary ``alu`` reads ``src2 = 0``)."""
    n, rf = config.xbar_size, config.rf_depth
    out = {"rf": max(0, min(addr + width, rf) - addr), "xbar_in": 0, "xbar_out": 0}
    lo, hi = max(addr, rf) - rf, addr + width - rf
    while lo < hi:
        end = min(hi, (lo // n + 1) * n)
        out["xbar_in" if (lo // n) % 2 == 0 else "xbar_out"] += end - lo
        lo = end
    return out


class _Counter:
    def __init__(self, config):
        self.config = config
        self.events = EventCounter()

    def access(self, regions, kind):
        for region, words in regions.items():
            self.events.add(f"{region}_{kind}", words)

    def core(self, core, groups):
        c, ev = self.config, self.events
        n, eager = c.xbar_size, variants.eager_updates(c)
        deferred, dirty = [], set()
        for group in groups:
            op = group[0]
            kind = op.kind
            if kind in ("ld", "st", "cp", "crs"):
                ev.count_instruction(kind)
            if kind == "ld":
                ev.add("smem_reads", op.dst.length)
                self.access(_region_words(op.dst, c), "writes")
            elif kind == "st":
                ev.add("smem_writes", op.srcs[0].length)
                self.access(_region_words(op.srcs[0], c), "reads")
            elif kind == "cp":
                self.access(_region_words(op.srcs[0], c), "reads")
                self.access(_region_words(op.dst, c), "writes")
            elif kind in ("alu", "alui"):
                ev.count_instruction(kind)
                vw = op.dst.length
                self.access(_region_words(op.srcs[0], c), "reads")
                if kind == "alu":           # src2 is read even by a unary function (encoded 0)
                    second = (_region_words(op.srcs[1], c) if len(op.srcs) > 1
                              else _raw_region(0, vw, c))
                    self.access(second, "reads")
                if op.fn == "sna":
                    self.access(_region_words(op.dst, c), "reads")
                self.access(_region_words(op.dst, c), "writes")
                ev.add("vfu_ops", vw)
                ev.add(f"vfu_{op.fn}", vw)
            elif kind == "mcu":
                ev.count_instruction("mcu")
                masks = {}
                for o in group:
                    for part in o.parts:
                        masks[o.mcu] = masks.get(o.mcu, 0) | MCU_OPS[part]
                for m in sorted(masks):
                    if masks[m] & MCU_OPS["opa"]:
                        if not eager:
                            deferred.append(("opa", m))
                            ev.add("smem_writes", 2 * n)
                        ev.count_mcu(core, m, "opa")
                        ev.add("xbar_in_reads", n)
                        ev.add("xbar_out_reads", n)
                for m in sorted(masks):
                    mask = masks[m]
                    started = mask if eager else mask & (MCU_OPS["mvm"] | MCU_OPS["mtvm"])
                    ev.count_mcu(core, m, "requests", variants.transactions(c, started))
                    if mask & MCU_OPS["mvm"]:
                        ev.count_mcu(core, m, "mvm")
                        ev.add("xbar_in_reads", n)
                        ev.add("xbar_out_writes", n)
                    if mask & MCU_OPS["mtvm"]:
                        ev.count_mcu(core, m, "mtvm")
                        ev.add("xbar_out_reads", n)
                        ev.add("xbar_in_writes", n)
                    if eager and mask & MCU_OPS["opa"]:
                        ev.count_mcu(core, m, "opa_applied")
                        dirty.add(m)
            elif kind == "crs":
                for m in range(c.mcus_per_core):
                    if not (op.mask >> m) & 1:
                        continue
                    if eager:
                        self.serial(core, m, "crs_applied")
                        dirty.add(m)
                    else:
                        deferred.append(("crs", m))
                    ev.count_mcu(core, m, "crs")
            elif kind == "hlt":
                if eager:
                    for m in sorted(dirty):
                        self.serial(core, m, "commits")
                else:
                    used = sorted({m for what, m in deferred if what == "opa"})
                    ev.add("smem_writes", 2 * n * len(used))           # park the live buffers
                    for what, m in deferred:
                        if what == "opa":
                            ev.add("smem_reads", 2 * n)
                            ev.count_mcu(core, m, "opa_applied")
                            ev.count_mcu(core, m, "requests",
                                         variants.transactions(c, variants.OPA))
                        else:
                            self.serial(core, m, "crs_applied")
                    ev.add("smem_reads", 2 * n * len(used))            # and restore them
                ev.count_instruction("hlt")
            else:
                raise AssertionError(f"no count rule for {kind!r}")

    def serial(self, core, m, what):
        self.events.count_mcu(core, m, what)
        self.events.count_mcu(core, m, "requests", 2 * self.config.n_slices * self.config.xbar_size)


def kernel_events(built, config):
    """Events of a built kernel, in the format of a golden run's ``report.events``."""
    counter = _Counter(config)
    for core, groups in enumerate(built.scheduled):
        counter.core(core, groups)
    return counter.events.to_dict(config)


def kernel_shape(built, config):
    """MCUs, cores, tiles and per-core instruction counts of a built kernel."""
    return {"mcus": built.mapping.mcus_used, "cores": built.mapping.cores_used,
            "tiles": needs(built.mapping.mcus_used, config)[1],
            "instructions": [len(groups) for groups in built.scheduled],
            "deferred": list(built.deferred), "registers": list(built.registers),
            "spills": sum(len(s) for s, _ in built.spills)}


def extrapolate(one, two, batch):
    """``one + (batch - 1) * (two - one)`` on every number of two same-shaped results."""
    if isinstance(one, dict):
        return {k: extrapolate(one[k], two[k], batch) for k in one}
    if isinstance(one, list):
        if len(one) != len(two):
            raise ValueError("batch 1 and batch 2 differ in shape: the count model cannot "
                             "extrapolate them")
        return [extrapolate(a, b, batch) for a, b in zip(one, two)]
    if isinstance(one, bool) or not isinstance(one, (int, float)):
        if one != two:
            raise ValueError(f"batch 1 and 2 differ in {one!r} / {two!r}")
        return one
    return one + (batch - 1) * (two - one)


def at_batch(model, batch):
    """``model`` training ``batch`` samples per step (SGD at 1, else mini-batch; the learning
    rate changes no count)."""
    return model.replace(train=model.train.__class__(
        algorithm="sgd" if batch == 1 else "minibatch", batch=batch, lr=model.train.lr,
        crs_period=model.train.crs_period))


def network_events(model, config, *, batch=None, crs=False, input_gradient=None, limits=False):
    """Events and shape of one training step of ``model`` at ``batch`` (default: the model's).

    Returns ``{"events": ..., "shape": ...}``. ``input_gradient`` defaults to the model's.
    Batches of 1 and 2 are built and counted;
    larger batches are extrapolated linearly (:func:`extrapolate`). ``limits=True`` refuses a
    kernel that does not fit one tile (as :func:`compiler.conv_kernel.compile_network`).
    """
    batch = model.train.batch if batch is None else batch
    if batch < 1:
        raise ValueError(f"batch must be a positive integer, not {batch!r}")

    def at(b):
        built = build_network(at_batch(model, b), config, crs=crs, input_gradient=input_gradient,
                              limits=limits)
        return {"events": kernel_events(built, config), "shape": kernel_shape(built, config)}
    if batch <= 2:
        return at(batch)
    one, two = at(1), at(2)
    peak = [max(a, b) for a, b in zip(one["shape"]["registers"], two["shape"]["registers"])]
    out = extrapolate(one, two, batch)
    out["shape"]["registers"] = peak            # a peak, not a sum: the larger of the two
    return out
