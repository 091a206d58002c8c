"""Pareto/NBD model (Schmittlein, Morrison and Colombo 1987; Fader and Hardie 2005 note).

Kernels take ``params = [r, alpha, s, beta]`` (shape ``(4,)`` or ``(4, ...)`` broadcasting
against the data) and float arrays ``x`` (frequency), ``t_x`` (recency), ``T``.

Numerics. The likelihood needs ``A_0``, a difference of two Gaussian hypergeometric terms
``2F1(r+s+x, s+1; r+s+x+1; z) / (alpha+t)^(r+s+x)`` (alpha >= beta) or
``2F1(r+s+x, r+x; r+s+x+1; z) / (beta+t)^(r+s+x)`` (alpha < beta). Those overflow for large
``x``; by Euler's transformation they equal

* alpha >= beta: ``2F1(1, r+x; r+s+x+1; z) / ((beta+t)^s (alpha+t)^(r+x))``,
  ``z = (alpha-beta)/(alpha+t)``;
* alpha < beta: ``2F1(1, s+1; r+s+x+1; z) / ((alpha+t)^(r+x-1) (beta+t)^(s+1))``,
  ``z = (beta-alpha)/(beta+t)``;

where ``2F1(1, B; C; z)`` (``0 < B < C``, ``0 <= z < 1``) is a series of positive terms with
value in ``[1, 1/(1-z)]``. Everything else is in log space. The gradient is analytic; the
derivatives of ``log 2F1`` with respect to its parameters come from the same vectorized
series (:func:`customer_models.valuation._special.hyp2f1_1bc`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln, psi

from customer_models.valuation._base import PurchaseModel
from customer_models.valuation._bgnbd import _by_count
from customer_models.valuation._special import hyp2f1_1bc

__all__ = [
    "ParetoNBDModel",
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "loglik_gradient_kernel",
    "loglik_kernel",
    "probability_alive_kernel",
]


def _unpack(params: Any) -> tuple[Any, Any, Any, Any]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


def _log_j(
    r: Any, alpha: Any, s: Any, beta: Any, x: Any, t: Any, grad: bool, dedup: bool = True
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Log of the Euler-transformed A_0 term at time ``t`` and its gradient."""
    case1 = alpha >= beta
    la, lb = np.log(alpha + t), np.log(beta + t)
    big = np.where(case1, alpha + t, beta + t)
    z = np.abs(alpha - beta) / big
    B = np.where(case1, r + x, s + 1.0)
    C = r + s + x + 1.0
    log_f, f_b, f_c, f_z = hyp2f1_1bc(B, C, z, dedup=dedup)
    log_j = log_f + np.where(case1, -s * lb - (r + x) * la, -(r + x - 1.0) * la - (s + 1.0) * lb)
    if not grad:
        return log_j, None
    d_r = np.where(case1, f_b + f_c, f_c) - la
    d_s = np.where(case1, f_c, f_b + f_c) - lb
    d_alpha = np.where(
        case1,
        f_z * (beta + t) / (alpha + t) ** 2 - (r + x) / (alpha + t),
        -f_z / (beta + t) - (r + x - 1.0) / (alpha + t),
    )
    d_beta = np.where(
        case1,
        -f_z / (alpha + t) - s / (beta + t),
        f_z * (alpha + t) / (beta + t) ** 2 - (s + 1.0) / (beta + t),
    )
    return log_j, [d_r, d_alpha, d_s, d_beta]


def _core(
    params: Any, x: Any, t_x: Any, T: Any, grad: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return (loglik, P(alive), gradient or None)."""
    r, alpha, s, beta = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    N = r + s + x
    A1 = _by_count(gammaln, r, x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    l1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    l2, g2 = _log_j(r, alpha, s, beta, x, t_x, grad)
    l3, g3 = _log_j(r, alpha, s, beta, x, T, grad)
    l3 = np.minimum(l3, l2)  # A_0 >= 0 exactly; guard rounding
    q = np.exp(l3 - l2)
    with np.errstate(divide="ignore"):
        log_a0 = l2 + np.log(-np.expm1(l3 - l2))
    log_c = np.log(s) - np.log(N)
    lterm = np.logaddexp(l1, log_c + log_a0)
    ll = A1 + lterm
    alive = np.exp(l1 - lterm)
    if not grad:
        return ll, alive, None
    assert g2 is not None
    assert g3 is not None
    w1 = alive
    w2 = 1.0 - w1
    v = np.exp(log_c + l2 - lterm)  # = w2 / (1 - q), finite even when t_x == T
    dA1 = [
        _by_count(psi, r, x) - psi(r) + np.log(alpha),
        r / alpha + 0.0 * x,
        np.log(beta) + 0.0 * x,
        s / beta + 0.0 * x,
    ]
    dl1 = [
        -np.log(alpha + T),
        -(r + x) / (alpha + T),
        -np.log(beta + T) + 0.0 * x,
        -s / (beta + T) + 0.0 * x,
    ]
    dlogc = [-1.0 / N, 0.0 * x, 1.0 / s - 1.0 / N, 0.0 * x]
    g = [dA1[i] + w1 * dl1[i] + w2 * dlogc[i] + v * (g2[i] - q * g3[i]) for i in range(4)]
    return ll, alive, np.stack(g, axis=-1)


def loglik_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader and Hardie 2005 note, eq. 19).

    Examples
    --------
    >>> import numpy as np
    >>> ll = loglik_kernel([0.553, 10.578, 0.606, 11.669], np.array([300.0]), np.array([38.0]),
    ...                    np.array([39.0]))
    >>> bool(np.isfinite(ll).all())
    True
    """
    return _core(params, x, t_x, T, grad=False)[0]


def loglik_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in ``(r, alpha, s, beta)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = loglik_gradient_kernel(np.array([0.5, 10.0, 0.6, 12.0]), np.array([1.0]),
    ...                                np.array([5.0]), np.array([30.0]))
    >>> g.shape
    (1, 4)
    """
    ll, _, g = _core(params, x, t_x, T, grad=True)
    assert g is not None
    return ll, g


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A_0).

    Examples
    --------
    >>> round(float(probability_alive_kernel([0.553, 10.578, 0.606, 11.669], 0, 0, 0)), 6)
    1.0
    """
    return _core(params, x, t_x, T, grad=False)[1]


def _growth(s: Any, u: Any, t: Any) -> np.ndarray:
    """[1 - (u/(u+t))^(s-1)] / (s-1), with its limit log(1 + t/u) at s = 1."""
    L = -np.log1p(t / u)
    sm1 = s - 1.0
    small = np.abs(sm1) < 1e-8
    safe = np.where(small, 1.0, sm1)
    return np.asarray(np.where(small, -L, -np.expm1(safe * L) / safe))


def expected_purchases_kernel(params: Any, x: Any, t_x: Any, T: Any, t: Any) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T] = P(alive) (r+x)(β+T)/(α+T) [1 - ((β+T)/(β+T+t))^(s-1)]/(s-1).

    Examples
    --------
    >>> round(float(expected_purchases_kernel([0.553, 10.578, 0.606, 11.669], 0, 0, 0, 0)), 6)
    0.0
    """
    r, alpha, s, beta = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    return np.asarray(alive * (r + x) * (beta + T) / (alpha + T) * _growth(s, beta + T, t))


def expected_purchases_new_customer_kernel(params: Any, t: Any) -> np.ndarray:
    """E[X(t)] = rβ/(α(s-1)) [1 - (β/(β+t))^(s-1)] for a new customer.

    Examples
    --------
    >>> round(float(expected_purchases_new_customer_kernel([0.553, 10.578, 0.606, 11.669], 0)), 6)
    0.0
    """
    r, alpha, s, beta = _unpack(params)
    t = np.asarray(t, dtype=np.float64)
    return np.asarray(r * beta / alpha * _growth(s, beta, t))


class ParetoNBDModel(PurchaseModel):
    r"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison and Colombo 1987).

    While active, a customer buys at the jumps of a Poisson process with rate
    ``λ ~ Gamma(r, α)``; their unobserved lifetime is exponential with rate
    ``μ ~ Gamma(s, β)``. Fitted on ``frequency``, ``recency`` and ``T`` (one time unit).

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
        ``r, alpha, s, beta``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`.

    Notes
    -----
    .. math::

        L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
            \left[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\right]

    with ``A_0`` the difference of two Gaussian hypergeometric terms (see the module
    docstring for the stable Euler-transformed evaluation, finite for any frequency).
    Probability of purchases is not provided for this model.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting your customers: who
    are they and what will they do next?", Management Science 33(1), 1-24.

    Fader, P. S. and Hardie, B. G. S. (2005), "A note on deriving the Pareto/NBD model and
    related expressions".

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import ParetoNBDModel
    >>> model = ParetoNBDModel().fit(load_cdnow_summary())
    >>> model.params_.round(2).tolist(), round(model.log_likelihood_, 1)
    ([0.55, 10.58, 0.61, 11.67], -9595.0)
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)

    @staticmethod
    def _loglik_kernel(params: np.ndarray, *columns: np.ndarray) -> np.ndarray:
        return loglik_kernel(params, *columns)

    @staticmethod
    def _loglik_gradient_kernel(
        params: np.ndarray, *columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return loglik_gradient_kernel(params, *columns)

    _alive_kernel = staticmethod(probability_alive_kernel)
    _expected_kernel = staticmethod(expected_purchases_kernel)
    _new_customer_kernel = staticmethod(expected_purchases_new_customer_kernel)

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        init = super()._initial_params(columns, weights)
        init[3] = init[1]  # dropout scale on the same time scale as the purchase rate
        return init
