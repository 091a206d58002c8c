"""The A_0 term of the Pareto/NBD likelihood: the dispatcher, and its chained path for fits.

:func:`log_a0_term` picks how ``log(n J(t))`` is computed (see
:mod:`customer_models.valuation._pareto_nbd_integral` for the integral and its direct and
anchored paths): once per distinct ``(x, t)`` pair when they repeat, chained along the rows
sorted by ``(x, t)`` (:func:`log_j_chained`) for a fit of many distinct rows.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from customer_models.valuation._pareto_nbd_integral import (
    Segments,
    _log_j_anchored,
    _log_j_direct,
    _phi_slope,
    _segment_integral,
    _segment_panels,
    _segment_shape,
)
from customer_models.valuation._patterns import distinct_rows

__all__ = ["CHAIN_MIN_ROWS", "log_a0_term", "log_j_chained"]


def log_a0_term(
    r: Any, alpha: Any, s: Any, beta: Any, x: Any, t: Any, grad: bool, dedup: bool = True
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Log of the Euler-transformed A_0 term at time ``t`` and its gradient.

    ``exp(log_j) = n J(t)``, ``n = r+s+x``, ``J(t) = ∫_t^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ``. The
    term depends on a row only through ``(x, t)``; with scalar parameters it is computed once
    per distinct pair (a daily summary has far fewer pairs than rows) and mapped back, and
    rows whose 2F1 argument is near 1 go through :func:`_log_j_anchored`.
    """
    scalar = all(np.ndim(v) == 0 for v in (r, alpha, s, beta)) and np.ndim(x) == 1
    if scalar and np.size(x) >= CHAIN_MIN_ROWS:
        # many rows, one parameter vector (a fit): chain the integral along sorted t, unless
        # the pairs compress (a daily grid); rows already sorted (a fit's patterns) or with a
        # remembered order (the same columns at every step of a fit) need no grouping pass
        x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
        params = (float(r), float(alpha), float(s), float(beta))
        if _sorted_by(x, t) or _remembered_order(x, t) is not None:
            return log_j_chained(*params, x, t, grad)
        distinct = distinct_rows([x, t]) if dedup else None
        if distinct is None:
            return log_j_chained(*params, x, t, grad)
        (x_u, t_u), inverse = distinct
        log_j, grads = _log_j_anchored(*params, x_u, t_u, grad, dedup=False)
        return log_j[inverse], None if grads is None else [g[inverse] for g in grads]
    if dedup and scalar:
        distinct = distinct_rows([np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)])
        if distinct is not None:
            (x_u, t_u), inverse = distinct
            # the pairs are distinct: no second grouping of them inside hyp2f1_1bc
            log_j, grads = _log_j_anchored(
                float(r), float(alpha), float(s), float(beta), x_u, t_u, grad, dedup=False
            )
            return log_j[inverse], None if grads is None else [g[inverse] for g in grads]
    if scalar:
        return _log_j_anchored(
            float(r), float(alpha), float(s), float(beta), x, t, grad, dedup=dedup
        )
    return _log_j_direct(r, alpha, s, beta, x, t, grad, dedup=dedup)


#: Scalar parameters and at least this many rows: :func:`log_j_chained`.
CHAIN_MIN_ROWS = 50_000
#: A frequency group whose integrand falls by more than e^this between its smallest and
#: largest t goes through :func:`_log_j_anchored` (its chained terms would underflow).
_CHAIN_MAX_FALL = 600.0


def log_j_chained(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t: np.ndarray, grad: bool
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """``log_j`` for many ``(x, t)`` rows with one parameter vector, chained along sorted t.

    Rows are sorted by ``(x, t)``. In each frequency group ``J(t_A)`` at the group's largest
    ``t`` comes from 2F1 (:func:`_log_j_direct`, once per group), and every row adds the
    integrals between consecutive sorted times up to ``t_A``:
    ``J(t_i) = J(t_A) + sum_{j >= i} ∫_{t_j}^{t_{j+1}}``, a sum of positive terms (a reverse
    cumulative sum per group). Between neighbouring times of a large table a segment is one
    8-node Gauss-Legendre panel (:func:`_segment_integral`, the anchored path's quadrature,
    exact to rounding), so a row costs a few quadrature nodes instead of a 2F1 series, and
    no per-row grouping pass is needed. The gradient chains the same way (the integrals of
    the integrand's parameter derivatives). The loop is over frequency groups only.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, t = rng.poisson(3.0, 1000).astype(float), rng.uniform(0.0, 52.0, 1000)
    >>> chained, _ = log_j_chained(0.8, 5.0, 0.6, 10.0, x, t, grad=False)
    >>> direct, _ = _log_j_direct(0.8, 5.0, 0.6, 10.0, x, t, grad=False)
    >>> bool(np.allclose(chained, direct, rtol=1e-14, atol=1e-13))
    True
    """
    n = x.size
    order = _sort_order(x, t)
    xs, ts = (x, t) if order is None else (x[order], t[order])
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    gx, ta = xs[starts], ts[ends - 1]
    lj_a, g_a = _log_j_direct(r, alpha, s, beta, gx, ta, grad, dedup=False)
    n_a = r + s + gx
    log_ja = lj_a - np.log(n_a)  # log J(t_A) per group
    seg = np.flatnonzero(~new[1:] & (ts[1:] > ts[:-1]))  # segment j joins sorted j and j + 1
    log_s, g_s = _chain_segments(Segments(r, alpha, s, beta, xs[seg], ts[seg], ts[seg + 1]), grad)
    n_k = 5 if grad else 1
    terms = np.zeros((n_k, n))  # per sorted row j: its segment's integral (0 at group ends)
    group = np.cumsum(new) - 1  # each sorted row's group
    # per group the largest term, so the chained sums are exact multiples of one scale
    ref = log_ja.copy()
    ok_seg = np.isfinite(log_s)
    np.maximum.at(ref, group[seg[ok_seg]], log_s[ok_seg])
    e_s = np.where(ok_seg, np.exp(log_s - ref[group[seg]]), 0.0)
    terms[0, seg] = e_s
    e_a = np.exp(log_ja - ref)
    if grad:
        assert g_s is not None
        assert g_a is not None
        for k in range(4):
            terms[k + 1, seg] = e_s * g_s[k]
    fallback = (log_ja - ref) < -_CHAIN_MAX_FALL
    for g in range(starts.size):
        lo, hi = starts[g], ends[g]
        if hi - lo > 1:  # reverse cumulative sum within the group (no cancellation)
            terms[:, lo:hi] = np.cumsum(terms[:, lo:hi][:, ::-1], axis=1)[:, ::-1]
    total = terms[0] + e_a[group]
    n_rows = r + s + xs
    with np.errstate(divide="ignore"):  # only in fallback groups, replaced below
        log_j_sorted = np.log(n_rows) + ref[group] + np.log(total)
    log_j = log_j_sorted if order is None else np.empty(n)
    if order is not None:
        log_j[order] = log_j_sorted
    grads = None
    if grad:
        assert g_a is not None
        grads = []
        for k in range(4):
            own = k in (0, 2)  # d n / d r = d n / d s = 1
            d_ja = g_a[k] - (1.0 / n_a if own else 0.0)  # d log J(t_A)
            with np.errstate(divide="ignore", invalid="ignore"):
                d_j = (terms[k + 1] + (e_a * d_ja)[group]) / total
            if own:
                d_j += 1.0 / n_rows
            if order is None:
                grads.append(d_j)
            else:
                out = np.empty(n)
                out[order] = d_j
                grads.append(out)
    if fallback.any():  # groups whose terms would underflow: anchored path for their rows
        rows = np.flatnonzero(fallback[group])
        if order is not None:
            rows = order[rows]
        lj, g_fb = _log_j_anchored(r, alpha, s, beta, x[rows], t[rows], grad, dedup=False)
        log_j[rows] = lj
        if grads is not None and g_fb is not None:
            for out, v in zip(grads, g_fb, strict=True):
                out[rows] = v
    return log_j, grads


#: Short segments (a 3-node Gauss-Legendre rule is exact to rounding on them) and the chunk
#: of segments per vectorized pass.
_SHORT_X, _SHORT_W = np.polynomial.legendre.leggauss(3)
_SHORT_FALL = 0.02
_SHORT_CHUNK = 1 << 17


def _chain_segments(segments: Segments, grad: bool) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """:func:`_segment_integral` of many segments, short ones by a 3-node rule.

    A segment is short when, in ``y = log(min(α, β) + τ)`` over its width ``w``, the
    log-integrand's largest slope times ``w`` plus ``sqrt(p_M / 4) w`` (its curvature is at
    most ``p_M / 4``) is at most 0.02: the 3-node rule's error is then below 1e-16 of the
    segment (it is of order the sixth power of that measure). Between neighbouring sorted
    times of a large table nearly every segment is short; the others get the 8-node panels.
    """
    r, alpha, s, beta, x = segments.r, segments.alpha, segments.s, segments.beta, segments.x
    _, log_d, p_m, p_big = _segment_shape(segments)
    m = beta if alpha >= beta else alpha
    y0, y1 = np.log(m + segments.t0), np.log(m + segments.t1)
    w = y1 - y0
    steep = np.maximum(
        np.abs(_phi_slope(y0, log_d, p_m, p_big)), np.abs(_phi_slope(y1, log_d, p_m, p_big))
    )
    short = (steep + np.sqrt(0.25 * p_big)) * w <= _SHORT_FALL
    log_i = np.empty(x.size)
    grads = [np.empty(x.size) for _ in range(4)] if grad else None
    long_rows = np.flatnonzero(~short)
    if long_rows.size:
        long = segments.take(long_rows)
        li, gl = _segment_integral(long, _segment_panels(long), grad)
        log_i[long_rows] = li
        if grads is not None and gl is not None:
            for out, v in zip(grads, gl, strict=True):
                out[long_rows] = v
    rows = np.flatnonzero(short)
    case1 = alpha >= beta
    for lo in range(0, rows.size, _SHORT_CHUNK):
        idx = rows[lo : lo + _SHORT_CHUNK]
        half = 0.5 * w[idx]
        # nodes along the first axis: the node sums are sums of three contiguous rows
        y = (y0[idx] + half)[None, :] + _SHORT_X[:, None] * half[None, :]
        log_big = np.logaddexp(log_d, y)  # log(max(α, β) + τ)
        phi = (1.0 - p_m[idx]) * y - p_big[idx] * log_big
        ref = phi[1].copy()  # the middle node
        phi -= ref
        f = np.exp(phi, out=phi)
        f *= _SHORT_W[:, None]
        s0 = f[0] + f[1] + f[2]
        log_i[idx] = ref + np.log(half * s0)
        if grads is not None:
            inv_s0 = 1.0 / s0
            log_a, log_b = (log_big, y) if case1 else (y, log_big)
            p = r + x[idx]
            grads[0][idx] = -np.einsum("km,km->m", f, log_a) * inv_s0
            grads[1][idx] = -p * np.einsum("km,km->m", f, np.exp(-log_a)) * inv_s0
            grads[2][idx] = -np.einsum("km,km->m", f, log_b) * inv_s0
            grads[3][idx] = -(s + 1.0) * np.einsum("km,km->m", f, np.exp(-log_b)) * inv_s0
    return log_i, grads


#: Sort orders of recent (x, t) pairs: a fit evaluates the same columns at every step, and
#: sorting a million rows costs more than the rest of a chained evaluation.
_ORDERS: dict[tuple[int, int], tuple[Any, Any, np.ndarray]] = {}
_ORDERS_KEPT = 4


def _sorted_by(x: np.ndarray, t: np.ndarray) -> bool:
    """Whether the rows are in ``(x, t)`` order (a fit's patterns come sorted by x, t_x, T)."""
    dx = np.diff(x)
    return bool((dx >= 0).all() and ((dx > 0) | (np.diff(t) >= 0)).all())


def _remembered_order(x: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """Return the remembered sort order of these very arrays if it still sorts them."""
    hit = _ORDERS.get((id(x), id(t)))
    if hit is not None and hit[0]() is x and hit[1]() is t and hit[2].size == x.size:
        order = hit[2]
        if _sorted_by(x[order], t[order]):
            return order
    return None


def _sort_order(x: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """Return a permutation sorting the rows by ``(x, t)``; None when they already are.

    A remembered order is used only for the same array objects and only after checking that
    it still sorts them (the check is a pass over the rows, cheap next to a sort): any
    permutation that sorts the rows is as good as a fresh one.
    """
    if _sorted_by(x, t):
        return None
    order = _remembered_order(x, t)
    if order is not None:
        return order
    order = np.lexsort((t, x))
    try:
        refs = (weakref.ref(x), weakref.ref(t))
    except TypeError:  # not weak-referenceable: do not remember
        return order
    if len(_ORDERS) >= _ORDERS_KEPT:
        _ORDERS.pop(next(iter(_ORDERS)))
    _ORDERS[(id(x), id(t))] = (*refs, order)
    return order
