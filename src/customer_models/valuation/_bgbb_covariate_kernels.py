r"""Per-row kernels of the BG/BB covariate model: each customer has its own ``(α, β, γ, δ)``.

The likelihood of ``(x, t_x, n)`` is ``L = A + sum_{i=0}^{n-t_x-1} B_i`` with beta-function
terms (see :class:`~customer_models.valuation.BetaGeoBetaBinomModel`). With per-customer
parameters the plain model's tables (one special-function value per opportunity count) do
not apply, so :func:`bgbb_row_terms` walks the terms ``i = 0, 1, ...`` with the recurrences
``log Γ(y + 1) = log Γ(y) + log y``, ``ψ(y + 1) = ψ(y) + 1/y``, ``ψ1(y + 1) = ψ1(y) − 1/y²``
(one special-function evaluation per row, then a logarithm and two divisions per term), each
step on the rows still summing (sorted by their number of terms, as
:class:`~customer_models.valuation._opportunities.OpportunityRows` does). The gradient and
Hessian of ``log L`` are the term-weighted means of the terms' digamma and trigamma
derivatives plus the weighted covariance of the term gradients.

The prediction kernels (FHS 2010 eqs. 11-13) are the plain model's closed forms with the
parameters broadcast per row; the model class is in
:mod:`customer_models.valuation._bgbb_covariates`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, gammaln, logsumexp

from customer_models.exceptions import ParameterError
from customer_models.valuation._bgbb import MAX_FUTURE_PERIODS, log_survival_sum
from customer_models.valuation._covariate_special import trigamma
from customer_models.valuation._opportunities import OpportunityRows
from customer_models.valuation._special import digamma_difference, log_gamma_ratio

__all__ = [
    "bgbb_log_likelihood_rows",
    "bgbb_row_terms",
    "bgbb_rows_gradient_kernel",
    "bgbb_rows_hessian_kernel",
    "expected_purchases_new_customer_rows",
    "expected_purchases_rows",
    "probability_alive_rows",
    "probability_of_purchases_rows",
]

#: Elements (rows x future opportunities) per vectorized block of the pmf sum.
_PMF_BLOCK = 1 << 20


def _row_arrays(params: Any, shape: tuple[int, ...]) -> list[np.ndarray]:
    return [np.broadcast_to(np.asarray(v, dtype=np.float64), shape).ravel() for v in params]


def bgbb_row_terms(
    params: Any, x: Any, t_x: Any, n: Any, *, derivatives: int = 0
) -> dict[str, np.ndarray]:
    """``log A``, ``log D`` (died by n), ``log L`` and optionally the derivatives, per row.

    ``params`` holds ``(alpha, beta, gamma, delta)``, each a number or an array of the rows'
    shape. With ``derivatives=1`` the result also has ``grad`` ``(n, 4)``, with 2 also
    ``hess`` ``(n, 4, 4)``, of ``log L`` in the natural parameters.

    Each term is ``P_k Q_k`` with the purchase part
    ``P = Γ(α+x)/Γ(α) Γ(β+m)/Γ(β) Γ(α+β)/Γ(α+β+x+m)`` (``m = t_x − x + i``; ``n − x`` for
    ``A``) and the dropout part ``Q_i = γ Γ(δ+s)/Γ(δ) Γ(γ+δ)/Γ(γ+δ+s+1)`` (``s = t_x + i``)
    or ``Q_A = Γ(δ+n)/Γ(δ) Γ(γ+δ)/Γ(γ+δ+n)``. Terms are summed relative to the row's first
    (``i = 0``) term, which bounds every ratio by ``(γ+δ+n)/γ``: no overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from customer_models.valuation._bgbb import log_likelihood_gradient_kernel
    >>> p = np.array([1.2, 0.75, 0.66, 2.8])
    >>> x, t_x, n = np.array([0, 3, 6]), np.array([0, 5, 6]), np.array([6, 6, 6])
    >>> out = bgbb_row_terms(p, x, t_x, n, derivatives=1)
    >>> ll, grad = log_likelihood_gradient_kernel(p, x, t_x, n)
    >>> bool(np.allclose(out["log_l"], ll, rtol=1e-13)), bool(np.allclose(out["grad"], grad))
    (True, True)
    """
    rows = OpportunityRows(x, t_x, n)
    size = rows.size
    al, be, ga, de = (v[rows.order] for v in _row_arrays(params, rows.shape))
    xs, ts = rows.x.astype(np.float64), rows.t_x.astype(np.float64)
    ab, gd = al + be, ga + de
    m0 = ts - xs
    # state at term i = 0 (m = t_x - x, s = t_x); walked forward to i = n - t_x (A's m, s)
    lp = log_gamma_ratio(al, xs) + log_gamma_ratio(be, m0) - log_gamma_ratio(ab, ts)
    lq = np.log(ga) + log_gamma_ratio(de, ts) - log_gamma_ratio(gd, ts + 1.0)
    yb, yab, yd, ygd = be + m0, ab + ts, de + ts, gd + ts + 1.0
    ref = lp + lq
    s_b = np.zeros(size)  # sum of the B terms relative to exp(ref)
    if derivatives:
        d_ab = digamma_difference(ab, ts)  # ψ(α+β+x+m) − ψ(α+β)
        e_b = digamma_difference(be, m0)  # ψ(β+m) − ψ(β)
        r_d = digamma_difference(de, ts)  # ψ(δ+s) − ψ(δ)
        p_gd = digamma_difference(gd, ts + 1.0)  # ψ(γ+δ+s+1) − ψ(γ+δ)
        inv_g = 1.0 / ga
        s1 = np.zeros((4, size))  # Σ e v: the varying part of the term gradients
    hessian = derivatives >= 2
    if hessian:
        f_ab = trigamma(yab) - trigamma(ab)
        g_b = trigamma(yb) - trigamma(be)
        v_d = trigamma(yd) - trigamma(de)
        u_gd = trigamma(ygd) - trigamma(gd)
        s2 = np.zeros((10, size))  # Σ e v v' (upper triangle)
        sh = np.zeros((5, size))  # Σ e of F, G, Hγγ, Hγδ, Hδδ
    pairs = [(j, k) for j in range(4) for k in range(j, 4)]

    def add(c: int, e: np.ndarray, v: list[np.ndarray], h: list[np.ndarray] | None) -> None:
        ev = [e * vj for vj in v]
        for j in range(4):
            s1[j, :c] += ev[j]
        if h is None:
            return
        for q, (j, k) in enumerate(pairs):
            s2[q, :c] += ev[j] * v[k]
        for q in range(5):
            sh[q, :c] += e * h[q]

    for i in range(rows.counts.size):
        c = int(rows.counts[i])
        e = np.exp(lp[:c] + lq[:c] - ref[:c])
        s_b[:c] += e
        if derivatives:
            dab, pg = d_ab[:c], p_gd[:c]
            v = [-dab, e_b[:c] - dab, inv_g[:c] - pg, r_d[:c] - pg]
            h = None
            if hessian:
                uu = u_gd[:c]
                h = [f_ab[:c], g_b[:c], -(inv_g[:c] ** 2) - uu, -uu, v_d[:c] - uu]
            add(c, e, v, h)
            inv = [1.0 / y[:c] for y in (yab, yb, yd, ygd)]
            d_ab[:c] += inv[0]
            e_b[:c] += inv[1]
            r_d[:c] += inv[2]
            p_gd[:c] += inv[3]
            if hessian:
                f_ab[:c] -= inv[0] ** 2
                g_b[:c] -= inv[1] ** 2
                v_d[:c] -= inv[2] ** 2
                u_gd[:c] -= inv[3] ** 2
        lp[:c] += np.log(yb[:c] / yab[:c])
        lq[:c] += np.log(yd[:c] / ygd[:c])
        for y in (yb, yab, yd, ygd):
            y[:c] += 1.0
    # A: the state now sits at m = n - x, s = n for every row; Q_A from Q's state at s = n
    last = ygd - 1.0  # γ + δ + n
    log_a_rel = lp + lq - np.log(ga) + np.log(last) - ref
    e_a = np.exp(log_a_rel)
    total = s_b + e_a
    with np.errstate(divide="ignore"):
        out = {
            "log_a": ref + log_a_rel,
            "log_d": ref + np.log(s_b),
            "log_l": np.minimum(ref + np.log(total), 0.0),
        }
    if derivatives:
        pa = p_gd - 1.0 / last  # ψ(γ+δ+n) − ψ(γ+δ)
        v = [-d_ab, e_b - d_ab, -pa, r_d - pa]
        h = None
        if hessian:
            ua = u_gd + 1.0 / last**2
            h = [f_ab, g_b, -ua, -ua, v_d - ua]
        add(size, e_a, v, h)
        mean = s1 / total
        grad = np.empty((size, 4))
        grad[:, 0] = digamma_difference(al, xs) + mean[0]
        grad[:, 1:] = mean[1:].T
        out["grad"] = rows.unsort(grad)
    if hessian:
        cov = s2 / total
        hm = sh / total
        hess = np.empty((size, 4, 4))
        for q, (j, k) in enumerate(pairs):
            hess[:, j, k] = hess[:, k, j] = cov[q] - mean[j] * mean[k]
        hess[:, 0, 0] += trigamma(al + xs) - trigamma(al) - hm[0]
        hess[:, 0, 1] -= hm[0]
        hess[:, 1, 0] -= hm[0]
        hess[:, 1, 1] += hm[1] - hm[0]
        hess[:, 2, 2] += hm[2]
        hess[:, 2, 3] += hm[3]
        hess[:, 3, 2] += hm[3]
        hess[:, 3, 3] += hm[4]
        out["hess"] = rows.unsort(hess)
    for key in ("log_a", "log_d", "log_l"):
        out[key] = rows.unsort(out[key]).reshape(rows.shape)
    return out


def bgbb_log_likelihood_rows(params: Any, x: Any, t_x: Any, n: Any) -> np.ndarray:
    """Per-row BG/BB log-likelihood with per-row ``params`` ``(4, n)`` (or ``(4,)``).

    Examples
    --------
    >>> import numpy as np
    >>> from customer_models.valuation._bgbb import log_likelihood_kernel
    >>> p = np.array([1.2, 0.75, 0.66, 2.8])
    >>> x, t_x, n = np.array([0, 3]), np.array([0, 5]), np.array([6, 6])
    >>> bool(np.allclose(bgbb_log_likelihood_rows(p, x, t_x, n),
    ...                  log_likelihood_kernel(p, x, t_x, n), rtol=1e-13))
    True
    """
    return bgbb_row_terms(params, x, t_x, n)["log_l"]


def bgbb_rows_hessian_kernel(
    params: Any, x: Any, t_x: Any, n: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row log-likelihood, gradient ``(n, 4)`` and Hessian ``(n, 4, 4)`` (natural scale).

    Examples
    --------
    >>> import numpy as np
    >>> ll, g, h = bgbb_rows_hessian_kernel(
    ...     np.array([1.2, 0.75, 0.66, 2.8]), np.array([2]), np.array([4]), np.array([6]))
    >>> g.shape, h.shape
    ((1, 4), (1, 4, 4))
    """
    out = bgbb_row_terms(params, x, t_x, n, derivatives=2)
    return out["log_l"], out["grad"], out["hess"]


def bgbb_rows_gradient_kernel(
    params: Any, x: Any, t_x: Any, n: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood and gradient ``(n, 4)``: the chord steps of a large fit.

    Examples
    --------
    >>> import numpy as np
    >>> p, x, t_x, n = np.array([1.2, 0.75, 0.66, 2.8]), np.array([2]), np.array([4]), np.array([6])
    >>> bool(np.allclose(bgbb_rows_gradient_kernel(p, x, t_x, n)[1],
    ...                  bgbb_rows_hessian_kernel(p, x, t_x, n)[1], rtol=0, atol=0))
    True
    """
    out = bgbb_row_terms(params, x, t_x, n, derivatives=1)
    return out["log_l"], out["grad"]


def expected_purchases_rows(params: Any, x: Any, t_x: Any, n: Any, t: Any) -> np.ndarray:
    """``E[X(n, n+t) | x, t_x, n]`` (FHS 2010 eq. 13) with per-row ``params`` ``(4, rows)``.

    ``t`` broadcasts against the rows (``(k, 1)`` gives ``(k, rows)``).
    """
    al, be, ga, de = (np.asarray(v, dtype=np.float64) for v in params)
    x, t_x, n = (np.asarray(v, dtype=np.float64) for v in (x, t_x, n))
    log_l = bgbb_row_terms(params, x, t_x, n)["log_l"]
    log_p = betaln(al + x + 1.0, be + n - x) - betaln(al, be) - log_l
    return np.asarray(np.exp(log_p + log_survival_sum(ga, de, n, t)))


def probability_alive_rows(params: Any, x: Any, t_x: Any, n: Any, m: Any) -> np.ndarray:
    """``P(alive at opportunity n + m | x, t_x, n)`` (FHS 2010 eq. 11) with per-row params."""
    al, be, ga, de = (np.asarray(v, dtype=np.float64) for v in params)
    x, t_x, n = (np.asarray(v, dtype=np.float64) for v in (x, t_x, n))
    log_l = bgbb_row_terms(params, x, t_x, n)["log_l"]
    log_num = betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + m) - betaln(ga, de)
    return np.asarray(np.clip(np.exp(log_num - log_l), 0.0, 1.0))


def probability_of_purchases_rows(
    params: Any, x: Any, t_x: Any, n: Any, t: int, k: float
) -> np.ndarray:
    """``P(X(n, n+t) = k | x, t_x, n)`` (FHS 2010 eq. 12) with per-row params.

    Alive through the ``t`` future opportunities with ``k`` transactions, plus alive through
    ``n + i`` and dead at ``n + i + 1`` for ``i = k .. t − 1`` (blocks of ``i`` vectorized
    over rows), plus, for ``k = 0``, dead by ``n`` (the likelihood's death terms).
    """
    al, be, ga, de = (np.asarray(v, dtype=np.float64)[:, None] for v in params)
    x, t_x, n = (np.asarray(v, dtype=np.float64) for v in (x, t_x, n))
    if t > MAX_FUTURE_PERIODS:
        raise ParameterError(
            f"probability_of_purchases sums one term per future opportunity; t = {int(t)} "
            f"exceeds the limit of {MAX_FUTURE_PERIODS}. Use fewer, longer periods."
        )
    terms = bgbb_row_terms(params, x, t_x, n)
    log_l, log_d = terms["log_l"], terms["log_d"]
    xb, nb = x[:, None], n[:, None]
    ln_ab, ln_gd = betaln(al, be), betaln(ga, de)

    def log_comb(a: Any, b: float) -> np.ndarray:
        return np.asarray(gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0))

    if k <= t:
        log_total = (
            log_comb(float(t), k)
            + betaln(al + xb + k, be + nb - xb + t - k)
            - ln_ab
            + betaln(ga, de + nb + t)
            - ln_gd
        )[:, 0]
    else:
        log_total = np.full(x.shape, -np.inf)
    step = max(1, _PMF_BLOCK // max(x.size, 1))
    for first in range(int(k), int(t), step):
        i = np.arange(first, min(first + step, int(t)), dtype=np.float64)[None, :]
        term = (
            log_comb(i, k)
            + betaln(al + xb + k, be + nb - xb + i - k)
            - ln_ab
            + betaln(ga + 1.0, de + nb + i)
            - ln_gd
        )
        log_total = np.logaddexp(log_total, logsumexp(term, axis=-1))
    if k == 0:
        log_total = np.logaddexp(log_total, log_d)
    return np.asarray(np.minimum(np.exp(log_total - log_l), 1.0))


def expected_purchases_new_customer_rows(params: Any, t: Any) -> np.ndarray:
    """``E[X(0, t)]`` of a new customer: ``α/(α+β) sum_{k=1}^{t} B(γ, δ+k)/B(γ, δ)``."""
    al, be, ga, de = (np.asarray(v, dtype=np.float64) for v in params)
    return np.asarray(al / (al + be) * np.exp(log_survival_sum(ga, de, 0.0, t)))
