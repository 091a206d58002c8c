"""BdW: the beta-discrete-Weibull model of contractual retention (Fader et al. 2018).

Each customer's lifetime is discrete Weibull, ``P(T > t | theta) = (1 - theta)^(t^c)``, and
``theta ~ Beta(alpha, beta)`` across customers, so ``S(t) = B(alpha, beta + t^c) / B(alpha,
beta)``. ``c = 1`` is the sBG model; ``c < 1`` means an individual's churn probability falls
with tenure, ``c > 1`` that it rises. Kernels are plain numpy functions of
``params = (alpha, beta, c)`` and per-row arrays ``duration`` and ``churned``; the class at the
bottom declares them and gets its methods from
:class:`~customer_models.valuation._contractual.ContractualModel`.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma

from customer_models.exceptions import ParameterError
from customer_models.valuation._contractual import ContractualModel
from customer_models.valuation._derivatives import FirstOutput
from customer_models.valuation._sbg import _series_terms

__all__ = ["BetaDiscreteWeibullModel"]

PARAM_NAMES = ("alpha", "beta", "c")
#: Elements (distinct durations x series terms) per vectorized block of the DERL series.
_BLOCK = 1 << 20


def _abc(params: np.ndarray) -> tuple[float, float, float]:
    alpha, beta, c = (float(v) for v in np.asarray(params, dtype=float))
    return alpha, beta, c


def _log_survival_gradient(
    alpha: float, beta: float, c: float, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``log S(t)`` and its gradient in ``(alpha, beta, c)``; ``t >= 0`` (``0^c = 0``)."""
    with np.errstate(divide="ignore"):
        log_t = np.log(t)
    u = np.exp(c * log_t)  # t^c, exactly 0 at t = 0
    psi_ab = digamma(alpha + beta)
    psi_abu = digamma(alpha + beta + u)
    log_s = betaln(alpha, beta + u) - betaln(alpha, beta)
    g_a = psi_ab - psi_abu
    g_b = digamma(beta + u) - psi_abu - digamma(beta) + psi_ab
    # d log S / d c = d log S / d u * u log t, which is 0 at t = 0 (and for t = 1, log t = 0)
    u_log_t = np.where(t > 0, u * np.where(t > 0, log_t, 0.0), 0.0)
    g_c = (digamma(beta + u) - psi_abu) * u_log_t
    return log_s, np.stack([g_a, g_b, g_c], axis=-1)


def log_likelihood_gradient_kernel(
    params: np.ndarray, duration: np.ndarray, churned: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row BdW log-likelihood and its analytic gradient in ``(alpha, beta, c)``.

    A surviving row contributes ``log S(d)``; a churned row ``log P(T = d) = log(S(d-1) -
    S(d)) = log S(d-1) + log(1 - r)`` with ``r = S(d)/S(d-1)`` taken from the difference of the
    log survivals (``expm1``, so no cancellation of the two survivals themselves).

    Examples
    --------
    >>> import numpy as np
    >>> ll, grad = log_likelihood_gradient_kernel(
    ...     np.array([0.7, 1.2, 0.9]), np.array([1, 7]), np.array([1, 0])
    ... )
    >>> grad.shape
    (2, 3)
    >>> round(float(ll[0]), 6)  # log P(T = 1) = log(alpha / (alpha + beta)) for every c
    -0.998529
    """
    alpha, beta, c = _abc(params)
    d = np.asarray(duration, dtype=float)
    died = np.asarray(churned, dtype=float) > 0.5
    ls, gs = _log_survival_gradient(alpha, beta, c, d)
    ls_prev, gs_prev = _log_survival_gradient(alpha, beta, c, np.where(died, d - 1.0, 0.0))
    # log S(d) - log S(d-1) <= 0; surviving rows (d-1 -> 0 placeholder) get a dummy -1
    log_r = np.where(died, np.minimum(ls - ls_prev, 0.0), -1.0)
    one_minus_r = -np.expm1(log_r)
    with np.errstate(divide="ignore"):  # 1 - r = 0 only if S(d) rounds to S(d-1)
        ll_churn = ls_prev + np.log(one_minus_r)
        # d log(S1 - S2) = g1 + r (g1 - g2) / (1 - r)
        ratio = np.exp(log_r) / one_minus_r
    g_churn = gs_prev + ratio[..., None] * (gs_prev - gs)
    ll = np.where(died, ll_churn, ls)
    grad = np.where(died[..., None], g_churn, gs)
    return ll, grad


#: Per-row BdW log-likelihood: the first output of :func:`log_likelihood_gradient_kernel`.
log_likelihood_kernel = FirstOutput(log_likelihood_gradient_kernel)


def log_survival_kernel(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``log S(t) = log B(α, β + t^c) − log B(α, β)`` (betaln, finite for every valid input).

    Examples
    --------
    >>> import numpy as np
    >>> float(log_survival_kernel(np.array([1.0, 1.0, 1.0]), 0))
    0.0
    """
    alpha, beta, c = _abc(params)
    u = np.power(np.asarray(t, dtype=float), c)
    return np.asarray(betaln(alpha, beta + u) - betaln(alpha, beta))


def survival_kernel(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``S(t) = P(T > t) = B(α, β + t^c) / B(α, β)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(survival_kernel(np.array([1.0, 1.0, 2.0]), 1))
    0.5
    """
    return np.exp(log_survival_kernel(params, t))


def retention_rate_kernel(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``r(t) = S(t) / S(t − 1)`` for ``t >= 1``, from the difference of log survivals.

    Examples
    --------
    >>> import numpy as np
    >>> float(retention_rate_kernel(np.array([1.0, 1.0, 1.0]), 2))  # sBG: (b+t-1)/(a+b+t-1)
    0.6666666666666666
    """
    t_arr = np.asarray(t, dtype=float)
    return np.exp(log_survival_kernel(params, t_arr) - log_survival_kernel(params, t_arr - 1.0))


def discounted_expected_residual_lifetime_kernel(
    params: np.ndarray, periods_survived: np.ndarray | float, discount_rate: float
) -> np.ndarray:
    """DERL ``sum_{k>=1} S(s+k)/S(s) (1+d)^-(k-1)`` for whole ``s >= 0`` (F&H 2010, BdW).

    The BdW has no closed form; the terms are positive and at most ``(1+d)^-(k-1)``, so the
    series is cut after the terms that leave a tail below 1e-17 relative (as sBG's,
    :func:`customer_models.valuation._sbg._series_terms`), summed smallest first, for all
    distinct ``s`` at once in blocks of about ``2**20`` elements. ``d = 0`` is refused: the
    undiscounted sum converges only like ``t^(1 - c alpha)``.

    Raises
    ------
    ParameterError
        When ``d = 0`` or so small that the series needs more than ``2**24`` terms.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([0.704, 1.182, 1.0])
    >>> k = discounted_expected_residual_lifetime_kernel(p, [0, 4], 0.1)
    >>> np.round(k, 3).tolist()  # c = 1: the sBG values
    [2.965, 5.894]
    """
    _abc(params)  # validates the three parameters
    s = np.asarray(periods_survived, dtype=float)
    d = float(discount_rate)
    if d == 0.0:
        raise ParameterError(
            "The undiscounted expected (residual) lifetime of the BdW model has no closed form "
            "and its series converges too slowly to sum; pass a discount_rate > 0 per period."
        )
    if s.size == 0:
        return np.empty(s.shape)
    n_terms = _series_terms(d)
    log_x = -math.log1p(d)
    uniq, inverse = np.unique(s.ravel(), return_inverse=True)
    k = np.arange(1, n_terms + 1, dtype=float)
    out = np.empty(uniq.size)
    step = max(1, _BLOCK // n_terms)
    for start in range(0, uniq.size, step):  # bounded: (distinct durations) / step blocks
        u = uniq[start : start + step]
        log_terms = (
            log_survival_kernel(params, u[:, None] + k[None, :])
            - log_survival_kernel(params, u)[:, None]
            + (k - 1.0)[None, :] * log_x
        )
        out[start : start + step] = np.exp(log_terms)[:, ::-1].sum(axis=1)
    return out[inverse].reshape(s.shape)


class BetaDiscreteWeibullModel(ContractualModel, kernels=[globals()]):
    r"""Beta-discrete-Weibull (BdW) model of contractual retention (Fader et al. 2018).

    Each customer renews until they churn; their lifetime is discrete Weibull,
    ``P(T > t | theta) = (1 - theta)^(t^c)``, with ``theta ~ Beta(alpha, beta)`` across
    customers. ``c = 1`` is the sBG model (:class:`ShiftedBetaGeoModel`); ``c < 1`` is an
    individual churn probability that falls with tenure, ``c > 1`` one that rises, on top of
    the sorting effect of heterogeneity.

    Data: the sBG's, one row per customer (or per group, with ``sample_weight``) with
    ``duration`` (whole periods observed, >= 0) and ``churned`` (1 if the customer churned in
    period ``duration``, which must then be >= 1; 0 if still a customer after ``duration``
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
        ``alpha``, ``beta``, ``c``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`ValuationModel`.

    Notes
    -----
    .. math::

        S(t) = \frac{B(\alpha, \beta + t^c)}{B(\alpha, \beta)}, \qquad
        P(T = t) = S(t - 1) - S(t), \qquad r(t) = \frac{S(t)}{S(t-1)}.

    A churned row contributes ``log P(T = duration)``, a surviving row ``log S(duration)``.
    The gradient is analytic (digamma). Discounted lifetimes (DEL, DERL) are series of
    positive terms; the undiscounted ones are refused (no closed form).

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. and Steenburgh, T. (2018),
       "'How to Project Customer Retention' Revisited: The Role of Duration Dependence",
       Journal of Interactive Marketing, 43, 1-16.

    Examples
    --------
    >>> regular = BetaDiscreteWeibullModel.cohort_to_data(
    ...     [1000, 631, 468, 382, 326, 289, 262, 241])
    >>> model = BetaDiscreteWeibullModel().fit(regular, sample_weight="weight")
    >>> model.params_.round(3).tolist()
    [0.456, 0.779, 1.283]
    >>> round(model.log_likelihood_, 1)  # the sBG's is -1680.3
    -1679.6
    """

    param_names: ClassVar[tuple[str, ...]] = PARAM_NAMES
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0)

    @classmethod
    def _infinite_lifetime_reason(cls, params: np.ndarray) -> str | None:
        if params[0] * params[2] > 1.0:
            return None
        return (
            f"alpha * c = {params[0] * params[2]:.4g} <= 1, so the survival curve "
            "S(t) ~ t^-(alpha c) decays too slowly for its sum to converge"
        )
