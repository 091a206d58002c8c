"""BG/NBD model (Fader, Hardie and Lee 2005): kernels on arrays and the public estimator.

Kernels take ``params`` as an array ``[r, alpha, a, b]`` of shape ``(4,)`` or ``(4, ...)``
(broadcasting against the data arrays, e.g. ``(4, n_draws, 1)`` for parameter draws) and
float arrays ``x`` (frequency), ``t_x`` (recency), ``T``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betainc, betaln, expit, exprel, gammaln, polygamma, psi, xlogy

from customer_models.valuation._dert import bg_family_dert
from customer_models.valuation._optimize import dot
from customer_models.valuation._patterns import count_grid
from customer_models.valuation._purchase import PurchaseModel
from customer_models.valuation._special import pfq_series

__all__ = [
    "BetaGeoModel",
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "log_likelihood_derivatives_kernel",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "probability_alive_kernel",
    "probability_of_purchases_kernel",
]


def _unpack(params: Any) -> tuple[Any, Any, Any, Any]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


def _by_count(fn: Any, shift: Any, x: np.ndarray) -> np.ndarray:
    """``fn(shift + x)``, via a table over 0..max(x) when ``shift`` is a scalar.

    Frequencies are small whole numbers shared by many rows, so special functions of
    ``shift + x`` are evaluated once per distinct count (a large saving in fitting).
    """
    if np.ndim(shift) == 0 and np.ndim(x) == 1 and x.size > 64:
        grid = count_grid(x)
        if grid is not None:
            values, codes = grid
            return np.asarray(fn(shift + values))[codes]
    return np.asarray(fn(shift + x))


def _log_terms(params: Any, x: Any, t_x: Any, T: Any) -> tuple[Any, ...]:
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    pos = x > 0
    A1 = _by_count(gammaln, r, x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + _by_count(gammaln, b, x) - gammaln(b) - _by_count(gammaln, a + b, x)
    A3 = -(r + x) * np.log(alpha + T)
    bx1 = np.where(pos, b + x - 1.0, 1.0)
    A4 = np.where(pos, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return A1, A2, A3, A4, pos, bx1


def log_likelihood_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood.

    ``log L = A1 + A2 + log(exp(A3) + [x > 0] exp(A4))`` with
    ``A1 = lnΓ(r+x) - lnΓ(r) + r ln α``, ``A2 = ln B(a, b+x) - ln B(a, b)``,
    ``A3 = -(r+x) ln(α+T)``, ``A4 = ln a - ln(b+x-1) - (r+x) ln(α+t_x)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(log_likelihood_kernel([0.243, 4.414, 0.793, 2.426], 0.0, 0.0, 38.86)).__round__(4)
    -0.5547
    """
    A1, A2, A3, A4, _, _ = _log_terms(params, x, t_x, T)
    return np.asarray(A1 + A2 + np.logaddexp(A3, A4))


def log_likelihood_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its analytic gradient in ``(r, alpha, a, b)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Shapes ``(n,)`` and ``(n, 4)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = log_likelihood_gradient_kernel(np.array([0.5, 4.0, 0.8, 2.5]), np.array([2.0]),
    ...                                np.array([10.0]), np.array([20.0]))
    >>> g.shape
    (1, 4)
    """
    r, alpha, a, b = _unpack(params)
    A1, A2, A3, A4, pos, bx1 = _log_terms(params, x, t_x, T)
    lse = np.logaddexp(A3, A4)
    w4 = np.exp(A4 - lse)  # weight of the "dropped out after the last purchase" branch
    w3 = 1.0 - w4
    ll = A1 + A2 + lse
    x = np.asarray(x, dtype=np.float64)
    log_at, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    d_r = _by_count(psi, r, x) - psi(r) + np.log(alpha) - w3 * log_at - w4 * log_atx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    common = psi(a + b) - _by_count(psi, a + b, x)
    d_a = common + w4 / a
    d_b = common + _by_count(psi, b, x) - psi(b) - np.where(pos, w4 / bx1, 0.0)
    return ll, np.stack([d_r, d_alpha, d_a, d_b], axis=-1)


def _frequency_table(
    x: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct frequencies, their summed weights and each row's position among them."""
    grid = count_grid(x)
    if grid is not None:  # a dense table over 0..max(x) is cheapest
        values, codes = grid
    else:
        values, codes = np.unique(x, return_inverse=True)
    return values, np.bincount(codes, weights=weights, minlength=values.size), codes


def _bg_family_derivatives(
    params: Any,
    weights: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    hessian: bool,
    modified: bool,
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Weighted derivatives of BG/NBD (``modified=False``) or MBG/NBD.

    See `log_likelihood_derivatives_kernel`.
    """
    r, alpha, a, b = (float(v) for v in np.asarray(params, dtype=np.float64))
    k, wk, codes = _frequency_table(x, weights)
    bm, abm = (b + 1.0, a + b + 1.0) if modified else (b, a + b)  # B(a, b+x+1) in MBG/NBD
    # --- terms of the frequency alone, once per distinct count
    ll = dot(
        wk,
        gammaln(r + k)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(bm + k)
        - gammaln(b)
        - gammaln(abm + k),
    )
    psi_ab_k = psi(abm + k)
    grad = np.array(
        [
            dot(wk, psi(r + k) - psi(r) + np.log(alpha)),
            wk.sum() * r / alpha,
            dot(wk, psi(a + b) - psi_ab_k),
            dot(wk, psi(a + b) + psi(bm + k) - psi(b) - psi_ab_k),
        ]
    )
    repeat = (k > 0) | modified  # MBG/NBD: the dropout branch exists without repeats too
    bx1 = np.where(repeat, bm + k - 1.0, 1.0)
    inv_bx1 = np.where(repeat, 1.0 / bx1, 0.0)[codes]
    log_a_bx1 = np.where(repeat, np.log(a) - np.log(bx1), -np.inf)[codes]
    # --- terms of the whole row
    rx = r + x
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    inv_aT, inv_atx = 1.0 / (alpha + T), 1.0 / (alpha + t_x)
    d = log_a_bx1 + rx * (log_aT - log_atx)  # A4 - A3; -inf without repeat purchases
    w4 = expit(d)
    w3 = 1.0 - w4
    ll += dot(weights, np.logaddexp(0.0, d) - rx * log_aT)
    w_w4 = weights * w4
    mix_inv = w3 * inv_aT + w4 * inv_atx
    grad += np.array(
        [
            dot(w_w4, log_aT - log_atx) - dot(weights, log_aT),
            -dot(weights * rx, mix_inv),
            w_w4.sum() / a,
            -dot(w_w4, inv_bx1),
        ]
    )
    if not hessian:
        return ll, grad, None
    h = np.zeros((4, 4))
    tri_r = dot(wk, polygamma(1, r + k) - polygamma(1, r))
    tri_ab = dot(wk, polygamma(1, a + b) - polygamma(1, abm + k))
    h[0, 0] = tri_r
    h[0, 1] = wk.sum() / alpha
    h[1, 1] = -wk.sum() * r / alpha**2
    h[2, 2] = h[2, 3] = tri_ab
    h[3, 3] = tri_ab + dot(wk, polygamma(1, bm + k) - polygamma(1, b))
    # second derivatives of A3 and A4, mixed by w3/w4
    h[0, 1] -= dot(weights, mix_inv)
    h[1, 1] += dot(weights * rx, w3 * inv_aT**2 + w4 * inv_atx**2)
    h[2, 2] -= w_w4.sum() / a**2
    h[3, 3] += dot(w_w4, inv_bx1**2)
    # w3 w4 (∇A3 - ∇A4)(∇A3 - ∇A4)'
    c = w_w4 * w3
    delta = np.stack(
        [log_atx - log_aT, rx * (inv_atx - inv_aT), np.full_like(x, -1.0 / a), inv_bx1]
    )
    cd = delta * c
    for i in range(4):
        for j in range(i, 4):
            h[i, j] += dot(cd[i], delta[j])
    h = np.triu(h) + np.triu(h, 1).T
    return ll, grad, h


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

    What fitting needs, computed without per-row gradient arrays: terms of the frequency
    alone (``A1``, ``A2`` of :func:`log_likelihood_kernel`) once per distinct frequency with the
    summed weights; the rest once per row. With ``w4`` the posterior weight of "dropped out
    after the last purchase" (``w3 = 1 - w4``), the Hessian of ``log(e^A3 + e^A4)`` is
    ``w3 H(A3) + w4 H(A4) + w3 w4 (∇A3 - ∇A4)(∇A3 - ∇A4)'``.

    Returns
    -------
    (float, numpy.ndarray, numpy.ndarray or None)
        ``sum(w * ll)``, its gradient (4,) and, if ``hessian``, its Hessian (4, 4).

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
    return _bg_family_derivatives(params, weights, x, t_x, T, hessian=hessian, modified=False)


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x)).

    Examples
    --------
    >>> float(probability_alive_kernel([0.243, 4.414, 0.793, 2.426], 0.0, 0.0, 10.0))
    1.0
    """
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    pos = x > 0
    bx1 = np.where(pos, b + x - 1.0, 1.0)
    log_odds_dead = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.asarray(np.where(pos, expit(-log_odds_dead), 1.0))


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
    inner, conv = pfq_series(
        [ai, bi + 1.0, np.ones_like(ai)], [ci + 1.0, np.full_like(ai, 2.0)], wi
    )
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
    out = np.empty(u.size)
    for start in range(0, u.size, _CHUNK):
        sl = slice(start, start + _CHUNK)
        out[sl] = _quadrature_chunk(rp[sl], u[sl], a[sl], bp[sl])
    return out


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
    """
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (rp, u, a, bp)))
    shape = arrs[0].shape
    rp, u, a, bp = (np.ascontiguousarray(v).ravel() for v in arrs)
    out = np.zeros(u.size)
    pos = np.flatnonzero(u > 0)
    if pos.size:
        vals, ok = _mean_given_alive_series(rp[pos], u[pos], a[pos], bp[pos])
        out[pos[ok]] = vals[ok]
        rest = pos[~ok]
        if rest.size:
            out[rest] = _mean_given_alive_quadrature(rp[rest], u[rest], a[rest], bp[rest])
    return out.reshape(shape)


def _expected_alive(r: Any, alpha: Any, a: Any, b: Any, x: Any, T: Any, t: Any) -> np.ndarray:
    """E[X(T, T+t) | alive at T]: `_mean_given_alive` of the posterior given alive."""
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(t, dtype=np.float64) / (alpha + np.asarray(T, dtype=np.float64))
    return _mean_given_alive(r + x, u, a, b + x)


def expected_purchases_kernel(params: Any, x: Any, t_x: Any, T: Any, t: Any) -> np.ndarray:
    """Conditional expected purchases E[X(T, T+t) | x, t_x, T] (FHL 2005, eq. 10).

    Examples
    --------
    >>> round(float(expected_purchases_kernel([0.243, 4.414, 0.793, 2.426], 2, 30.43,
    ...                                       38.86, 39)), 3)
    1.226
    """
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    return np.asarray(alive * _expected_alive(r, alpha, a, b, x, T, t))


def expected_purchases_new_customer_kernel(params: Any, t: Any) -> np.ndarray:
    """E[X(t)] of a new customer: (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))].

    Examples
    --------
    >>> round(float(expected_purchases_new_customer_kernel([0.243, 4.414, 0.793, 2.426], 39)), 4)
    1.1967
    """
    r, alpha, a, b = _unpack(params)
    t = np.asarray(t, dtype=np.float64)
    return _expected_alive(r, alpha, a, b, 0.0, 0.0, t)


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
    params: Any, n: Any, x: Any, t_x: Any, T: Any, t: Any
) -> np.ndarray:
    """P(X(T, T+t) = n | x, t_x, T).

    Given alive at T, the posterior of (λ, p) is Gamma(r+x, α+T) × Beta(a, b+x), and the
    future is a BG/NBD process with those parameters; a customer who dropped out buys nothing:
    ``P = P(alive) P_BGNBD(n; t, r+x, α+T, a, b+x) + (1 - P(alive)) [n = 0]``.

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_of_purchases_kernel([0.243, 4.414, 0.793, 2.426], np.arange(200),
    ...                                     2, 30.43, 38.86, 39)
    >>> round(float(p.sum()), 8)
    1.0
    """
    r, alpha, a, b = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    n = np.asarray(n, dtype=np.float64)
    pmf = _pmf_new(n, t, r + x, alpha + T, a, b + x)
    return np.asarray(alive * pmf + (1.0 - alive) * (n == 0))


class BetaGeoModel(PurchaseModel):
    r"""BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005).

    While active, a customer buys at the jumps of a Poisson process with rate
    ``λ ~ Gamma(r, α)``; after each repeat purchase they become inactive with probability
    ``p ~ Beta(a, b)``. Fitted on one row per customer with ``frequency`` (repeat
    purchases), ``recency`` (time from first to last purchase) and ``T`` (time from first
    purchase to the end of observation), all in one time unit.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty ``penalizer_coef * sum(params ** 2)`` added to the mean negative
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
    Individual likelihood:

    .. math::

        L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x) \alpha^r}{\Gamma(r) (\alpha+T)^{r+x}}
          + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
            \frac{\Gamma(r+x) \alpha^r}{\Gamma(r) (\alpha+t_x)^{r+x}}

    evaluated in log space with an analytic gradient. The conditional expectation uses the
    Euler transform of the Gaussian hypergeometric function, so it stays finite for any
    frequency.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers the easy
    way: an alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284.

    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Deriving an expression for
    P(X(t) = x) under the Pareto/NBD and BG/NBD models" (note).

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import BetaGeoModel
    >>> model = BetaGeoModel().fit(load_cdnow_summary())
    >>> model.params_.round(3).tolist(), round(model.log_likelihood_, 2)
    ([0.243, 4.414, 0.793, 2.426], -9582.43)
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
    _dert_kernel = staticmethod(bg_family_dert(0.0))
