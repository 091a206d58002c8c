r"""GGompertz/NBD likelihood and P(alive) (Bemmaor and Glady 2012, eqs. 9 and 11).

With ``λ ~ Gamma(r, α)`` and a lifetime of hazard ``b η e^(bτ)``, ``η ~ Gamma(s, β)``, so
that ``S(τ) = (β / (β + e^(bτ) − 1))^s``,

.. math::

    L = \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)} \left[
        \frac{S(T)}{(\alpha+T)^{r+x}}
        + s\,b\,\beta^s \int_{t_x}^{T} \frac{e^{b\tau}\, d\tau}
          {(\alpha+\tau)^{r+x}\,(\beta + e^{b\tau} - 1)^{s+1}} \right],

and ``P(alive) = first term / L``. The two terms are kept as logs ``A`` and ``B``
(``log L = log Γ(r+x) − log Γ(r) + logaddexp(A, B)``, ``P(alive) = expit(A − B)``), with
``β + e^z − 1`` as ``β (1 + (e^z − 1)/β)`` through ``expm1``/``log1p`` (exact for the tiny
``b`` and ``β`` of near-Pareto fits) and the integral in ``y = log((α+τ)/(α+t_x))``, where
the purchase factor is exactly ``e^(−(r+x−1) y)`` (see
:mod:`customer_models.valuation._ggompertz_integral`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, softmax

from customer_models.exceptions import ParameterError
from customer_models.valuation._ggompertz_integral import (
    BLOCK_ROWS,
    log_one_plus_expm1,
    log_split_integral,
    log_sum_exp_rows,
    rows_in_blocks,
    split_nodes,
)
from customer_models.valuation._special import digamma_difference, log_gamma_ratio

__all__ = ["log_likelihood_gradient_kernel", "log_terms", "probability_alive_kernel", "unpack5"]


def unpack5(params: Any) -> tuple[Any, Any, Any, Any, Any]:
    """``(r, alpha, b, s, beta)`` as float arrays (scalars or per-row arrays)."""
    r, alpha, b, s, beta = params
    return tuple(np.asarray(p, dtype=np.float64) for p in (r, alpha, b, s, beta))  # type: ignore[return-value]


def log_terms(
    r: np.ndarray,
    alpha: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    beta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(A, B)`` on flat rows, ``log L − log Γ(r+x) + log Γ(r) = logaddexp(A, B)``.

    ``A`` is the log of ``α^r S(T) / (α+T)^(r+x)``, alive at ``T``; ``B`` that of the
    integral term, dead between ``t_x`` and ``T``.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones(1)
    >>> A, B = log_terms(*(v * one for v in (0.55, 10.6, 0.1, 0.6, 1.0, 0.0, 0.0, 0.0)))
    >>> float(A[0]), float(B[0])
    (0.0, -inf)
    """
    inv_beta = 1.0 / beta
    A = -r * np.log1p(T / alpha) - x * np.log(alpha + T) - s * log_one_plus_expm1(inv_beta, b * T)
    a = alpha + t_x
    m = r + x - 1.0
    Y = np.log1p((_dying_cut(inv_beta, b, s, t_x, T) - t_x) / a)

    def log_g(y: np.ndarray) -> np.ndarray:
        z = b[:, None] * (t_x[:, None] + a[:, None] * np.expm1(y))
        return z - (s[:, None] + 1.0) * log_one_plus_expm1(inv_beta[:, None], z)

    integral = log_split_integral(m, Y, _gompertz_split(inv_beta, b, a, alpha), log_g)
    with np.errstate(divide="ignore"):
        B = np.log(s * b / beta) - r * np.log1p(t_x / alpha) - (x - 1.0) * np.log(a) + integral
    return np.asarray(A), np.asarray(B)


#: The integral stops where the lifetime survival has fallen by this factor (log) from t_x:
#: beyond it the integrand's share is below e^-60 of the part before (it is at most
#: S(τ_c) (α+τ_c)^-(r+x) against at least (S(t_x) − S(τ_c)) (α+τ_c)^-(r+x)).
_LOG_SURVIVAL_DROP = 60.0


def _dying_cut(
    inv_beta: np.ndarray, b: np.ndarray, s: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """``min(T, τ_c)`` with ``S(τ_c) = e^(−60) S(t_x)``: the likelihood integral's upper limit."""
    level = log_one_plus_expm1(inv_beta, b * t_x) + _LOG_SURVIVAL_DROP / s
    with np.errstate(over="ignore"):
        cut = np.log1p(np.expm1(level) / inv_beta) / b
    return np.asarray(np.minimum(T, np.maximum(cut, t_x)))


def _gompertz_split(
    inv_beta: np.ndarray, b: np.ndarray, a: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """``y`` of ``τ* = log(1 + β)/b``, where ``e^(bτ) − 1 = β``: the lifetime changes regime.

    Below it the gamma/Gompertz survival is Pareto-like, beyond it Gompertz's hazard takes
    over; the quadrature splits there so that each panel's nodes cluster at the change.
    """
    tau = np.log1p(1.0 / inv_beta) / b
    return np.asarray(np.log1p(np.maximum(tau + alpha - a, 0.0) / a))


def _loglik_rows(*rows: np.ndarray) -> np.ndarray:
    r, _, _, _, _, x = rows[:6]
    A, B = log_terms(*rows)
    return np.asarray(log_gamma_ratio(r, x) + np.logaddexp(A, B))


def _alive_rows(*rows: np.ndarray) -> np.ndarray:
    A, B = log_terms(*rows)
    return np.asarray(expit(A - B))


def _hazard_share(inv_beta: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``e^z / (β + e^z − 1) = 1 / (β e^(−z) − (e^(−z) − 1))``, in (0, max(1, 1/β)]."""
    return np.asarray(1.0 / (np.exp(-z) / inv_beta - np.expm1(-z)))


def _gradient_rows(*rows: np.ndarray) -> np.ndarray:
    """``(ll, d ll/d(r, alpha, b, s, beta))`` as a (rows, 6) array.

    ``∂A`` is closed form; ``∂B`` is the derivative of the integral's log, the mean of
    ``∂ log f(τ)`` under the integrand's own weights on the same nodes (the limits do not
    depend on the parameters), plus that of B's explicit factors ``s b α^r β^s``.
    """
    r, alpha, b, s, beta, x, t_x, T = rows
    inv_beta = 1.0 / beta
    bT = b * T
    d_T = log_one_plus_expm1(inv_beta, bT)
    A = -r * np.log1p(T / alpha) - x * np.log(alpha + T) - s * d_T
    a = alpha + t_x
    upper = _dying_cut(inv_beta, b, s, t_x, T)
    m = r + x - 1.0
    split = _gompertz_split(inv_beta, b, a, alpha)
    y, log_w = split_nodes(m, np.log1p((upper - t_x) / a), split)
    tau = t_x[:, None] + a[:, None] * np.expm1(y)
    z = b[:, None] * tau
    d_z = log_one_plus_expm1(inv_beta[:, None], z)
    log_g = z - (s[:, None] + 1.0) * d_z
    terms = log_w + log_g
    with np.errstate(divide="ignore"):
        B = (
            np.log(s * b / beta)
            - r * np.log1p(t_x / alpha)
            - (x - 1.0) * np.log(a)
            + log_sum_exp_rows(terms)
        )
    with np.errstate(invalid="ignore"):
        omega = softmax(terms, axis=1)  # the integrand's share at each node (NaN if none)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.asarray(np.einsum("ij,ij->i", omega, values))

    share = _hazard_share(inv_beta[:, None], z)
    dB = np.stack(
        [
            -mean(np.log1p(tau / alpha[:, None])),
            r / alpha - (r + x) * mean(1.0 / (alpha[:, None] + tau)),
            1.0 / b + mean(tau * (1.0 - (s[:, None] + 1.0) * share)),
            1.0 / s - mean(d_z),
            (s - (s + 1.0) * mean(1.0 / (1.0 + np.expm1(z) * inv_beta[:, None]))) / beta,
        ],
        axis=1,
    )
    dA = np.stack(
        [
            -np.log1p(T / alpha),
            (r * T - x * alpha) / (alpha * (alpha + T)),
            -s * T * _hazard_share(inv_beta, bT),
            -d_T,
            s * np.expm1(bT) / (beta * (beta + np.expm1(bT))),
        ],
        axis=1,
    )
    total = np.logaddexp(A, B)
    p_alive = expit(A - B)[:, None]
    dead = np.isneginf(B)[:, None]  # t_x = T: no integral term
    grad = p_alive * dA + np.where(dead, 0.0, (1.0 - p_alive) * dB)
    grad[:, 0] += digamma_difference(r, x)
    out = np.empty((r.size, 6))
    out[:, 0] = log_gamma_ratio(r, x) + total
    out[:, 1:] = grad
    return out


def log_likelihood_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in ``(r, alpha, b, s, beta)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = log_likelihood_gradient_kernel([0.553, 10.578, 0.0002, 0.603, 0.0026],
    ...     np.array([2.0]), np.array([30.43]), np.array([38.86]))
    >>> g.shape, bool(np.isclose(ll[0], -9.506196))
    ((1, 5), True)
    """
    r, alpha, b, s, beta = unpack5(params)
    arrs = np.broadcast_arrays(r, alpha, b, s, beta, *(np.asarray(v, float) for v in (x, t_x, T)))
    flat = [np.ascontiguousarray(v, dtype=np.float64).ravel() for v in arrs]
    out = np.empty((flat[0].size, 6))
    for start in range(0, out.shape[0], BLOCK_ROWS):
        part = slice(start, start + BLOCK_ROWS)
        out[part] = _gradient_rows(*(v[part] for v in flat))
    return out[:, 0].reshape(arrs[0].shape), out[:, 1:].reshape((*arrs[0].shape, 5))


def log_likelihood_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-customer GGompertz/NBD log-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> ll = log_likelihood_kernel([0.553, 10.578, 0.0002, 0.603, 0.0026], np.array([2.0]),
    ...                            np.array([30.43]), np.array([38.86]))
    >>> round(float(ll[0]), 6)
    -9.506196
    """
    return rows_in_blocks(_loglik_rows, *unpack5(params), x, t_x, T)


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """``P(alive at T | x, t_x, T)``: the first term of the likelihood over the whole.

    Examples
    --------
    >>> round(float(probability_alive_kernel([0.553, 10.578, 0.0002, 0.603, 0.0026], 0, 0, 0)), 6)
    1.0
    """
    alive = rows_in_blocks(_alive_rows, *unpack5(params), x, t_x, T)
    if np.isnan(alive).any():
        raise ParameterError(
            "GGompertz/NBD P(alive) could not be evaluated (not finite): parameters beyond "
            "this library's verified range (docs/models_nbd_ggompertz.md). Refit with "
            "penalizer_coef > 0."
        )
    return alive
