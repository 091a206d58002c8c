"""Special functions of the kernels: hypergeometric series and exact gamma-function ratios.

:func:`log_gamma_ratio` and :func:`digamma_difference` give ``log Γ(w + c) − log Γ(w)`` and
``ψ(w + c) − ψ(w)`` without the cancellation of a difference of two ``gammaln``/``digamma``
calls (Gamma-Gamma, BG/BB).

``scipy.special.hyp2f1`` returns inf/NaN in parts of the BTYD domain (for instance when
``c - a - b`` is a large integer, as happens when ``r == a`` in BG/NBD), so the kernels sum
power series themselves, but only where a series is short and free of cancellation; the
callers switch to another method (a connection formula or a quadrature) elsewhere.

No series here ever returns an approximate tail: :func:`pfq_series` reports which rows
converged within the term cap (the callers refuse the others:
:class:`~customer_models.exceptions.ParameterError`). Terms are generated
in blocks (a cumulative product over ``_BLOCK`` terms per Python iteration), so the Python
work is ``max_terms / _BLOCK`` iterations at most, whatever the number of rows.

:func:`hyp2f1_1bc` (the ``2F1(1, B; C; z)`` of the Pareto/NBD likelihood) chooses by region:
its series where it is short (``z <= 0.9``, at most a few hundred terms), and elsewhere the
integral :func:`hyp2f1_1bc_quad`, exact to rounding up to ``z -> 1``, with derivatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from customer_models.valuation._hyp2f1_quad import flat_arguments, hyp2f1_1bc_quad, shaped4
from customer_models.valuation._patterns import distinct_rows

__all__ = [
    "digamma_difference",
    "hyp2f1_1bc",
    "hyp2f1_1bc_quad",
    "log_gamma_ratio",
    "pfq_series",
]

_REL_TOL = 1e-17
_REL_TOL_1BC = 1e-16
_BLOCK = 64


def pfq_series(
    num: Sequence[Any], den: Sequence[Any], z: Any, *, max_terms: int = 4_096
) -> tuple[np.ndarray, np.ndarray]:
    """``sum_k prod_i (num_i)_k / prod_j (den_j)_k z^k / k!`` and a per-row convergence flag.

    All arguments broadcast together. A row has converged when a term (after the last sign
    change of the Pochhammer symbols, ``k > -min(num)``) falls below ``1e-17`` of the running
    sum; rows that have not within ``max_terms`` terms get ``converged = False`` (their value
    is the partial sum, which the caller must not use). Terms are produced ``_BLOCK`` at a
    time, vectorized over rows and over the terms of the block.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import hyp2f1
    >>> value, ok = pfq_series([0.5, 1.5], [2.5], 0.3)
    >>> bool(np.isclose(value, hyp2f1(0.5, 1.5, 2.5, 0.3), rtol=1e-15)), bool(ok)
    (True, True)
    """
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (*num, *den, z)))
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrs]
    n_num = len(num)
    p_num, p_den, zz = flat[:n_num], flat[n_num:-1], flat[-1]
    n = zz.size
    total = np.ones(n)
    converged = np.ones(n, dtype=bool)
    k_min = np.zeros(n)
    for a in p_num:
        k_min = np.maximum(k_min, -a)
    active = np.flatnonzero((zz != 0) & np.all([a != 0 for a in p_num], axis=0))
    term = np.ones(active.size)
    t_sum = np.ones(active.size)
    k0 = 0
    ks = np.arange(_BLOCK, dtype=np.float64)
    while active.size and k0 < max_terms:
        k = k0 + ks[None, :]
        ratio = np.repeat(zz[active, None], _BLOCK, axis=1) / (k + 1.0)
        for a in p_num:
            ratio = ratio * (a[active, None] + k)
        for c in p_den:
            ratio = ratio / (c[active, None] + k)
        with np.errstate(over="ignore", invalid="ignore"):
            terms = term[:, None] * np.cumprod(ratio, axis=1)
            sums = t_sum[:, None] + np.cumsum(terms, axis=1)
            small = (
                (np.abs(terms) <= _REL_TOL * np.abs(sums))
                & (k + 1.0 > k_min[active, None])
                & np.isfinite(sums)
            )
        hit = small.any(axis=1)
        broken = ~hit & ~np.isfinite(sums[:, -1])  # overflow: not summable in floats
        if broken.any():
            converged[active[broken]] = False
            total[active[broken]] = np.nan
        first = np.argmax(small, axis=1)
        rows = np.arange(active.size)
        done_idx = active[hit]
        total[done_idx] = sums[rows[hit], first[hit]]
        keep = ~hit & ~broken
        term, t_sum = terms[keep, -1], sums[keep, -1]
        active = active[keep]
        k0 += _BLOCK
    total[active] = t_sum
    converged[active] = False
    return total.reshape(shape), converged.reshape(shape)


#: Terms per Python iteration of the 2F1(1, B; C; z) series and its cap (2**12 terms: the
#: series is used only for z <= _SERIES_MAX_Z, where it ends within about 400 terms).
_BLOCK_1BC = 256
_TERMWISE_1BC = 128
_MAX_TERMS_1BC = 1 << 12
#: Above this z, 2F1(1, B; C; z) comes from the integral of `hyp2f1_1bc_quad`.
_SERIES_MAX_Z = 0.9


def hyp2f1_1bc(
    B: Any, C: Any, z: Any, *, eps: Any = None, dedup: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``log 2F1(1, B; C; z)`` and its partial derivatives in ``B``, ``C`` and ``z``.

    For ``0 < B < C``, ``C > 1`` and ``0 <= z < 1``. The power series (positive terms, value
    in ``[1, 1/(1-z)]``) where ``z <= 0.9``; the integral of :func:`hyp2f1_1bc_quad`
    above, and for any row the series did not finish within its term cap. Never a truncated
    sum; every output is finite for valid arguments.

    Parameters
    ----------
    B, C, z : array-like
        Broadcast together.
    eps : array-like, optional
        ``1 - z`` computed by the caller without cancellation (e.g. a ratio of two sums);
        default ``1 - z``.
    dedup : bool
        Evaluate once per distinct ``(B, C, z)`` row.

    Returns
    -------
    tuple of numpy.ndarray
        ``(log F, d log F / dB, d log F / dC, d log F / dz)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import hyp2f1
    >>> logf, *_ = hyp2f1_1bc(2.0, 3.5, np.array([0.4, 0.999]))
    >>> bool(np.allclose(np.exp(logf), hyp2f1(1.0, 2.0, 3.5, np.array([0.4, 0.999])),
    ...                  rtol=1e-13))
    True
    """
    shape, b, c, z_flat, e_flat = flat_arguments(B, C, z, eps)
    series = np.where(z_flat <= _SERIES_MAX_Z, z_flat, np.nan)
    out = [np.asarray(v).ravel().copy() for v in _hyp2f1_1bc_series(b, c, series, dedup=dedup)]
    rest = np.flatnonzero(np.isnan(out[0]) & ~np.isnan(z_flat))
    if rest.size:  # z above 0.9, or (never expected) a series that hit its cap
        quad = hyp2f1_1bc_quad(b[rest], c[rest], z_flat[rest], e_flat[rest])
        for v, q in zip(out, quad, strict=True):
            v[rest] = q
    return shaped4(out, shape)


def _hyp2f1_1bc_series(
    B: Any, C: Any, z: Any, *, max_terms: int = _MAX_TERMS_1BC, dedup: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sum the power series of :func:`hyp2f1_1bc` with its derivatives (NaN: not converged).

    For ``0 < B < C`` and ``0 <= z < 1`` every term ``(B)_k / (C)_k z^k`` is positive and
    the ratio of successive terms is below ``z``, so the series is stable and the value lies
    in ``[1, 1/(1-z)]``. Derivatives in ``B`` and ``C`` use the running sums
    ``sum_j 1/(B+j)`` and ``sum_j 1/(C+j)`` of the same terms.

    The first 128 terms are summed one at a time over the shrinking set of unfinished rows
    (cheapest for the usual short series); after that, terms come in blocks of 32, 64, 128
    and then ``_BLOCK_1BC`` = 256 (cumulative products and sums over the block, vectorized
    over rows). Rows that need more than ``max_terms`` terms, or with ``z`` NaN, get NaN in
    every output: never a truncated sum.
    """
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (B, C, z)))
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrs]
    inverse: np.ndarray | None = None
    distinct = distinct_rows(flat) if dedup else None
    if distinct is not None:
        flat, inverse = distinct
    b, c, zz = flat
    n = b.size
    s = np.ones(n)
    s_b = np.zeros(n)
    s_c = np.zeros(n)
    s_z = np.zeros(n)  # sum k t_k (z-derivative is s_z / z)
    active = np.flatnonzero(zz > 0)
    term = np.ones(active.size)
    hb = np.zeros(active.size)
    hc = np.zeros(active.size)
    acc = [
        np.ones(active.size),
        np.zeros(active.size),
        np.zeros(active.size),
        np.zeros(active.size),
    ]
    tb, tc, tz = b[active], c[active], zz[active]
    k0 = 0
    # phase 1, term by term on the shrinking set of active rows (most rows finish here)
    while active.size and k0 < min(_TERMWISE_1BC, max_terms):
        hb = hb + 1.0 / (tb + k0)
        hc = hc + 1.0 / (tc + k0)
        term = term * ((tb + k0) / (tc + k0) * tz)
        k0 += 1
        acc[0] = acc[0] + term
        acc[1] = acc[1] + term * hb
        acc[2] = acc[2] - term * hc
        acc[3] = acc[3] + term * k0
        done = term * k0 <= _REL_TOL_1BC * acc[0]
        if done.any():
            idx = active[done]
            s[idx], s_b[idx], s_c[idx], s_z[idx] = (v[done] for v in acc)
            keep = ~done
            active, tb, tc, tz = active[keep], tb[keep], tc[keep], tz[keep]
            term, hb, hc = term[keep], hb[keep], hc[keep]
            acc = [v[keep] for v in acc]
    # phase 2, blocks of _BLOCK_1BC terms for the slowly converging rows (z near 1)
    width = 32  # then 64, 128, 256: little waste on series that end soon after phase 1
    while active.size and k0 < max_terms:
        k = k0 + np.arange(width, dtype=np.float64)[None, :]
        tb, tc = b[active, None], c[active, None]
        hb_blk = hb[:, None] + np.cumsum(1.0 / (tb + k), axis=1)
        hc_blk = hc[:, None] + np.cumsum(1.0 / (tc + k), axis=1)
        terms = term[:, None] * np.cumprod((tb + k) / (tc + k) * zz[active, None], axis=1)
        kk = k + 1.0
        sums = [
            acc[0][:, None] + np.cumsum(terms, axis=1),
            acc[1][:, None] + np.cumsum(terms * hb_blk, axis=1),
            acc[2][:, None] - np.cumsum(terms * hc_blk, axis=1),
            acc[3][:, None] + np.cumsum(terms * kk, axis=1),
        ]
        small = terms * kk <= _REL_TOL_1BC * sums[0]
        hit = small.any(axis=1)
        first = np.argmax(small, axis=1)[hit]
        rows = np.flatnonzero(hit)
        idx = active[hit]
        s[idx], s_b[idx], s_c[idx], s_z[idx] = (v[rows, first] for v in sums)
        keep = ~hit
        active = active[keep]
        term, hb, hc = terms[keep, -1], hb_blk[keep, -1], hc_blk[keep, -1]
        acc = [v[keep, -1] for v in sums]
        k0 += width
        width = min(2 * width, _BLOCK_1BC)
    undefined = np.concatenate([active, np.flatnonzero(np.isnan(zz))])
    for v in (s, s_b, s_c, s_z):
        v[undefined] = np.nan  # not converged within max_terms (or z NaN): no approximate tail
    safe_z = np.where(zz > 0, zz, 1.0)
    d_z = np.where(zz > 0, s_z / safe_z, b / c) / s
    results = [np.log(s), s_b / s, s_c / s, d_z]
    if inverse is not None:
        results = [v[inverse] for v in results]
    return shaped4(results, shape)


# ----------------------------------------------------------------------------- 2F1(1, B; C; z)
# as an integral: with a = C - B - 1 and n = C - 1, substituting u = 1 - e^-d in
#: Bernoulli coefficients of the Stirling series: B_2k / (2k (2k-1)) for log-gamma and
#: B_2k / (2k) for digamma, k = 1..8.
_LGAMMA_COEF = (
    1 / 12,
    -1 / 360,
    1 / 1260,
    -1 / 1680,
    1 / 1188,
    -691 / 360360,
    1 / 156,
    -3617 / 122400,
)
_PSI_COEF = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12, -3617 / 8160)
#: Where the Stirling series (8 terms) is exact to float64: both arguments at least this.
_STIRLING_MIN = 16.0
#: The plain difference of two ``gammaln``/``digamma`` values is used unless it would lose
#: more than this factor of the result's precision (4 bits: relative errors stay below 4e-15
#: on an mpmath grid, against 5e-16 for the series); only there is the Stirling series of
#: the difference worth its cost.
_PLAIN_LOSS = 16.0


def _stirling_rows(w: Any, c: Any, *, psi: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Broadcast ``w``, ``c`` and mark the rows that need the Stirling series of the difference.

    A difference ``f(w + c) - f(w)`` of two values of size ``|f(y)|``, ``y = max(w, w + c)``,
    carries an absolute error of ``eps |f(y)|``; its result is about ``|c| f'(y)``. The loss
    factor is ``y / |c|`` for log-gamma (``f ~ y log y``, ``f' ~ log y``) and ``y log y / |c|``
    for digamma (``f ~ log y``, ``f' ~ 1/y``). Rows with both arguments at least
    ``_STIRLING_MIN`` and a loss above ``_PLAIN_LOSS`` take the series; the others (small
    arguments, or ``c`` not small next to ``w``) the plain difference.
    """
    w, c = np.broadcast_arrays(np.asarray(w, dtype=float), np.asarray(c, dtype=float))
    y = w + c
    top = np.maximum(w, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = top * np.log(np.maximum(top, 1.0)) if psi else top
        series = (np.minimum(w, y) >= _STIRLING_MIN) & (loss > _PLAIN_LOSS * np.abs(c))
    return w, c, series


def _by_region(
    w: np.ndarray,
    c: np.ndarray,
    series: np.ndarray,
    plain: Any,
    stirling: Any,
) -> np.ndarray:
    """``plain(w, c)`` on the rows outside ``series``, ``stirling(w, c)`` on those inside."""
    if not series.any():
        return np.asarray(plain(w, c))
    if series.all():
        return np.asarray(stirling(w, c))
    out = np.empty(w.shape)
    rest = ~series
    out[rest] = plain(w[rest], c[rest])
    out[series] = stirling(w[series], c[series])
    return out


def _horner(coefficients: Sequence[float], u: np.ndarray) -> np.ndarray:
    """``sum_j coefficients[j] u^j``."""
    total = np.full_like(u, coefficients[-1])
    for coef in coefficients[-2::-1]:
        total = total * u + coef
    return total


def _log_gamma_ratio_plain(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.asarray(gammaln(w + c) - gammaln(w))


def _log_gamma_ratio_stirling(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    z = w + c
    out = (w - 0.5) * np.log1p(c / w) + c * np.log(z) - c
    out -= _LGAMMA_COEF[0] * c / (w * z)  # 1/(12 z) - 1/(12 w), exact difference
    # the other terms, sum_k C_k y^(1 - 2k) for k >= 2, in Horner form in u = 1/y^2
    uz, uw = 1.0 / (z * z), 1.0 / (w * w)
    out += uz / z * _horner(_LGAMMA_COEF[1:], uz) - uw / w * _horner(_LGAMMA_COEF[1:], uw)
    return np.asarray(out)


def _digamma_difference_plain(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.asarray(digamma(w + c) - digamma(w))


def _digamma_difference_stirling(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    z = w + c
    out = np.log1p(c / w) + 0.5 * c / (w * z)  # log z - 1/(2z), minus the same at w
    uz, uw = 1.0 / (z * z), 1.0 / (w * w)
    out += _PSI_COEF[0] * c * (w + z) * uz * uw  # -(1/(12 z^2) - 1/(12 w^2)), exact
    # the other terms, -sum_k D_k y^(-2k) for k >= 2, in Horner form in u = 1/y^2
    out -= uz * uz * _horner(_PSI_COEF[1:], uz) - uw * uw * _horner(_PSI_COEF[1:], uw)
    return np.asarray(out)


def log_gamma_ratio(w: Any, c: Any) -> np.ndarray:
    """``log Γ(w + c) − log Γ(w)`` to float64 precision of the result, for ``w, w + c > 0``.

    The difference of two ``gammaln`` loses their size (``gammaln(1e7)`` is 1.5e8, so the
    difference carries an absolute error of 1e-8). Where it would lose more than 4 bits of
    the result (large arguments, ``c`` small next to them) the Stirling series of the
    difference is used instead, with ``log1p`` and exact differences of its leading terms;
    elsewhere the plain difference, which is exact enough there and much cheaper.

    Examples
    --------
    >>> round(float(log_gamma_ratio(1e7, 1e-3)), 12)
    0.016118095601
    """
    w, c, series = _stirling_rows(w, c, psi=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _by_region(w, c, series, _log_gamma_ratio_plain, _log_gamma_ratio_stirling)


def digamma_difference(w: Any, c: Any) -> np.ndarray:
    """``ψ(w + c) − ψ(w)`` to float64 precision of the result, for ``w, w + c > 0``.

    Chooses between the plain difference and the Stirling series by region, as
    :func:`log_gamma_ratio` does.

    Examples
    --------
    >>> f"{float(digamma_difference(1e7, 1e-3)):.6e}"
    '1.000000e-10'
    """
    w, c, series = _stirling_rows(w, c, psi=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _by_region(w, c, series, _digamma_difference_plain, _digamma_difference_stirling)
