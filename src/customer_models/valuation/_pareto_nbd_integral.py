"""The integral ``J(t)`` in the ``A_0`` term of the Pareto/NBD likelihood, in log space.

The likelihood needs ``A_0``, a difference of two Gaussian hypergeometric terms
``2F1(r+s+x, s+1; r+s+x+1; z) / (alpha+t)^(r+s+x)`` (alpha >= beta) or
``2F1(r+s+x, r+x; r+s+x+1; z) / (beta+t)^(r+s+x)`` (alpha < beta). Those overflow for large
``x``; by Euler's transformation they equal

* alpha >= beta: ``2F1(1, r+x; r+s+x+1; z) / ((beta+t)^s (alpha+t)^(r+x))``,
  ``z = (alpha-beta)/(alpha+t)``;
* alpha < beta: ``2F1(1, s+1; r+s+x+1; z) / ((alpha+t)^(r+x-1) (beta+t)^(s+1))``,
  ``z = (beta-alpha)/(beta+t)``;

where ``2F1(1, B; C; z)`` (``0 < B < C``, ``0 <= z < 1``) is a series of positive terms with
value in ``[1, 1/(1-z)]``: its series where ``z <= 0.9``, an integral with derivatives up to
``z -> 1`` elsewhere (:func:`customer_models.valuation._special.hyp2f1_1bc`). With one
parameter vector and many customers (fitting), rows with ``z > 0.5`` are anchored instead: the
term at the largest ``t`` of each frequency comes from 2F1, and every other row adds the
integral between its ``t`` and that anchor, a short Gauss-Legendre sum (:func:`_log_j_anchored`).
From ``CHAIN_MIN_ROWS`` rows on (a fit of a large base, where continuous times make every
row distinct) every row is chained instead
(:func:`customer_models.valuation._pareto_nbd_chain.log_j_chained`): rows sorted by
``(x, t)``, each adds the integrals between neighbouring times up to its group's anchor,
mostly one 3-node panel each, with no grouping pass (2.6x less CPU for a 1M-row fit).
Everything else is in log space. The gradient is analytic (differentiation under the
integrals, or the series' own derivatives).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from customer_models.valuation._special import hyp2f1_1bc

__all__: list[str] = []  # private pieces of _pareto_nbd_chain.log_a0_term


def _log_j_direct(
    r: Any, alpha: Any, s: Any, beta: Any, x: Any, t: Any, grad: bool, dedup: bool = True
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """``log_j`` from ``2F1(1, B; C; z)`` (:func:`hyp2f1_1bc`: series or quadrature by region).

    ``dedup=False`` when the rows are known distinct (the 2F1 arguments are then too).
    """
    case1 = alpha >= beta
    la, lb = np.log(alpha + t), np.log(beta + t)
    big = np.where(case1, alpha + t, beta + t)
    z = np.abs(alpha - beta) / big
    eps = np.where(case1, beta + t, alpha + t) / big  # 1 - z without cancellation
    B = np.where(case1, r + x, s + 1.0)
    C = r + s + x + 1.0
    log_f, f_b, f_c, f_z = hyp2f1_1bc(B, C, z, eps=eps, dedup=dedup)
    log_j = log_f + np.where(case1, -s * lb - (r + x) * la, -(r + x - 1.0) * la - (s + 1.0) * lb)
    if not grad:
        return log_j, None
    d_r = np.where(case1, f_b + f_c, f_c) - la
    d_s = np.where(case1, f_c, f_b + f_c) - lb
    d_alpha = np.where(
        case1,
        f_z * (beta + t) / (alpha + t) ** 2 - (r + x) / (alpha + t),
        -f_z / (beta + t) - (r + x - 1.0) / (alpha + t),
    )
    d_beta = np.where(
        case1,
        -f_z / (alpha + t) - s / (beta + t),
        f_z * (alpha + t) / (beta + t) ** 2 - (s + 1.0) / (beta + t),
    )
    return log_j, [d_r, d_alpha, d_s, d_beta]


#: Rows with a 2F1 argument above this are anchored (their series would be long).
_ANCHOR_ABOVE_Z = 0.5
#: Segment quadrature: Gauss-Legendre nodes per panel, and per panel at most this fall of the
#: log-integrand and this width (in log time); more panels than _SEGMENT_MAX_PANELS: direct.
_SEG_X, _SEG_W = np.polynomial.legendre.leggauss(8)
_SEGMENT_FALL = 1.0
_SEGMENT_WIDTH = 2.0
_SEGMENT_MAX_PANELS = 64
_SEGMENT_CHUNK = 1 << 17  # panels per vectorized pass (bounded memory)


def _log_j_anchored(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: np.ndarray,
    t: np.ndarray,
    grad: bool,
    dedup: bool = True,
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """``log_j`` for many ``(x, t)`` rows with one parameter vector.

    Rows with a short series (``z <= 0.5``) go direct. The others are grouped by ``x``; each
    group's anchor ``t_A`` is its largest ``t``, where ``J(t_A)`` is computed once (direct),
    and every row adds the integral from its ``t`` to ``t_A`` (:func:`_segment_integral`):
    ``J(t) = ∫_t^{t_A} + J(t_A)``, a sum of positive terms. Between close times the segment
    needs a single 8-node panel, so a large table costs a few nodes per row.
    """
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    z = abs(alpha - beta) / (max(alpha, beta) + t)
    log_j = np.empty(x.size)
    grads = [np.empty(x.size) for _ in range(4)] if grad else None
    near = z > _ANCHOR_ABOVE_Z
    if near.any():  # rows whose segment would need too many panels go direct
        groups, inverse = np.unique(x[near], return_inverse=True)
        t_anchor = np.full(groups.size, -np.inf)
        np.maximum.at(t_anchor, inverse, t[near])
        panels = _segment_panels(Segments(r, alpha, s, beta, x[near], t[near], t_anchor[inverse]))
        near[np.flatnonzero(near)[panels > _SEGMENT_MAX_PANELS]] = False
    direct = np.flatnonzero(~near)
    if direct.size:
        lj, g = _log_j_direct(r, alpha, s, beta, x[direct], t[direct], grad, dedup=dedup)
        log_j[direct] = lj
        if grads is not None and g is not None:
            for out, v in zip(grads, g, strict=True):
                out[direct] = v
    rows = np.flatnonzero(near)
    if not rows.size:
        return log_j, grads
    groups, inverse = np.unique(x[rows], return_inverse=True)
    t_anchor = np.full(groups.size, -np.inf)
    np.maximum.at(t_anchor, inverse, t[rows])
    lj_a, g_a = _log_j_direct(r, alpha, s, beta, groups, t_anchor, grad, dedup=False)
    n_a = r + s + groups
    log_ja = lj_a - np.log(n_a)  # log J(t_A)
    segments = Segments(r, alpha, s, beta, x[rows], t[rows], t_anchor[inverse])
    log_i, g_i = _segment_integral(segments, _segment_panels(segments), grad)
    log_total = np.logaddexp(log_i, log_ja[inverse])
    n = r + s + x[rows]
    log_j[rows] = np.log(n) + log_total
    if grads is not None and g_a is not None and g_i is not None:
        share_i = np.exp(log_i - log_total)
        share_a = np.exp(log_ja[inverse] - log_total)
        for k, out in enumerate(grads):
            own = k in (0, 2)  # d n / d r = d n / d s = 1
            d_ja = g_a[k][inverse] - (1.0 / n_a[inverse] if own else 0.0)
            d_j = share_i * g_i[k] + share_a * d_ja
            out[rows] = d_j + (1.0 / n if own else 0.0)
    return log_j, grads


@dataclass(frozen=True)
class Segments:
    """Rows of ``∫_{t0}^{t1} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ`` under one parameter vector.

    What the segment functions below take: the parameters ``(r, α, s, β)`` and, per row, the
    frequency ``x`` and the ends ``t0 <= t1``.
    """

    r: float
    alpha: float
    s: float
    beta: float
    x: np.ndarray
    t0: np.ndarray
    t1: np.ndarray

    def take(self, rows: np.ndarray) -> Segments:
        """Return the segments of ``rows`` (same parameters)."""
        return replace(self, x=self.x[rows], t0=self.t0[rows], t1=self.t1[rows])


def _segment_shape(seg: Segments) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Return ``(m, log d, p_m, p_M)`` of the integrand in ``y = log(m + τ)``.

    It is ``exp(φ(y))``, ``φ = (1 - p_m) y - p_M log(d + e^y)``, ``m = min(α, β)``,
    ``d = |α - β|``.
    """
    alpha, beta = seg.alpha, seg.beta
    p, q = seg.r + seg.x, np.full_like(seg.x, seg.s + 1.0)
    with np.errstate(divide="ignore"):
        log_d = float(np.log(abs(alpha - beta)))
    if alpha >= beta:
        return beta, log_d, q, p
    return alpha, log_d, p, q


def _phi(y: Any, log_d: float, p_m: Any, p_big: Any) -> Any:
    return (1.0 - p_m) * y - p_big * np.logaddexp(log_d, y)


def _phi_slope(y: Any, log_d: float, p_m: Any, p_big: Any) -> Any:
    return (1.0 - p_m) - p_big / (1.0 + np.exp(log_d - y))


def _segment_range(seg: Segments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (where the integrand has surely fallen by e^-40: concavity) and peak in y."""
    m, log_d, p_m, p_big = _segment_shape(seg)
    y0, y1 = np.log(m + seg.t0), np.log(m + seg.t1)
    n = p_m + p_big - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        y_star = np.where(p_m < 1.0, log_d + np.log((1.0 - p_m) / n), -np.inf)
    y_peak = np.clip(y_star, y0, y1)
    y_q = np.minimum(y_peak + 1.0, y1)
    g_q = _phi_slope(y_q, log_d, p_m, p_big)
    with np.errstate(divide="ignore"):
        y_cut = np.where(g_q < 0, y_q + 40.0 / np.abs(g_q), np.inf)
    return y0, np.minimum(y1, y_cut), y_peak


def _segment_panels(seg: Segments) -> np.ndarray:
    """Count the panels of ``∫_{t0}^{t1}``.

    The log-integrand's slope is monotone (it is concave), so its largest size is at an end;
    each panel falls or rises by at most 1 and spans at most 2 in ``y``.
    """
    _, log_d, p_m, p_big = _segment_shape(seg)
    y0, y_end, _ = _segment_range(seg)
    width = np.maximum(y_end - y0, 0.0)
    steep = np.maximum(
        np.abs(_phi_slope(y0, log_d, p_m, p_big)), np.abs(_phi_slope(y_end, log_d, p_m, p_big))
    )
    need = np.ceil(steep * width / _SEGMENT_FALL + width / _SEGMENT_WIDTH)
    return np.where(width > 0, np.maximum(need, 1.0), 0.0).astype(np.int64)


def _segment_integral(
    seg: Segments, panels: np.ndarray, grad: bool
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """``log ∫_{t0}^{t1} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ`` and the derivatives of that log.

    Composite 8-point Gauss-Legendre in ``y = log(min(α, β) + τ)``, ``panels`` equal panels
    per row (flattened: one vectorized pass over all panels of all rows). The derivatives are
    the integrals of ``-log(α+τ)``, ``-(r+x)/(α+τ)``, ``-log(β+τ)``, ``-(s+1)/(β+τ)`` times the
    integrand, over the same nodes. Rows with no panel (``t0 == t1``) get ``-inf``.
    """
    _, log_d, p_m, p_big = _segment_shape(seg)
    y0, y_end, y_peak = _segment_range(seg)
    ref = _phi(y_peak, log_d, p_m, p_big)  # the segment's largest log-integrand
    n_rows = seg.x.size
    sums = np.zeros((5 if grad else 1, n_rows))
    starts = np.concatenate([[0], np.cumsum(panels)])
    owner_all = np.repeat(np.arange(n_rows), panels)
    case1 = seg.alpha >= seg.beta
    for lo in range(0, owner_all.size, _SEGMENT_CHUNK):
        owner = owner_all[lo : lo + _SEGMENT_CHUNK]
        k = np.arange(lo, lo + owner.size) - starts[owner]  # panel number within its row
        h = (y_end[owner] - y0[owner]) / panels[owner]
        y = (y0[owner] + h * (k + 0.5))[:, None] + (0.5 * h)[:, None] * _SEG_X
        log_big = np.logaddexp(log_d, y)  # log(max(α, β) + τ)
        pm, pb = p_m[owner][:, None], p_big[owner][:, None]
        f = np.exp((1.0 - pm) * y - pb * log_big - ref[owner][:, None]) * (0.5 * h)[:, None]
        f = f * _SEG_W
        sums[0] += np.bincount(owner, weights=f.sum(axis=1), minlength=n_rows)
        if grad:
            log_a, log_b = (log_big, y) if case1 else (y, log_big)
            p = (seg.r + seg.x[owner])[:, None]
            for i, weight in enumerate(
                (-log_a, -p * np.exp(-log_a), -log_b, -(seg.s + 1.0) * np.exp(-log_b)), start=1
            ):
                sums[i] += np.bincount(owner, weights=(f * weight).sum(axis=1), minlength=n_rows)
    with np.errstate(divide="ignore"):
        log_i = ref + np.log(sums[0])
    if not grad:
        return log_i, None
    safe = np.where(sums[0] > 0, sums[0], 1.0)
    return log_i, [sums[i] / safe for i in range(1, 5)]
