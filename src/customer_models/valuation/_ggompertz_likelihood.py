r"""GGompertz/NBD likelihood and P(alive) (Bemmaor and Glady 2012, eqs. 9 and 11).

With ``λ ~ Gamma(r, α)`` and a lifetime of hazard ``b η e^(bτ)``, ``η ~ Gamma(s, β)``, so
that ``S(τ) = (β / (β + e^(bτ) − 1))^s``,

.. math::

    L = \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)} \left[
        \frac{S(T)}{(\alpha+T)^{r+x}}
        + s\,b\,\beta^s \int_{t_x}^{T} \frac{e^{b\tau}\, d\tau}
          {(\alpha+\tau)^{r+x}\,(\beta + e^{b\tau} - 1)^{s+1}} \right],

and ``P(alive) = first term / L``. The integral is the difference of two tails,
``∫_{t_x}^T = ∫_{t_x}^H − ∫_T^H`` with ``H >= T`` a power of two: a tail depends on
``(x, u, H)`` only, and a customer base has far fewer distinct ``(x, t_x)`` and ``(x, T)``
than ``(x, t_x, T)``, so each tail is integrated once for all the rows that share it. With
``A`` the log of the first term and ``C`` those of the tails,
``log L = log Γ(r+x) − log Γ(r) + log(e^A + e^C(t_x) − e^C(T))``, which loses nothing to
the difference because ``e^C(T) <= e^A``. ``β + e^z − 1`` is ``β (1 + (e^z − 1)/β)``
through ``expm1``/``log1p`` (exact for the tiny ``b`` and ``β`` of near-Pareto fits) and a
tail is integrated in ``y = log((α+τ)/(α+u))``, where the purchase factor is exactly
``e^(−(r+x−1) y)`` (see :mod:`customer_models.valuation._ggompertz_integral`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import softmax

from customer_models.exceptions import ParameterError
from customer_models.valuation._ggompertz_integral import (
    BLOCK_ROWS,
    log_one_plus_expm1,
    log_sum_exp_rows,
    split_nodes,
)
from customer_models.valuation._patterns import distinct_rows
from customer_models.valuation._special import digamma_difference, log_gamma_ratio

__all__ = [
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "probability_alive_kernel",
    "unpack5",
]


def unpack5(params: Any) -> tuple[Any, Any, Any, Any, Any]:
    """``(r, alpha, b, s, beta)`` as float arrays (scalars or per-row arrays)."""
    r, alpha, b, s, beta = params
    return tuple(np.asarray(p, dtype=np.float64) for p in (r, alpha, b, s, beta))  # type: ignore[return-value]


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


def _hazard_share(inv_beta: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``e^z / (β + e^z − 1) = 1 / (β e^(−z) − (e^(−z) − 1))``, in (0, max(1, 1/β)]."""
    return np.asarray(1.0 / (np.exp(-z) / inv_beta - np.expm1(-z)))


def _tail_rows(*rows: np.ndarray, gradient: bool = True) -> np.ndarray:
    """``C`` and (with ``gradient``) ``∂C/∂(r, alpha, b, s, beta)`` as a (rows, 6) array.

    ``C = log(s b α^r β^s ∫_u^H e^(bτ) dτ / ((α+τ)^(r+x) (β + e^(bτ) − 1)^(s+1)))`` for rows
    ``(r, alpha, b, s, beta, x, u, H)``, ``-inf`` where ``u = H``. The integral is taken in
    ``y = log((α+τ)/(α+u))`` up to the dying cut; ``∂C`` is the mean of ``∂ log f(τ)``
    under the integrand's own weights on the same nodes (the limits do not depend on the
    parameters: beyond the cut nothing is left), plus that of the explicit factors.
    """
    r, alpha, b, s, beta, x, u, H = rows
    inv_beta = 1.0 / beta
    a = alpha + u
    m = r + x - 1.0
    Y = np.log1p((_dying_cut(inv_beta, b, s, u, H) - u) / a)
    y, log_w = split_nodes(m, Y, _gompertz_split(inv_beta, b, a, alpha))
    tau = u[:, None] + a[:, None] * np.expm1(y)
    z = b[:, None] * tau
    d_z = log_one_plus_expm1(inv_beta[:, None], z)
    terms = log_w + z - (s[:, None] + 1.0) * d_z
    out = np.full((r.size, 6), np.nan)
    with np.errstate(divide="ignore"):
        out[:, 0] = (
            np.log(s * b / beta)
            - r * np.log1p(u / alpha)
            - (x - 1.0) * np.log(a)
            + log_sum_exp_rows(terms)
        )
    if not gradient:
        return out
    with np.errstate(invalid="ignore"):
        omega = softmax(terms, axis=1)  # the integrand's share at each node (NaN if none)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.asarray(np.einsum("ij,ij->i", omega, values))

    share = np.exp(z - d_z) * inv_beta[:, None]  # e^z / (β + e^z − 1), as e^(d_z) = that / β
    out[:, 1] = -mean(np.log1p(tau / alpha[:, None]))
    out[:, 2] = r / alpha - (r + x) * mean(1.0 / (alpha[:, None] + tau))
    out[:, 3] = 1.0 / b + mean(tau * (1.0 - (s[:, None] + 1.0) * share))
    out[:, 4] = 1.0 / s - mean(d_z)
    out[:, 5] = (s - (s + 1.0) * mean(np.exp(-d_z))) / beta
    return out


def _horizon(T: np.ndarray) -> np.ndarray:
    """Return the upper limit ``H >= T`` of a row's two tails: the power of two at or above T.

    It depends on the row's own ``T`` only (so a customer's likelihood does not depend on
    who else is in the call), and it takes few values, so rows share their tails.
    """
    with np.errstate(divide="ignore"):
        power = np.exp2(np.ceil(np.log2(np.where(T > 0.0, T, 1.0))))
    return np.asarray(np.where(T > 0.0, np.maximum(power, T), 0.0))


def _tails(
    params: tuple[np.ndarray, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the tails ``C`` (and gradients) of every row at ``t_x`` and at ``T``: (rows, 6).

    The integral of the likelihood is ``∫_{t_x}^T = ∫_{t_x}^H − ∫_T^H``, and the tails
    depend on ``(x, u, H)`` (and the parameters) only: a customer base has far fewer distinct
    ``(x, t_x)`` and ``(x, T)`` than ``(x, t_x, T)`` (32,879 tails for the 416,513 patterns
    of a million simulated customers in ``benchmarks/bench_new_models.py``), so each tail is
    integrated once. The parameters join the key only where they vary by row. Where the tails
    would be more than the rows (continuous times: nothing shared), the integral is taken
    directly from ``t_x`` to ``T`` instead, and the second tail is None.
    """
    n = x.size
    H = _horizon(T)
    varying = [np.concatenate([p, p]) for p in params if p.size and p.min() != p.max()]
    key = [*varying, np.concatenate([x, x]), np.concatenate([t_x, T]), np.concatenate([H, H])]
    distinct = distinct_rows(key, min_rows=0)
    if distinct is None:
        return _tail_blocks([*params, x, t_x, T], gradient), None
    inverse = distinct[1]
    pick = np.empty(int(inverse.max()) + 1 if n else 0, dtype=np.intp)
    pick[inverse] = np.arange(2 * n)
    columns = [np.concatenate([p, p])[pick] for p in params]
    columns += [np.concatenate([x, x])[pick], np.concatenate([t_x, T])[pick], H[pick % n]]
    values = _tail_blocks(columns, gradient)
    return values[inverse[:n]], values[inverse[n:]]


def _tail_blocks(columns: list[np.ndarray], gradient: bool) -> np.ndarray:
    """:func:`_tail_rows` on flat rows, in blocks of bounded (rows, nodes) temporaries."""
    values = np.empty((columns[0].size, 6))
    for start in range(0, values.shape[0], BLOCK_ROWS):
        part = slice(start, start + BLOCK_ROWS)
        values[part] = _tail_rows(*(c[part] for c in columns), gradient=gradient)
    return values


def _terms(
    params: Any, x: Any, t_x: Any, T: Any, gradient: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, ...]]:
    """``(log L, P(alive), ∂ log L or None, shape)`` on the broadcast, flattened rows.

    ``L ∝ e^A + e^(C(t_x)) − e^(C(T))``: the alive term and the two tails (module docstring).
    The difference is stable: ``e^(C(T)) <= e^A`` (dying after ``T`` is within being alive
    at ``T``), so ``L >= e^(C(t_x))`` and its rounding is relative to ``L`` itself.
    """
    arrs = np.broadcast_arrays(*unpack5(params), *(np.asarray(v, float) for v in (x, t_x, T)))
    flat = [np.ascontiguousarray(v, dtype=np.float64).ravel() for v in arrs]
    r, alpha, b, s, beta, x, t_x, T = flat
    inv_beta = 1.0 / beta
    bT = b * T
    d_T = log_one_plus_expm1(inv_beta, bT)
    A = -r * np.log1p(T / alpha) - x * np.log(alpha + T) - s * d_T
    low, high = _tails((r, alpha, b, s, beta), x, t_x, T, gradient)
    top = np.maximum(A, low[:, 0])
    with np.errstate(invalid="ignore"):
        dead = np.exp(low[:, 0] - top)
        if high is not None:
            dead = np.maximum(dead - np.exp(high[:, 0] - top), 0.0)
        log_l = top + np.log(np.exp(A - top) + dead)
    alive = np.exp(A - log_l)
    ll = log_gamma_ratio(r, x) + log_l
    if not gradient:
        return ll, alive, None, arrs[0].shape
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
    grad = alive[:, None] * dA
    for tail, sign in ((low, 1.0), (high, -1.0)):
        if tail is None:
            continue
        share = np.exp(tail[:, 0] - log_l)[:, None]  # 0 for an empty tail, whose ∂C is NaN
        grad += np.where(share > 0.0, sign * share * tail[:, 1:], 0.0)
    grad[:, 0] += digamma_difference(r, x)
    return ll, alive, grad, arrs[0].shape


def log_likelihood_gradient_kernel(params: Any, x: Any, t_x: Any, T: Any) -> tuple[Any, Any]:
    """Each row's log-likelihood and, last axis, its gradient in ``(r, alpha, b, s, beta)``.

    Both come from the same nodes (the gradient is the integrand-weighted mean of the
    integrand's log-derivative), so the first output equals :func:`log_likelihood_kernel`.

    Examples
    --------
    >>> ll, g = log_likelihood_gradient_kernel([0.553, 10.578, 0.0002, 0.603, 0.0026],
    ...     [2.0], [30.43], [38.86])
    >>> g.shape, bool(np.isclose(ll[0], -9.506196))
    ((1, 5), True)
    """
    ll, _, grad, shape = _terms(params, x, t_x, T, gradient=True)
    assert grad is not None
    return ll.reshape(shape), grad.reshape((*shape, 5))


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
    ll, _, _, shape = _terms(params, x, t_x, T, gradient=False)
    return ll.reshape(shape)


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """``P(alive at T | x, t_x, T)``: the first term of the likelihood over the whole.

    Examples
    --------
    >>> round(float(probability_alive_kernel([0.553, 10.578, 0.0002, 0.603, 0.0026], 0, 0, 0)), 6)
    1.0
    """
    _, alive, _, shape = _terms(params, x, t_x, T, gradient=False)
    if np.isnan(alive).any():
        raise ParameterError(
            "GGompertz/NBD P(alive) could not be evaluated (not finite): parameters beyond "
            "this library's verified range (docs/models_nbd_ggompertz.md). Refit with "
            "penalizer_coef > 0."
        )
    return alive.reshape(shape)
