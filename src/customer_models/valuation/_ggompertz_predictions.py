r"""GGompertz/NBD expectations and purchase-count distribution (Bemmaor and Glady 2012, eq. 15).

Given alive at ``T`` the posterior is ``λ ~ Gamma(r + x, α + T)`` and, independently,
``η ~ Gamma(s, β + e^(bT) − 1)``, so the residual lifetime ``u`` has survival

.. math::

    S_T(u) = \left(1 + κ\,(e^{bu} − 1)\right)^{-s}, \qquad
    κ = \frac{e^{bT}}{β + e^{bT} − 1} = \frac{1}{β e^{-bT} − (e^{-bT} − 1)},

and ``E[X(T, T + t)] = P(alive) (r + x)/(α + T) ∫_0^t S_T(u) du`` (separable: the integral
depends on ``T`` only). ``P(X(T, T+t) = n | alive)`` mixes the negative binomial of a
Gamma(r + x, α + T) rate over ``min(u, t)``:
``S_T(t) NB(n; t) + ∫_0^t f_T(u) NB(n; u) du``. Both integrals are taken in
``y = log(1 + κ b u)``, where the Pareto-like part of ``S_T`` is exactly ``e^(−s y)``
(:mod:`customer_models.valuation._ggompertz_integral`), up to where ``S_T`` has fallen
below ``e^(−60)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import xlogy

from customer_models.exceptions import ParameterError
from customer_models.valuation._btyd_common import conditional_pmf
from customer_models.valuation._ggompertz_integral import (
    log_one_plus_expm1,
    log_split_integral,
    rows_in_blocks,
)
from customer_models.valuation._ggompertz_likelihood import probability_alive_kernel, unpack5
from customer_models.valuation._special import log_gamma_ratio

__all__ = [
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "probability_of_purchases_kernel",
]

#: Residual lifetimes beyond ``S_T(u) = e^(−60)`` contribute nothing in float64.
_LOG_SURVIVAL_FLOOR = 60.0


def _lifetime_scale(
    b: np.ndarray, s: np.ndarray, beta: np.ndarray, T: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(κ, c = κ b, horizon)``: the posterior lifetime at T, its Pareto scale, the horizon cut.

    The horizon is ``t`` or, if shorter, where ``s log(1 + κ(e^(bu) − 1))`` reaches 60.
    """
    kappa = 1.0 / (beta * np.exp(-b * T) - np.expm1(-b * T))
    with np.errstate(over="ignore"):
        cut = np.log1p(np.expm1(_LOG_SURVIVAL_FLOOR / s) / kappa) / b
    return kappa, kappa * b, np.minimum(t, cut)


def _gompertz_split(kappa: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``u* = log(1 + 1/κ)/b``, where ``κ (e^(bu) − 1) = 1``.

    There the residual lifetime changes from its Pareto-like to its Gompertz regime, and the
    quadrature splits.
    """
    return np.asarray(np.log1p(1.0 / kappa) / b)


def log_mean_residual_lifetime(
    b: np.ndarray, s: np.ndarray, beta: np.ndarray, T: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """``log ∫_0^t S_T(u) du`` on flat rows: the expected lifetime in (T, T + t] given alive.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones(1)
    >>> float(np.exp(log_mean_residual_lifetime(1e-9 * one, one, one, 0 * one, 5 * one))[0])
    4.999999...
    """
    kappa, c, horizon = _lifetime_scale(b, s, beta, T, t)

    def log_g(y: np.ndarray) -> np.ndarray:
        u = np.expm1(y) / c[:, None]
        return s[:, None] * (y - log_one_plus_expm1(kappa[:, None], b[:, None] * u))

    split = np.log1p(c * _gompertz_split(kappa, b))
    integral = log_split_integral(s - 1.0, np.log1p(c * horizon), split, log_g)
    return np.asarray(integral - np.log(c))


def _expected_rows(*rows: np.ndarray) -> np.ndarray:
    r, alpha, b, s, beta, x, T, t = rows
    with np.errstate(divide="ignore"):
        life = np.exp(log_mean_residual_lifetime(b, s, beta, T, t))
    return np.asarray((r + x) / (alpha + T) * life)


def expected_purchases_kernel(params: Any, x: Any, t_x: Any, T: Any, t: Any) -> np.ndarray:
    """``E[X(T, T + t) | x, t_x, T] = P(alive) (r + x)/(α + T) ∫_0^t S_T(u) du``.

    Examples
    --------
    >>> import numpy as np
    >>> e = expected_purchases_kernel([0.553, 10.578, 0.0002, 0.603, 0.0026], np.array([2.0]),
    ...                               np.array([30.43]), np.array([38.86]), 39.0)
    >>> round(float(e[0]), 4)
    1.4663
    """
    alive = probability_alive_kernel(params, x, t_x, T)
    given_alive = rows_in_blocks(_expected_rows, *unpack5(params), x, T, t)
    return np.asarray(alive * given_alive)


def expected_purchases_new_customer_kernel(params: Any, t: Any) -> np.ndarray:
    """``E[X(t)] = r/α ∫_0^t (β / (β + e^(bu) − 1))^s du`` for a new customer.

    Examples
    --------
    >>> round(float(expected_purchases_new_customer_kernel([0.5, 10.0, 1e-9, 1.0, 1.0], 40.0)), 6)
    2.0
    """
    r, alpha, b, s, beta = unpack5(params)
    out = rows_in_blocks(_expected_rows, r, alpha, b, s, beta, 0.0, 0.0, t)
    return out if np.ndim(t) or out.ndim else np.asarray(float(out))


def _log_nbd(n: np.ndarray, shape: np.ndarray, scale: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``log P(N = n)``, N Poisson over ``u`` at a Gamma(shape, scale) rate (0 at u = 0, n = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(
            log_gamma_ratio(shape, n)
            - log_gamma_ratio(1.0, n)
            - shape * np.log1p(u / scale)
            + xlogy(n, u / (scale + u))
        )


def _pmf_rows(*rows: np.ndarray) -> np.ndarray:
    r, alpha, b, s, beta, n, x, T, t = rows
    shape, scale = r + x, alpha + T
    kappa, c, horizon = _lifetime_scale(b, s, beta, T, t)
    log_survival_t = -s * log_one_plus_expm1(kappa, b * t)

    def log_g(y: np.ndarray) -> np.ndarray:
        u = np.expm1(y) / c[:, None]
        bu = b[:, None] * u
        density = (
            np.log(s)[:, None]
            + bu
            + (s[:, None] + 1.0) * (y - log_one_plus_expm1(kappa[:, None], bu))
        )
        return density + _log_nbd(n[:, None], shape[:, None], scale[:, None], u)

    with np.errstate(divide="ignore"):
        split = np.log1p(c * _gompertz_split(kappa, b))
        dead = log_split_integral(s, np.log1p(c * horizon), split, log_g)
    alive_through = log_survival_t + _log_nbd(n, shape, scale, t)
    return np.asarray(np.exp(np.logaddexp(alive_through, dead)))


def probability_of_purchases_kernel(
    params: Any, n: Any, x: Any, t_x: Any, T: Any, t: Any
) -> np.ndarray:
    """``P(X(T, T + t) = n | x, t_x, T)``: dead at T, or NBD counts over the residual lifetime.

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_of_purchases_kernel([0.553, 10.578, 0.0002, 0.603, 0.0026],
    ...                                     np.arange(80), 2.0, 30.43, 38.86, 39.0)
    >>> round(float(p.sum()), 10)
    1.0
    """
    counts = np.asarray(n, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    given_alive = rows_in_blocks(_pmf_rows, *unpack5(params), counts, x, T, t)
    out = conditional_pmf(alive, given_alive, counts)
    if not np.all(np.isfinite(out)):
        raise ParameterError(
            "GGompertz/NBD probability_of_purchases is not finite for these parameters: "
            "beyond this library's verified range (docs/models_nbd_ggompertz.md)."
        )
    return out
