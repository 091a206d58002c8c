"""Likelihood and P(alive) kernels of the BG family: BG/NBD and, with ``modified=True``, MBG/NBD.

Kernels take ``params`` as an array ``[r, alpha, a, b]`` of shape ``(4,)`` or ``(4, ...)``
(broadcasting against the data arrays, e.g. ``(4, n_draws, 1)`` for parameter draws) and
float arrays ``x`` (frequency), ``t_x`` (recency), ``T``.

The two models differ in one place: in BG/NBD the dropout coin ``p ~ Beta(a, b)`` is tossed
after each repeat purchase, in MBG/NBD also right after the first one. So MBG/NBD is BG/NBD
with the ``[x > 0]`` indicator of the dropout branch replaced by 1 and ``b`` replaced by
``b + 1`` in the beta functions of ``x`` (``B(a, b+x+1)``, ``B(a+1, b+x)``). The keyword
``modified`` selects the model in every kernel here and in
:mod:`customer_models.valuation._bgnbd_predictions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, gammaln, polygamma, psi

from customer_models.valuation._btyd_common import by_count, unpack4
from customer_models.valuation._covariate_special import trigamma
from customer_models.valuation._derivatives import dot, row_blocks

__all__ = [
    "beta_shift",
    "log_likelihood_derivatives_kernel",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "log_likelihood_rows_hessian_kernel",
    "probability_alive_kernel",
]


def beta_shift(modified: bool) -> float:
    """``b -> b + shift`` in the beta functions of ``x``: 1 in MBG/NBD, 0 in BG/NBD."""
    return 1.0 if modified else 0.0


def _dropout_beta(b: Any, x: np.ndarray, repeat: Any, shift: float) -> np.ndarray:
    """``b+x-1`` (BG/NBD) or ``b+x`` (MBG/NBD) of ``B(a+1, .)`` where the dropout branch exists."""
    return np.where(repeat, b + x - (1.0 - shift), 1.0)


def _log_terms(params: Any, x: Any, t_x: Any, T: Any, modified: bool) -> tuple[Any, ...]:
    r, alpha, a, b = unpack4(params)
    x = np.asarray(x, dtype=np.float64)
    shift = beta_shift(modified)
    repeat = (x > 0) | modified  # the "dropped out after the last purchase" branch exists
    A1 = by_count(gammaln, r, x) - gammaln(r) + r * np.log(alpha)
    A2 = (
        gammaln(a + b)
        + by_count(gammaln, b + shift, x)
        - gammaln(b)
        - by_count(gammaln, a + b + shift, x)
    )
    A3 = -(r + x) * np.log(alpha + T)
    bx1 = _dropout_beta(b, x, repeat, shift)
    A4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return A1, A2, A3, A4, repeat, bx1


def log_likelihood_kernel(
    params: Any, x: Any, t_x: Any, T: Any, *, modified: bool = False
) -> np.ndarray:
    """Per-customer BG/NBD (or MBG/NBD) log-likelihood.

    ``log L = A1 + A2 + log(exp(A3) + [x > 0] exp(A4))`` with
    ``A1 = lnΓ(r+x) - lnΓ(r) + r ln α``, ``A2 = ln B(a, b+x) - ln B(a, b)``,
    ``A3 = -(r+x) ln(α+T)``, ``A4 = ln a - ln(b+x-1) - (r+x) ln(α+t_x)``. MBG/NBD: no
    indicator, ``A2 = ln B(a, b+x+1) - ln B(a, b)`` and ``A4 = ln a - ln(b+x) - (r+x) ln(α+t_x)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(log_likelihood_kernel([0.243, 4.414, 0.793, 2.426], 0.0, 0.0, 38.86)).__round__(4)
    -0.5547
    >>> bool(np.isfinite(log_likelihood_kernel([0.5, 4.0, 0.8, 2.5], 0.0, 0.0, 30.0,
    ...                                         modified=True)))
    True
    """
    A1, A2, A3, A4, _, _ = _log_terms(params, x, t_x, T, modified)
    return np.asarray(A1 + A2 + np.logaddexp(A3, A4))


def log_likelihood_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *, modified: bool = False
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
    ...                                        np.array([10.0]), np.array([20.0]))
    >>> g.shape
    (1, 4)
    """
    r, alpha, a, b = unpack4(params)
    A1, A2, A3, A4, repeat, bx1 = _log_terms(params, x, t_x, T, modified)
    shift = beta_shift(modified)
    lse = np.logaddexp(A3, A4)
    w4 = np.exp(A4 - lse)  # weight of the "dropped out after the last purchase" branch
    w3 = 1.0 - w4
    ll = A1 + A2 + lse
    x = np.asarray(x, dtype=np.float64)
    log_at, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    d_r = by_count(psi, r, x) - psi(r) + np.log(alpha) - w3 * log_at - w4 * log_atx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    common = psi(a + b) - by_count(psi, a + b + shift, x)
    d_a = common + w4 / a
    d_b = common + by_count(psi, b + shift, x) - psi(b) - np.where(repeat, w4 / bx1, 0.0)
    return ll, np.stack([d_r, d_alpha, d_a, d_b], axis=-1)


def _frequency_values(x: np.ndarray) -> tuple[np.ndarray, Any]:
    """Distinct frequencies and a map from a block of rows to their positions among them.

    Whole counts no larger than a few times the number of rows (the usual case) index the
    dense grid ``0..max(x)`` by the count itself, so no row-sized array is made beyond a
    block's; other values go through their sorted distinct values.
    """
    if x.size == 0:
        return np.zeros(1), lambda block: block.astype(np.intp)
    top = float(x.max())
    if (
        float(x.min()) >= 0.0
        and top <= 4.0 * x.size + 1000.0
        and all(np.array_equal(np.trunc(x[rows]), x[rows]) for rows in row_blocks(x.size))
    ):
        return np.arange(top + 1.0), lambda block: block.astype(np.intp)
    values = np.unique(x)
    return values, lambda block: np.searchsorted(values, block)


class _RowSums:
    """Running totals of the per-row terms of the derivatives kernel over blocks of rows.

    ``ll`` and ``grad`` hold the row terms of the log-likelihood and gradient; ``second``
    the sums of the second derivatives of ``A3``/``A4`` that enter ``H[0,1]``, ``H[1,1]``,
    ``H[2,2]``, ``H[3,3]``; ``mixture`` the upper triangle of the mixture term. Kept apart
    so that one block adds them to the frequency terms in the same order as without blocks.
    """

    def __init__(self) -> None:
        self.ll = 0.0
        self.grad = np.zeros(4)
        self.second = np.zeros(4)
        self.mixture = np.zeros((4, 4))

    def add(
        self,
        r: float,
        alpha: float,
        a: float,
        weights: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        inv_bx1: np.ndarray,
        log_a_bx1: np.ndarray,
        hessian: bool,
    ) -> None:
        """Add one block of rows (``inv_bx1``, ``log_a_bx1``: the rows' frequency terms)."""
        rx = r + x
        log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
        inv_aT, inv_atx = 1.0 / (alpha + T), 1.0 / (alpha + t_x)
        d = log_a_bx1 + rx * (log_aT - log_atx)  # A4 - A3; -inf without repeat purchases
        w4 = expit(d)
        w3 = 1.0 - w4
        self.ll += dot(weights, np.logaddexp(0.0, d) - rx * log_aT)
        w_w4 = weights * w4
        mix_inv = w3 * inv_aT + w4 * inv_atx
        self.grad += np.array(
            [
                dot(w_w4, log_aT - log_atx) - dot(weights, log_aT),
                -dot(weights * rx, mix_inv),
                w_w4.sum() / a,
                -dot(w_w4, inv_bx1),
            ]
        )
        if not hessian:
            return
        self.second += np.array(
            [
                dot(weights, mix_inv),
                dot(weights * rx, w3 * inv_aT**2 + w4 * inv_atx**2),
                w_w4.sum() / a**2,
                dot(w_w4, inv_bx1**2),
            ]
        )
        # w3 w4 (∇A3 - ∇A4)(∇A3 - ∇A4)'
        c = w_w4 * w3
        delta = np.stack(
            [log_atx - log_aT, rx * (inv_atx - inv_aT), np.full_like(x, -1.0 / a), inv_bx1]
        )
        cd = delta * c
        for i in range(4):
            for j in range(i, 4):
                self.mixture[i, j] += dot(cd[i], delta[j])


def log_likelihood_derivatives_kernel(
    params: Any,
    weights: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    hessian: bool = False,
    modified: bool = False,
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Weighted total log-likelihood, gradient and Hessian in ``(r, alpha, a, b)``.

    What fitting needs, computed without per-row gradient arrays: terms of the frequency
    alone (``A1``, ``A2`` of :func:`log_likelihood_kernel`) once per distinct frequency with
    the summed weights; the rest row by row, in blocks of
    :data:`~customer_models.valuation._derivatives.ROW_BLOCK` rows, so the temporaries take
    one block's memory whatever the number of rows. With ``w4`` the posterior weight of
    "dropped out after the last purchase" (``w3 = 1 - w4``), the Hessian of
    ``log(e^A3 + e^A4)`` is ``w3 H(A3) + w4 H(A4) + w3 w4 (∇A3 - ∇A4)(∇A3 - ∇A4)'``.

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
    r, alpha, a, b = (float(v) for v in np.asarray(params, dtype=np.float64))
    k, positions = _frequency_values(x)
    bm, abm = (b + 1.0, a + b + 1.0) if modified else (b, a + b)  # B(a, b+x+1) in MBG/NBD
    repeat = (k > 0) | modified  # MBG/NBD: the dropout branch exists without repeats too
    bx1 = np.where(repeat, bm + k - 1.0, 1.0)
    inv_bx1_k = np.where(repeat, 1.0 / bx1, 0.0)
    log_a_bx1_k = np.where(repeat, np.log(a) - np.log(bx1), -np.inf)
    # --- terms of the whole row, block by block
    wk = np.zeros(k.size)
    sums = _RowSums()
    for rows in row_blocks(weights.size):
        w_b = weights[rows]
        codes = positions(x[rows])
        wk += np.bincount(codes, weights=w_b, minlength=k.size)
        sums.add(
            r,
            alpha,
            a,
            w_b,
            np.asarray(x[rows], dtype=np.float64),
            t_x[rows],
            T[rows],
            inv_bx1_k[codes],
            log_a_bx1_k[codes],
            hessian,
        )
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
    ll += sums.ll
    grad += sums.grad
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
    # second derivatives of A3 and A4, mixed by w3/w4, then the mixture term
    h[0, 1] -= sums.second[0]
    h[1, 1] += sums.second[1]
    h[2, 2] -= sums.second[2]
    h[3, 3] += sums.second[3]
    h += sums.mixture
    h = np.triu(h) + np.triu(h, 1).T
    return ll, grad, h


def log_likelihood_rows_hessian_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *, modified: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row log-likelihood, gradient and Hessian in ``(r, alpha, a, b)``.

    What covariate models need: their parameters differ per customer (``params`` of shape
    ``(4, n)``), so the chain rule to the coefficients takes each row's derivatives. The
    terms are those of :func:`log_likelihood_derivatives_kernel`, row by row.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Shapes ``(n,)``, ``(n, 4)`` and ``(n, 4, 4)`` (natural scale).

    Examples
    --------
    >>> import numpy as np
    >>> p, w = np.array([0.5, 4.0, 0.8, 2.5]), np.array([1.0, 2.0])
    >>> x, t_x, T = np.array([0.0, 3.0]), np.array([0.0, 10.0]), np.array([20.0, 30.0])
    >>> _, _, h = log_likelihood_derivatives_kernel(p, w, x, t_x, T, hessian=True)
    >>> _, _, h_rows = log_likelihood_rows_hessian_kernel(p, x, t_x, T)
    >>> bool(np.allclose(np.einsum("i,ijk->jk", w, h_rows), h))
    True
    """
    x = np.asarray(x, dtype=np.float64)
    r, alpha, a, b = (np.broadcast_to(v, x.shape) for v in unpack4(params))
    r0 = float(r.flat[0]) if r.size else 1.0
    common_r = bool(np.all(r == r0))  # covariates act on alpha, a, b: r is one number
    shift = beta_shift(modified)
    bm, abm = b + shift, a + b + shift
    repeat = (x > 0) | modified
    bx1 = np.where(repeat, bm + x - 1.0, 1.0)
    inv_bx1 = np.where(repeat, 1.0 / bx1, 0.0)
    rx = r + x
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    inv_aT, inv_atx = 1.0 / (alpha + T), 1.0 / (alpha + t_x)
    d = np.where(repeat, np.log(a) - np.log(bx1) + rx * (log_aT - log_atx), -np.inf)
    w4 = expit(d)
    w3 = 1.0 - w4

    def of_rx(fn: Any) -> np.ndarray:  # fn(r + x), once per distinct count when r is common
        return by_count(fn, r0, x) if common_r else np.asarray(fn(rx))

    psi_ab, psi_abk = psi(a + b), psi(abm + x)
    ll = (
        of_rx(gammaln)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(bm + x)
        - gammaln(b)
        - gammaln(abm + x)
        + np.logaddexp(0.0, d)
        - rx * log_aT
    )
    grad = np.stack(
        [
            of_rx(psi) - psi(r) + np.log(alpha) - log_aT + w4 * (log_aT - log_atx),
            r / alpha - rx * (w3 * inv_aT + w4 * inv_atx),
            psi_ab - psi_abk + w4 / a,
            psi_ab + psi(bm + x) - psi(b) - psi_abk - w4 * inv_bx1,
        ],
        axis=-1,
    )
    tri_ab = trigamma(a + b) - trigamma(abm + x)
    h = np.empty((*x.shape, 4, 4))
    h[..., 0, 0] = of_rx(trigamma) - trigamma(r)
    h[..., 0, 1] = 1.0 / alpha - (w3 * inv_aT + w4 * inv_atx)
    h[..., 1, 1] = -r / alpha**2 + rx * (w3 * inv_aT**2 + w4 * inv_atx**2)
    h[..., 2, 2] = tri_ab - w4 / a**2
    h[..., 2, 3] = tri_ab
    h[..., 3, 3] = tri_ab + trigamma(bm + x) - trigamma(b) + w4 * inv_bx1**2
    h[..., 0, 2] = h[..., 0, 3] = h[..., 1, 2] = h[..., 1, 3] = 0.0
    # the mixture term w3 w4 (grad A3 - grad A4)(grad A3 - grad A4)'
    c = w3 * w4
    delta = (log_atx - log_aT, rx * (inv_atx - inv_aT), -1.0 / a, inv_bx1)
    for i in range(4):
        for j in range(i, 4):
            h[..., i, j] += c * delta[i] * delta[j]
            h[..., j, i] = h[..., i, j]
    return np.asarray(ll), grad, h


def probability_alive_kernel(
    params: Any, x: Any, t_x: Any, T: Any, *, modified: bool = False
) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x)).

    MBG/NBD (``modified=True``): ``1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x))``, below 1 even
    without repeat purchases (``b/(a+b)`` at ``T = 0``).

    Examples
    --------
    >>> float(probability_alive_kernel([0.243, 4.414, 0.793, 2.426], 0.0, 0.0, 10.0))
    1.0
    >>> round(float(probability_alive_kernel([0.5, 4.0, 0.8, 2.5], 0, 0, 0, modified=True)), 4)
    0.7576
    """
    r, alpha, a, b = unpack4(params)
    x = np.asarray(x, dtype=np.float64)
    repeat = (x > 0) | modified
    bx1 = _dropout_beta(b, x, repeat, beta_shift(modified))
    log_odds_dead = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.asarray(np.where(repeat, expit(-log_odds_dead), 1.0))
