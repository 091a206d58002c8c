"""MBG/NBD model (Batislam, Denizel and Filiztekin 2007): kernels and estimator.

Like BG/NBD, but a customer may also drop out right after the first purchase (at time 0).
Kernels take ``params = [r, alpha, a, b]`` (shape ``(4,)`` or ``(4, ...)``) and float arrays
``x`` (frequency), ``t_x`` (recency), ``T``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, gammaln, psi

from customer_models.valuation._bgnbd import (
    _bg_family_derivatives,
    _by_count,
    _expected_alive,
    _pmf_new,
    _unpack,
)
from customer_models.valuation._dert import bg_family_dert
from customer_models.valuation._purchase import PurchaseModel

__all__ = [
    "ModifiedBetaGeoModel",
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "log_likelihood_derivatives_kernel",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "probability_alive_kernel",
    "probability_of_purchases_kernel",
]


def _log_terms(params: Any, x: Any, t_x: Any, T: Any) -> tuple[Any, ...]:
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    A1 = _by_count(gammaln, r, x) - gammaln(r) + r * np.log(alpha)
    A2 = (
        gammaln(a + b)
        + _by_count(gammaln, b + 1.0, x)
        - gammaln(b)
        - _by_count(gammaln, a + b + 1.0, x)
    )
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    return A1, A2, A3, A4


def log_likelihood_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood.

    ``log L = A1 + A2 + log(exp(A3) + exp(A4))`` with ``A2 = ln B(a, b+x+1) - ln B(a, b)``
    and ``A4 = ln a - ln(b+x) - (r+x) ln(α+t_x)`` (no ``x > 0`` indicator).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isfinite(log_likelihood_kernel([0.5, 4.0, 0.8, 2.5], 0.0, 0.0, 30.0)))
    True
    """
    A1, A2, A3, A4 = _log_terms(params, x, t_x, T)
    return np.asarray(A1 + A2 + np.logaddexp(A3, A4))


def log_likelihood_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its analytic gradient in ``(r, alpha, a, b)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = log_likelihood_gradient_kernel(np.array([0.5, 4.0, 0.8, 2.5]), np.array([0.0]),
    ...                                np.array([0.0]), np.array([20.0]))
    >>> g.shape
    (1, 4)
    """
    r, alpha, a, b = _unpack(params)
    A1, A2, A3, A4 = _log_terms(params, x, t_x, T)
    lse = np.logaddexp(A3, A4)
    w4 = np.exp(A4 - lse)
    w3 = 1.0 - w4
    x = np.asarray(x, dtype=np.float64)
    d_r = (
        _by_count(psi, r, x)
        - psi(r)
        + np.log(alpha)
        - w3 * np.log(alpha + T)
        - w4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    common = psi(a + b) - _by_count(psi, a + b + 1.0, x)
    d_a = common + w4 / a
    d_b = common + _by_count(psi, b + 1.0, x) - psi(b) - w4 / (b + x)
    return A1 + A2 + lse, np.stack([d_r, d_alpha, d_a, d_b], axis=-1)


def log_likelihood_derivatives_kernel(
    params: Any,
    weights: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    hessian: bool = False,
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Weighted total log-likelihood, gradient and Hessian in ``(r, alpha, a, b)``.

    The BG/NBD computation of
    :func:`customer_models.valuation._bgnbd.log_likelihood_derivatives_kernel` with
    ``B(a, b+x+1)`` in place of ``B(a, b+x)`` and the dropout branch present for every customer
    (``b+x`` in place of ``b+x-1``).

    Examples
    --------
    >>> import numpy as np
    >>> p, w = np.array([0.5, 4.0, 0.8, 2.5]), np.array([1.0, 2.0])
    >>> x, t_x, T = np.array([0.0, 3.0]), np.array([0.0, 10.0]), np.array([20.0, 30.0])
    >>> ll, g, h = log_likelihood_derivatives_kernel(p, w, x, t_x, T, hessian=True)
    >>> ll_rows, g_rows = log_likelihood_gradient_kernel(p, x, t_x, T)
    >>> bool(np.isclose(ll, w @ ll_rows)), bool(np.allclose(g, w @ g_rows))
    (True, True)
    """
    return _bg_family_derivatives(params, weights, x, t_x, T, hessian=hessian, modified=True)


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x)).

    Examples
    --------
    >>> round(float(probability_alive_kernel([0.5, 4.0, 0.8, 2.5], 0, 0, 0)), 4)  # b/(a+b)
    0.7576
    """
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    log_odds_dead = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.asarray(expit(-log_odds_dead))


def expected_purchases_kernel(params: Any, x: Any, t_x: Any, T: Any, t: Any) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T]: P(alive) times the BG/NBD expectation with b -> b + 1.

    ``(a+b+x)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(α+T+t))]`` times
    P(alive), evaluated through Euler's transformation.

    Examples
    --------
    >>> round(float(expected_purchases_kernel([0.5, 4.0, 0.8, 2.5], 1, 5.0, 10.0, 0.0)), 6)
    0.0
    """
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    return np.asarray(alive * _expected_alive(r, alpha, a, b + 1.0, x, T, t))


def expected_purchases_new_customer_kernel(params: Any, t: Any) -> np.ndarray:
    """E[X(t)] = b/(a-1) [1 - (α/(α+t))^r 2F1(r, b+1; a+b; t/(α+t))] for a new customer.

    Examples
    --------
    >>> round(float(expected_purchases_new_customer_kernel([0.5, 4.0, 0.8, 2.5], 0.0)), 6)
    0.0
    """
    r, alpha, a, b = _unpack(params)
    t = np.asarray(t, dtype=np.float64)
    return np.asarray(b / (a + b) * _expected_alive(r, alpha, a, b + 1.0, 0.0, 0.0, t))


def probability_of_purchases_kernel(
    params: Any, n: Any, x: Any, t_x: Any, T: Any, t: Any
) -> np.ndarray:
    """P(X(T, T+t) = n | x, t_x, T) = P(alive) P_BGNBD(n; t, r+x, α+T, a, b+x+1) + P(dead)[n=0].

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_of_purchases_kernel([0.5, 4.0, 0.8, 2.5], np.arange(300), 2, 20, 30, 10)
    >>> round(float(p.sum()), 8)
    1.0
    """
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    n = np.asarray(n, dtype=np.float64)
    pmf = _pmf_new(n, t, r + x, alpha + T, a, b + x + 1.0)
    return np.asarray(alive * pmf + (1.0 - alive) * (n == 0))


class ModifiedBetaGeoModel(PurchaseModel):
    r"""MBG/NBD model (Batislam, Denizel and Filiztekin 2007).

    As :class:`~customer_models.valuation.BetaGeoModel`, but the dropout coin
    ``p ~ Beta(a, b)`` is also tossed right after the first purchase, so customers without
    repeat purchases can be inactive (in BG/NBD they are always alive). Same columns and
    parameter names ``r, alpha, a, b``.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty ``penalizer_coef * sum(params ** 2)`` on the mean negative
        log-likelihood.
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, a, b``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`.

    Notes
    -----
    .. math::

        L = \frac{B(a, b+x+1)}{B(a, b)} \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)}
            \left[\frac{1}{(\alpha+T)^{r+x}} + \frac{a}{b+x} \frac{1}{(\alpha+t_x)^{r+x}}\right]

    References
    ----------
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007), "Empirical validation and
    comparison of models for customer base analysis", International Journal of Research in
    Marketing 24(3), 201-209.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import ModifiedBetaGeoModel
    >>> model = ModifiedBetaGeoModel().fit(load_cdnow_summary())
    >>> model.convergence_.success
    True
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)

    @staticmethod
    def _loglik_kernel(params: np.ndarray, *columns: np.ndarray) -> np.ndarray:
        return log_likelihood_kernel(params, *columns)

    @staticmethod
    def _loglik_gradient_kernel(
        params: np.ndarray, *columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return log_likelihood_gradient_kernel(params, *columns)

    _derivatives_kernel = staticmethod(log_likelihood_derivatives_kernel)
    _alive_kernel = staticmethod(probability_alive_kernel)
    _expected_kernel = staticmethod(expected_purchases_kernel)
    _pmf_kernel = staticmethod(probability_of_purchases_kernel)
    _new_customer_kernel = staticmethod(expected_purchases_new_customer_kernel)
    _separable_expectation = True
    _dert_kernel = staticmethod(bg_family_dert(1.0))
