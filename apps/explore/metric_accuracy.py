"""Metric ``accuracy``: test accuracy after training the workload on the digits.

The point's compiled kernel runs ``steps`` invocations on the golden model
(:func:`compiler.train.train`), one batch of the bundled digits each, CRS every
``crs_period`` invocations, with the MCUs of option ``mcu``: ``"analog"`` (default: the
behavioural analog models with every non-ideality of ``config.noise`` and the ADC width of
``adc_bits``, one device per MCU for the whole run) or ``"exact"`` (integer arithmetic).
``accuracy`` is measured on the held-out digits after the last invocation with the forward
pass through the devices (ADCs and read noise included); ``readout_accuracy`` reads the
devices' nearest digits instead (the weights as a serial read would see them, without noise),
``float_accuracy`` is the float64 twin trained on the same batches. The workload needs at
least 64 inputs and 10 outputs (the digits).
"""

from __future__ import annotations

from .metrics import Column, Metric, Option, register_metric
from .points import model_fingerprint

__all__ = ["ACCURACY"]


def _columns(options):
    return (
        Column("accuracy", "", "max", "test accuracy after the last step, inference through the devices"),
        Column("readout_accuracy", "", None, "test accuracy of the devices' nearest digits"),
        Column("float_accuracy", "", None, "test accuracy of the float64 twin"),
        Column("final_loss", "", None, "mean batch MSE over the last min(50, steps) steps"),
        Column("overflow_steps", "", None, "steps in which a core's sticky overflow flag was set"),
    )


def _share(point, options):
    return {"config": point.config.to_dict(), "model": model_fingerprint(point.model)}


def _compute(point, options):
    from panther.compiler.train import train

    result = train(point.model, config=point.config, steps=options["steps"], mcu=options["mcu"])
    tail = min(50, len(result.loss))
    return {
        "accuracy": result.analog_accuracy if result.analog_accuracy is not None else result.accuracy[-1],
        "readout_accuracy": result.accuracy[-1],
        "float_accuracy": result.float_accuracy[-1],
        "final_loss": sum(result.loss[-tail:]) / tail,
        "overflow_steps": result.overflow_steps,
    }


ACCURACY = register_metric(Metric(
    name="accuracy", doc=__doc__.splitlines()[0], columns=_columns, compute=_compute, share=_share,
    options=(Option("steps", 100, "int", "kernel invocations (one batch each)", minimum=1),
             Option("mcu", "analog", "str", "MCU model: analog or exact", choices=("analog", "exact")))))
