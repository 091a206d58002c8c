"""The purchase count in a later window, BG family (continuous) and BG/BB (discrete).

The window is ``(T + s, T + s + t]`` (``s = start``); for BG/BB the opportunities
``n + s + 1, ..., n + s + t``. Both are used by :func:`._predictive_source.pmf_source`.

BG/NBD and MBG/NBD
------------------
Alive at ``T``, the posterior of the purchase rate and dropout probability is
``λ ~ Gamma(r', α')``, ``p ~ Beta(a, b')`` with ``r' = r + x``, ``α' = α + T``,
``b' = b + x`` (MBG/NBD ``b + x + 1``: an MBG customer also survived the dropout chance at
time 0; from ``T`` on both models drop out only right after a purchase). Given ``(λ, p)``,
let ``L >= 1`` be the number of purchases after ``T`` up to and including the one after which
the customer drops out (geometric, ``P(L = l) = p (1-p)^(l-1)``), ``M ~ Poisson(λ s)`` the
purchases of the rate process in ``(T, T+s]`` and ``D ~ Poisson(λ t)`` those in the window,
independent given ``λ``. Purchases counted up to ``T + u`` are ``min(L, N(u))``, so the window
count is ``W = min(L, M + D) - min(L, M)``:

- ``L <= M`` (dropped out before ``T + s``): ``W = 0``;
- ``L > M``: ``W = min(L - M, D)``, and given ``L > M`` the excess ``L - M`` is again
  geometric (memorylessness), so ``W`` is distributed as a new customer's count over ``t``.

Conditioning on ``M = m`` as well, ``P(L > m | p) = (1-p)^m``, and both posteriors update in
closed form: ``λ | M = m ~ Gamma(r' + m, α' + s)`` and ``(1-p)^m Beta(a, b')`` is
``B(a, b'+m)/B(a, b') Beta(a, b'+m)``. Hence, with ``P_new(k; t, r, α, a, b)`` the BG/NBD
count pmf of a new customer (FHL 2005 eq. 8),

``P(W = k, alive at T+s | alive at T) = Σ_{m>=0} w_m P_new(k; t, r'+m, α'+s, a, b'+m)``,

``w_m = NB(m; r', s/(α'+s)) B(a, b'+m)/B(a, b')`` with ``NB(m; r, q) = Γ(r+m)/(Γ(r) m!)
(1-q)^r q^m``; ``Σ_m w_m = E[exp(-λ p s)]`` is ``P(alive at T+s | alive at T)``. Every term
is positive. A dead customer (at ``T``, or by ``T + s``) buys nothing, so

``P(W = k) = A Σ_m w_m P_new(k; ...) + (1 - A S) [k = 0]``, ``A = P(alive at T)``,
``S = Σ_m w_m``.

The sum is cut at the first ``m = M`` (a multiple of the block size) with
``B(a, b'+M)/B(a, b') P(NB >= M) < 1e-15``, a bound on the weight left out (``B(a, b'+m)`` falls
with ``m``; ``P(NB >= M) = I_q(M, r')``); ``S`` is the same truncated sum, so the pmf sums to 1
and ``P(W = 0)`` carries the left-out weight (at most 1e-15). The terms are evaluated in
blocks of ``m`` vectorized over histories and counts; their number grows with ``r' s / α'``
(the expected purchases before the window). ``s = 0`` leaves the single term ``m = 0``, the
count of ``(T, T+t]``.

BG/BB
-----
A living customer survives each opportunity's start with probability ``1 - θ`` and then
transacts with probability ``p``; dropout does not depend on the transactions. The history's
likelihood is ``L(α, β, γ, δ)``; alive at ``n + s`` and ``k`` transactions in the window add
the factor ``(1-θ)^(n+s)`` and the window's own terms (alive through all ``t``: ``C(t, k)
p^k (1-p)^(t-k) (1-θ)^t``; dying at the start of opportunity ``n + s + i + 1``, ``i = k .. t -
1``: ``C(i, k) p^k (1-p)^(i-k) (1-θ)^i θ``). Integrated over ``θ ~ Beta(γ, δ)`` every term is
the model's ``s = 0`` term (FHS 2010 eq. 12) with ``δ`` replaced by ``δ + s`` in the
``θ``-integrals only, times ``B(γ, δ+s)/B(γ, δ)`` for the change of normalisation. So with
``P*`` the model's own count pmf at ``(α, β, γ, δ + s)`` and ``L*`` its likelihood there,

``P(W = k) = R P*(k)`` for ``k >= 1``, ``P(W = 0) = 1 - R (1 - P*(0))``,
``R = L* B(γ, δ+s) / (L B(γ, δ))``

(``R P*(k)`` for ``k >= 1`` are the terms above divided by ``L``; the customers dead by
``n + s`` make up the rest of ``P(W = 0)``). ``R`` equals ``P(alive at n+s) / P*(alive at
n)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc, betaln, gammaln, xlogy

from customer_models.exceptions import CustomerModelsError
from customer_models.valuation._bgbb import log_likelihood_kernel
from customer_models.valuation._bgnbd_predictions import _pmf_new

__all__ = ["bg_window", "bgbb_window"]

#: Weight of the terms m >= M left out of the BG-family sum (bound, see the module docstring).
WEIGHT_TAIL = 1e-15
#: Most terms m of the BG-family sum before refusing (the purchases expected before the window).
MAX_TERMS = 100_000
#: Terms m per block, and elements (histories x terms x counts) per vectorized evaluation.
_M_BLOCK = 8
_ELEMENTS = 1 << 20


def bg_window(
    params: Any, k: np.ndarray, x: np.ndarray, T: np.ndarray, t: float, s: float, shift: float
) -> tuple[np.ndarray, np.ndarray]:
    """``Σ_m w_m P_new(k; ...)`` (histories x counts) and ``S = Σ_m w_m`` per history.

    See the module docstring; ``x`` and ``T`` are 1-d over histories, ``k`` 1-d counts
    (whole numbers), ``shift`` 1 for MBG/NBD, 0 for BG/NBD.

    Examples
    --------
    >>> import numpy as np
    >>> g, S = bg_window([0.243, 4.414, 0.793, 2.426], np.arange(200.0), np.array([2.0]),
    ...                  np.array([38.86]), 26.0, 13.0, 0.0)
    >>> bool(abs(g.sum() - S[0]) < 1e-12), bool(0 < S[0] < 1)
    (True, True)
    """
    r, alpha, a, b = (float(v) for v in np.asarray(params, dtype=np.float64))
    kk = np.asarray(k, dtype=np.float64)
    rp = r + np.asarray(x, dtype=np.float64)
    ap = alpha + np.asarray(T, dtype=np.float64)
    bp = b + np.asarray(x, dtype=np.float64) + shift
    if s == 0.0:
        g = _pmf_new(kk[None, :], t, rp[:, None], ap[:, None], a, bp[:, None])
        return np.asarray(g), np.ones(rp.size)
    out = np.zeros((rp.size, kk.size))
    total = np.zeros(rp.size)
    rows = max(1, _ELEMENTS // (_M_BLOCK * max(kk.size, 1)))
    for first in range(0, rp.size, rows):
        part = slice(first, min(first + rows, rp.size))
        out[part], total[part] = _bg_window_rows(rp[part], ap[part], bp[part], a, kk, t, s)
    return out, total


def _bg_window_rows(
    rp: np.ndarray, ap: np.ndarray, bp: np.ndarray, a: float, kk: np.ndarray, t: float, s: float
) -> tuple[np.ndarray, np.ndarray]:
    """`bg_window` on one chunk of histories: the sum over ``m`` in blocks of `_M_BLOCK`.

    ``w_m P_new(k; t, r'+m, α'+s, a, b'+m)`` expands (FHL 2005 eq. 8) into
    ``exp(c1_m + log B(a, b'+m+k) + log Γ(r'+m+k) - log k! + (r'+m) log p0 + k log q)``
    ``+ [k>0] exp(c2_m + log B(a+1, b'+m+k-1)) I_q(k, r'+m)`` with ``q = t/(α'+s+t)``,
    ``p0 = 1 - q``; the log-gammas of ``b'+j``, ``a+b'+j`` and ``r'+j`` depend on ``j = m+k``
    only (one table per block), and ``I_q(k, r'+m)`` follows from ``I_q(k, r')`` by the
    recurrence ``I_q(k, ρ+1) = I_q(k, ρ) + q^k (1-q)^ρ / (ρ B(k, ρ))`` (positive steps), so
    no incomplete beta function is evaluated per term.
    """
    n = rp.size
    out = np.zeros((n, kk.size))
    total = np.zeros(n)
    q = t / (ap + s + t)
    log_p0 = np.log(ap + s) - np.log(ap + s + t)
    log_qs = np.log(s) - np.log(ap + s)
    lead = rp * (np.log(ap) - np.log(ap + s)) - gammaln(rp) - betaln(a, bp)
    pos = kk > 0
    k_pos = np.where(pos, kk, 1.0)
    kq = xlogy(kk, q[:, None])  # (rows, counts)
    incomplete = np.where(pos, betainc(k_pos, rp[:, None], q[:, None]), 0.0)
    gl_k1, gl_k = gammaln(kk + 1.0), gammaln(k_pos)
    part, m0 = np.arange(n), 0
    while part.size:
        m = np.arange(m0, m0 + _M_BLOCK, dtype=np.float64)
        j, where = np.unique(m[:, None] + kk[None, :], return_inverse=True)
        where = where.reshape(m.size, kk.size)
        r_i, b_i = rp[part, None], bp[part, None]
        gl_r = gammaln(r_i + j)  # log Γ(r'+j)
        gl_ab = gammaln(a + b_i + j)
        log_b0 = gammaln(a) + gammaln(b_i + j) - gl_ab  # log B(a, b'+m+k)
        log_b1 = gammaln(a + 1.0) + gammaln(b_i + np.maximum(j - 1.0, 0.0)) - gl_ab
        rho = r_i + m  # r'+m, (rows, terms)
        base = lead[part, None] - gammaln(m + 1.0) + m * log_qs[part, None]  # c1_m
        log_w = base + gammaln(rho) + betaln(a, b_i + m)
        first_log = (
            base[:, :, None]
            + log_b0[:, where]
            + gl_r[:, where]
            - gl_k1
            + rho[:, :, None] * log_p0[part, None, None]
            + kq[part, None, :]
        )
        step = np.exp(
            kq[part, None, :]
            + (rho * np.log1p(-q[part, None]) - np.log(rho) - gammaln(rho))[:, :, None]
            - gl_k
            + gl_r[:, where]
        )  # I_q(k, ρ+1) - I_q(k, ρ) = q^k (1-q)^ρ Γ(k+ρ) / (ρ Γ(k) Γ(ρ))
        step = np.where(pos, step, 0.0)
        ladder = incomplete[part, None, :] + np.cumsum(step, axis=1) - step
        second = np.exp((base + gammaln(rho))[:, :, None] + log_b1[:, where]) * ladder
        out[part] += np.exp(first_log).sum(axis=1) + np.where(pos, second, 0.0).sum(axis=1)
        total[part] += np.exp(log_w).sum(axis=1)
        incomplete[part] = ladder[:, -1, :] + step[:, -1, :]
        m0 += _M_BLOCK
        left = np.exp(betaln(a, bp[part] + m0) - betaln(a, bp[part])) * betainc(
            m0, rp[part], np.exp(log_qs[part])
        )
        part = part[left >= WEIGHT_TAIL]
        if part.size and m0 > MAX_TERMS:
            raise CustomerModelsError(
                f"The count pmf over a window starting {s:g} after T needs more than "
                f"{MAX_TERMS} terms (purchases before the window) for {part.size} histories; "
                "use a smaller start."
            )
    return out, total


def bgbb_window(
    kernel: Any,
    params: Any,
    x: np.ndarray,
    t_x: np.ndarray,
    n: np.ndarray,
    t: int,
    s: int,
    k: np.ndarray,
) -> np.ndarray:
    """BG/BB ``P(W = k)`` over opportunities ``n+s+1 .. n+s+t`` from the model's pmf ``kernel``.

    ``kernel(params, x, t_x, n, t, k)`` is the model's count pmf (broadcasting rows against
    counts); see the module docstring for ``R``.

    Examples
    --------
    >>> import numpy as np
    >>> from customer_models.valuation._bgbb import probability_of_purchases_kernel as kern
    >>> p = bgbb_window(kern, [1.204, 0.75, 0.657, 2.783], np.array([[3.0]]),
    ...                 np.array([[5.0]]), np.array([[6.0]]), 4, 2, np.arange(5.0)[None, :])
    >>> round(float(p.sum()), 12), bool(p[0, 0] > kern(np.array([1.204, 0.75, 0.657, 2.783]),
    ...     np.array([3.0]), np.array([5.0]), np.array([6.0]), 4, 0)[0])
    (1.0, True)
    """
    p = np.asarray(params, dtype=np.float64)
    if s == 0:
        return np.asarray(kernel(p, x, t_x, n, t, k), dtype=np.float64)
    gamma, delta = float(p[2]), float(p[3])
    later = p.copy()
    later[3] = delta + s
    flat = [np.asarray(v, dtype=np.float64).ravel() for v in (x, t_x, n)]
    log_r = (
        log_likelihood_kernel(later, *flat)
        - log_likelihood_kernel(p, *flat)
        + betaln(gamma, delta + s)
        - betaln(gamma, delta)
    )
    ratio = np.exp(log_r).reshape(np.shape(x))
    star = np.asarray(kernel(later, x, t_x, n, t, k), dtype=np.float64)
    kk = np.asarray(k, dtype=np.float64)
    return np.where(kk == 0, 1.0 - ratio * (1.0 - star), ratio * star)
