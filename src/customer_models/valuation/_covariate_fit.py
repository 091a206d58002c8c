"""Maximum likelihood for log-linear covariate links, by the chain rule from per-row derivatives.

A covariate model's parameters are per customer, ``log theta_ij = log theta_j + sum over the
links acting on j of sign * beta' z_i`` (see :class:`~customer_models.valuation._covariates.Link`).
The row log-parameters are *linear* in the unknowns ``(log theta, beta)``, so with the model's
per-row gradient ``g_i`` and Hessian ``H_i`` in its log parameters the totals are

    grad = sum_i w_i M_i' g_i,        Hessian = sum_i w_i M_i' H_i M_i,

with ``M_i`` the row's design (1 for an intercept, ``sign * z_ic`` for a coefficient; see
:class:`~customer_models.valuation._covariate_layout.LinkLayout`, re-exported here): no
second-order term. Both are accumulated over bounded blocks of rows (memory stays a small
multiple of one block) with one matrix product per pair of model parameters, and Newton's
method with a backtracking line search converges in a few passes from the no-covariate fit
(the coefficients start at 0). Models whose row Hessian costs several gradients (Pareto/NBD:
differences of the analytic gradient) pass a gradient kernel: above ``2 * COARSE_ROWS`` rows
the full-data phase then takes chord steps with the Hessian of the sample start and
evaluates the row Hessian once, at the end, for the standard errors. Covariates are
standardized for the optimizer (:func:`~customer_models.valuation._covariates.standardize`)
and the estimates and their covariance are mapped back to the original scale exactly (the
map is linear).

The penalty is ``sum_process penalizer_process * sum(beta_std ** 2)`` added to the mean
negative log-likelihood: on the standardized coefficients, so it does not depend on the
units of a covariate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from customer_models.valuation._covariate_layout import LinkLayout, unknowns_start
from customer_models.valuation._covariates import Standardization

__all__ = ["LinkFit", "LinkLayout", "covariance_original", "fit_links", "unknowns_start"]

#: Rows per block of the derivative sums (bounded memory at any size).
BLOCK_ROWS = 1 << 16
#: Above this many rows, Newton first runs on a fixed-seed sample of them (a start within a
#: few standard errors of the optimum), so the full data is read in two or three passes.
COARSE_ROWS = 100_000
#: Stop when the largest gradient component of the mean objective is below this.
GRADIENT_TOL = 1e-9
#: Also stop when the line search had to shorten the Newton step and the objective fell by
#: less than this times ``max(1, |objective|)``: at a million rows the rounding of the summed
#: gradient keeps it above GRADIENT_TOL while the objective no longer changes in double
#: precision (a 1M-row Gamma-Gamma fit otherwise ran all MAX_NEWTON steps, 160 s).
NOISE_DECREASE = 1e-14
MAX_NEWTON = 100

RowsKernel = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]
LoglikKernel = Callable[..., np.ndarray]
GradientKernel = Callable[..., tuple[np.ndarray, np.ndarray]]


@dataclass
class LinkFit:
    """Result of :func:`fit_links` on the standardized scale."""

    theta: np.ndarray
    hessian_total: np.ndarray  # of the penalized negative log-likelihood (total, not mean)
    log_likelihood: float
    gradient_norm: float
    n_iterations: int
    positive_definite: bool
    message: str


def _blocks(
    layout: LinkLayout,
    theta: np.ndarray,
    columns: tuple[np.ndarray, ...],
    z: np.ndarray,
    weights: np.ndarray,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]]:
    """Bounded blocks of rows: ``(z, weights, natural row parameters (k, n), data columns)``."""
    for start in range(0, weights.size, BLOCK_ROWS):
        part = slice(start, start + BLOCK_ROWS)
        params = np.exp(layout.row_log_params(theta, z[part]))
        yield z[part], weights[part], params, tuple(c[part] for c in columns)


def _derivatives(
    rows_kernel: RowsKernel,
    layout: LinkLayout,
    theta: np.ndarray,
    columns: tuple[np.ndarray, ...],
    z: np.ndarray,
    weights: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood, gradient and Hessian in the unknowns (block sums)."""
    k = layout.n_params
    ll, grad, hess = 0.0, np.zeros(layout.size), np.zeros((layout.size, layout.size))
    for zb, wb, params, cols in _blocks(layout, theta, columns, z, weights):
        ll_rows, g, h = rows_kernel(params, *cols)
        p = params.T
        gu = g * p  # chain rule to log parameters
        hu = h * p[:, :, None] * p[:, None, :]
        hu[:, range(k), range(k)] += gu
        ll += float(wb @ ll_rows)
        designs = layout.designs(zb)
        for j, (idx_j, v_j) in enumerate(designs):
            grad[idx_j] += v_j.T @ (wb * gu[:, j])
            for jj in range(j, k):
                idx_jj, v_jj = designs[jj]
                block = v_j.T @ ((wb * hu[:, j, jj])[:, None] * v_jj)
                hess[np.ix_(idx_j, idx_jj)] += block
                if jj != j:
                    hess[np.ix_(idx_jj, idx_j)] += block.T
    return ll, grad, hess


def _gradient(
    gradient_kernel: GradientKernel,
    layout: LinkLayout,
    theta: np.ndarray,
    columns: tuple[np.ndarray, ...],
    z: np.ndarray,
    weights: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Total weighted log-likelihood and gradient in the unknowns (block sums, no Hessian)."""
    ll, grad = 0.0, np.zeros(layout.size)
    for zb, wb, params, cols in _blocks(layout, theta, columns, z, weights):
        ll_rows, g = gradient_kernel(params, *cols)
        gu = g * params.T
        ll += float(wb @ ll_rows)
        for j, (idx_j, v_j) in enumerate(layout.designs(zb)):
            grad[idx_j] += v_j.T @ (wb * gu[:, j])
    return ll, grad


def _loglik(
    loglik_kernel: LoglikKernel,
    layout: LinkLayout,
    theta: np.ndarray,
    columns: tuple[np.ndarray, ...],
    z: np.ndarray,
    weights: np.ndarray,
) -> float:
    total = 0.0
    for _, wb, params, cols in _blocks(layout, theta, columns, z, weights):
        total += float(wb @ loglik_kernel(params, *cols))
    return total


def _line_search(
    evaluate: Callable[[np.ndarray], tuple[float, Any]],
    theta: np.ndarray,
    free: np.ndarray,
    step: np.ndarray,
    f0: float,
    slope: float,
    n_params: int,
    log_bound: float,
) -> tuple[float, np.ndarray, float, Any] | None:
    """Backtracking (Armijo) from the full step; ``(t, trial, f(trial), extra)`` or None."""
    t = 1.0
    for _ in range(40):
        trial = theta.copy()
        trial[free] += t * step
        if np.all(np.abs(trial[:n_params]) <= log_bound):
            f1, extra = evaluate(trial)
            if np.isfinite(f1) and f1 <= f0 + 1e-4 * t * slope:
                return t, trial, f1, extra
        t *= 0.5
    return None


def _result(
    theta: np.ndarray,
    ll: float,
    grad: np.ndarray,
    hess: np.ndarray,
    pen: np.ndarray,
    n_total: float,
    free: np.ndarray,
    n_iter: int,
    message: str,
) -> LinkFit:
    """Return the fit at ``theta``: total penalized Hessian, gradient norm, definiteness."""
    g = -grad / n_total + 2.0 * pen * theta
    h_total = -hess + np.diag(2.0 * pen * n_total)
    g_norm = float(np.max(np.abs(g[free]))) if free.any() else 0.0
    positive = True
    try:
        np.linalg.cholesky(h_total[np.ix_(free, free)])
    except np.linalg.LinAlgError:
        positive = False
    return LinkFit(theta, h_total, ll, g_norm, n_iter, positive, message)


@dataclass(frozen=True)
class _Problem:
    """One maximization: the layout, the data, the penalty and the box on log-parameters."""

    layout: LinkLayout
    columns: tuple[np.ndarray, ...]
    z: np.ndarray
    weights: np.ndarray
    penalizer: Mapping[str, float]
    log_bound: float

    def sample(self, pick: np.ndarray) -> _Problem:
        """Return the rows ``pick``, reweighted to the total weight of all rows."""
        share = self.weights[pick] * (self.weights.sum() / self.weights[pick].sum())
        cols = tuple(c[pick] for c in self.columns)
        return _Problem(self.layout, cols, self.z[pick], share, self.penalizer, self.log_bound)

    def totals(self) -> tuple[float, np.ndarray]:
        return float(self.weights.sum()), self.layout.penalty_weights(self.penalizer)

    def hessian(self, rows_kernel: RowsKernel, theta: np.ndarray) -> Any:
        return _derivatives(rows_kernel, self.layout, theta, self.columns, self.z, self.weights)

    def search(
        self, evaluate: Any, theta: np.ndarray, step: np.ndarray, f0: float, slope: float
    ) -> tuple[float, np.ndarray, float, Any] | None:
        n_params = self.layout.n_params
        free = self.layout.free
        return _line_search(evaluate, theta, free, step, f0, slope, n_params, self.log_bound)


def _fit_links(
    rows_kernel: RowsKernel, loglik_kernel: LoglikKernel, problem: _Problem, theta0: np.ndarray
) -> LinkFit:
    """Maximize the penalized log-likelihood over the free unknowns by Newton's method."""
    layout, free = problem.layout, problem.layout.free
    n_total, pen = problem.totals()

    def objective(theta: np.ndarray) -> tuple[float, None]:
        ll = _loglik(loglik_kernel, layout, theta, problem.columns, problem.z, problem.weights)
        return -ll / n_total + float(pen @ theta**2), None

    theta = np.where(free, theta0, 0.0).astype(np.float64)
    message, n_iter = "converged", 0
    ll, grad, hess = problem.hessian(rows_kernel, theta)
    for n_iter in range(1, MAX_NEWTON + 1):
        g = -grad / n_total + 2.0 * pen * theta
        h = -hess / n_total + np.diag(2.0 * pen)
        g_free, h_free = g[free], h[np.ix_(free, free)]
        if not g_free.size or np.max(np.abs(g_free)) < GRADIENT_TOL:
            n_iter -= 1
            break
        step = _newton_step(h_free, g_free)
        f0 = -ll / n_total + float(pen @ theta**2)
        found = problem.search(objective, theta, step, f0, float(g_free @ step))
        if found is None:
            message = "the line search found no decrease (at the optimum to numerical precision)"
            break
        t, theta, f1, _ = found
        ll, grad, hess = problem.hessian(rows_kernel, theta)
        if t < 1.0 and f0 - f1 <= NOISE_DECREASE * max(1.0, abs(f0)):
            message = "converged (the objective stopped decreasing in double precision)"
            break
    else:
        message = f"stopped after {MAX_NEWTON} Newton steps"
    return _result(theta, ll, grad, hess, pen, n_total, free, n_iter, message)


def _chord_newton(
    gradient_kernel: GradientKernel, rows_kernel: RowsKernel, problem: _Problem, start: LinkFit
) -> LinkFit:
    """Newton steps with the (mean) Hessian of the sample fit ``start``, gradients only.

    The sample's optimum is within a few standard errors of the full one and its mean
    Hessian differs from the full one by sampling noise (``~ COARSE_ROWS ** -0.5``), so the
    chord iteration contracts by about that factor per step; each step costs one pass of
    the gradient kernel (which also gives the line search's log-likelihood), and the full
    Hessian, for the standard errors, is evaluated once at the end.
    """
    layout, free = problem.layout, problem.layout.free
    n_total, pen = problem.totals()
    h_free = (start.hessian_total / n_total)[np.ix_(free, free)]

    def objective(theta: np.ndarray) -> tuple[float, tuple[float, np.ndarray]]:
        ll_, grad_ = _gradient(
            gradient_kernel, layout, theta, problem.columns, problem.z, problem.weights
        )
        return -ll_ / n_total + float(pen @ theta**2), (ll_, grad_)

    theta = start.theta.copy()
    f0, (ll, grad) = objective(theta)
    message, n_iter = "converged", 0
    for n_iter in range(1, MAX_NEWTON + 1):
        g_free = (-grad / n_total + 2.0 * pen * theta)[free]
        if np.max(np.abs(g_free)) < GRADIENT_TOL:
            n_iter -= 1
            break
        step = _newton_step(h_free, g_free)
        found = problem.search(objective, theta, step, f0, float(g_free @ step))
        if found is None:
            message = "the line search found no decrease (at the optimum to numerical precision)"
            break
        _, theta, f1, (ll, grad) = found
        decrease, f0 = f0 - f1, f1
        if decrease <= NOISE_DECREASE * max(1.0, abs(f1)):
            message = "converged (the objective stopped decreasing in double precision)"
            break
    else:
        message = f"stopped after {MAX_NEWTON} chord Newton steps"
    ll, grad, hess = problem.hessian(rows_kernel, theta)
    message = f"chord steps with the sample Hessian, {message}"
    return _result(theta, ll, grad, hess, pen, n_total, free, n_iter, message)


def fit_links(
    rows_kernel: RowsKernel,
    loglik_kernel: LoglikKernel,
    layout: LinkLayout,
    theta0: np.ndarray,
    columns: tuple[np.ndarray, ...],
    z: np.ndarray,
    weights: np.ndarray,
    penalizer: Mapping[str, float],
    *,
    log_bound: float = 25.0,
    gradient_kernel: GradientKernel | None = None,
) -> LinkFit:
    """Maximize the penalized log-likelihood over the free unknowns by Newton's method.

    Parameters
    ----------
    rows_kernel : callable
        ``(params (k, n), *columns) -> (ll (n,), grad (n, k), hess (n, k, k))``, natural scale.
    loglik_kernel : callable
        ``(params (k, n), *columns) -> ll (n,)`` for the line search.
    layout : LinkLayout
    theta0 : numpy.ndarray
        Start (model log-parameters of the no-covariate fit, coefficients 0).
    columns, z, weights
        The model's data columns, the standardized design matrix and the row weights.
    penalizer : mapping
        Penalty per process (``{"purchase": 0.01, "dropout": 0.0}``).
    log_bound : float
        Bound on the model's log-parameters during the line search.
    gradient_kernel : callable, optional
        ``(params (k, n), *columns) -> (ll (n,), grad (n, k))``. When given (a model whose
        row Hessian costs several gradients), the full-data phase after the sample start
        takes chord Newton steps with the sample's Hessian and evaluates the row Hessian
        once, at the end (:func:`_chord_newton`).

    Returns
    -------
    LinkFit

    Notes
    -----
    Above ``COARSE_ROWS`` rows Newton starts from its optimum on a fixed-seed sample of
    ``COARSE_ROWS`` rows; BLAS runs on one thread (its threads spinning on the small matrix
    products slowed fits down on a busy machine, as in the base optimizer).

    Examples
    --------
    >>> import numpy as np
    >>> def rows(p, x):  # Poisson counts, rate p[0]: ll = x log(lam) - lam
    ...     lam = p[0]
    ...     return x * np.log(lam) - lam, (x / lam - 1)[:, None], (-x / lam**2)[:, None, None]
    >>> def ll(p, x):
    ...     return rows(p, x)[0]
    >>> from customer_models.valuation._covariates import Link, standardize
    >>> z = np.array([[0.0], [1.0], [0.0], [1.0]])
    >>> x = np.array([1.0, 4.0, 1.0, 4.0])
    >>> s = standardize(z, np.ones(4))
    >>> layout = LinkLayout.build(1, [Link("g", ((0, 1.0),), ("z",), "p")], ["z"], s.constant)
    >>> fit = fit_links(rows, ll, layout, np.array([np.log(2.5), 0.0]), (x,), s.apply(z),
    ...                 np.ones(4), {})
    >>> theta = layout.to_original(fit.theta, s) @ fit.theta
    >>> np.round(np.exp(theta[0]), 6).item(), np.round(theta[1], 6).item()  # rates 1 and 4
    (1.0, 1.386294)
    """
    problem = _Problem(layout, columns, z, weights, penalizer, log_bound)
    with threadpool_limits(limits=1):
        if weights.size > 2 * COARSE_ROWS:
            rng = np.random.default_rng(20051)
            pick = np.sort(rng.choice(weights.size, COARSE_ROWS, replace=False))
            coarse = _fit_links(rows_kernel, loglik_kernel, problem.sample(pick), theta0)
            if np.all(np.isfinite(coarse.theta)):
                if gradient_kernel is not None and coarse.positive_definite:
                    return _chord_newton(gradient_kernel, rows_kernel, problem, coarse)
                theta0 = coarse.theta
        return _fit_links(rows_kernel, loglik_kernel, problem, theta0)


def _newton_step(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``-h^-1 g``, with a growing ridge while ``h`` is not positive definite."""
    ridge = 0.0
    scale = max(float(np.max(np.abs(np.diag(h)))), 1e-12)
    for _ in range(60):
        try:
            chol = np.linalg.cholesky(h + ridge * np.eye(h.shape[0]))
        except np.linalg.LinAlgError:
            ridge = max(ridge * 10.0, 1e-10 * scale)
            continue
        return -np.linalg.solve(chol.T, np.linalg.solve(chol, g))
    return -g  # pragma: no cover - only for a Hessian of NaN


def covariance_original(
    fit: LinkFit, layout: LinkLayout, standardization: Standardization
) -> tuple[np.ndarray, np.ndarray | None]:
    """Unknowns and their covariance on the original covariate scale (NaN for fixed ones).

    Returns ``(theta_original, covariance or None)``; None when the Hessian of the free
    unknowns is not positive definite.
    """
    a = layout.to_original(fit.theta, standardization)
    theta = a @ fit.theta
    free = layout.free
    if not fit.positive_definite:
        return theta, None
    cov_std = np.zeros((layout.size, layout.size))
    cov_std[np.ix_(free, free)] = np.linalg.inv(fit.hessian_total[np.ix_(free, free)])
    cov = a @ cov_std @ a.T
    cov[~free, :] = np.nan
    cov[:, ~free] = np.nan
    return theta, cov
