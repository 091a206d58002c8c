"""NBD model (Ehrenberg 1959): the purchase process without dropout, the baseline of BTYD models.

Each customer buys at the jumps of a Poisson process with rate ``λ ~ Gamma(r, α)``, forever:
the purchase half of Pareto/NBD with no lifetime. Everything is closed form: the likelihood
``Γ(r + x) α^r / (Γ(r) (α + T)^(r + x))`` (recency tells nothing), its analytic gradient,
the posterior ``λ | x, T ~ Gamma(r + x, α + T)``, so ``E[X(T, T + t)] = t (r + x)/(α + T)``,
a negative-binomial count distribution and a closed-form DERT. ``log Γ(r + x) − log Γ(r)``
and its derivative use the Stirling differences of :mod:`customer_models.valuation._special`,
exact for heavy buyers where ``gammaln`` differences lose their size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from scipy.special import xlogy

from customer_models.valuation._purchase import PurchaseModel
from customer_models.valuation._special import digamma_difference, log_gamma_ratio

__all__ = [
    "NegativeBinomialModel",
    "discounted_residual_purchases_kernel",
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "probability_alive_kernel",
    "probability_of_purchases_kernel",
]


def _unpack(params: Any) -> tuple[Any, Any]:
    r, alpha = params
    return np.asarray(r, dtype=float), np.asarray(alpha, dtype=float)


def log_likelihood_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-customer log-likelihood ``log Γ(r+x) − log Γ(r) + r log α − (r+x) log(α+T)``.

    Written as ``−r log1p(T/α) − x log(α+T)``, exact for small ``T/α``.

    Examples
    --------
    >>> import numpy as np
    >>> float(log_likelihood_kernel([0.5, 10.0], np.array([0.0]), 0.0, np.array([0.0]))[0])
    0.0
    """
    r, alpha = _unpack(params)
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    return np.asarray(log_gamma_ratio(r, x) - r * np.log1p(T / alpha) - x * np.log(alpha + T))


def log_likelihood_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in ``(r, alpha)``.

    ``∂/∂r = ψ(r+x) − ψ(r) − log1p(T/α)``, ``∂/∂α = r/α − (r+x)/(α+T)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = log_likelihood_gradient_kernel([0.5, 10.0], np.array([2.0]), np.array([5.0]),
    ...                                        np.array([30.0]))
    >>> g.shape
    (1, 2)
    """
    r, alpha = _unpack(params)
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    ll = log_likelihood_kernel(params, x, t_x, T)
    d_r = digamma_difference(r, x) - np.log1p(T / alpha)
    d_alpha = (r * T - x * alpha) / (alpha * (alpha + T))  # r/α − (r+x)/(α+T), one fraction
    grad = np.stack(np.broadcast_arrays(d_r, d_alpha), axis=-1)
    return ll, grad


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Nobody leaves: P(alive) = 1.

    Examples
    --------
    >>> probability_alive_kernel([0.5, 10.0], [1, 2], [3, 4], [5, 6]).tolist()
    [1.0, 1.0]
    """
    return np.ones(np.broadcast(np.asarray(x), np.asarray(t_x), np.asarray(T)).shape)


def expected_purchases_kernel(params: Any, x: Any, t_x: Any, T: Any, t: Any) -> np.ndarray:
    """``E[X(T, T + t) | x, T] = t (r + x) / (α + T)``, the posterior mean rate times ``t``.

    Examples
    --------
    >>> float(expected_purchases_kernel([0.5, 10.0], 1.5, 0.0, 10.0, 40.0))
    4.0
    """
    r, alpha = _unpack(params)
    return np.asarray((r + np.asarray(x, float)) / (alpha + np.asarray(T, float)) * t)


def expected_purchases_new_customer_kernel(params: Any, t: Any) -> np.ndarray:
    """``E[X(t)] = r t / α`` for a new customer.

    Examples
    --------
    >>> float(expected_purchases_new_customer_kernel([0.5, 10.0], 40.0))
    2.0
    """
    r, alpha = _unpack(params)
    return np.asarray(r / alpha * np.asarray(t, dtype=float))


def probability_of_purchases_kernel(
    params: Any, n: Any, x: Any, t_x: Any, T: Any, t: Any
) -> np.ndarray:
    """Negative binomial ``P(X(T, T+t) = n)``: Poisson counts at a Gamma(r+x, α+T) rate.

    ``Γ(r+x+n)/(Γ(r+x) n!) (1 − p)^(r+x) p^n`` with ``p = t/(α+T+t)``; ``log(1 − p)`` is
    ``−log1p(t/(α+T))``, exact for short horizons.

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_of_purchases_kernel([0.5, 10.0], np.arange(200), 1, 0, 10, 40)
    >>> round(float(p.sum()), 12)
    1.0
    """
    r, alpha = _unpack(params)
    n = np.asarray(n, dtype=float)
    shape = r + np.asarray(x, dtype=float)
    scale = alpha + np.asarray(T, dtype=float)
    t = np.asarray(t, dtype=float)
    log_p = (
        log_gamma_ratio(shape, n)
        - log_gamma_ratio(1.0, n)  # log n!
        - shape * np.log1p(t / scale)
        + xlogy(n, t / (scale + t))
    )
    return np.asarray(np.exp(log_p))


def discounted_residual_purchases_kernel(
    params: Any,
    x: np.ndarray,
    T: np.ndarray,
    alive: np.ndarray,
    delta: np.ndarray,
    horizon: float,
) -> np.ndarray | None:
    """Closed-form DERT: ``∫_0^H e^(−δ s) (r + x)/(α + T) ds``, times P(alive) (= 1).

    Undiscounted (``δ = 0``) it is ``H (r + x)/(α + T)`` for a finite horizon; with neither
    discount nor horizon the sum is infinite and None is returned (CLV reports it).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones(1)
    >>> d = discounted_residual_purchases_kernel([0.5, 10.0], one, 10 * one, one, 0.1 * one,
    ...                                          np.inf)
    >>> round(float(d[0]), 12)  # (r + x)/(alpha + T)/delta = 0.075 / 0.1
    0.75
    """
    delta = np.asarray(delta, dtype=float)
    if not np.isfinite(horizon) and not np.all(delta > 0):
        return None
    r, alpha = _unpack(params)
    rate = alive * (r + x) / (alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        span = np.where(delta > 0, -np.expm1(-delta * horizon) / delta, horizon)
    return np.asarray(rate * span)


class NegativeBinomialModel(PurchaseModel, kernels=[globals()]):
    r"""NBD model of repeat purchasing (Ehrenberg 1959): Poisson purchases, no dropout.

    Each customer buys at the jumps of a Poisson process with rate ``λ ~ Gamma(r, α)`` and
    never leaves: the purchase half of Pareto/NBD, and the baseline every buy-till-you-die
    model must beat. Fitted on ``frequency``, ``recency`` and ``T`` (``recency`` carries no
    information under this model).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty ``penalizer_coef * (r**2 + (alpha / max T)**2)`` on the mean negative
        log-likelihood (unit-free: see :class:`~customer_models.valuation.ValuationModel`).
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`.

    Notes
    -----
    .. math::

        L(r, \alpha \mid x, T) = \frac{\Gamma(r + x)}{\Gamma(r)}
            \left(\frac{\alpha}{\alpha + T}\right)^r \left(\frac{1}{\alpha + T}\right)^x

    ``probability_alive`` is 1; ``expected_purchases`` is ``t (r + x)/(α + T)``;
    ``probability_of_purchases`` is negative binomial with shape ``r + x`` and success
    probability ``t / (α + T + t)``; the new-customer expectation is ``r t / α``.

    References
    ----------
    Ehrenberg, A. S. C. (1959), "The pattern of consumer purchases", Journal of the Royal
    Statistical Society C 8(1), 26-41.

    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting your customers' the easy
    way: an alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284 (the NBD
    on CDNOW: r = 0.385, alpha = 12.072, LL = -9763.7).

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> model = NegativeBinomialModel().fit(load_cdnow_summary())
    >>> model.params_.round(3).tolist(), round(model.log_likelihood_, 1)
    ([0.385, 12.072], -9763.7)
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0)
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {"alpha": "T"}
    _separable_expectation = True  # E[X(t)] = P(alive) g(x, T, t), with P(alive) = 1
