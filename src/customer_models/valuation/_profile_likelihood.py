"""Profile-likelihood intervals of a fitted valuation model's parameters.

For each parameter ``theta_j = log(p_j)`` the profile deviance is
``D(v) = 2 n (f_j(v) - f(theta_hat))``, where ``f`` is the objective the fit minimized (mean
negative log-likelihood plus the penalty) and ``f_j(v)`` its minimum over the other
parameters with ``theta_j = v``. The interval is where ``D <= chi2_1(confidence)``. Unlike
the Wald interval of ``summary_`` it follows the likelihood along a flat ridge instead of a
quadratic approximation, and it says when the data do not bound a parameter at all.

The work is bounded: per parameter and side at most ``MAX_EXPANSIONS`` doublings of the step
from the Wald guess, then at most ``MAX_ROOT_STEPS`` root-finding steps, each one
maximization over the other parameters (L-BFGS-B with the model's analytic gradient, warm
started, vectorized over the customer patterns).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from customer_models._validation import check_number
from customer_models.exceptions import ParameterError
from customer_models.valuation._base import ValuationModel
from customer_models.valuation._fit_objective import Objective, penalty_scale
from customer_models.valuation._fit_result import LOG_BOUND, require_fitted

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["MAX_EXPANSIONS", "MAX_ROOT_STEPS", "profile_likelihood_intervals"]

#: Doublings of the search step per side before a parameter is declared unbounded there.
MAX_EXPANSIONS = 12
#: Root-finding iterations per side.
MAX_ROOT_STEPS = 60
#: Largest gradient (mean objective, log space) at the estimates for them to be the optimum.
_OPTIMUM_GRAD = 1e-4
_INNER_OPTIONS = {"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20}


class _Profile:
    """Profile deviance of one parameter, warm-started from the last solution."""

    def __init__(
        self,
        objective: Objective,
        theta_hat: np.ndarray,
        j: int,
        f_hat: float,
        slope: np.ndarray,
    ) -> None:
        self.objective = objective
        self.j = j
        self.f_hat = f_hat
        self.others = np.delete(np.arange(theta_hat.size), j)
        self.center = float(theta_hat[j])
        self.home = theta_hat[self.others].copy()
        self.slope = slope[self.others]  # E[theta_others | theta_j] per unit of theta_j
        self.start = self.home.copy()
        self.n_total = objective.n_total
        self.cache: dict[float, float] = {}
        self.solutions: dict[float, np.ndarray] = {}

    def at_box(self, value: float) -> bool:
        """Whether another parameter sits at the search box's edge at ``value``.

        Then the box, not the data, raised the deviance there.
        """
        rest = self.solutions.get(float(value))
        return rest is not None and bool(np.any(np.abs(rest) > LOG_BOUND - 1.0))

    def __call__(self, value: float) -> float:
        value = float(value)
        if value not in self.cache:  # one answer per point: the root search sees one function
            self.cache[value] = self._deviance(value)
        return self.cache[value]

    def _deviance(self, value: float) -> float:
        theta = np.empty(self.others.size + 1)
        theta[self.j] = value

        def inner(rest: np.ndarray) -> tuple[float, np.ndarray]:
            theta[self.others] = rest
            f, grad = self.objective(theta)
            return f, grad[self.others]

        if self.others.size:
            # start from the last solution, the estimates or the quadratic approximation's
            # conditional mean (which follows a ridge), whichever fits best here
            ridge = np.clip(self.home + (value - self.center) * self.slope, -LOG_BOUND, LOG_BOUND)
            start = min((self.start, self.home, ridge), key=lambda rest: inner(rest)[0])
            res = optimize.minimize(
                inner,
                start,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND)] * self.others.size,
                options=_INNER_OPTIONS,
            )
            f_min = float(res.fun)
            if math.isfinite(f_min):
                self.start = np.asarray(res.x, dtype=np.float64)
                self.solutions[value] = self.start
        else:
            f_min = inner(np.empty(0))[0]
        if not math.isfinite(f_min):
            return math.inf
        return max(2.0 * self.n_total * (f_min - self.f_hat), 0.0)


def _one_side(
    profile: _Profile, center: float, step: float, side: float, target: float
) -> tuple[float, bool]:
    """Return ``(theta where D = target, found)``; the box edge and False when unbounded."""
    inside = center
    edge = side * LOG_BOUND
    for _ in range(MAX_EXPANSIONS + 1):
        candidate = center + side * step
        at_edge = side * candidate >= LOG_BOUND
        candidate = edge if at_edge else candidate
        deviance = profile(candidate)
        if deviance >= target and profile(inside) < target:
            root = optimize.brentq(
                lambda v: profile(v) - target,
                min(inside, candidate),
                max(inside, candidate),
                xtol=1e-7,
                rtol=1e-10,
                maxiter=MAX_ROOT_STEPS,
                full_output=False,
            )
            profile(root)
            if profile.at_box(root):
                return edge, False
            return float(root), True
        if deviance >= target:  # the deviance already reached it closer in (rounding)
            return inside, True
        if at_edge:
            return edge, False
        inside = candidate
        step *= 2.0
    return inside, False


@threadpool_limits.wrap(limits=1, user_api="blas")
def profile_likelihood_intervals(
    model: ValuationModel,
    data: Any,
    *,
    confidence: float = 0.95,
    sample_weight: str | ArrayLike | None = None,
) -> pd.DataFrame:
    """Profile-likelihood confidence intervals of a fitted model's parameters.

    Parameters
    ----------
    model : ValuationModel
        A fitted valuation model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, sBG, Gamma-Gamma).
    data : DataFrame
        The data the model was fitted on (with the same ``sample_weight``): the profile is
        taken around the model's maximum of this data's likelihood.
    confidence : float, default 0.95
        Confidence level, in (0, 1).
    sample_weight : None, str or array-like
        As given to ``fit``.

    Returns
    -------
    DataFrame
        Index ``param``; columns ``coef`` (the estimate), ``lower``, ``upper`` and
        ``bounded`` (False when the likelihood never drops far enough on one side within the
        search box ``exp(+-25)``, or drops only because another parameter reaches the box:
        the data do not bound the parameter there, and the bound is reported as ``0`` or
        ``inf``).

    Raises
    ------
    ParameterError
        ``confidence`` outside (0, 1), or the model's parameters are not the maximum of
        ``data``'s likelihood (a model fitted on other data, or built by ``from_params``).

    Notes
    -----
    ``{p_j : 2 (l_hat - l_p(p_j)) <= chi2_1(confidence)}``, with ``l_p`` the profile
    log-likelihood (the others maximized; with ``penalizer_coef`` the penalized objective the
    fit used). Parameterization-invariant, so a ridge (e.g. BG/NBD's ``a`` and ``b`` when
    hardly anyone drops out) gives wide, asymmetric intervals, or unbounded ones, where the
    Wald interval of ``summary_`` is symmetric on the log scale or missing.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import BetaGeoModel
    >>> data = load_cdnow_summary()
    >>> model = BetaGeoModel().fit(data)
    >>> table = profile_likelihood_intervals(model, data)
    >>> table[["lower", "upper"]].round(3).to_numpy().tolist()
    [[0.219, 0.269], [3.724, 5.212], [0.515, 1.319], [1.43, 4.567]]
    >>> bool(table["bounded"].all())
    True
    """
    if not isinstance(model, ValuationModel):
        raise ParameterError(
            "model must be a fitted valuation model (BetaGeoModel, ParetoNBDModel, ...), "
            f"got {type(model).__name__}."
        )
    require_fitted(model)
    confidence = check_number(
        confidence, "confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    if not hasattr(model, "_patterns") or not hasattr(model, "_loglik_derivatives"):
        raise ParameterError(
            "profile_likelihood_intervals needs a valuation model of this library (a "
            f"ValuationModel subclass), got {type(model).__name__}."
        )
    patterns = model._patterns(data, sample_weight, check_unit=True)
    cols, weights = patterns.columns, patterns.weights
    n_total = float(weights.sum())
    penalizer = check_number(model.penalizer_coef, "penalizer_coef", low=0.0)
    scale = penalty_scale(
        model.param_names,
        getattr(model, "_penalty_scale_columns", {}),
        model.required_columns,
        cols,
        weights,
    )
    objective = Objective(model._loglik_derivatives(), cols, weights, n_total, penalizer, scale)
    params = np.asarray(model.params_.to_numpy(), dtype=np.float64)
    theta_hat = np.log(params)
    f_hat, grad = objective(theta_hat)
    largest = float(np.max(np.abs(grad))) if math.isfinite(f_hat) else math.inf
    if not largest < _OPTIMUM_GRAD:
        raise ParameterError(
            f"the {type(model).__name__}'s parameters are not the maximum of this data's "
            f"likelihood (largest gradient {largest:.2g}); pass the data the model was fitted "
            "on (and its sample_weight)."
        )
    target = float(stats.chi2.ppf(confidence, 1))
    covariance = getattr(model, "covariance_", None)
    se_log = np.full(params.size, 0.5)
    cov_log = np.zeros((params.size, params.size))
    if covariance is not None:
        cov_log = covariance.to_numpy() / np.outer(params, params)
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(cov_log))
        se_log = np.where(np.isfinite(se) & (se > 0), se, 0.5)
        if not np.all(np.isfinite(cov_log)):
            cov_log = np.zeros_like(cov_log)
    lower = np.empty(params.size)
    upper = np.empty(params.size)
    bounded = np.ones(params.size, dtype=bool)
    for j in range(params.size):
        step = float(np.clip(math.sqrt(target) * se_log[j], 1e-3, 5.0))
        for side, out in ((-1.0, lower), (1.0, upper)):
            var = cov_log[j, j]
            slope = cov_log[:, j] / var if var > 0 else np.zeros(params.size)
            profile = _Profile(objective, theta_hat, j, f_hat, slope)
            value, found = _one_side(profile, float(theta_hat[j]), step, side, target)
            bounded[j] &= found
            out[j] = math.exp(value) if found else (0.0 if side < 0 else math.inf)
    return pd.DataFrame(
        {"coef": params, "lower": lower, "upper": upper, "bounded": bounded},
        index=pd.Index(list(model.param_names), name="param"),
    )
