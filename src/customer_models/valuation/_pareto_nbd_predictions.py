"""Expectation and purchase-count kernels of the Pareto/NBD model.

Arguments as in :mod:`customer_models.valuation._pareto_nbd_likelihood`, plus the horizon
``t`` and the count ``n``. Given alive at ``T`` the posterior of ``(λ, μ)`` is
``Gamma(r+x, α+T) × Gamma(s, β+T)`` and the future is a Pareto/NBD process with those
parameters (memoryless lifetime), so the conditional kernels reuse the new-customer ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc, betaln, gammaln, xlogy

from customer_models.valuation._btyd_common import conditional_pmf, unpack4
from customer_models.valuation._pareto_nbd_likelihood import probability_alive_kernel

__all__ = [
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "probability_of_purchases_kernel",
]


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
    r, alpha, s, beta = unpack4(params)
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
    r, alpha, s, beta = unpack4(params)
    t = np.asarray(t, dtype=np.float64)
    return np.asarray(r * beta / alpha * _growth(s, beta, t))


_SERIES_MAX_RATIO = 0.95
#: Largest term index at which the series of _pmf_new may peak before it goes to quadrature.
_SERIES_MAX_RISE = 100.0
# Gauss-Legendre nodes on [-1, 1] for the panels of _lifetime_integral
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


def _lifetime_integral(
    n: np.ndarray, t: np.ndarray, r: np.ndarray, alpha: np.ndarray, s: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """``∫_0^t f(τ) NB_τ(n) dτ`` by composite Gauss-Legendre in ``v = log τ`` (vectorized).

    For extreme ``alpha/beta`` ratios, where the series of :func:`_pmf_new` converges slowly.
    In ``v`` the integrand is log-concave (unimodal); its features are about one e-fold wide
    near ``τ = β`` and ``τ = α`` and the purchase-count peak is about
    ``sqrt(1/n + 1/r)`` wide, so panels of 16 nodes no wider than twice that, over the 80
    e-folds below ``log t``, are accurate. The mass below ``t e^-80`` is at most
    ``s t e^-80 / β``, negligible.
    """
    width = np.sqrt(1.0 / np.maximum(n, 1.0) + 1.0 / r)
    panel = float(np.clip(2.0 * width.min(), 0.05, 2.0)) if n.size else 2.0
    # Below the ages alpha and beta the integrand rises like tau^(n+1) up to tau = t: 8 panels
    # no wider than 8/(n+1) over the last 64/(n+1) e-folds resolve that rise.
    near = min(64.0 / (float(n.max()) + 1.0), 40.0) if n.size else 40.0
    edges = np.concatenate(
        [
            np.linspace(-80.0, -near, int(np.ceil((80.0 - near) / panel)) + 1),
            np.linspace(-near, 0.0, 9)[1:],
        ]
    )
    half = 0.5 * np.diff(edges)
    v = (0.5 * (edges[:-1] + edges[1:]))[:, None] + half[:, None] * _GL_NODES[None, :]
    dv = (half[:, None] * _GL_WEIGHTS[None, :]).ravel()
    log_tau = np.log(t)[:, None] + v.ravel()[None, :]  # shape (rows, nodes)
    tau = np.exp(log_tau)
    n_, r_, alpha_, s_, beta_ = (a[:, None] for a in (n, r, alpha, s, beta))
    log_f = np.log(s_) + s_ * np.log(beta_) - (s_ + 1.0) * np.log(beta_ + tau)
    log_nb = (
        gammaln(r_ + n_)
        - gammaln(r_)
        - gammaln(n_ + 1.0)
        + r_ * (np.log(alpha_) - np.log(alpha_ + tau))
        + n_ * (log_tau - np.log(alpha_ + tau))
    )
    return np.einsum("ij,j->i", np.exp(log_f + log_nb + log_tau), dv)


def _pmf_new(
    n: np.ndarray, t: Any, r: Any, alpha: Any, s: Any, beta: Any, max_terms: int = 5_000
) -> np.ndarray:
    """P(X(t) = n) for a new Pareto/NBD customer, all arguments broadcast together.

    With lifetime τ ~ Exp(μ), μ ~ Gamma(s, β), and purchases ~ NBD(r, α) while alive:
    ``P = S(t) NB_t(n) + ∫_0^t f(τ) NB_τ(n) dτ`` where ``S(t) = (β/(β+t))^s``,
    ``f(τ) = s β^s / (β+τ)^(s+1)`` and ``NB_τ(n) = C (α/(α+τ))^r (τ/(α+τ))^n`` with
    ``C = Γ(r+n) / (Γ(r) n!)``. Substituting ``u = τ/(α+τ)`` turns the integral into
    ``C s α β^s ∫_0^u_t u^n (1-u)^(r+s-1) (β + (α-β) u)^-(s+1) du``; expanding the last factor
    in a binomial series of ``z = |α-β| / max(α, β) < 1`` leaves regularized incomplete beta
    functions, so every term is positive (no cancellation) and the series converges
    geometrically. The same quantity as eq. (16) of Fader, Hardie & Lee's note 028, in a form
    that stays stable for large ``n``.
    """
    n, t, r, alpha, s, beta = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (n, t, r, alpha, s, beta))
    )
    shape = n.shape
    n, t, r, alpha, s, beta = (np.ravel(v) for v in (n, t, r, alpha, s, beta))
    u_t = t / (alpha + t)
    log_c = gammaln(r + n) - gammaln(r) - gammaln(n + 1.0)
    alive_part = np.exp(
        s * (np.log(beta) - np.log(beta + t))
        + log_c
        + r * (np.log(alpha) - np.log(alpha + t))
        + xlogy(n, u_t)
    )
    case1 = alpha >= beta
    z = np.where(case1, (alpha - beta) / alpha, (beta - alpha) / beta)
    # prefactor C s α β^s / max(α, β)^(s+1), in logs
    log_front = (
        log_c
        + np.log(s)
        + np.log(alpha)
        + s * np.log(beta)
        - (s + 1.0) * np.log(np.maximum(alpha, beta))
    )
    total = np.zeros(n.size)
    # case 1 expands in z (1-u) <= z, case 2 in z u <= z u_t; slow series go to quadrature
    # ... and so do rows whose terms first grow for long: the ratio of successive terms starts
    # near (s+1) z_eff, so for a large s (a fit at its dropout boundary) the series peaks far
    # out, where the huge coefficients times tiny incomplete beta functions lose all accuracy
    ratio = np.where(case1, z, z * u_t)
    slow = (ratio > _SERIES_MAX_RATIO) | ((s + 1.0) * ratio > _SERIES_MAX_RISE * (1.0 - ratio))
    quad = np.flatnonzero((t > 0) & slow)
    for start in range(0, quad.size, 1_000):  # bounded memory: rows x nodes per chunk
        rows = quad[start : start + 1_000]
        total[rows] = _lifetime_integral(
            n[rows], t[rows], r[rows], alpha[rows], s[rows], beta[rows]
        )
    active = np.flatnonzero((t > 0) & ~slow)
    log_coef = np.zeros(active.size)  # log of (s+1)_k / k! z^k
    term = np.zeros(active.size)
    k = 0
    while active.size and k < max_terms:
        c1, nn, rr, ss, uu, zz = (v[active] for v in (case1, n, r, s, u_t, z))
        # case 1: ∫ u^n (1-u)^(r+s-1+k); case 2: ∫ u^(n+k) (1-u)^(r+s-1)
        p_a = np.where(c1, nn + 1.0, nn + 1.0 + k)
        p_b = np.where(c1, rr + ss + k, rr + ss)
        term = np.exp(log_front[active] + log_coef + betaln(p_a, p_b)) * betainc(p_a, p_b, uu)
        total[active] += term
        keep = (zz > 0) & (term > 1e-17 * total[active])
        log_coef = log_coef[keep] + np.log(ss[keep] + 1.0 + k) - np.log(k + 1.0) + np.log(zz[keep])
        active, term = active[keep], term[keep]
        k += 1
    if active.size:  # not reached with ratios <= _SERIES_MAX_RATIO; geometric tail bound
        ratio = np.minimum(z[active] * (s[active] + 1.0 + k) / (k + 1.0), 1.0 - 1e-12)
        total[active] += term * ratio / (1.0 - ratio)
    return np.asarray(alive_part + total).reshape(shape)


def probability_of_purchases_kernel(
    params: Any, n: Any, x: Any, t_x: Any, T: Any, t: Any
) -> np.ndarray:
    """P(X(T, T+t) = n | x, t_x, T).

    Alive at T, the posterior of (λ, μ) is Gamma(r+x, α+T) × Gamma(s, β+T) and the future is
    a Pareto/NBD process with those parameters (memoryless lifetime); a customer who dropped
    out buys nothing: ``P = P(alive) P_PNBD(n; t, r+x, α+T, s, β+T) + (1 - P(alive)) [n = 0]``.

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_of_purchases_kernel([0.553, 10.578, 0.606, 11.669], np.arange(300),
    ...                                     2, 30.43, 38.86, 39)
    >>> round(float(p.sum()), 8)
    1.0
    """
    r, alpha, s, beta = unpack4(params)
    x = np.asarray(x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    n = np.asarray(n, dtype=np.float64)
    pmf = _pmf_new(n, t, r + x, alpha + T, s, beta + T)
    return conditional_pmf(alive, pmf, n)
