"""How a maximum-likelihood fit went: the convergence report, the covariance and advice.

:func:`diagnose` reads the optimizer's end point (gradient, Hessian, distance from the start,
parameters near the edges of the search box) and turns it into a :class:`ConvergenceReport`
whose message says what went wrong and what to try.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from customer_models.valuation._identification import describe_ridge, identification
from customer_models.valuation._optimize import OptimizationResult

__all__ = ["ConvergenceReport", "diagnose"]

#: Parameters outside this range are reported as "at a boundary".
_BOUNDARY_LOW, _BOUNDARY_HIGH = 1e-5, 1e5
#: Gradient (of the mean negative log-likelihood, log space) below which a fit is converged.
_GRADIENT_TOL = 1e-5

_ADVICE = (
    "Try: express recency/T in a time unit that makes them roughly 1-100 (e.g. weeks instead "
    "of days), set penalizer_coef (e.g. 0.001), check the data (recency is first-to-last "
    "purchase time, frequency counts repeat purchases), or use a simpler model."
)


@dataclass(frozen=True)
class ConvergenceReport:
    """How the maximum-likelihood fit went.

    Attributes
    ----------
    success : bool
        True when the optimizer converged (gradient numerically zero) and no problem below was
        found.
    n_iterations : int
        Optimizer iterations (L-BFGS-B iterations plus Newton steps).
    gradient_norm : float
        Largest absolute gradient of the mean negative log-likelihood in log-parameter space
        at the solution.
    hessian_positive_definite : bool
        Whether the Hessian at the solution is positive definite (a proper maximum; standard
        errors are available).
    at_boundary : tuple of str
        Parameters that ran towards 0 or infinity (outside 1e-5 .. 1e5).
    moved_from_start : bool
        False when the optimizer stayed at its initial point.
    flat_ridge : bool
        True when the optimum is on a flat ridge of the likelihood: the Hessian (in
        log-parameter space) is singular or indefinite, or its weakest direction has a
        standard deviation above 1 (a 95% interval wider than a factor of about 50), so some
        combination of the parameters is weakly identified.
    ridge_parameters : tuple of str
        The parameters on that ridge (the largest loadings of the eigenvector of the
        smallest Hessian eigenvalue), e.g. ``("a", "b")`` for BG/NBD when hardly anyone drops
        out; empty without a ridge.
    weakest_sd : float
        Standard deviation (log space) of the weakest combination of log-parameters,
        ``1 / sqrt(smallest eigenvalue)``; ``inf`` when that eigenvalue is not positive.
    message : str
        What the optimizer did (L-BFGS-B start, on a sample of customers for large data; Newton
        steps on all patterns; the largest gradient reached), then any problems and what to try.

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoModel
    >>> from customer_models import load_cdnow_summary
    >>> BetaGeoModel().fit(load_cdnow_summary()).convergence_.success
    True
    """

    success: bool
    n_iterations: int
    gradient_norm: float
    hessian_positive_definite: bool
    at_boundary: tuple[str, ...] = ()
    moved_from_start: bool = True
    message: str = ""
    # the identification read-out of the Hessian (model files store it too)
    flat_ridge: bool = False
    ridge_parameters: tuple[str, ...] = ()
    weakest_sd: float = field(default=math.nan, compare=False)  # NaN != NaN: not compared


def _covariance(params: np.ndarray, hess_total: np.ndarray) -> tuple[np.ndarray, bool]:
    """Delta-method covariance ``diag(p) H^-1 diag(p)`` and whether ``H`` is positive definite.

    Without a positive definite Hessian there are no standard errors: the covariance is NaN.
    """
    try:
        np.linalg.cholesky(hess_total)
        pos_def = bool(np.all(np.isfinite(hess_total)))
    except np.linalg.LinAlgError:
        pos_def = False
    if not pos_def:
        return np.full((params.size, params.size), np.nan), False
    cov_log = np.linalg.inv(hess_total)
    cov_log = 0.5 * (cov_log + cov_log.T)
    return params[:, None] * cov_log * params[None, :], True


def diagnose(
    param_names: Sequence[str],
    result: OptimizationResult,
    theta0: np.ndarray,
    n_total: float,
    *,
    log_bound: float,
) -> tuple[np.ndarray, ConvergenceReport]:
    """Covariance of the estimates and the report of a fit that ended at ``result``.

    ``theta0`` is the start (log parameters), ``n_total`` the number of customers (the
    optimizer's Hessian is per customer) and ``log_bound`` the half-width of the search box.
    """
    theta = result.theta
    params = np.exp(theta)
    grad_norm = float(np.max(np.abs(result.gradient)))
    covariance, pos_def = _covariance(params, result.hessian * n_total)
    at_boundary = tuple(
        name
        for name, p, th in zip(param_names, params, theta, strict=True)
        if p < _BOUNDARY_LOW or p > _BOUNDARY_HIGH or abs(th) > log_bound - 1.0
    )
    moved = bool(np.max(np.abs(theta - theta0)) > 1e-6)
    converged = grad_norm < _GRADIENT_TOL  # whatever the optimizer said about itself
    problems: list[str] = []
    if not converged:
        problems.append(f"the optimizer did not converge (largest gradient {grad_norm:.2g})")
    if not moved:
        problems.append("the optimizer did not move from its starting point")
    if at_boundary:
        values = dict(zip(param_names, params, strict=True))
        problems.append(
            "parameter(s) "
            + ", ".join(f"{n}={values[n]:.3g}" for n in at_boundary)
            + " ran towards 0 or infinity"
        )
    if not pos_def:
        problems.append("the Hessian is not positive definite (no standard errors)")
    found = identification(param_names, result.hessian * n_total)
    if found.flat_ridge:
        problems.append(describe_ridge(found))
    message = result.message
    if problems:
        message += "; problems: " + "; ".join(problems) + ". " + _ADVICE
    report = ConvergenceReport(
        success=not problems,
        n_iterations=result.n_iterations,
        gradient_norm=grad_norm,
        hessian_positive_definite=pos_def,
        at_boundary=at_boundary,
        moved_from_start=moved,
        message=message,
        flat_ridge=found.flat_ridge,
        ridge_parameters=found.parameters,
        weakest_sd=found.weakest_sd,
    )
    return covariance, report
