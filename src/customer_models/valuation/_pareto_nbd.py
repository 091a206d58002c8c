"""Pareto/NBD model (Schmittlein, Morrison and Colombo 1987; Fader and Hardie 2005 note).

Kernels take ``params = [r, alpha, s, beta]`` (shape ``(4,)`` or ``(4, ...)`` broadcasting
against the data) and float arrays ``x`` (frequency), ``t_x`` (recency), ``T``.

Numerics. The likelihood needs ``A_0``, a difference of two Gaussian hypergeometric terms
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
Everything else is in log space. The gradient is analytic (differentiation under the
integrals, or the series' own derivatives).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betainc, betaln, gammaln, psi, xlogy

from customer_models.exceptions import ParameterError
from customer_models.valuation._btyd_common import by_count as _by_count
from customer_models.valuation._dert import pareto_nbd_dert
from customer_models.valuation._optimize import Coordinates
from customer_models.valuation._patterns import distinct_rows
from customer_models.valuation._purchase import PurchaseModel
from customer_models.valuation._special import hyp2f1_1bc

__all__ = [
    "ParetoNBDModel",
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "probability_alive_kernel",
    "probability_of_purchases_kernel",
]


def _unpack(params: Any) -> tuple[Any, Any, Any, Any]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


def _log_j(
    r: Any, alpha: Any, s: Any, beta: Any, x: Any, t: Any, grad: bool, dedup: bool = True
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Log of the Euler-transformed A_0 term at time ``t`` and its gradient.

    ``exp(log_j) = n J(t)``, ``n = r+s+x``, ``J(t) = ∫_t^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ``. The
    term depends on a row only through ``(x, t)``; with scalar parameters it is computed once
    per distinct pair (a daily summary has far fewer pairs than rows) and mapped back, and
    rows whose 2F1 argument is near 1 go through :func:`_log_j_anchored`.
    """
    scalar = all(np.ndim(v) == 0 for v in (r, alpha, s, beta)) and np.ndim(x) == 1
    if dedup and scalar:
        distinct = distinct_rows([np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)])
        if distinct is not None:
            (x_u, t_u), inverse = distinct
            log_j, grads = _log_j(r, alpha, s, beta, x_u, t_u, grad, dedup=False)
            return log_j[inverse], None if grads is None else [g[inverse] for g in grads]
    if scalar:
        return _log_j_anchored(float(r), float(alpha), float(s), float(beta), x, t, grad)
    return _log_j_direct(r, alpha, s, beta, x, t, grad)


def _log_j_direct(
    r: Any, alpha: Any, s: Any, beta: Any, x: Any, t: Any, grad: bool
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """``log_j`` from ``2F1(1, B; C; z)`` (:func:`hyp2f1_1bc`: series or quadrature by region)."""
    case1 = alpha >= beta
    la, lb = np.log(alpha + t), np.log(beta + t)
    big = np.where(case1, alpha + t, beta + t)
    z = np.abs(alpha - beta) / big
    eps = np.where(case1, beta + t, alpha + t) / big  # 1 - z without cancellation
    B = np.where(case1, r + x, s + 1.0)
    C = r + s + x + 1.0
    log_f, f_b, f_c, f_z = hyp2f1_1bc(B, C, z, eps=eps)
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
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t: np.ndarray, grad: bool
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
        panels = _segment_panels(r, alpha, s, beta, x[near], t[near], t_anchor[inverse])
        near[np.flatnonzero(near)[panels > _SEGMENT_MAX_PANELS]] = False
    direct = np.flatnonzero(~near)
    if direct.size:
        lj, g = _log_j_direct(r, alpha, s, beta, x[direct], t[direct], grad)
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
    lj_a, g_a = _log_j_direct(r, alpha, s, beta, groups, t_anchor, grad)
    n_a = r + s + groups
    log_ja = lj_a - np.log(n_a)  # log J(t_A)
    panels = _segment_panels(r, alpha, s, beta, x[rows], t[rows], t_anchor[inverse])
    log_i, g_i = _segment_integral(
        r, alpha, s, beta, x[rows], t[rows], t_anchor[inverse], panels, grad
    )
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


def _segment_shape(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Return ``(m, log d, p_m, p_M)`` of the integrand in ``y = log(m + τ)``.

    It is ``exp(φ(y))``, ``φ = (1 - p_m) y - p_M log(d + e^y)``, ``m = min(α, β)``,
    ``d = |α - β|``.
    """
    p, q = r + x, np.full_like(x, s + 1.0)
    with np.errstate(divide="ignore"):
        log_d = float(np.log(abs(alpha - beta)))
    if alpha >= beta:
        return beta, log_d, q, p
    return alpha, log_d, p, q


def _phi(y: Any, log_d: float, p_m: Any, p_big: Any) -> Any:
    return (1.0 - p_m) * y - p_big * np.logaddexp(log_d, y)


def _phi_slope(y: Any, log_d: float, p_m: Any, p_big: Any) -> Any:
    return (1.0 - p_m) - p_big / (1.0 + np.exp(log_d - y))


def _segment_range(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t0: np.ndarray, t1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (where the integrand has surely fallen by e^-40: concavity) and peak in y."""
    m, log_d, p_m, p_big = _segment_shape(r, alpha, s, beta, x)
    y0, y1 = np.log(m + t0), np.log(m + t1)
    n = p_m + p_big - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        y_star = np.where(p_m < 1.0, log_d + np.log((1.0 - p_m) / n), -np.inf)
    y_peak = np.clip(y_star, y0, y1)
    y_q = np.minimum(y_peak + 1.0, y1)
    g_q = _phi_slope(y_q, log_d, p_m, p_big)
    with np.errstate(divide="ignore"):
        y_cut = np.where(g_q < 0, y_q + 40.0 / np.abs(g_q), np.inf)
    return y0, np.minimum(y1, y_cut), y_peak


def _segment_panels(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t0: np.ndarray, t1: np.ndarray
) -> np.ndarray:
    """Count the panels of ``∫_{t0}^{t1}``.

    The log-integrand's slope is monotone (it is concave), so its largest size is at an end;
    each panel falls or rises by at most 1 and spans at most 2 in ``y``.
    """
    _, log_d, p_m, p_big = _segment_shape(r, alpha, s, beta, x)
    y0, y_end, _ = _segment_range(r, alpha, s, beta, x, t0, t1)
    width = np.maximum(y_end - y0, 0.0)
    steep = np.maximum(
        np.abs(_phi_slope(y0, log_d, p_m, p_big)), np.abs(_phi_slope(y_end, log_d, p_m, p_big))
    )
    need = np.ceil(steep * width / _SEGMENT_FALL + width / _SEGMENT_WIDTH)
    return np.where(width > 0, np.maximum(need, 1.0), 0.0).astype(np.int64)


def _segment_integral(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: np.ndarray,
    t0: np.ndarray,
    t1: np.ndarray,
    panels: np.ndarray,
    grad: bool,
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """``log ∫_{t0}^{t1} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ`` and the derivatives of that log.

    Composite 8-point Gauss-Legendre in ``y = log(min(α, β) + τ)``, ``panels`` equal panels
    per row (flattened: one vectorized pass over all panels of all rows). The derivatives are
    the integrals of ``-log(α+τ)``, ``-(r+x)/(α+τ)``, ``-log(β+τ)``, ``-(s+1)/(β+τ)`` times the
    integrand, over the same nodes. Rows with no panel (``t0 == t1``) get ``-inf``.
    """
    _, log_d, p_m, p_big = _segment_shape(r, alpha, s, beta, x)
    y0, y_end, y_peak = _segment_range(r, alpha, s, beta, x, t0, t1)
    ref = _phi(y_peak, log_d, p_m, p_big)  # the segment's largest log-integrand
    n_rows = x.size
    sums = np.zeros((5 if grad else 1, n_rows))
    starts = np.concatenate([[0], np.cumsum(panels)])
    owner_all = np.repeat(np.arange(n_rows), panels)
    case1 = alpha >= beta
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
            p = (r + x[owner])[:, None]
            for i, weight in enumerate(
                (-log_a, -p * np.exp(-log_a), -log_b, -(s + 1.0) * np.exp(-log_b)), start=1
            ):
                sums[i] += np.bincount(owner, weights=(f * weight).sum(axis=1), minlength=n_rows)
    with np.errstate(divide="ignore"):
        log_i = ref + np.log(sums[0])
    if not grad:
        return log_i, None
    safe = np.where(sums[0] > 0, sums[0], 1.0)
    return log_i, [sums[i] / safe for i in range(1, 5)]


def _core(
    params: Any, x: Any, t_x: Any, T: Any, grad: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return (loglik, P(alive), gradient or None)."""
    r, alpha, s, beta = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    N = r + s + x
    A1 = _by_count(gammaln, r, x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    l1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    l2, g2 = _log_j(r, alpha, s, beta, x, t_x, grad)
    l3, g3 = _log_j(r, alpha, s, beta, x, T, grad)
    l3 = np.minimum(l3, l2)  # A_0 >= 0 exactly; guard rounding
    q = np.exp(l3 - l2)
    with np.errstate(divide="ignore"):
        log_a0 = l2 + np.log(-np.expm1(l3 - l2))
    log_c = np.log(s) - np.log(N)
    lterm = np.logaddexp(l1, log_c + log_a0)
    ll = A1 + lterm
    alive = np.exp(l1 - lterm)
    if not grad:
        return ll, alive, None
    assert g2 is not None
    assert g3 is not None
    w1 = alive
    w2 = 1.0 - w1
    v = np.exp(log_c + l2 - lterm)  # = w2 / (1 - q), finite even when t_x == T
    dA1 = [
        _by_count(psi, r, x) - psi(r) + np.log(alpha),
        r / alpha + 0.0 * x,
        np.log(beta) + 0.0 * x,
        s / beta + 0.0 * x,
    ]
    dl1 = [
        -np.log(alpha + T),
        -(r + x) / (alpha + T),
        -np.log(beta + T) + 0.0 * x,
        -s / (beta + T) + 0.0 * x,
    ]
    dlogc = [-1.0 / N, 0.0 * x, 1.0 / s - 1.0 / N, 0.0 * x]
    g = [dA1[i] + w1 * dl1[i] + w2 * dlogc[i] + v * (g2[i] - q * g3[i]) for i in range(4)]
    return ll, alive, np.stack(g, axis=-1)


def log_likelihood_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader and Hardie 2005 note, eq. 19).

    Examples
    --------
    >>> import numpy as np
    >>> ll = log_likelihood_kernel([0.553, 10.578, 0.606, 11.669], np.array([300.0]),
    ...                            np.array([38.0]), np.array([39.0]))
    >>> bool(np.isfinite(ll).all())
    True
    """
    return _core(params, x, t_x, T, grad=False)[0]


def log_likelihood_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in ``(r, alpha, s, beta)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = log_likelihood_gradient_kernel(np.array([0.5, 10.0, 0.6, 12.0]), np.array([1.0]),
    ...                                np.array([5.0]), np.array([30.0]))
    >>> g.shape
    (1, 4)
    """
    ll, _, g = _core(params, x, t_x, T, grad=True)
    assert g is not None
    return ll, g


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A_0).

    Examples
    --------
    >>> round(float(probability_alive_kernel([0.553, 10.578, 0.606, 11.669], 0, 0, 0)), 6)
    1.0
    """
    alive = _core(params, x, t_x, T, grad=False)[1]
    if np.isnan(alive).any():
        _, alpha, _, beta = (np.asarray(v) for v in _unpack(params))
        raise ParameterError(
            "Pareto/NBD P(alive) could not be evaluated (not finite) for alpha/beta = "
            f"{float(np.max(alpha / beta)):.3g}..{float(np.min(alpha / beta)):.3g}: parameters "
            "beyond this library's verified range. Refit with penalizer_coef > 0."
        )
    return alive


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
    r, alpha, s, beta = _unpack(params)
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
    r, alpha, s, beta = _unpack(params)
    t = np.asarray(t, dtype=np.float64)
    return np.asarray(r * beta / alpha * _growth(s, beta, t))


_SERIES_MAX_RATIO = 0.95
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
    slow = np.where(case1, z, z * u_t) > _SERIES_MAX_RATIO
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
    r, alpha, s, beta = _unpack(params)
    x = np.asarray(x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    alive = probability_alive_kernel(params, x, t_x, T)
    n = np.asarray(n, dtype=np.float64)
    pmf = _pmf_new(n, t, r + x, alpha + T, s, beta + T)
    return np.asarray(alive * pmf + (1.0 - alive) * (n == 0))


class MeanDropoutCoordinates(Coordinates):
    """``phi = (log r, log alpha, log(s / beta), 1 / s)``: the fit's Newton coordinates.

    With little dropout the data pin the mean dropout rate ``s / beta`` but hardly its
    squared coefficient of variation ``1 / s``; the likelihood is flat along ``s -> inf`` at
    fixed ``s / beta`` and close to quadratic in ``1 / s`` there (the gamma mixture enters
    through its moments), where in ``log s`` it flattens like ``exp(-log s)`` and Newton
    crawls.

    Examples
    --------
    >>> c = MeanDropoutCoordinates()
    >>> theta = np.log([0.55, 10.6, 2.0, 800.0])
    >>> phi = c.from_theta(theta)
    >>> bool(np.allclose(phi[2:], [np.log(2.0 / 800.0), 0.5]))
    True
    >>> bool(np.allclose(c.to_theta(phi), theta))
    True
    """

    def to_theta(self, phi: np.ndarray) -> np.ndarray:
        log_s = -np.log(max(float(phi[3]), 1e-300))  # a step past s = inf lands at the box
        return np.array([phi[0], phi[1], log_s, log_s - phi[2]])

    def from_theta(self, theta: np.ndarray) -> np.ndarray:
        return np.array([theta[0], theta[1], theta[2] - theta[3], np.exp(-theta[2])])

    def jacobian(self, phi: np.ndarray) -> np.ndarray:
        d_log_s = -1.0 / phi[3]
        return np.array(
            [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, d_log_s],
                [0.0, 0.0, -1.0, d_log_s],
            ]
        )

    def curvature(self, phi: np.ndarray, grad_theta: np.ndarray) -> np.ndarray:
        out = np.zeros((4, 4))
        out[3, 3] = (grad_theta[2] + grad_theta[3]) / phi[3] ** 2  # d2 log s / d v2 = 1 / v2
        return out

    def step_limit(self, phi: np.ndarray, direction: np.ndarray) -> float:
        # a step past 1 / s = 0 lands at the box, where the kernels are slowest: stop short
        if direction[3] >= 0.0:
            return 1.0
        return min(1.0, 0.99 * float(phi[3]) / float(-direction[3]))


class ParetoNBDModel(PurchaseModel):
    r"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison and Colombo 1987).

    While active, a customer buys at the jumps of a Poisson process with rate
    ``λ ~ Gamma(r, α)``; their unobserved lifetime is exponential with rate
    ``μ ~ Gamma(s, β)``. Fitted on ``frequency``, ``recency`` and ``T`` (one time unit).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty ``penalizer_coef * sum(params ** 2)`` on the mean negative
        log-likelihood.
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, s, beta``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`.

    Notes
    -----
    .. math::

        L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
            \left[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\right]

    with ``A_0`` the difference of two Gaussian hypergeometric terms (see the module
    docstring for the stable Euler-transformed evaluation, finite for any frequency).
    ``probability_of_purchases`` mixes the Pareto/NBD count distribution over the posterior
    given alive (see :func:`probability_of_purchases_kernel`).

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting your customers: who
    are they and what will they do next?", Management Science 33(1), 1-24.

    Fader, P. S. and Hardie, B. G. S. (2005), "A note on deriving the Pareto/NBD model and
    related expressions".

    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Deriving an expression for
    P(X(t) = x) under the Pareto/NBD model" (note 028; conditional version, eq. 16).

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import ParetoNBDModel
    >>> model = ParetoNBDModel().fit(load_cdnow_summary())
    >>> model.params_.round(2).tolist(), round(model.log_likelihood_, 1)
    ([0.55, 10.58, 0.61, 11.67], -9595.0)
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)

    @staticmethod
    def _loglik_kernel(params: np.ndarray, *columns: np.ndarray) -> np.ndarray:
        return log_likelihood_kernel(params, *columns)

    @staticmethod
    def _loglik_gradient_kernel(
        params: np.ndarray, *columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return log_likelihood_gradient_kernel(params, *columns)

    _alive_kernel = staticmethod(probability_alive_kernel)
    _expected_kernel = staticmethod(expected_purchases_kernel)
    _pmf_kernel = staticmethod(probability_of_purchases_kernel)
    _new_customer_kernel = staticmethod(expected_purchases_new_customer_kernel)
    _separable_expectation = True
    _dert_kernel = staticmethod(pareto_nbd_dert)

    @classmethod
    def _optimizer_coordinates(cls) -> Coordinates:
        return MeanDropoutCoordinates()

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        init = super()._initial_params(columns, weights)
        init[3] = init[1]  # dropout scale on the same time scale as the purchase rate
        return init
