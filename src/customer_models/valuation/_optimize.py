"""The maximum-likelihood optimizer behind every valuation model.

Two stages, both deterministic:

1. **Coarse**: L-BFGS-B with the analytic gradient in log-parameter space, from the model's
   starting point. On large data it runs on a fixed-seed weighted subsample of the patterns
   (``COARSE_SAMPLE`` customers): its optimum lies within a few standard errors of the full
   one, at a fraction of the cost.
2. **Newton on all patterns** from there, with the model's analytic Hessian when it declares
   one (``_loglik_derivatives``; a model that declares only its log-likelihood gets one by
   second differences) and a forward-difference Hessian of the analytic gradient otherwise,
   until the largest gradient component is below ``NEWTON_TOL``. Newton converges
   quadratically near the optimum, so the published digits come in a few full passes.

A model may name other coordinates for the Newton stage (:class:`Coordinates`): Newton is
invariant to linear changes of coordinates but not to nonlinear ones, and a likelihood that
is nearly quadratic in the model's coordinates takes a few Newton steps where it would take
dozens in log space (Pareto/NBD along its low-dropout ridge).

If Newton cannot proceed (Hessian not positive definite, no progress), a strict L-BFGS-B run on
all patterns takes over, as a plain quasi-Newton fit would.

This module is the driver. What it minimizes (the penalized objective, the coordinates) is in
:mod:`customer_models.valuation._fit_objective`; the model's derivatives, declared or by
finite differences, in :mod:`customer_models.valuation._derivatives`. Their names are
re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize
from threadpoolctl import threadpool_limits

from customer_models.valuation._derivatives import Derivatives, dot, gradient_derivatives
from customer_models.valuation._fit_objective import Coordinates, Objective, Reparametrized

#: Called once per optimizer iteration (an L-BFGS-B iteration or an accepted Newton step).
OnStep = Callable[[], Any]

#: The coordinate view under its former private name (the tests use it).
_Reparametrized = Reparametrized

__all__ = [
    "COARSE_SAMPLE",
    "NEWTON_TOL",
    "Coordinates",
    "Derivatives",
    "Objective",
    "OptimizationResult",
    "coarse_sample",
    "dot",
    "gradient_derivatives",
    "maximize",
]

#: Customers drawn for the coarse stage; used when the data has over twice as many patterns.
COARSE_SAMPLE = 20_000
#: Target largest gradient of the mean negative log-likelihood (log space).
NEWTON_TOL = 1e-9
#: A Hessian taken where the largest gradient was below this is reused for the covariance.
_HESSIAN_REUSE_GRAD = 1e-8
_COARSE_OPTIONS = {"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8, "maxcor": 20}
_STRICT_OPTIONS = {"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20}
#: On a sample the L-BFGS-B optimum only starts Newton on all patterns (the sample's own optimum
#: is a few standard errors from the full one): a gradient of 1e-7 is close enough, and at
#: 1e-8, the rounding level of the sample's mean log-likelihood, its line search can spend
#: dozens of passes failing to decrease the value before it stops ("ABNORMAL"). Not when the
#: model names Newton coordinates: Newton then finishes on the sample, and each of its steps
#: with a difference Hessian costs k + 1 passes where an L-BFGS-B iteration costs one.
_SAMPLE_OPTIONS = {**_COARSE_OPTIONS, "gtol": 1e-7}


@dataclass
class OptimizationResult:
    """Where the optimizer ended, and how."""

    theta: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray
    n_iterations: int
    optimizer_success: bool
    message: str


def coarse_sample(
    columns: tuple[np.ndarray, ...], weights: np.ndarray, size: int | None = None
) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
    """Draw a fixed-seed weighted subsample of the patterns (None when the data is small).

    Draws ``size`` (default ``COARSE_SAMPLE``) customers with probability proportional to the
    pattern weights; the drawn patterns keep their draw counts as weights.

    Examples
    --------
    >>> import numpy as np
    >>> cols = (np.arange(300_000.0),)
    >>> sample_cols, sample_w = coarse_sample(cols, np.ones(300_000), size=1000)
    >>> int(sample_w.sum()), bool(sample_cols[0].size <= 1000)
    (1000, True)
    >>> coarse_sample(cols, np.ones(300_000), size=200_000) is None
    True
    """
    size = COARSE_SAMPLE if size is None else size
    if weights.size <= 2 * size:
        return None
    rng = np.random.default_rng(20051)  # fixed: fits are deterministic
    cumulative = np.cumsum(weights)
    draws = np.searchsorted(cumulative, rng.uniform(0.0, cumulative[-1], size), side="right")
    counts = np.bincount(np.minimum(draws, weights.size - 1), minlength=weights.size)
    keep = counts > 0
    return tuple(c[keep] for c in columns), counts[keep].astype(np.float64)


def _largest(gradient: np.ndarray) -> float:
    """Largest absolute gradient component, the convergence measure throughout."""
    return float(np.max(np.abs(gradient)))


def _log_largest(
    objective: Objective | Reparametrized, point: np.ndarray, grad: np.ndarray
) -> float:
    """Largest log-space gradient component: Newton stops on it in any coordinates."""
    return _largest(objective.log_gradient(point, grad))


def _newton(
    objective: Objective | Reparametrized,
    theta: np.ndarray,
    bound: float,
    start_hessian: np.ndarray | None = None,
    max_steps: int = 50,
    on_step: OnStep | None = None,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, int, bool]:
    """Damped Newton steps; returns ``(theta, value, grad, hess, steps, converged)``.

    ``on_step`` is called after each accepted step (progress reports).

    With an analytic Hessian every step uses a fresh one. A difference Hessian costs ``k``
    extra passes, so it is reused (chord steps) while each step still shrinks the gradient
    tenfold; ``start_hessian`` (e.g. from the coarse sample) saves the first one. The Hessian
    returned for the covariance is one computed on ``objective`` at the final point or at a
    point already within rounding of it (largest gradient below ``_HESSIAN_REUSE_GRAD``).
    """
    if start_hessian is None:
        value, grad, hess = objective.with_hessian(theta)
        hess_at: np.ndarray | None = theta  # the point where hess was computed on objective
    else:
        value, grad = objective(theta)
        hess, hess_at = start_hessian, None
    hess_grad = _largest(grad) if hess_at is not None else math.inf  # largest gradient there
    analytic = objective.analytic_hessian
    steps = 0
    while steps < max_steps and _log_largest(objective, theta, grad) >= NEWTON_TOL:
        fresh = hess_at is theta
        try:
            np.linalg.cholesky(hess)
            direction = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            direction = np.full_like(theta, np.nan)
        cand = theta
        accepted = False
        finite = bool(np.all(np.isfinite(direction)))
        length = objective.step_limit(theta, direction) if finite else 1.0
        for _ in range(30 if finite else 0):
            cand = objective.project(theta + length * direction, bound)
            if analytic:
                cand_value, cand_grad, cand_hess = objective.with_hessian(cand)
            else:
                cand_value, cand_grad = objective(cand)
            if math.isfinite(cand_value) and (
                cand_value < value
                # at the optimum values tie to rounding: accept a smaller gradient then
                or (
                    _largest(cand_grad) < _largest(grad)
                    and cand_value <= value + 1e-12 * max(1.0, abs(value))
                )
            ):
                accepted = True
                break
            length *= 0.5
        if not accepted:
            if fresh:
                break
            value, grad, hess = objective.with_hessian(theta)  # stale Hessian: refresh, retry
            hess_at, hess_grad = theta, _largest(grad)
            continue
        shrink = _largest(cand_grad) / max(_largest(grad), 1e-300)
        theta, value, grad = cand, cand_value, cand_grad
        steps += 1
        if on_step is not None:
            on_step()
        if analytic:
            hess, hess_at, hess_grad = cand_hess, theta, _largest(grad)
        elif shrink > 0.1 and _log_largest(objective, theta, grad) >= NEWTON_TOL:
            hess = objective.difference_hessian(theta, grad)
            hess_at, hess_grad = theta, _largest(grad)
    if hess_at is not theta and hess_grad > max(_HESSIAN_REUSE_GRAD, _largest(grad)):
        hess = objective.difference_hessian(theta, grad)
    return theta, value, grad, hess, steps, _log_largest(objective, theta, grad) < NEWTON_TOL


def _newton_in(
    objective: Objective,
    coordinates: Coordinates | None,
    theta: np.ndarray,
    bound: float,
    start_hessian: np.ndarray | None = None,
    on_step: OnStep | None = None,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, int, bool]:
    """:func:`_newton` in ``coordinates``; the result in log space.

    ``start_hessian`` is in ``coordinates``. Convergence is judged on the log-space gradient,
    as without coordinates.
    """
    if coordinates is None:
        return _newton(objective, theta, bound, start_hessian, on_step=on_step)
    view = Reparametrized(objective, coordinates)
    phi, value, grad, hess, steps, _ = _newton(
        view, coordinates.from_theta(theta), bound, start_hessian, on_step=on_step
    )
    theta, grad, hess = view.to_log_space(phi, grad, hess)
    return theta, value, grad, hess, steps, _largest(grad) < NEWTON_TOL


def _describe(result: optimize.OptimizeResult) -> str:
    """L-BFGS-B's outcome in words (its own message can be a bare "ABNORMAL: ")."""
    text = str(result.message).strip().rstrip(":").strip()
    if text.upper().startswith("ABNORMAL"):
        text = "line search failed (ABNORMAL)"
    return f"{text.lower()}, {int(result.nit)} iterations"


def _lbfgsb(
    objective: Objective,
    theta0: np.ndarray,
    bound: float,
    options: dict[str, Any],
    on_step: OnStep | None = None,
) -> optimize.OptimizeResult:
    return optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-bound, bound)] * theta0.size,
        options=options,
        callback=None if on_step is None else (lambda _theta: on_step()),
    )


# BLAS threads only cost here: the problems are tiny (k parameters) and OpenBLAS threads spin
# while waiting, which slowed L-BFGS-B's own small linear algebra tenfold on a busy machine.
# The limit is scoped to the call.
@threadpool_limits.wrap(limits=1, user_api="blas")
def maximize(
    derivatives: Derivatives,
    columns: tuple[np.ndarray, ...],
    weights: np.ndarray,
    theta0: np.ndarray,
    *,
    penalizer: float,
    bound: float,
    coordinates: Coordinates | None = None,
    penalty_scale: np.ndarray | None = None,
    on_step: OnStep | None = None,
) -> OptimizationResult:
    """Maximize the weighted log-likelihood over ``theta = log(params)`` in ``[-bound, bound]``.

    Parameters
    ----------
    derivatives : callable
        ``(params, weights, *columns, hessian=bool) -> (ll, grad, hess or None)``, weighted
        totals on the natural parameter scale.
    columns, weights : arrays
        The patterns and their weights.
    theta0 : numpy.ndarray
        Starting point (log scale).
    penalizer, bound : float
        L2 penalty on the natural parameters divided by ``penalty_scale``; box on the log
        parameters.
    coordinates : Coordinates, optional
        Where the Newton stage steps (default: log space). Everything returned is in log
        space.
    penalty_scale : numpy.ndarray, optional
        Divisor of each parameter in the penalty (default ones; see
        :func:`~customer_models.valuation._fit_objective.penalty_scale`).
    on_step : callable, optional
        Called with no arguments after every iteration of every stage (L-BFGS-B iterations,
        Newton steps), e.g. ``Progress.advance``; it does not change the result.

    Returns
    -------
    OptimizationResult

    Examples
    --------
    >>> import numpy as np
    >>> def derivatives(p, w, x, hessian=False):  # Poisson rate, ll = x log(lam) - lam
    ...     ll = float(w @ (x * np.log(p[0]) - p[0]))
    ...     grad = np.array([w @ (x / p[0] - 1.0)])
    ...     return ll, grad, (np.array([[-(w @ x) / p[0] ** 2]]) if hessian else None)
    >>> x = np.array([0.0, 1.0, 2.0, 5.0]); w = np.array([1.0, 2.0, 3.0, 4.0])
    >>> res = maximize(derivatives, (x,), w, np.zeros(1), penalizer=0.0, bound=25.0)
    >>> round(float(np.exp(res.theta[0])), 10), round(float(w @ x / w.sum()), 10)
    (2.8, 2.8)
    """
    n_total = float(weights.sum())
    full = Objective(derivatives, columns, weights, n_total, penalizer, penalty_scale)
    sample = coarse_sample(columns, weights)
    if sample is None:
        coarse = full
    else:
        sample_columns, sample_weights = sample
        coarse = Objective(
            derivatives,
            sample_columns,
            sample_weights,
            float(sample_weights.sum()),
            penalizer,
            penalty_scale,
        )
    loose = coarse is not full and coordinates is None
    res = _lbfgsb(coarse, theta0, bound, _SAMPLE_OPTIONS if loose else _COARSE_OPTIONS, on_step)
    start = np.asarray(res.x, dtype=np.float64)
    start_hessian = None
    if coarse is not full:
        # the sample's difference Hessian (k cheap passes) starts the chord steps on all data
        if coordinates is not None:
            # the model's coordinates let Newton finish on the sample in cheap passes (the
            # L-BFGS-B stop can be far along a flat ridge); its last Hessian starts all data
            phi, _, _, start_hessian, _, _ = _newton(
                Reparametrized(coarse, coordinates),
                coordinates.from_theta(start),
                bound,
                on_step=on_step,
            )
            start = coordinates.to_theta(phi)
        else:
            coarse_hessian = coarse.with_hessian(start)[2]
            if not coarse.analytic_hessian:
                start_hessian = coarse_hessian
    theta, value, grad, hess, steps, converged = _newton_in(
        full, coordinates, start, bound, start_hessian, on_step
    )
    n_iterations = int(res.nit) + steps
    where = "all patterns" if coarse is full else f"a sample of {int(coarse.n_total):,} customers"
    stages = [f"L-BFGS-B on {where}: {_describe(res)}", f"Newton on all patterns: {steps} step(s)"]
    if not converged:
        # Newton could not finish (e.g. the Hessian is indefinite on the way): a strict
        # quasi-Newton run on all patterns, then Newton again from where it stopped.
        strict = _lbfgsb(full, theta, bound, _STRICT_OPTIONS, on_step)  # no worse than start
        theta, value, grad, hess, steps, converged = _newton_in(
            full, coordinates, np.asarray(strict.x, dtype=np.float64), bound, on_step=on_step
        )
        n_iterations += int(strict.nit) + steps
        stages += [
            f"Newton stalled, then L-BFGS-B on all patterns: {_describe(strict)}",
            f"Newton: {steps} step(s)",
        ]
        res = strict
    outcome = "converged" if converged else "not converged"
    message = f"{outcome} (largest gradient {_largest(grad):.1e}); " + "; ".join(stages)
    return OptimizationResult(
        theta=theta,
        value=value,
        gradient=grad,
        hessian=hess,
        n_iterations=n_iterations,
        optimizer_success=bool(res.success) or converged,
        message=message,
    )
