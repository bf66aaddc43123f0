"""Bit-slicing accuracy study (paper §6.2, §7.1, §7.2; issue 7).

A vectorised numpy training simulator for a small MLP on scikit-learn's bundled 8x8 digits.
Forward and backward passes use the configuration's fixed-point data format; weight updates go
through :mod:`analog_models`' bit-sliced OPA (per-step clipped slices, periodic CRS). Float
training of the same network is the baseline. See ``docs/study.md``.

Modules: :mod:`.dataset` (data), :mod:`.fixed_mlp` (fixed-point forward/backward),
:mod:`.sliced_layer` (one layer on a crossbar), :mod:`.trainer` (one training run),
:mod:`.slicing_energy` (MVM/MTVM energy of a slice configuration), :mod:`.sweep` (Fig. 9 and
Fig. 10 sweeps and their files), :mod:`.plots` (PNG figures).
"""

__all__ = []
