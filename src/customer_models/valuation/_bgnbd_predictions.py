"""Expectation and purchase-count kernels of the BG family (BG/NBD, MBG/NBD with ``modified``).

Given alive at ``T``, the posterior of ``(λ, p)`` is ``Gamma(r+x, α+T) × Beta(a, b+x+shift)``
(``shift`` 1 in MBG/NBD, 0 in BG/NBD; see :mod:`customer_models.valuation._bgnbd_likelihood`)
and the future is a BG/NBD process with those parameters, so both models share
`_mean_given_alive` (expected purchases given alive) and `_pmf_new` (the count distribution
of a new customer). Arguments as in the likelihood kernels, plus the horizon ``t`` and the
count ``n``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc, betaln, exprel, gammaln, polygamma, xlogy

from customer_models.valuation._bgnbd_likelihood import beta_shift, probability_alive_kernel
from customer_models.valuation._btyd_common import conditional_pmf, in_chunks, unpack4
from customer_models.valuation._hyp2f1_rows import on_repeated_rows, ratio_series_rows
from customer_models.valuation._patterns import on_distinct_rows

__all__ = [
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "probability_of_purchases_kernel",
]


#: Largest argument w = u/(1+u) of the Euler-transformed series (about 400 terms at most).
_SERIES_MAX_W = 0.9
#: The series result is used only if the difference it ends with keeps this share of its terms.
_SERIES_MIN_KEEP = 1e-4
#: Taylor pieces of the quadrature: p u (r'+1) <= _EDGE on the left, 1 - p <= _EDGE on the right.
_EDGE = 0.01
_EDGE_TERMS = 10
#: Panels of Gauss-Legendre nodes over the logit of p between the Taylor pieces.
_N_PANELS = 48
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
#: Rows per quadrature chunk (bounds memory at rows x panels x nodes).
_CHUNK = 2_048
#: Rows per block of the series (bounds its rows x 64-term temporaries to a few MiB each).
_SERIES_BLOCK = 16_384


def _mean_given_alive_series(
    rp: np.ndarray, u: np.ndarray, a: np.ndarray, bp: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Euler-transformed series for `_mean_given_alive`, and where it may be trusted.

    With ``c = a+b'-1``, ``B = c - r'``, ``w = u/(1+u)`` and ``L = log(1-w)``:
    ``E = c [-L exprel((a-1) L) - (1-w)^(a-1) S]``, ``S = sum_{k>=1} (a)_(k-1) (B)_k w^k /
    ((c)_k k!)`` (DLMF 15.8.1 applied to ``2F1(r', a-1; c; -u)``; no ``1/(a-1)`` left, so
    ``a = 1`` is an ordinary point). Trusted only for ``c > 0``, ``B >= -1`` (terms of one
    sign), ``w <= 0.9`` (a short series) and when the final difference keeps at least
    ``1e-4`` of its terms.
    """
    c = a + bp - 1.0
    big_b = c - rp
    w = u / (1.0 + u)
    out = np.zeros(u.size)
    cand = (c > 0) & (big_b >= -1.0) & (w <= _SERIES_MAX_W)
    idx = np.flatnonzero(cand)
    ok = np.zeros(u.size, dtype=bool)
    if idx.size == 0:
        return out, ok
    ai, ci, bi, wi = a[idx], c[idx], big_b[idx], w[idx]
    log1mw = -np.log1p(u[idx])
    inner, conv = ratio_series_rows(
        ai, bi + 1.0, ci + 1.0, wi, shift=2.0
    )  # 3F2(a, B+1, 1; c+1, 2; w)
    s = bi * wi / ci * inner
    first = -log1mw * exprel((ai - 1.0) * log1mw)
    second = np.exp((ai - 1.0) * log1mw) * s
    diff = first - second
    good = conv & (diff > _SERIES_MIN_KEEP * (first + np.abs(second)))
    out[idx] = ci * diff
    ok[idx] = good
    return out, ok


def _mean_given_alive_quadrature(
    rp: np.ndarray, u: np.ndarray, a: np.ndarray, bp: np.ndarray
) -> np.ndarray:
    """``E_p[(1 - (1 + p u)^-r') / p]`` with ``p ~ Beta(a, b')``, for any positive arguments.

    Three pieces of ``[0, 1]``. Near 0 (``p u (r'+1) <= 0.01``) ``g(p) = (1-(1+pu)^-r')/p =
    u sum_k (-1)^k (r')_(k+1) (pu)^k / (k+1)!``; near 1 (``q = 1-p <= 0.01``) ``g(1-q) =
    sum_m I_w(m+1, r') q^m`` with ``w = u/(1+u)`` (the coefficients are negative-binomial tail
    probabilities, all in [0, 1]). The moments of ``p^k`` and ``(1-p)^m`` over the end pieces
    are incomplete beta functions, so the (possibly heavy) ends of the beta density are exact.
    Between them, composite Gauss-Legendre in ``v = logit p`` over the window where the beta
    density of ``v`` has mass (its mode ``log(a/b')`` +- 40 standard deviations, clipped).
    """
    return in_chunks(_quadrature_chunk, _CHUNK, rp, u, a, bp)


def _quadrature_chunk(rp: np.ndarray, u: np.ndarray, a: np.ndarray, bp: np.ndarray) -> np.ndarray:
    lbeta = betaln(a, bp)
    # left piece [0, p0]
    p0 = _EDGE / np.maximum(u * (rp + 1.0), 2.0 * _EDGE)  # min(EDGE / (u (r'+1)), 0.5), no inf
    q1 = np.full_like(u, _EDGE)
    left = np.zeros(u.size)
    coef = u * rp  # u (r')_(k+1)/(k+1)! (-u)^k, k = 0
    for k in range(_EDGE_TERMS):
        moment = np.exp(betaln(a + k, bp) - lbeta) * betainc(a + k, bp, p0)
        left += coef * moment
        coef = coef * (-(rp + k + 1.0) * u / (k + 2.0))
    # right piece [1 - q1, 1]
    w = u / (1.0 + u)
    right = np.zeros(u.size)
    for m in range(_EDGE_TERMS):
        moment = np.exp(betaln(a, bp + m) - lbeta) * betainc(bp + m, a, q1)
        right += betainc(m + 1.0, rp, w) * moment
    # middle piece in v = logit(p)
    v_lo = np.log(p0) - np.log1p(-p0)
    v_hi = np.log1p(-q1) - np.log(q1)
    mode = np.log(a) - np.log(bp)
    sd = np.sqrt(polygamma(1, a) + polygamma(1, bp))
    lo = np.maximum(v_lo, mode - 40.0 * sd)
    hi = np.minimum(v_hi, mode + 40.0 * sd)
    width = np.maximum(hi - lo, 0.0)
    edges = np.linspace(0.0, 1.0, _N_PANELS + 1)
    centers = 0.5 * (edges[:-1] + edges[1:])
    half = 0.5 / _N_PANELS
    unit = (centers[:, None] + half * _GL_X[None, :]).ravel()  # nodes on [0, 1]
    unit_w = np.tile(half * _GL_W, _N_PANELS)
    v = lo[:, None] + width[:, None] * unit[None, :]
    log_p = -np.logaddexp(0.0, -v)
    log_q = -np.logaddexp(0.0, v)
    p = np.exp(log_p)
    g = -np.expm1(-rp[:, None] * np.log1p(p * u[:, None])) / p
    dens = np.exp(a[:, None] * log_p + bp[:, None] * log_q - lbeta[:, None])
    middle = width * np.einsum("ij,j->i", dens * g, unit_w)
    return np.asarray(left + middle + right)


def _mean_given_alive(rp: Any, u: Any, a: Any, bp: Any) -> np.ndarray:
    """``E[(1 - (1 + p u)^-r') / p]`` for ``p ~ Beta(a, b')``: purchases given alive.

    With ``r' = r+x``, ``u = t/(alpha+T)``, ``b' = b+x`` this is E[X(T, T+t) | alive at T]
    (FHL 2005, eq. 10 without P(alive)), ``(a+b'-1)/(a-1) [1 - 2F1(r', a-1; a+b'-1; -u)]``.

    The short Euler-transformed series where it is exact (see
    `_mean_given_alive_series`), the quadrature of `_mean_given_alive_quadrature` elsewhere
    (``t`` large against ``alpha + T``, ``a + b' <= 1``, or ``r'`` much larger than ``a+b'``).
    It depends on the customer only through ``(x, T)``, which a customer base repeats (12,796
    distinct pairs among a million customers in benchmarks/bench_paths.py), so it is evaluated
    once per distinct argument row, in blocks of rows that bound the series' temporaries
    (unless a sample shows that the rows do not repeat, as with the per-customer parameters
    of a covariate model: `on_repeated_rows`).
    """
    return on_repeated_rows(
        lambda *rows: in_chunks(_mean_given_alive_block, _SERIES_BLOCK, *rows), (rp, u, a, bp)
    )


def _mean_given_alive_block(
    rp: np.ndarray, u: np.ndarray, a: np.ndarray, bp: np.ndarray
) -> np.ndarray:
    """`_mean_given_alive` of one block of flat rows: the series, the quadrature where not."""
    out = np.zeros(u.size)
    pos = np.flatnonzero(u > 0)
    if pos.size:
        vals, ok = _mean_given_alive_series(rp[pos], u[pos], a[pos], bp[pos])
        out[pos[ok]] = vals[ok]
        rest = pos[~ok]
        if rest.size:
            out[rest] = _mean_given_alive_quadrature(rp[rest], u[rest], a[rest], bp[rest])
    return out


def _expected_alive(r: Any, alpha: Any, a: Any, b: Any, x: Any, T: Any, t: Any) -> np.ndarray:
    """E[X(T, T+t) | alive at T]: `_mean_given_alive` of the posterior given alive."""
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(t, dtype=np.float64) / (alpha + np.asarray(T, dtype=np.float64))
    return _mean_given_alive(r + x, u, a, b + x)


def expected_purchases_kernel(
    params: Any, x: Any, t_x: Any, T: Any, t: Any, *, modified: bool = False
) -> np.ndarray:
    """Conditional expected purchases E[X(T, T+t) | x, t_x, T] (FHL 2005, eq. 10).

    P(alive) times the expectation given alive; MBG/NBD: the BG/NBD one with ``b -> b + 1``,
    ``(a+b+x)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(α+T+t))]``.

    Examples
    --------
    >>> round(float(expected_purchases_kernel([0.243, 4.414, 0.793, 2.426], 2, 30.43,
    ...                                       38.86, 39)), 3)
    1.226
    >>> round(float(expected_purchases_kernel([0.5, 4.0, 0.8, 2.5], 1, 5.0, 10.0, 0.0,
    ...                                       modified=True)), 6)
    0.0
    """
    r, alpha, a, b = unpack4(params)
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T, modified=modified)
    return np.asarray(alive * _expected_alive(r, alpha, a, b + beta_shift(modified), x, T, t))


def expected_purchases_new_customer_kernel(
    params: Any, t: Any, *, modified: bool = False
) -> np.ndarray:
    """E[X(t)] of a new customer: (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))].

    MBG/NBD: ``b/(a-1) [1 - (α/(α+t))^r 2F1(r, b+1; a+b; t/(α+t))]``, the BG/NBD expression
    with ``b -> b + 1`` times ``b/(a+b)``, the probability of not dropping out at time 0.

    Examples
    --------
    >>> round(float(expected_purchases_new_customer_kernel([0.243, 4.414, 0.793, 2.426], 39)), 4)
    1.1967
    >>> round(float(expected_purchases_new_customer_kernel([0.5, 4.0, 0.8, 2.5], 0.0,
    ...                                                    modified=True)), 6)
    0.0
    """
    r, alpha, a, b = unpack4(params)
    t = np.asarray(t, dtype=np.float64)
    given_alive = _expected_alive(r, alpha, a, b + beta_shift(modified), 0.0, 0.0, t)
    return np.asarray(b / (a + b) * given_alive) if modified else given_alive


def _pmf_new(n: Any, t: Any, r: Any, alpha: Any, a: Any, b: Any) -> np.ndarray:
    """P(X(t) = n) for a new customer (Fader, Hardie and Lee 2005, eq. 8)."""
    n = np.asarray(n, dtype=np.float64)
    pos = n > 0
    q = t / (alpha + t)
    log_p0 = np.log(alpha) - np.log(alpha + t)
    first = np.exp(
        betaln(a, b + n)
        - betaln(a, b)
        + gammaln(r + n)
        - gammaln(r)
        - gammaln(n + 1.0)
        + r * log_p0
        + xlogy(n, q)
    )
    n_safe = np.where(pos, n, 1.0)
    # 1 - sum_{j<n} NB(j) = P(NB >= n) = I_q(n, r)
    second = np.exp(betaln(a + 1.0, b + n_safe - 1.0) - betaln(a, b)) * betainc(n_safe, r, q)
    return np.asarray(first + np.where(pos, second, 0.0))


def probability_of_purchases_kernel(
    params: Any, n: Any, x: Any, t_x: Any, T: Any, t: Any, *, modified: bool = False
) -> np.ndarray:
    """P(X(T, T+t) = n | x, t_x, T).

    Given alive at T, the posterior of (λ, p) is Gamma(r+x, α+T) × Beta(a, b+x) (MBG/NBD:
    Beta(a, b+x+1)), and the future is a BG/NBD process with those parameters; a customer who
    dropped out buys nothing:
    ``P = P(alive) P_BGNBD(n; t, r+x, α+T, a, b+x) + (1 - P(alive)) [n = 0]``.

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_of_purchases_kernel([0.243, 4.414, 0.793, 2.426], np.arange(200),
    ...                                     2, 30.43, 38.86, 39)
    >>> round(float(p.sum()), 8)
    1.0
    """
    r, alpha, a, b = unpack4(params)
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T, modified=modified)
    n = np.asarray(n, dtype=np.float64)
    pmf = _pmf_given_alive(n, x, T, t, r, alpha, a, b + beta_shift(modified))
    return conditional_pmf(alive, pmf, n)


def _pmf_given_alive(
    n: np.ndarray, x: np.ndarray, T: Any, t: Any, r: Any, alpha: Any, a: Any, b: Any
) -> np.ndarray:
    """`_pmf_new` under the posterior given alive, once per distinct ``(n, x, T, t)`` row."""
    if any(np.ndim(v) for v in (r, alpha, a, b)):  # parameters per row: nothing repeats
        return _pmf_new(n, t, r + x, alpha + T, a, b + x)
    return on_distinct_rows(
        lambda nn, xx, TT, tt: _pmf_new(nn, tt, r + xx, alpha + TT, a, b + xx), (n, x, T, t)
    )
