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

``k = 1`` gives the BG/NBD (MBG/NBD) expressions. Only the weights ``w_j`` depend on ``t_x``:
the per-``j`` series and incomplete beta functions are evaluated once per distinct row of
``(x, T, t)`` (a customer base repeats them), the weights once per customer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy.special import betainc, betaln, gammaln

from customer_models.exceptions import ParameterError
from customer_models.valuation._btyd_common import conditional_pmf
from customer_models.valuation._cnbd_likelihood import (
    erlang_k,
    phase_weights,
    probability_alive_kernel,
)
from customer_models.valuation._patterns import distinct_rows

__all__ = ["expected_purchases_kernel", "probability_of_purchases_kernel"]

#: Relative size of the neglected rest of the expectation's series.
_REL_TOL = 1e-15
#: Most terms of the series per phase count; reached only for horizons far beyond the data.
_MAX_TERMS = 10_000_000
#: Row-by-term cells per block of the series (bounds its temporaries to a few MiB).
_BLOCK_CELLS = 1 << 18


def _flat_rows(*arrays: Any) -> tuple[tuple[int, ...], list[np.ndarray]]:
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in arrays))
    return arrs[0].shape, [np.ascontiguousarray(v).ravel() for v in arrs]


def _per_distinct(fn: Any, key: list[np.ndarray]) -> list[np.ndarray]:
    """``fn(*key)`` (a list of k row arrays), evaluated once per distinct row of ``key``."""
    found = distinct_rows(key)
    if found is None:
        return list(fn(*key))
    rows, inverse = found
    return [v[inverse] for v in fn(*rows)]


def _series(
    R: np.ndarray,
    a: np.ndarray,
    bp: np.ndarray,
    log_q: np.ndarray,
    log_1mq: np.ndarray,
    j: int,
    k: int,
) -> np.ndarray:
    """``sum_i NB(i; R, q) C(floor((i + j) / k))`` for rows with ``q > 0``, in blocks of terms.

    Each block evaluates ``log NB(i)`` directly (log-gamma functions, no recursion error) and
    ``C`` as a running sum of ``c_L`` at the terms where ``L`` steps up. After each block a row
    stops once the geometric bound on its rest, ``NB(i) / k [(i+j) ρ/(1-ρ) + ρ/(1-ρ)^2]`` with
    ``ρ = max(q (R+i)/(i+1), q)`` the largest later term ratio (``C(L) <= L``), is below
    ``1e-15`` of its sum (or below the smallest float).
    """
    out = np.zeros(R.size)
    idx = np.arange(R.size)
    base = R * log_1mq - gammaln(R)
    lb = betaln(a, bp)
    carry = np.zeros(R.size)  # C(L) before the block
    q = np.exp(log_q)
    start = 0
    while start < _MAX_TERMS:
        width = int(np.clip(_BLOCK_CELLS // max(idx.size, 1), 16, 8192))
        n = start + np.arange(width, dtype=np.float64)
        log_pmf = gammaln(R[:, None] + n) - gammaln(n + 1.0) + base[:, None] + n * log_q[:, None]
        steps = np.flatnonzero(((start + np.arange(width) + j) % k == 0) & (n + j >= k))
        increments = np.zeros((idx.size, width))
        if steps.size:
            level = (n[steps] + j) // k
            increments[:, steps] = np.exp(
                betaln(a[:, None], bp[:, None] + level - 1.0) - lb[:, None]
            )
        cum = carry[:, None] + np.cumsum(increments, axis=1)
        out[idx] += np.einsum("ij,ij->i", np.exp(log_pmf), cum)
        carry = cum[:, -1]
        last = n[-1]
        ratio = np.maximum(q * (R + last) / (last + 1.0), q)
        small = ratio < 1.0
        gap = np.where(small, 1.0 - ratio, 1.0)
        log_rest = log_pmf[:, -1] + np.log(ratio * ((last + j) / gap + 1.0 / gap**2) / k)
        acc = out[idx]
        log_acc = np.log(acc, out=np.full(acc.size, -np.inf), where=acc > 0)
        done = small & ((log_rest < np.log(_REL_TOL) + log_acc) | (log_rest < -745.0))
        if done.all():
            return out
        keep = ~done
        idx, R, a, bp, log_q, log_1mq, q, base, lb, carry = (
            v[keep] for v in (idx, R, a, bp, log_q, log_1mq, q, base, lb, carry)
        )
        start += width
    raise ParameterError(
        "the expected purchases need more than 10,000,000 terms at this horizon: t is far "
        "beyond the time the data and the parameters describe; use a shorter horizon."
    )


class _Posterior(NamedTuple):
    """The posterior given alive at ``T``, row by row.

    Given ``J = 0``, ``λ ~ Gamma(R, A)`` (``J = j`` adds ``j`` to ``R``); ``p ~ Beta(a, bp)``.
    """

    R: np.ndarray
    A: np.ndarray
    a: np.ndarray
    bp: np.ndarray


def _posterior(
    k: int,
    modified: bool,
    x: np.ndarray,
    T: np.ndarray,
    r: np.ndarray,
    alpha: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> _Posterior:
    """Return the posterior given alive of customers with ``x`` purchases at age ``T``."""
    return _Posterior(r + k * x, alpha + T, a, b + x + (1.0 if modified else 0.0))


def _given_phase(k: int, t: np.ndarray, post: _Posterior) -> list[np.ndarray]:
    """``E[N | alive, J = j]`` for ``j < k``: the series of each row (0 where ``t = 0``)."""
    R, A, a, bp = post
    pos = np.flatnonzero(t > 0)
    out = []
    log_q = np.log(t[pos]) - np.log(A[pos] + t[pos])
    log_1mq = np.log(A[pos]) - np.log(A[pos] + t[pos])
    for j in range(k):
        g = np.zeros(t.size)
        if pos.size:
            g[pos] = _series(R[pos] + j, a[pos], bp[pos], log_q, log_1mq, j, k)
        out.append(g)
    return out


def _weights(k: int, r: Any, alpha: Any, x: Any, t_x: Any, T: Any) -> list[np.ndarray]:
    """Posterior weights of ``J``, the phases completed since the last purchase, given alive."""
    return phase_weights(r + k * x, (T - t_x) / (alpha + T), k)[1]


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
    shape, (xf, txf, Tf, tf, r, alpha, a, b) = _flat_rows(x, t_x, T, t, p[1], p[2], p[3], p[4])
    weights = _weights(k, r, alpha, xf, txf, Tf)
    series = _per_distinct(
        lambda x, T, t, *rab: _given_phase(k, t, _posterior(k, modified, x, T, *rab)),
        [xf, Tf, tf, r, alpha, a, b],
    )
    given_alive = np.sum([w * g for w, g in zip(weights, series, strict=True)], axis=0)
    alive = probability_alive_kernel(params, x, t_x, T, modified=modified)
    return np.asarray(alive * given_alive.reshape(shape))


def _pmf_given_phase(k: int, n: np.ndarray, t: np.ndarray, post: _Posterior) -> list[np.ndarray]:
    """``P(N = n | alive, J = j)`` for ``j < k``."""
    R, A, a, bp = post
    q = t / (A + t)
    lb = betaln(a, bp)
    c_n = np.where(n > 0, np.exp(betaln(a, bp + np.maximum(n - 1.0, 0.0)) - lb), 1.0)
    c_n1 = np.exp(betaln(a, bp + n) - lb)

    def tail(m: np.ndarray, shape: np.ndarray) -> np.ndarray:  # P(NB(shape, q) >= m)
        return np.where(m <= 0, 1.0, betainc(np.maximum(m, 1.0), shape, q))

    return [c_n * tail(n * k - j, R + j) - c_n1 * tail((n + 1.0) * k - j, R + j) for j in range(k)]


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
    shape, (nf, xf, txf, Tf, tf, r, alpha, a, b) = _flat_rows(
        n, x, t_x, T, t, p[1], p[2], p[3], p[4]
    )
    weights = _weights(k, r, alpha, xf, txf, Tf)
    terms = _per_distinct(
        lambda n, x, T, t, *rab: _pmf_given_phase(k, n, t, _posterior(k, modified, x, T, *rab)),
        [nf, xf, Tf, tf, r, alpha, a, b],
    )
    given_alive = np.clip(
        np.sum([w * g for w, g in zip(weights, terms, strict=True)], axis=0), 0.0, 1.0
    )
    alive = probability_alive_kernel(params, x, t_x, T, modified=modified)
    return conditional_pmf(alive, given_alive.reshape(shape), np.asarray(n, dtype=np.float64))
