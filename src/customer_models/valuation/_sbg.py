"""sBG: the shifted-beta-geometric model of contractual retention (Fader & Hardie 2007).

Kernels are plain numpy functions of ``params = (alpha, beta)`` and per-row arrays
``duration`` (periods observed) and ``churned`` (1 if the customer churned in period
``duration``, 0 if still alive after ``duration`` periods). The estimator class at the bottom
declares them; its methods come from
:class:`~customer_models.valuation._contractual.ContractualModel`.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln

from customer_models.exceptions import ParameterError
from customer_models.valuation._contractual import ContractualModel
from customer_models.valuation._derivatives import FirstOutput

__all__ = ["ShiftedBetaGeoModel"]

PARAM_NAMES = ("alpha", "beta")


def _alpha_beta(params: np.ndarray) -> tuple[float, float]:
    alpha, beta = (float(v) for v in np.asarray(params, dtype=float))
    return alpha, beta


def log_likelihood_gradient_kernel(
    params: np.ndarray, duration: np.ndarray, churned: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row sBG log-likelihood and its analytic gradient with respect to ``(alpha, beta)``.

    A churned row contributes ``log P(T = d) = log B(α+1, β+d−1) − log B(α, β)``; a surviving
    row contributes ``log S(d) = log B(α, β+d) − log B(α, β)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, grad = log_likelihood_gradient_kernel(
    ...     np.array([0.7, 1.2]), np.array([1, 7]), np.array([1, 0])
    ... )
    >>> grad.shape
    (2, 2)
    """
    alpha, beta = _alpha_beta(params)
    d = np.asarray(duration, dtype=float)
    died = np.asarray(churned, dtype=float) > 0.5
    ln_ab = betaln(alpha, beta)
    psi_ab = digamma(alpha + beta)
    # churned in period d (d >= 1); for survivors use a dummy d >= 1 so nothing is evaluated at 0
    d_c = np.where(died, d, 1.0)
    ll_churn = betaln(alpha + 1.0, beta + d_c - 1.0) - ln_ab
    psi_c = digamma(alpha + beta + d_c)
    ga_churn = digamma(alpha + 1.0) - psi_c - digamma(alpha) + psi_ab
    gb_churn = digamma(beta + d_c - 1.0) - psi_c - digamma(beta) + psi_ab
    # survived d periods (d >= 0)
    ll_surv = betaln(alpha, beta + d) - ln_ab
    psi_s = digamma(alpha + beta + d)
    ga_surv = psi_ab - psi_s
    gb_surv = digamma(beta + d) - psi_s - digamma(beta) + psi_ab
    ll = np.where(died, ll_churn, ll_surv)
    grad = np.stack([np.where(died, ga_churn, ga_surv), np.where(died, gb_churn, gb_surv)]).T
    return ll, grad


#: Per-row sBG log-likelihood: the first output of :func:`log_likelihood_gradient_kernel`.
log_likelihood_kernel = FirstOutput(log_likelihood_gradient_kernel)


def survival_kernel(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``S(t) = P(T > t) = B(α, β+t) / B(α, β)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(survival_kernel(np.array([1.0, 1.0]), 1))
    0.5
    """
    alpha, beta = _alpha_beta(params)
    return np.exp(betaln(alpha, beta + np.asarray(t, dtype=float)) - betaln(alpha, beta))


def retention_rate_kernel(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``r(t) = S(t) / S(t−1) = (β+t−1) / (α+β+t−1)`` for ``t >= 1``.

    Examples
    --------
    >>> import numpy as np
    >>> float(retention_rate_kernel(np.array([1.0, 1.0]), 1))
    0.5
    """
    alpha, beta = _alpha_beta(params)
    t_arr = np.asarray(t, dtype=float)
    return (beta + t_arr - 1.0) / (alpha + beta + t_arr - 1.0)


#: Relative size of the DERL series' neglected tail (all its terms are positive).
_SERIES_TOL = 1e-17
#: Most terms of the DERL series after the largest duration (the discount rate sets the count).
_MAX_TERMS = 1 << 24
#: Elements (durations x terms) per vectorized block of the DERL series.
_BLOCK = 1 << 20
#: Largest drop of the log term across the durations of one block row (keeps exp in range
#: and the cumulated log terms small, so their rounding stays below 1e-10 relative).
_MAX_DROP = 30.0


def _series_terms(discount_rate: float) -> int:
    """Terms after the last duration so that the series' tail is below ``_SERIES_TOL``.

    The term ratio never exceeds ``x = 1/(1+d)``, so the tail after ``K`` terms is at most
    ``x**K / (1 - x)`` of the first term.
    """
    d = discount_rate
    log_x = -math.log1p(d)
    k = math.ceil((math.log(_SERIES_TOL) + math.log(d) - math.log1p(d)) / log_x) + 1
    if k > _MAX_TERMS:
        raise ParameterError(
            f"discount_rate={d:.3g} per period is too small to sum the discounted lifetime "
            f"within {_MAX_TERMS} periods ({k} needed); use longer periods (e.g. months instead "
            "of days), a larger discount rate, or discount_rate=0 when alpha > 1."
        )
    return max(k, 1)


def _row_starts(alpha: float, beta: float, s: np.ndarray, log_x: float, k: int) -> np.ndarray:
    """Split the sorted distinct durations into rows of one vectorized recurrence.

    A new row starts where the log term has dropped by more than ``_MAX_DROP`` since the
    row's first duration (rough values from ``gammaln`` suffice here) or where the gap to the
    previous duration exceeds the series length ``k`` (bridging it would cost more than a
    new row). Returns the index of each row's first duration.
    """
    rough = gammaln(beta + s) - gammaln(alpha + beta + s) + s * log_x  # log S(s) x^s + const
    band = np.floor((rough[0] - rough) / _MAX_DROP)
    new_row = np.r_[True, (np.diff(band) != 0) | (np.diff(s) > k)]
    return np.flatnonzero(new_row)


def _derl_rows(
    alpha: float,
    beta: float,
    lo: np.ndarray,
    hi: np.ndarray,
    log_x: float,
    k: int,
    row: np.ndarray,
    s: np.ndarray,
) -> np.ndarray:
    """DERL at durations ``s``, each in row ``row`` of a block spanning ``[lo, hi + k]``.

    With ``Q(m) = sum_{j=lo}^{m-1} q(j)``, ``q(j) = log((b+j)/(a+b+j)) + log x``, the series is
    ``DERL(s) = sum_{m>s} exp(Q(m) - Q(s)) / x``: one cumulative sum of the log ratios and one
    reverse cumulative sum of positive terms (smallest first) per row, no recurrence in Python.
    """
    width = int((hi - lo).max()) + k + 1
    m = lo[:, None] + np.arange(width, dtype=float)[None, :]
    q = -np.log1p(alpha / (beta + m)) + log_x
    q[m > (hi + k)[:, None]] = -np.inf  # beyond this row's series: no terms
    log_q = np.zeros_like(m)
    np.cumsum(q[:, :-1], axis=1, out=log_q[:, 1:])
    ref = log_q[np.arange(lo.size), (hi - lo).astype(np.intp)]  # Q(hi): terms relative to it
    tails = np.cumsum(np.exp(log_q - ref[:, None])[:, ::-1], axis=1)[:, ::-1]  # sum_{m' >= m}
    col = (s - lo[row]).astype(np.intp)
    return np.exp(ref[row] - log_q[row, col] - log_x) * tails[row, col + 1]


def discounted_expected_residual_lifetime_kernel(
    params: np.ndarray, periods_survived: np.ndarray | float, discount_rate: float
) -> np.ndarray:
    """DERL for a customer who has been active ``s = periods_survived`` periods (F&H 2010).

    ``DERL(s) = sum_{k>=1} P(T > s+k | T > s) (1+d)^{-(k-1)}
    = (b+s)/(a+b+s) 2F1(1, b+s+1; a+b+s+1; 1/(1+d))``.

    ``s`` holds whole numbers >= 0. The series has positive terms whose ratio is at most
    ``1/(1+d)``; it is summed for all distinct ``s`` at once (cumulative sums of the log term
    ratios, then of the terms from the smallest), so the work is the number of terms the
    discount rate needs (about ``40/d``) plus the spread of the durations, with no Python
    loop over periods; scipy's ``hyp2f1`` returns inf/NaN here for large ``b + s`` or integer
    ``a`` near ``x = 1``. With ``d = 0`` the result is ``(b+s)/(a-1)`` (infinite when
    ``a <= 1``).

    Raises
    ------
    ParameterError
        When ``d > 0`` is so small that the series needs more than ``2**24`` terms.

    Examples
    --------
    >>> import numpy as np
    >>> discounted_expected_residual_lifetime_kernel(np.array([2.0, 1.0]), [0, 3], 0.0).tolist()
    [1.0, 4.0]
    >>> k = discounted_expected_residual_lifetime_kernel(np.array([0.704, 1.182]), [0, 4], 0.1)
    >>> np.round(k, 3).tolist()
    [2.965, 5.894]
    """
    alpha, beta = _alpha_beta(params)
    s = np.asarray(periods_survived, dtype=float)
    d = float(discount_rate)
    if d == 0.0:
        if alpha <= 1.0:
            return np.full(s.shape, np.inf)
        return np.asarray((beta + s) / (alpha - 1.0), dtype=float)
    if s.size == 0:
        return np.empty(s.shape)
    k = _series_terms(d)
    log_x = -math.log1p(d)
    uniq, inverse = np.unique(s.ravel(), return_inverse=True)
    starts = _row_starts(alpha, beta, uniq, log_x, k)
    ends = np.r_[starts[1:], uniq.size]
    lo, hi = uniq[starts], uniq[ends - 1]
    row_of = np.repeat(np.arange(starts.size), ends - starts)  # the row of each duration
    out = np.empty(uniq.size)
    # rows of similar width share a block of about _BLOCK elements
    order = np.argsort(hi - lo, kind="stable")
    block_of = np.empty(starts.size, dtype=np.intp)
    block_of[order] = np.cumsum(hi[order] - lo[order] + k + 1) // _BLOCK
    for block in np.unique(block_of):
        rows = np.flatnonzero(block_of == block)
        position = np.cumsum(block_of == block) - 1  # row -> its index within the block
        members = np.flatnonzero(block_of[row_of] == block)
        out[members] = _derl_rows(
            alpha, beta, lo[rows], hi[rows], log_x, k, position[row_of[members]], uniq[members]
        )
    return out[inverse].reshape(s.shape)


def discounted_expected_lifetime_kernel(params: np.ndarray, discount_rate: float) -> float:
    """DEL: ``E[Σ_{t=0}^{T−1} (1+d)^{−t}] = 2F1(1, β; α+β; 1/(1+d))`` (Fader & Hardie 2010).

    Computed as ``1 + DERL(0) / (1 + d)``. With ``discount_rate = 0`` this is the mean
    lifetime ``(α+β−1)/(α−1)`` (infinite for α <= 1).

    Examples
    --------
    >>> import numpy as np
    >>> discounted_expected_lifetime_kernel(np.array([2.0, 1.0]), 0.0)
    2.0
    """
    d = float(discount_rate)
    derl0 = float(discounted_expected_residual_lifetime_kernel(params, 0.0, d))
    return 1.0 + derl0 / (1.0 + d)


class ShiftedBetaGeoModel(ContractualModel, kernels=[globals()]):
    r"""sBG model of contractual retention (Fader & Hardie 2007).

    Each customer renews at the end of every period with a constant probability ``1 - theta``
    and, once gone, never comes back; across customers ``theta ~ Beta(alpha, beta)``. Because
    the customers who are most likely to churn leave first, the aggregate retention rate rises
    with tenure even though no individual's does.

    Data: one row per customer (or per group, with ``sample_weight``) with ``duration`` (whole
    periods observed, >= 0) and ``churned`` (1 if the customer churned in period
    ``duration``, which must then be >= 1; 0 if still a customer after ``duration``
    periods). Cohort survivor counts become such rows with :meth:`cohort_to_data`.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters (see :class:`ValuationModel`).
    time_unit : str, optional
        Length of one period (e.g. ``"Y"``, ``"M"``); default ``attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha``, ``beta``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`ValuationModel`.

    Notes
    -----
    With lifetime ``T`` (the period in which the customer churns),

    .. math::

        P(T = t) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)}, \qquad
        S(t) = P(T > t) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)}, \qquad
        r(t) = \frac{S(t)}{S(t-1)} = \frac{\beta + t - 1}{\alpha + \beta + t - 1}.

    A churned row contributes ``log P(T = duration)``, a surviving row ``log S(duration)``.
    The mean lifetime ``(alpha + beta - 1) / (alpha - 1)`` is finite only for
    ``alpha > 1``; discounted lifetimes (DEL, DERL of Fader & Hardie 2010) are always finite.
    In closed form ``DEL = 2F1(1, beta; alpha + beta; 1/(1+d))`` and
    ``DERL(s) = (beta+s)/(alpha+beta+s) 2F1(1, beta+s+1; alpha+beta+s+1; 1/(1+d))``, summed
    here as series of positive terms (see
    :func:`discounted_expected_residual_lifetime_kernel`).

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention",
       Journal of Interactive Marketing, 21 (1), 76-90.
    .. [2] Fader, P. S. and Hardie, B. G. S. (2010), "Customer-Base Valuation in a
       Contractual Setting: The Perils of Ignoring Heterogeneity", Marketing Science,
       29 (1), 85-93.

    Examples
    --------
    >>> regular = ShiftedBetaGeoModel.cohort_to_data([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> model = ShiftedBetaGeoModel().fit(regular, sample_weight="weight")
    >>> model.params_.round(3).tolist()
    [0.704, 1.182]
    >>> model.survival([1, 7]).round(3).tolist()
    [0.627, 0.239]
    """

    param_names: ClassVar[tuple[str, ...]] = PARAM_NAMES
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0)

    @classmethod
    def _infinite_lifetime_reason(cls, params: np.ndarray) -> str | None:
        if params[0] > 1.0:
            return None
        return (
            f"alpha = {params[0]:.4g} <= 1, so the survival curve S(t) ~ t^-alpha decays too "
            "slowly for its sum to converge (a core of customers with churn probability near 0 "
            "never leaves)"
        )
