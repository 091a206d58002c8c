"""Expectation and purchase-count kernels of BG/CNBD-k and MBG/CNBD-k (``modified=True``).

Exact, not BTYDplus' approximation (which rescales the BG/NBD expression and corrects its bias
on the whole cohort). An Erlang-k interval is ``k`` phases of a Poisson(λ) process. Given alive
at ``T``, the number ``J`` of phases completed since the last purchase has posterior weights
``w_j ∝ (R)_j u^j / j!`` (``j < k``; see :func:`~customer_models.valuation._cnbd_likelihood.
phase_weights`) and, given ``J = j``, ``λ ~ Gamma(R + j, α + T)`` and ``p ~ Beta(a, b')`` with
``b' = b + x + s``. The ``m``-th future purchase is then the ``(m k - j)``-th phase after ``T``,
and it happens if the customer survived the ``m - 1`` coins before it (chance
``c_m = B(a, b'+m-1) / B(a, b')``). The phases in ``(T, T+t]`` are negative binomial
``NB(R + j, q = t / (α + T + t))``, so

- ``P(N = n | alive) = sum_j w_j [c_n I_q(n k - j, R+j) - c_(n+1) I_q((n+1) k - j, R+j)]``
  (``c_0 = 1``, ``I_q(m <= 0, .) = 1``), and
- ``E[N | alive] = sum_j w_j sum_(i >= 0) NB(i; R+j, q) C(floor((i + j) / k))`` with
  ``C(L) = c_1 + ... + c_L``: a sum of positive terms, accumulated by recursion until a
  geometric bound on the rest is below ``1e-15`` of the total.

``k = 1`` gives the BG/NBD (MBG/NBD) expressions. Everything is evaluated once per distinct
row of ``(x, t_x, T, t)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc, betaln

from customer_models.exceptions import ParameterError
from customer_models.valuation._btyd_common import conditional_pmf
from customer_models.valuation._cnbd_likelihood import (
    erlang_k,
    phase_weights,
    probability_alive_kernel,
)
from customer_models.valuation._patterns import on_distinct_rows

__all__ = ["expected_purchases_kernel", "probability_of_purchases_kernel"]

#: Relative size of the neglected rest of the expectation's series.
_REL_TOL = 1e-15
#: Most terms of the series per phase count; reached only for horizons far beyond the data.
_MAX_TERMS = 2_000_000


def _posterior(
    k: int, r: Any, alpha: Any, b: Any, x: Any, t_x: Any, T: Any, t: Any, modified: bool
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """``R``, the phase weights ``w_j``, ``b'``, ``log q`` and ``log(1 - q)`` given alive."""
    R = r + k * x
    A = alpha + T
    _, weights, _, _ = phase_weights(R, (T - t_x) / A, k)
    b_post = b + x + (1.0 if modified else 0.0)
    log_q = np.log(t) - np.log(A + t)
    log_1mq = np.log(A) - np.log(A + t)
    return R, weights, b_post, log_q, log_1mq


def _series(
    R: np.ndarray,
    a: np.ndarray,
    bp: np.ndarray,
    log_q: np.ndarray,
    log_1mq: np.ndarray,
    j: int,
    k: int,
) -> np.ndarray:
    """``sum_i NB(i; R, q) C(floor((i + j) / k))`` for rows with ``q > 0``."""
    n_rows = R.size
    out = np.zeros(n_rows)
    idx = np.arange(n_rows)
    log_pmf = R * log_1mq
    level = np.full(n_rows, j // k)  # L = floor((i + j) / k) at i = 0
    c_next = np.ones(n_rows)  # c_(L+1), starting at c_1 = 1
    cum = np.zeros(n_rows)  # C(L)
    for m in range(1, j // k + 1):  # not reached for j < k
        cum += c_next
        c_next = c_next * (bp + m - 1.0) / (a + bp + m - 1.0)
    q = np.exp(log_q)
    for i in range(_MAX_TERMS):
        out[idx] += np.exp(log_pmf) * cum
        ratio = np.maximum(q * (R + i) / (i + 1.0), q)  # bounds every later term ratio
        # rest <= pmf(i) / k [ (i + j) rho / (1 - rho) + rho / (1 - rho)^2 ] (C(L) <= L)
        small = ratio < 1.0
        gap = np.where(small, 1.0 - ratio, 1.0)
        log_rest = log_pmf + np.log(ratio * ((i + j + 1.0) / gap + 1.0 / gap**2) / k)
        acc = out[idx]
        log_acc = np.log(acc, out=np.full(acc.size, -np.inf), where=acc > 0)
        done = small & ((log_rest < np.log(_REL_TOL) + log_acc) | (log_rest < -745.0))
        if done.all():
            return out
        if done.any():
            keep = ~done
            idx, R, a, bp, log_q, log_1mq, q = (v[keep] for v in (idx, R, a, bp, log_q, log_1mq, q))
            log_pmf, level, c_next, cum = log_pmf[keep], level[keep], c_next[keep], cum[keep]
        log_pmf = log_pmf + np.log(R + i) - np.log(i + 1.0) + log_q
        if (i + 1 + j) % k == 0:  # one more purchase epoch is reached
            level = level + 1
            cum = cum + c_next
            c_next = c_next * (bp + level - 1.0) / (a + bp + level - 1.0)
    raise ParameterError(
        "the expected purchases need more than 2,000,000 terms at this horizon: t is far "
        "beyond the time the data and the parameters describe; use a shorter horizon."
    )


def _expected_alive_rows(
    k: int,
    modified: bool,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    alpha: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> np.ndarray:
    out = np.zeros(x.size)
    pos = np.flatnonzero(t > 0)
    if pos.size == 0:
        return out
    x, t_x, T, t, r, alpha, a, b = (v[pos] for v in (x, t_x, T, t, r, alpha, a, b))
    R, weights, bp, log_q, log_1mq = _posterior(k, r, alpha, b, x, t_x, T, t, modified)
    total = np.zeros(pos.size)
    for j, w in enumerate(weights):
        live = np.flatnonzero(w > 0)
        if live.size:
            total[live] += w[live] * _series(
                R[live] + j, a[live], bp[live], log_q[live], log_1mq[live], j, k
            )
    out[pos] = total
    return out


def expected_purchases_kernel(
    params: Any, x: Any, t_x: Any, T: Any, t: Any, *, modified: bool = False
) -> np.ndarray:
    """Conditional expected purchases ``E[X(T, T+t) | x, t_x, T]``: P(alive) times E[N | alive].

    Examples
    --------
    >>> round(float(expected_purchases_kernel([1, 0.243, 4.414, 0.793, 2.426], 2, 30.43,
    ...                                       38.86, 39)), 3)
    1.226
    >>> round(float(expected_purchases_kernel([3, 0.5, 4.0, 0.8, 2.5], 1, 5.0, 10.0, 0.0)), 6)
    0.0
    """
    k = erlang_k(params)
    p = np.asarray(params, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T, modified=modified)
    given_alive = on_distinct_rows(
        lambda *rows: _expected_alive_rows(k, modified, *rows),
        (x, t_x, T, t, p[1], p[2], p[3], p[4]),
    )
    return np.asarray(alive * given_alive)


def _pmf_alive_rows(
    k: int,
    modified: bool,
    n: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    alpha: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> np.ndarray:
    R, weights, bp, log_q, _ = _posterior(k, r, alpha, b, x, t_x, T, t, modified)
    q = np.exp(log_q)
    lb = betaln(a, bp)
    c_n = np.where(n > 0, np.exp(betaln(a, bp + np.maximum(n - 1.0, 0.0)) - lb), 1.0)
    c_n1 = np.exp(betaln(a, bp + n) - lb)

    def tail(m: np.ndarray, shape: np.ndarray) -> np.ndarray:  # P(NB(shape, q) >= m)
        return np.where(m <= 0, 1.0, betainc(np.maximum(m, 1.0), shape, q))

    total = np.zeros(n.size)
    for j, w in enumerate(weights):
        Rj = R + j
        total += w * (c_n * tail(n * k - j, Rj) - c_n1 * tail((n + 1.0) * k - j, Rj))
    return np.clip(total, 0.0, 1.0)


def probability_of_purchases_kernel(
    params: Any, n: Any, x: Any, t_x: Any, T: Any, t: Any, *, modified: bool = False
) -> np.ndarray:
    """``P(X(T, T+t) = n | x, t_x, T)``; a customer who dropped out buys nothing.

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_of_purchases_kernel([3, 0.8, 2.0, 0.8, 2.5], np.arange(300),
    ...                                     2, 10.0, 20.0, 39)
    >>> round(float(p.sum()), 10)
    1.0
    """
    k = erlang_k(params)
    p = np.asarray(params, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T, modified=modified)
    counts = np.asarray(n, dtype=np.float64)
    given_alive = on_distinct_rows(
        lambda *rows: _pmf_alive_rows(k, modified, *rows),
        (counts, x, t_x, T, t, p[1], p[2], p[3], p[4]),
    )
    return conditional_pmf(alive, given_alive, counts)
