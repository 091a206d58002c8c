"""Vectorized Gaussian hypergeometric series used by the BTYD kernels.

``scipy.special.hyp2f1`` returns inf/NaN in parts of the BTYD domain (for instance when
``c - a - b`` is a large integer, as happens when ``r == a`` in BG/NBD), so the kernels use
these power series instead. They are only ever called after an Euler transformation that
keeps the series short: the number of terms is bounded by ``max_terms`` and a geometric tail
estimate is added for the (rare) rows that need more.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from customer_models.valuation._patterns import distinct_rows

__all__ = ["hyp2f1_1bc", "hyp2f1_series"]

_REL_TOL = 1e-16


def hyp2f1_series(A: Any, B: Any, C: Any, z: Any, *, max_terms: int = 5_000) -> np.ndarray:
    """Gauss series ``sum_k (A)_k (B)_k / ((C)_k k!) z^k`` for ``0 <= z < 1``, vectorized.

    Rows are iterated only while their terms matter (active-set loop); identical argument rows
    are evaluated once. Rows not converged after ``max_terms`` terms get a geometric tail
    estimate.

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

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import hyp2f1
    >>> bool(np.isclose(hyp2f1_series(0.5, 1.5, 2.5, 0.3), hyp2f1(0.5, 1.5, 2.5, 0.3)))
    True
    """
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (A, B, C, z)))
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrs]
    distinct = distinct_rows(flat)
    inverse = None if distinct is None else distinct[1]
    a, b, c, zz = flat if distinct is None else distinct[0]
    n = a.size
    total = np.ones(n)
    term = np.ones(n)
    active = np.flatnonzero(zz != 0)
    # terms may change sign while k < -a or k < -b; only stop after that
    k_min = np.maximum(np.maximum(-a, -b), 0.0)
    ta, tb, tc, tz = a[active], b[active], c[active], zz[active]
    tk = k_min[active]
    t_term = term[active]
    t_sum = total[active]
    k = 0
    ratio = np.zeros(active.size)
    while active.size and k < max_terms:
        ratio = (ta + k) * (tb + k) / ((tc + k) * (k + 1.0)) * tz
        t_term = t_term * ratio
        t_sum = t_sum + t_term
        k += 1
        done = (np.abs(t_term) <= _REL_TOL * np.abs(t_sum)) & (k > tk)
        if done.any():
            total[active[done]] = t_sum[done]
            keep = ~done
            active, ta, tb, tc, tz, tk = (
                active[keep],
                ta[keep],
                tb[keep],
                tc[keep],
                tz[keep],
                tk[keep],
            )
            t_term, t_sum, ratio = t_term[keep], t_sum[keep], ratio[keep]
    if active.size:  # geometric tail for rows that needed more than max_terms
        rho = np.clip(np.abs(ratio), 0.0, 1.0 - 1e-12)
        total[active] = t_sum + t_term * rho / (1.0 - rho)
    out = total if inverse is None else total[inverse]
    return out.reshape(shape)


def hyp2f1_1bc(
    B: Any, C: Any, z: Any, *, max_terms: int = 5_000, dedup: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``log 2F1(1, B; C; z)`` and its partial derivatives in ``B``, ``C`` and ``z``.

    For ``0 < B < C`` and ``0 <= z < 1`` every term ``(B)_k / (C)_k z^k`` is positive and
    the ratio of successive terms is below ``z``, so the series is stable and the value lies
    in ``[1, 1/(1-z)]``. Derivatives in ``B`` and ``C`` use the running sums
    ``sum_j 1/(B+j)`` and ``sum_j 1/(C+j)`` of the same terms.

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
    tb, tc, tz = b[active], c[active], zz[active]
    term = np.ones(active.size)
    hb = np.zeros(active.size)
    hc = np.zeros(active.size)
    acc = [s[active], s_b[active], s_c[active], s_z[active]]
    k = 0
    ratio = np.zeros(active.size)
    while active.size and k < max_terms:
        hb = hb + 1.0 / (tb + k)
        hc = hc + 1.0 / (tc + k)
        ratio = (tb + k) / (tc + k) * tz
        term = term * ratio
        k += 1
        acc[0] = acc[0] + term
        acc[1] = acc[1] + term * hb
        acc[2] = acc[2] - term * hc
        acc[3] = acc[3] + term * k
        done = term * max(k, 1) <= _REL_TOL * acc[0]
        if done.any():
            idx = active[done]
            s[idx], s_b[idx], s_c[idx], s_z[idx] = (v[done] for v in acc)
            keep = ~done
            active, tb, tc, tz = active[keep], tb[keep], tc[keep], tz[keep]
            term, hb, hc, ratio = term[keep], hb[keep], hc[keep], ratio[keep]
            acc = [v[keep] for v in acc]
    if active.size:
        rho = np.clip(ratio, 0.0, 1.0 - 1e-12)
        tail = term * rho / (1.0 - rho)
        s[active] = acc[0] + tail
        s_b[active] = acc[1] + tail * hb
        s_c[active] = acc[2] - tail * hc
        s_z[active] = acc[3] + tail * (k + 1.0 / (1.0 - rho))
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
