"""The PANTHER compiler (paper §5.3): a network description -> a training kernel.

A :class:`Model` (dense layers, activations, a loss, a training spec, weights) is cut into
crossbar-sized blocks placed on the MCUs of one tile (:mod:`compiler.partition`), lowered to
per-core operations (:mod:`compiler.lower`; the softmax of the cross-entropy loss in
:mod:`compiler.softmax`), cleaned up (:mod:`compiler.peephole`),
scheduled with the fusion pass (:mod:`compiler.fusion`), given registers and shared memory
(:mod:`compiler.regalloc`, :mod:`compiler.smem`) and emitted as a program image
(:mod:`compiler.codegen`, :mod:`compiler.kernel`); a batch that does not fit as straight-line
code becomes a loop over its samples (:mod:`compiler.loop`). See docs/compiler.md.
"""

from .errors import CompileError, ModelError
from .kernel import Kernel, compile_model, quantize_weights, sample_batch
from .model import Dense, Model, TrainSpec, dense
from .model_file import load_model, model_from_dict
from .partition import partition
from .report import CompileReport

__all__ = ["CompileError", "ModelError", "Kernel", "compile_model", "quantize_weights",
           "sample_batch", "Dense", "Model", "TrainSpec", "dense", "load_model",
           "model_from_dict", "partition", "CompileReport"]
