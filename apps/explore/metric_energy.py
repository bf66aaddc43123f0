"""Metric ``energy``: energy and serialised time of one training step, from event counts.

The workload's kernel (and its CRS twin) is compiled for the point and run once on the golden
model; the event counts of each run (``events["energy_events"]``, the counts ``panther run``
reports) are priced by :class:`analog_models.energy.EnergyModel` of the point's
configuration. Event counts do not depend on the device non-idealities, so points that differ
only in ``noise.*`` share one computation. Time is the energy model's **serialised** latency
(every event one after the other: an upper bound that ignores overlap, see
``analog_models/energy.py``), not an execution time; ``rtl_cycles`` measures that.
"""

from __future__ import annotations

from panther.config import NoiseConfig

from .metrics import Column, Metric, register_metric
from .points import model_fingerprint

__all__ = ["ENERGY", "step_energy"]

#: Energy events of the converters (the part wider slices and more ADC bits cost).
_ADC_EVENTS = ("adc_conversion",)


def _columns(options):
    return (
        Column("energy_per_step_pj", "pJ", "min",
               "energy of one training step with the CRS cost spread over its period "
               "((P-1) plain steps + 1 CRS step) / P"),
        Column("energy_step_pj", "pJ", None, "energy of a step without CRS"),
        Column("energy_crs_step_pj", "pJ", None, "energy of a step that ends with a CRS"),
        Column("adc_energy_share", "", None, "fraction of a plain step's energy spent in ADC conversions"),
        Column("serial_time_per_step_ns", "ns", "min",
               "serialised latency of a step, CRS spread over its period (an upper bound)"),
    )


def _share(point, options):
    config = point.config.to_dict()
    config.pop("noise")
    config.pop("analog_latency")        # the co-simulation's answer only
    return {"config": config, "model": model_fingerprint(point.model)}


def step_energy(model, config, *, crs=False):
    """``(EnergyReport, events dict)`` of one invocation of the compiled kernel."""
    from panther.analog_models.energy import EnergyModel
    from panther.compiler import compile_model
    from panther.compiler.errors import CompileError
    from panther.isa.golden import run_image

    kernel = compile_model(model, config=config, crs=crs)
    run = run_image(kernel.image)
    if not run.ok:
        raise CompileError("the kernel faulted on the golden model: "
                           + "; ".join(c["fault_message"] for c in run.cores if c["fault_message"]))
    return EnergyModel(config).breakdown(run.events["energy_events"]), run.events


def _compute(point, options):
    config = point.config.replace(noise=NoiseConfig())
    plain, _ = step_energy(point.model, config)
    period = point.model.train.crs_period
    with_crs, _ = step_energy(point.model, config, crs=True)
    adc = sum(r.total_energy_pj for r in plain.rows if r.event in _ADC_EVENTS)

    def spread(a, b):
        return ((period - 1) * a + b) / period

    return {
        "energy_per_step_pj": spread(plain.total_energy_pj, with_crs.total_energy_pj),
        "energy_step_pj": plain.total_energy_pj,
        "energy_crs_step_pj": with_crs.total_energy_pj,
        "adc_energy_share": adc / plain.total_energy_pj if plain.total_energy_pj else 0.0,
        "serial_time_per_step_ns": spread(plain.total_latency_ns, with_crs.total_latency_ns),
    }


ENERGY = register_metric(Metric(
    name="energy", doc=__doc__.splitlines()[0], columns=_columns, compute=_compute, share=_share))
