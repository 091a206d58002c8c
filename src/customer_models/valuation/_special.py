"""Vectorized hypergeometric series and the rules for when they may be used.

``scipy.special.hyp2f1`` returns inf/NaN in parts of the BTYD domain (for instance when
``c - a - b`` is a large integer, as happens when ``r == a`` in BG/NBD), so the kernels sum
power series themselves, but only where a series is short and free of cancellation; the
callers switch to another method (a connection formula or a quadrature) elsewhere.

No series here ever returns an approximate tail: :func:`pfq_series` reports which rows
converged within the term cap, and :func:`hyp2f1_series` raises
:class:`~customer_models.exceptions.ParameterError` when a row does not. Terms are generated
in blocks (a cumulative product over ``_BLOCK`` terms per Python iteration), so the Python
work is ``max_terms / _BLOCK`` iterations at most, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from customer_models.exceptions import ParameterError
from customer_models.valuation._patterns import distinct_rows

__all__ = ["hyp2f1_1bc", "hyp2f1_series", "pfq_series"]

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


def hyp2f1_series(A: Any, B: Any, C: Any, z: Any, *, max_terms: int = 4_096) -> np.ndarray:
    """Gauss series ``sum_k (A)_k (B)_k / ((C)_k k!) z^k`` for ``|z| < 1``, vectorized.

    Parameters
    ----------
    A, B, C, z : array-like
        Broadcast together. ``C`` must not be a non-positive integer.
    max_terms : int
        Cap on the number of terms.

    Returns
    -------
    numpy.ndarray
        Values of the broadcast shape.

    Raises
    ------
    ParameterError
        A row needs more than ``max_terms`` terms (``z`` too close to 1 for a power series;
        use a transformation of the function instead). Never an approximate tail.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import hyp2f1
    >>> bool(np.isclose(hyp2f1_series(0.5, 1.5, 2.5, 0.3), hyp2f1(0.5, 1.5, 2.5, 0.3)))
    True
    """
    value, ok = pfq_series([A, B], [C], z, max_terms=max_terms)
    if not np.all(ok):
        zz = np.broadcast_to(np.asarray(z, dtype=np.float64), value.shape)
        raise ParameterError(
            f"The 2F1 power series did not converge within max_terms={max_terms} terms for "
            f"{int((~ok).sum())} argument rows (largest |z| = {float(np.abs(zz[~ok]).max()):.6g});"
            " a power series is not usable this close to |z| = 1."
        )
    return value


#: Terms per Python iteration of `hyp2f1_1bc` and its cap (2**20 terms: z up to 1 - 4e-5).
_BLOCK_1BC = 256
_TERMWISE_1BC = 128
_MAX_TERMS_1BC = 1 << 20


def hyp2f1_1bc(
    B: Any, C: Any, z: Any, *, max_terms: int = _MAX_TERMS_1BC, dedup: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``log 2F1(1, B; C; z)`` and its partial derivatives in ``B``, ``C`` and ``z``.

    For ``0 < B < C`` and ``0 <= z < 1`` every term ``(B)_k / (C)_k z^k`` is positive and
    the ratio of successive terms is below ``z``, so the series is stable and the value lies
    in ``[1, 1/(1-z)]``. Derivatives in ``B`` and ``C`` use the running sums
    ``sum_j 1/(B+j)`` and ``sum_j 1/(C+j)`` of the same terms.

    The first 128 terms are summed one at a time over the shrinking set of unfinished rows
    (cheapest for the usual short series); after that, terms come in blocks of 32, 64, 128
    and then ``_BLOCK_1BC`` = 256 (cumulative products and sums over the block, vectorized
    over rows), so the Python work is at most about ``132 + max_terms / 256`` iterations. Rows
    that need more than ``max_terms`` terms (``z`` within about ``40 / max_terms`` of 1) get
    NaN in every output: never a truncated sum. Callers decide (the likelihood treats NaN as
    an infeasible point; predictions raise).

    Returns
    -------
    tuple of numpy.ndarray
        ``(log F, d log F / dB, d log F / dC, d log F / dz)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import hyp2f1
    >>> logf, *_ = hyp2f1_1bc(2.0, 3.5, 0.4)
    >>> bool(np.isclose(np.exp(logf), hyp2f1(1.0, 2.0, 3.5, 0.4)))
    True
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
    return (
        results[0].reshape(shape),
        results[1].reshape(shape),
        results[2].reshape(shape),
        results[3].reshape(shape),
    )
