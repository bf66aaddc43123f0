"""Float (numpy float64) references of the example training steps, and their checks.

These references do not use the golden model or :mod:`isa.vfu_math`: they recompute the
training step of ``examples/<name>.s`` in floating point from the image's initial data
(symbols, weights, data words) and compare the golden (or RTL) final state with it. The
activations are the same PLAN approximation as the VFU (written here in float from the
paper's formula), so that the tolerance measures fixed-point error only; the report also
gives the distance to the exact ``1/(1+e^-z)`` / ``tanh`` step for information.

Tolerances (stated, and asserted by ``tests/isa/golden/test_examples.py``): activations,
deltas and gradients within :data:`ACT_TOL` (8 Q4.12 LSB), updated
weights within :data:`WEIGHT_TOL` and the weight *update* within :data:`UPDATE_REL_TOL` of
its largest element. The weight error is dominated not by rounding but by the OPA's per-step,
per-slice clipping (docs/semantics.md §3: carries stay in the slices, so the chunks of
several bit-steps can push a freshly programmed slice past its range within one OPA; CRS only
runs at ``hlt``). The measured errors are in ``docs/golden_model.md``.

The mini-batch example (``minibatch8_step``) issues 8 OPAs per crossbar and no CRS (its 16 OPAs
fill the small preset's ``deferred_depth``), so each slice accumulates the chunks of all 8
updates without a carry and the 5-bit slices 0-2 clip over and over: the update is off by
about a quarter of its size (``docs/golden_model.md``), hence its own tolerances :data:`MINIBATCH_WEIGHT_TOL` and
:data:`MINIBATCH_UPDATE_REL_TOL`. Without the clipping (exact ``W += sum_s x_s v_s^T`` on the
same fixed-point operands) it is within the ordinary tolerances, which
``tests/isa/golden/test_minibatch8.py`` asserts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from panther.errors import UserError
from panther.fixed_point import from_fixed

__all__ = ["plan_sigmoid", "plan_tanh", "ExampleCheck", "CHECKS", "EXAMPLES", "CheckError",
           "check_example", "run_check",
           "sgd_fc_reference", "mlp2_reference", "minibatch_reference", "ACT_TOL", "WEIGHT_TOL",
           "UPDATE_REL_TOL", "MINIBATCH_WEIGHT_TOL", "MINIBATCH_UPDATE_REL_TOL"]

#: Tolerance on activations, deltas and gradients (real units): 8 LSB of Q4.12.
ACT_TOL = 8 / 4096
#: Tolerance on updated weights (real units).
WEIGHT_TOL = 1e-3
#: Tolerance on the weight update, relative to the largest reference update element.
UPDATE_REL_TOL = 0.1
#: minibatch8_step: tolerance on updated weights (8 OPAs per crossbar clip without a CRS).
MINIBATCH_WEIGHT_TOL = 2e-3
#: minibatch8_step: tolerance on the weight update, relative to its largest element.
MINIBATCH_UPDATE_REL_TOL = 0.35


def plan_sigmoid(z, *, exact=False):
    """PLAN sigmoid in float (Amin et al. 1997), or the logistic function if ``exact``."""
    z = np.asarray(z, dtype=np.float64)
    if exact:
        return 1.0 / (1.0 + np.exp(-z))
    a = np.abs(z)
    y = np.where(a >= 5, 1.0,
                 np.where(a >= 2.375, a / 32 + 0.84375,
                          np.where(a >= 1, a / 8 + 0.625, a / 4 + 0.5)))
    return np.where(z < 0, 1 - y, y)


def plan_tanh(z, *, exact=False):
    """``2 sigmoid(2z) - 1`` with the PLAN sigmoid, or ``tanh`` if ``exact``."""
    z = np.asarray(z, dtype=np.float64)
    return np.tanh(z) if exact else 2 * plan_sigmoid(2 * z) - 1


def sgd_fc_reference(W, x, t, lr, *, exact=False):
    """One SGD step of ``y = sigmoid(W^T x)`` with MSE loss; returns the intermediate values."""
    z = W.T @ x
    y = plan_sigmoid(z, exact=exact)
    delta = (y - t) * y * (1 - y)
    gx = W @ delta
    return {"y": y, "delta": delta, "gx": gx, "W": W - lr * np.outer(x, delta)}


def mlp2_reference(W1, W2, x, t, lr, *, exact=False):
    """One SGD step of ``y = sigmoid(W2^T tanh(W1^T x))`` with MSE loss."""
    h = plan_tanh(W1.T @ x, exact=exact)
    y = plan_sigmoid(W2.T @ h, exact=exact)
    d2 = (y - t) * y * (1 - y)
    gh = W2 @ d2
    d1 = gh * (1 - h * h)
    return {"h": h, "y": y, "d2": d2, "d1": d1,
            "W1": W1 - lr * np.outer(x, d1), "W2": W2 - lr * np.outer(h, d2)}


def minibatch_reference(W1, W2, X, T, lr, *, exact=False):
    """One mini-batch SGD step of the two-layer perceptron of :func:`mlp2_reference`.

    ``X`` (batch, NI) and ``T`` (batch, NO) hold one sample per row. Every sample runs forward
    and backward with the starting weights; the update is ``-lr / batch`` times the summed
    outer products (the mean gradient). Returns per-sample rows ``h, y, d2, d1`` and ``W1, W2``.
    """
    X, T = np.atleast_2d(X), np.atleast_2d(T)
    H = plan_tanh(X @ W1, exact=exact)
    Y = plan_sigmoid(H @ W2, exact=exact)
    D2 = (Y - T) * Y * (1 - Y)
    D1 = (D2 @ W2.T) * (1 - H * H)
    scale = lr / len(X)
    return {"h": H, "y": Y, "d2": D2, "d1": D1,
            "W1": W1 - scale * X.T @ D1, "W2": W2 - scale * H.T @ D2}


@dataclass
class ExampleCheck:
    """Comparison of a run with the float reference.

    Members
    -------
    name : str
    rows : list of tuple
        ``(quantity, max_abs_error, tolerance, max_abs_error_vs_exact_functions)``.
    ok : bool
        Every error within its tolerance.
    """

    name: str
    rows: list = field(default_factory=list)

    @property
    def ok(self):
        return all(err <= tol for _, err, tol, _ in self.rows)

    def add(self, quantity, got, expected, tolerance, exact):
        got = np.asarray(got, dtype=np.float64)
        self.rows.append((quantity, float(np.max(np.abs(got - expected))), tolerance,
                          float(np.max(np.abs(got - exact)))))

    def add_update(self, quantity, got, before, expected, exact, tolerance=UPDATE_REL_TOL):
        """Relative error of a weight update ``got - before`` against ``expected - before``."""
        scale = float(np.max(np.abs(expected - before))) or 1.0
        got = np.asarray(got, dtype=np.float64)
        self.rows.append((quantity, float(np.max(np.abs(got - expected))) / scale, tolerance,
                          float(np.max(np.abs(got - exact))) / scale))

    def format(self):
        lines = [f"check against the float reference ({self.name}): "
                 f"{'PASS' if self.ok else 'FAIL'}",
                 f"  {'quantity':<10} {'max |error|':>12} {'tolerance':>10} {'vs exact fns':>13}"]
        for quantity, err, tol, exact in self.rows:
            flag = "" if err <= tol else "   <-- exceeds tolerance"
            lines.append(f"  {quantity:<10} {err:>12.3e} {tol:>10.1e} {exact:>13.3e}{flag}")
        return "\n".join(lines)


class CheckError(UserError):
    """A reference check that cannot run: an unknown name, or a program without the symbols
    the check reads."""


class _View:
    """Real-valued access to an image's initial data and a report's final state."""

    def __init__(self, image, report, check):
        self.check = check
        self.config = image.config
        self.image = image
        self.symbols = image.symbols
        self.cores = report["cores"] if isinstance(report, dict) else report.cores

    def sym(self, name):
        if name not in self.symbols:
            raise CheckError(f"the reference check {self.check!r} reads the symbol {name!r}, "
                             "which the program does not define (the check computes one "
                             "specific training step: see docs/examples.md)")
        return self.symbols[name]

    def data(self, region, n, core=0):
        base = self.sym(region)
        return from_fixed(self.image.rf_init[core][base:base + n], self.config.data_frac_bits)

    def smem(self, region, n):
        base = self.sym(region)
        return from_fixed(self.image.smem_init[base:base + n], self.config.data_frac_bits)

    def weights(self, mcu_name, rows, cols, core=0):
        w = self.image.weights.get((core, self.sym(mcu_name)))
        w = np.zeros((rows, cols)) if w is None else w[:rows, :cols]
        return from_fixed(w, self.config.weight_frac_bits)

    def final_rf(self, region, n, core=0):
        base = self.sym(region)
        return from_fixed(self.cores[core]["rf"][base:base + n], self.config.data_frac_bits)

    def final_weights(self, mcu_name, rows, cols, core=0):
        mcu = self.cores[core]["mcus"][self.sym(mcu_name)]
        w = np.asarray(mcu["weights"], dtype=np.int64)[:rows, :cols]
        return from_fixed(w, self.config.weight_frac_bits)


def _check_sgd_fc(image, report):
    v = _View(image, report, "sgd_fc_step")
    ni, no, lr = v.sym("NI"), v.sym("NO"), 1.0 / v.sym("LR_DIV")
    W, x, t = v.weights("L1", ni, no), v.data("x", ni), v.data("t", no)
    ref = sgd_fc_reference(W, x, t, lr)
    exact = sgd_fc_reference(W, x, t, lr, exact=True)
    check = ExampleCheck("sgd_fc_step")
    check.add("y", v.final_rf("y", no), ref["y"], ACT_TOL, exact["y"])
    check.add("delta", v.final_rf("e", no), ref["delta"], ACT_TOL, exact["delta"])
    check.add("gx", v.final_rf("gx", ni), ref["gx"], ACT_TOL, exact["gx"])
    final = v.final_weights("L1", ni, no)
    check.add("W", final, ref["W"], WEIGHT_TOL, exact["W"])
    check.add_update("dW (rel)", final, W, ref["W"], exact["W"])
    return check


def _check_mlp2(image, report, *, name="mlp2_step", layer2_core=0):
    v = _View(image, report, name)
    c2 = layer2_core
    ni, nh, no, lr = v.sym("NI"), v.sym("NH"), v.sym("NO"), 1.0 / v.sym("LR_DIV")
    W1, W2 = v.weights("L1", ni, nh), v.weights("L2", nh, no, core=c2)
    x, t = v.smem("xs", ni), v.smem("ts", no)
    ref = mlp2_reference(W1, W2, x, t, lr)
    exact = mlp2_reference(W1, W2, x, t, lr, exact=True)
    check = ExampleCheck(name)
    check.add("h", v.final_rf("h", nh), ref["h"], ACT_TOL, exact["h"])
    check.add("y", v.final_rf("y", no, core=c2), ref["y"], ACT_TOL, exact["y"])
    check.add("d2", v.final_rf("d2", no, core=c2), ref["d2"], ACT_TOL, exact["d2"])
    check.add("d1", v.final_rf("d1", nh), ref["d1"], ACT_TOL, exact["d1"])
    final1, final2 = v.final_weights("L1", ni, nh), v.final_weights("L2", nh, no, core=c2)
    check.add("W1", final1, ref["W1"], WEIGHT_TOL, exact["W1"])
    check.add("W2", final2, ref["W2"], WEIGHT_TOL, exact["W2"])
    check.add_update("dW1 (rel)", final1, W1, ref["W1"], exact["W1"])
    check.add_update("dW2 (rel)", final2, W2, ref["W2"], exact["W2"])
    return check


def _check_mlp2_pipeline(image, report):
    return _check_mlp2(image, report, name="mlp2_pipeline", layer2_core=1)


def _check_minibatch8(image, report):
    v = _View(image, report, "minibatch8_step")
    ni, nh, no, batch = v.sym("NI"), v.sym("NH"), v.sym("NO"), v.sym("BATCH")
    lr = 1.0 / v.sym("LR_DIV")
    W1, W2 = v.weights("L1", ni, nh), v.weights("L2", nh, no)
    X = v.smem("xs", ni * batch).reshape(batch, ni)
    T = v.smem("ts", no * batch).reshape(batch, no)
    ref = minibatch_reference(W1, W2, X, T, lr)
    exact = minibatch_reference(W1, W2, X, T, lr, exact=True)
    check = ExampleCheck("minibatch8_step")
    for name, width in (("h", nh), ("y", no), ("d2", no), ("d1", nh)):
        got = v.final_rf(name, width * batch).reshape(batch, width)
        check.add(name, got, ref[name], ACT_TOL, exact[name])
    final1, final2 = v.final_weights("L1", ni, nh), v.final_weights("L2", nh, no)
    check.add("W1", final1, ref["W1"], MINIBATCH_WEIGHT_TOL, exact["W1"])
    check.add("W2", final2, ref["W2"], MINIBATCH_WEIGHT_TOL, exact["W2"])
    check.add_update("dW1 (rel)", final1, W1, ref["W1"], exact["W1"],
                     tolerance=MINIBATCH_UPDATE_REL_TOL)
    check.add_update("dW2 (rel)", final2, W2, ref["W2"], exact["W2"],
                     tolerance=MINIBATCH_UPDATE_REL_TOL)
    return check


#: Reference check name -> check(image, report) -> ExampleCheck. A program names its check
#: with the ``.check NAME`` directive (or ``panther run --check NAME``); a check reads the
#: symbols of the training step it recomputes, so it fits that step's programs only.
CHECKS = {"sgd_fc_step": _check_sgd_fc, "mlp2_step": _check_mlp2,
          "mlp2_pipeline": _check_mlp2_pipeline, "minibatch8_step": _check_minibatch8}

#: The former name of :data:`CHECKS` (each example under examples/ names its check).
EXAMPLES = CHECKS


def run_check(name, image, report):
    """Run the reference check ``name`` on the final state ``report`` of ``image``.

    Raises :class:`CheckError` for an unknown name or a program that lacks a symbol the
    check reads (a user error, exit status 2, not a crash)."""
    check = CHECKS.get(name)
    if check is None:
        import difflib

        close = difflib.get_close_matches(str(name), list(CHECKS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise CheckError(f"unknown reference check {name!r}{hint} (checks: "
                         f"{', '.join(sorted(CHECKS))})")
    return check(image, report)


def check_example(name, image, report):
    """The check ``name`` of ``image``'s final state, or None if there is no such check."""
    return None if name not in CHECKS else run_check(name, image, report)
