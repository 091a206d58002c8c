"""BG/BB: the beta-geometric/beta-binomial model for discrete-time non-contractual data.

Kernels are plain numpy functions of a parameter vector ``(alpha, beta, gamma, delta)`` and
arrays ``x`` (repeat transactions), ``t_x`` (period of the last transaction) and ``n`` (number
of transaction opportunities). The estimator class at the bottom declares them; its methods
come from :class:`~customer_models.valuation._discrete.DiscretePurchaseModel`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln, exprel, gammaln, logsumexp

from customer_models.exceptions import ParameterError
from customer_models.valuation._discrete import DiscretePurchaseModel
from customer_models.valuation._opportunities import OpportunityRows
from customer_models.valuation._special import digamma_difference, log_gamma_ratio

__all__ = ["BetaGeoBetaBinomModel"]

PARAM_NAMES = ("alpha", "beta", "gamma", "delta")

#: Most future opportunities ``probability_of_purchases`` sums over (one term each).
MAX_FUTURE_PERIODS = 1_000_000
#: Elements (rows x opportunities) per vectorized block of that sum.
_PMF_BLOCK = 1 << 20


def _params(params: np.ndarray) -> tuple[float, float, float, float]:
    alpha, beta, gamma, delta = (float(v) for v in np.asarray(params, dtype=float))
    return alpha, beta, gamma, delta


def _log_parts(
    params: np.ndarray, rows: OpportunityRows
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``base``, ``log A``, ``log D`` and ``log L = log(A + D)`` (sorted rows).

    ``A`` (alive through all n opportunities) and ``D`` (the terms of death at opportunity
    ``t_x + i + 1 <= n``): ``log B_j = base + G2[j - x] + J[j]`` for ``j = t_x .. n - 1``
    with the tables ``G2[k] = log Γ(β+k)``, ``J[j] = −log Γ(α+β+j) + log B(γ+1, δ+j)``;
    ``base = log Γ(α+x) − log B(α,β) − log B(γ,δ)``. Special functions are evaluated once per
    table entry (0 .. max n), not once per row and term. ``D`` is kept apart so that the
    probability of having died (``D / L``) never comes from ``1 - P(alive)``.
    """
    alpha, beta, gamma, delta = _params(params)
    grid = np.arange(rows.n_max + 1, dtype=float)
    g1 = gammaln(alpha + grid)
    g2 = gammaln(beta + grid)
    g3 = gammaln(alpha + beta + grid)
    jt = betaln(gamma + 1.0, delta + grid) - g3
    base = g1[rows.x] - betaln(alpha, beta) - betaln(gamma, delta)
    log_a = base + g2[rows.n - rows.x] - g3[rows.n] + betaln(gamma, delta + grid)[rows.n]
    log_d = np.full(rows.size, -np.inf)
    for c, j, valid in rows.blocks():
        if valid is None:
            np.logaddexp(log_d[:c], base[:c] + g2[j - rows.x[:c]] + jt[j], out=log_d[:c])
            continue
        term = np.where(valid, base[:c, None] + g2[j - rows.x[:c, None]] + jt[j], -np.inf)
        np.logaddexp(log_d[:c], logsumexp(term, axis=1), out=log_d[:c])
    log_l = np.logaddexp(log_a, log_d)
    np.minimum(log_l, 0.0, out=log_l)  # a probability: remove rounding above 0 (e.g. n = 0)
    return base, log_a, log_d, log_l


def _log_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Return ``log A`` (alive through all n), ``log D`` (died by n) and ``log L`` per row."""
    rows = OpportunityRows(x, t_x, n)
    _, log_a, log_d, log_l = _log_parts(params, rows)
    return tuple(rows.unsort(v).reshape(rows.shape) for v in (log_a, log_d, log_l))


def log_likelihood_kernel(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """Per-row BG/BB log-likelihood ``log L(alpha, beta, gamma, delta | x, t_x, n)``.

    Equation (5) of Fader, Hardie & Shang (2010), evaluated as a log-sum-exp of its
    ``n - t_x + 1`` terms (one loop over the term index, vectorized over rows).

    Examples
    --------
    >>> import numpy as np
    >>> ll = log_likelihood_kernel(
    ...     np.array([1.2, 0.75, 0.66, 2.8]), np.array([0, 3]), np.array([0, 5]), np.array([6, 6])
    ... )
    >>> bool(np.all(ll < 0))
    True
    """
    x, t_x, n = (np.asarray(v, dtype=float) for v in (x, t_x, n))
    return _log_terms(params, x, t_x, n)[2]


def log_likelihood_gradient_kernel(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood and its analytic gradient with respect to the parameters.

    Each term of the likelihood is a product of beta-function ratios, so its log-derivatives
    are digamma differences; the gradient of ``log L`` is their average weighted by each
    term's share of ``L``.

    Returns
    -------
    ll : ndarray of shape (n_rows,)
    grad : ndarray of shape (n_rows, 4)
        ``d ll / d theta`` for theta in (alpha, beta, gamma, delta) (natural scale).

    Examples
    --------
    >>> import numpy as np
    >>> ll, grad = log_likelihood_gradient_kernel(
    ...     np.array([1.2, 0.75, 0.66, 2.8]), np.array([2]), np.array([4]), np.array([6])
    ... )
    >>> grad.shape
    (1, 4)
    """
    alpha, beta, gamma, delta = _params(params)
    rows = OpportunityRows(x, t_x, n)
    base, log_a, _, log_l = _log_parts(params, rows)
    grid = np.arange(rows.n_max + 1, dtype=float)
    g2 = gammaln(beta + grid)
    jt = betaln(gamma + 1.0, delta + grid) - gammaln(alpha + beta + grid)
    # Digamma differences against the parameter's own ψ: the weights of the terms sum to 1
    # only up to rounding, so ψ(c) - Σ w ψ(c + j) would keep (1 - Σ w) ψ(c), which is
    # large for small c; Σ w (ψ(c + j) - ψ(c)) is exactly 0 for j = 0.
    d_ab = digamma_difference(alpha + beta, grid)  # ψ(α+β+j) − ψ(α+β)
    d_b = digamma_difference(beta, grid)  # ψ(β+k) − ψ(β)
    d_gd1 = digamma_difference(gamma + delta, grid + 1.0)  # ψ(γ+δ+1+j) − ψ(γ+δ)
    d_gd = digamma_difference(gamma + delta, grid)  # ψ(γ+δ+n) − ψ(γ+δ)
    d_d = digamma_difference(delta, grid)  # ψ(δ+j) − ψ(δ)

    # weights of the terms in L (they sum to 1): A, then B_j for j = t_x .. n - 1
    w_a = np.exp(log_a - log_l)
    s_ab = w_a * d_ab[rows.n]  # Σ w (ψ(α+β+·) − ψ(α+β))
    s_b = w_a * d_b[rows.n - rows.x]  # Σ w (ψ(β+·−x) − ψ(β))
    s_g = w_a * d_gd[rows.n]  # Σ w (ψ(γ+δ+·) − ψ(γ+δ)), · = n for A, 1 + j for B_j
    s_d = w_a * d_d[rows.n]  # Σ w (ψ(δ+·) − ψ(δ))
    w_b = np.zeros(rows.size)  # Σ_j w_j = 1 − w_a, summed (not a difference)
    for c, j, valid in rows.blocks():
        if valid is None:
            k1 = j - rows.x[:c]
            w1 = np.exp(base[:c] + g2[k1] + jt[j] - log_l[:c])
            w_b[:c] += w1
            s_ab[:c] += w1 * d_ab[j]
            s_b[:c] += w1 * d_b[k1]
            s_g[:c] += w1 * d_gd1[j]
            s_d[:c] += w1 * d_d[j]
            continue
        k = j - rows.x[:c, None]
        w = np.where(valid, np.exp(base[:c, None] + g2[k] + jt[j] - log_l[:c, None]), 0.0)
        w_b[:c] += w.sum(axis=1)
        s_ab[:c] += np.einsum("ij,ij->i", w, d_ab[j])
        s_b[:c] += np.einsum("ij,ij->i", w, d_b[k])
        s_g[:c] += np.einsum("ij,ij->i", w, d_gd1[j])
        s_d[:c] += np.einsum("ij,ij->i", w, d_d[j])

    grad_t = np.empty((4, rows.size))  # filled row-wise, returned as an (n, 4) view
    grad_t[0] = digamma_difference(alpha, grid)[rows.x] - s_ab
    grad_t[1] = s_b - s_ab
    grad_t[2] = w_b / gamma - s_g  # ψ(γ+1) − ψ(γ) = 1/γ in the death terms
    grad_t[3] = s_d - s_g
    grad = np.empty_like(grad_t)
    grad[:, rows.order] = grad_t
    return rows.unsort(log_l), grad.T


def log_survival_sum(gamma: Any, delta: Any, start: Any, h: Any) -> np.ndarray:
    """``log sum_{k=1}^{h} B(γ, δ+start+k) / B(γ, δ)`` (−inf for h = 0), stable near γ = 1.

    Telescoping gives ``Γ(γ+δ)/Γ(δ) · E(0) · (1 - E(h)/E(0)) / (γ - 1)`` with
    ``E(j) = Γ(a+j+1) / Γ(γ+a+j)``, ``a = δ + start``. ``Δ = log(E(h)/E(0))`` is a difference
    of two log-gamma ratios, each evaluated without cancellation (:func:`log_gamma_ratio`),
    so it keeps its relative precision when ``h`` is small against ``a``; ``-expm1(Δ)/(γ-1)``
    is ``exprel(Δ)`` times ``-Δ/(γ-1)``, the latter a midpoint digamma divided difference
    when ``γ`` is within 1e-4 of 1. ``γ`` and ``δ`` are numbers or per-row arrays (the
    covariate model's); the branch is taken per row only when rows fall on both sides.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import betaln
    >>> g, d = np.array([0.66, 1.0, 2.5]), np.array([2.8, 2.8, 0.4])
    >>> k = np.arange(1, 6)[:, None]
    >>> direct = np.log(np.exp(betaln(g, d + 3 + k) - betaln(g, d)).sum(axis=0))
    >>> bool(np.allclose(log_survival_sum(g, d, 3.0, 5.0), direct, rtol=1e-13))
    True
    """
    gamma, delta = np.asarray(gamma, dtype=float), np.asarray(delta, dtype=float)
    h = np.asarray(h, dtype=float)
    a = delta + start
    g1 = gamma - 1.0
    log_front = log_gamma_ratio(delta, gamma) - log_gamma_ratio(a + 1.0, g1)
    near = np.abs(g1) < 1e-4
    if near.all():
        ratio = digamma_difference(a + 1.0 + 0.5 * g1, h)  # -Δ / (γ - 1) at the midpoint
    else:
        ratio = (log_gamma_ratio(a + 1.0 + h, g1) - log_gamma_ratio(a + 1.0, g1)) / np.where(
            near, 1.0, g1
        )
        if near.any():  # per-row γ on both sides of the threshold
            ratio = np.where(near, digamma_difference(a + 1.0 + 0.5 * g1, h), ratio)
    big_delta = -ratio * g1
    with np.errstate(divide="ignore"):  # h = 0: an empty sum
        out = log_front + np.log(exprel(big_delta)) + np.log(np.where(h > 0, ratio, 0.0))
    return np.where(h > 0, out, -np.inf)


def expected_purchases_kernel(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """Conditional expected transactions in the next ``t`` opportunities (FHS 2010 eq. 13).

    ``E[X(n, n+t) | x, t_x, n] = B(α+x+1, β+n−x)/B(α,β) · Σ_{k=1..t} B(γ, δ+n+k)/B(γ,δ) / L``.

    Examples
    --------
    >>> import numpy as np
    >>> e = expected_purchases_kernel(
    ...     np.array([1.2, 0.75, 0.66, 2.8]), np.array([6]), np.array([6]), np.array([6]), 5
    ... )
    >>> bool(e[0] > 2)
    True
    """
    alpha, beta, gamma, delta = _params(params)
    x, t_x, n = (np.asarray(v, dtype=float) for v in (x, t_x, n))
    t_arr = np.asarray(t, dtype=float)
    log_l = _log_terms(params, x, t_x, n)[2]
    log_p = betaln(alpha + x + 1.0, beta + n - x) - betaln(alpha, beta) - log_l
    return np.exp(log_p + log_survival_sum(gamma, delta, n, t_arr))


def probability_alive_kernel(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    n: np.ndarray,
    periods_ahead: np.ndarray | float = 1,
) -> np.ndarray:
    """P(alive at opportunity ``n + periods_ahead`` | x, t_x, n) (FHS 2010 eq. 11 for 1).

    Examples
    --------
    >>> import numpy as np
    >>> p = probability_alive_kernel(
    ...     np.array([1.2, 0.75, 0.66, 2.8]), np.array([6, 0]), np.array([6, 0]), np.array([6, 6])
    ... )
    >>> bool(p[0] > p[1])
    True
    """
    alpha, beta, gamma, delta = _params(params)
    x, t_x, n = (np.asarray(v, dtype=float) for v in (x, t_x, n))
    m = np.asarray(periods_ahead, dtype=float)
    log_l = _log_terms(params, x, t_x, n)[2]
    log_num = (
        betaln(alpha + x, beta + n - x)
        - betaln(alpha, beta)
        + betaln(gamma, delta + n + m)
        - betaln(gamma, delta)
    )
    return np.clip(np.exp(log_num - log_l), 0.0, 1.0)


def expected_purchases_new_customer_kernel(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Return the expected transactions of a new customer in its first ``t`` opportunities.

    Examples
    --------
    >>> import numpy as np
    >>> float(expected_purchases_new_customer_kernel(np.array([1.2, 0.75, 0.66, 2.8]), 0))
    0.0
    """
    alpha, beta, gamma, delta = _params(params)
    t_arr = np.asarray(t, dtype=float)
    log_sum = log_survival_sum(gamma, delta, np.zeros_like(t_arr), t_arr)
    return alpha / (alpha + beta) * np.exp(log_sum)


def probability_of_purchases_kernel(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    n: np.ndarray,
    t: int,
    k: np.ndarray | int,
) -> np.ndarray:
    """``P(X(n, n+t) = k | x, t_x, n)``: k purchases in the next t opportunities (FHS eq. 12).

    Examples
    --------
    >>> import numpy as np
    >>> p = [probability_of_purchases_kernel(np.array([1.2, 0.75, 0.66, 2.8]), np.array([3]),
    ...      np.array([5]), np.array([6]), 4, j)[0] for j in range(5)]
    >>> round(float(sum(p)), 12)
    1.0
    """
    alpha, beta, gamma, delta = _params(params)
    x, t_x, n = (np.asarray(v, dtype=float) for v in (x, t_x, n))
    kk = np.asarray(k, dtype=float)
    _, log_d, log_l = _log_terms(params, x, t_x, n)
    ln_ab = betaln(alpha, beta)
    ln_gd = betaln(gamma, delta)

    def log_comb(a: np.ndarray | float, b: np.ndarray) -> np.ndarray:
        return np.asarray(gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0))

    # alive through all t future opportunities, k purchases among them
    log_total = np.where(
        kk <= t,
        log_comb(float(t), np.minimum(kk, t))
        + betaln(alpha + x + kk, beta + n - x + t - kk)
        - ln_ab
        + betaln(gamma, delta + n + t)
        - ln_gd,
        -np.inf,
    )
    # alive through opportunity n + i, dead at the start of n + i + 1 (i = k .. t-1), summed
    # over blocks of i (one vectorized evaluation per block, not per opportunity)
    if t > MAX_FUTURE_PERIODS:
        raise ParameterError(
            f"probability_of_purchases sums one term per future opportunity; t = {int(t)} "
            f"exceeds the limit of {MAX_FUTURE_PERIODS}. Use fewer, longer periods."
        )
    shape = np.broadcast_shapes(np.shape(log_total), np.shape(x), np.shape(kk))
    log_total = np.broadcast_to(log_total, shape).copy()
    xb, nb, kb = (np.broadcast_to(v, shape)[..., None] for v in (x, n, kk))
    step = max(1, _PMF_BLOCK // max(int(np.prod(shape)), 1))
    for first in range(0, int(t), step):
        i = np.arange(first, min(first + step, int(t)), dtype=np.float64)
        term = (
            log_comb(i, np.minimum(kb, i))
            + betaln(alpha + xb + kb, beta + nb - xb + i - kb)
            - ln_ab
            + betaln(gamma + 1.0, delta + nb + i)
            - ln_gd
        )
        term = np.where(kb <= i, term, -np.inf)
        log_total = np.logaddexp(log_total, logsumexp(term, axis=-1))
    # dead by opportunity n (the likelihood's death terms, never 1 - P(alive)): zero purchases
    log_total = np.where(kk == 0, np.logaddexp(log_total, log_d), log_total)
    return np.minimum(np.exp(log_total - log_l), 1.0)


class BetaGeoBetaBinomModel(DiscretePurchaseModel, kernels=[globals()]):
    r"""BG/BB model of discrete-time, non-contractual repeat transactions.

    Each period (transaction opportunity: a year of donations, a weekly event, ...) a living
    customer transacts with probability ``p`` and, before the next opportunity, becomes
    inactive for good with probability ``theta``. Across customers ``p ~ Beta(alpha, beta)``
    and ``theta ~ Beta(gamma, delta)`` (Fader, Hardie & Shang 2010).

    Data: one row per customer (or per pattern, with ``sample_weight``) with ``frequency`` (repeat
    transactions ``x``, the first one excluded), ``recency`` (the opportunity of the last
    transaction ``t_x``, 0 if none) and ``n_periods`` (the number of opportunities observed,
    ``n``). Rules: ``0 <= frequency <= recency <= n_periods``, whole numbers, and
    ``recency == 0`` when ``frequency == 0``. Identical rows are compressed into weighted
    patterns before fitting, so a recency/frequency table with counts fits as fast as the
    customer list (``fit(load_donations(), sample_weight="weight")``).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters (see :class:`ValuationModel`).
    time_unit : str, optional
        Name of one transaction opportunity (e.g. ``"Y"``); default ``attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha``, ``beta`` (transaction probability) and ``gamma``, ``delta`` (dropout).
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`ValuationModel`.

    Notes
    -----
    The likelihood of a history ``(x, t_x, n)`` (equation 5 of the paper) is

    .. math::

        L = \frac{B(\alpha+x, \beta+n-x)}{B(\alpha,\beta)}
            \frac{B(\gamma, \delta+n)}{B(\gamma,\delta)}
          + \sum_{i=0}^{n-t_x-1} \frac{B(\alpha+x, \beta+t_x-x+i)}{B(\alpha,\beta)}
            \frac{B(\gamma+1, \delta+t_x+i)}{B(\gamma,\delta)}

    evaluated as a log-sum-exp; its gradient is analytic (digamma differences). The
    log-likelihood is the paper's (no combinatorial constant): -33,225.6 on the donation data.
    ``probability_alive``, ``probability_of_purchases`` and ``expected_purchases`` are
    equations 11, 12 and 13 of the paper; the last is a telescoping sum that stays finite and
    exact when ``gamma`` is at or near 1.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. and Shang, J. (2010), "Customer-Base Analysis in a
       Discrete-Time Noncontractual Setting", Marketing Science, 29 (6), 1086-1108.

    Examples
    --------
    >>> from customer_models import load_donations
    >>> model = BetaGeoBetaBinomModel().fit(load_donations(), sample_weight="weight")
    >>> model.params_.round(3).tolist()
    [1.204, 0.75, 0.657, 2.783]
    >>> round(model.log_likelihood_, 1)
    -33225.6
    """

    param_names: ClassVar[tuple[str, ...]] = PARAM_NAMES
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
