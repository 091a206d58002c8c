r"""BG/BB with static covariates in the transaction and the dropout process.

Parametrization: a customer ``i`` with covariates ``z_i`` transacts at each opportunity it
is alive for with probability ``p_i ~ Beta(alpha_i, beta_i)`` and dies at the start of an
opportunity with probability ``theta_i ~ Beta(gamma_i, delta_i)`` (Fader, Hardie and Shang
2010), where (``purchase_link="separate"``, ``dropout_link="separate"``)

.. math::

    \alpha_i = \alpha e^{\kappa_\alpha' z_i}, \quad \beta_i = \beta e^{\kappa_\beta' z_i},
    \quad \gamma_i = \gamma e^{\kappa_\gamma' z_i}, \quad \delta_i = \delta e^{\kappa_\delta' z_i},

with coefficients named after the parameter they act on (``alpha:<column>``,
``beta:<column>``, ``gamma:<column>``, ``delta:<column>``): the log-linear link of the BG/NBD
covariate model's dropout process (``a_i = a exp(delta_a'z)``) on each beta distribution.
Signs: ``E[p_i] = alpha_i / (alpha_i + beta_i)``, so a **positive** ``alpha:<column>`` (or a
negative ``beta:<column>``) **raises the transaction probability**;
``E[theta_i] = gamma_i / (gamma_i + delta_i)``, so a **positive** ``gamma:<column>`` (or a
negative ``delta:<column>``) **raises dropout**. A ``"shared"`` link puts one vector on both
parameters of a process (``purchase:<column>`` on ``alpha`` and ``beta``, ``dropout:<column>``
on ``gamma`` and ``delta``): the mean stays and only the concentration moves.

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
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import betaln, exprel, gammaln, logsumexp

from customer_models.exceptions import ParameterError
from customer_models.valuation._bgbb import (
    MAX_FUTURE_PERIODS,
    BetaGeoBetaBinomModel,
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
)
from customer_models.valuation._covariate_special import trigamma
from customer_models.valuation._covariates import Link, check_covariate_names
from customer_models.valuation._discrete import DiscretePurchaseModel, whole_periods
from customer_models.valuation._fit_rows import as_frame, row_ids
from customer_models.valuation._kernels import kernel
from customer_models.valuation._opportunities import OpportunityRows
from customer_models.valuation._sbg_covariates import (
    OneReadCovariateMixin,
    by_prefix,
    link_arguments,
    link_pair,
)
from customer_models.valuation._special import digamma_difference, log_gamma_ratio

__all__ = [
    "BetaGeoBetaBinomCovariateModel",
    "bgbb_log_likelihood_rows",
    "bgbb_row_terms",
    "bgbb_rows_gradient_kernel",
    "bgbb_rows_hessian_kernel",
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


def log_survival_sum_rows(gamma: Any, delta: Any, start: Any, h: Any) -> np.ndarray:
    """``log sum_{k=1}^{h} B(γ, δ+start+k) / B(γ, δ)`` with per-row ``γ, δ`` (−inf for h = 0).

    The telescoping closed form of :func:`customer_models.valuation._bgbb._log_survival_sum`
    (``B(γ, y) = B(γ−1, y) − B(γ−1, y+1)``), vectorized in ``γ``: the plain kernel takes one
    ``γ`` and branches on ``|γ − 1| < 1e-4`` once; here the branch is per row.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import betaln
    >>> g, d = np.array([0.66, 1.0, 2.5]), np.array([2.8, 2.8, 0.4])
    >>> k = np.arange(1, 6)[:, None]
    >>> direct = np.log(np.exp(betaln(g, d + 3 + k) - betaln(g, d)).sum(axis=0))
    >>> bool(np.allclose(log_survival_sum_rows(g, d, 3.0, 5.0), direct, rtol=1e-13))
    True
    """
    g = np.asarray(gamma, dtype=np.float64)
    a = np.asarray(delta, dtype=np.float64) + np.asarray(start, dtype=np.float64)
    hh = np.asarray(h, dtype=np.float64)
    g1 = g - 1.0
    near = np.abs(g1) < 1e-4
    safe = np.where(near, 1.0, g1)
    log_front = log_gamma_ratio(np.asarray(delta, dtype=np.float64), g) - log_gamma_ratio(
        a + 1.0, g1
    )
    ratio = np.where(
        near,
        digamma_difference(a + 1.0 + 0.5 * g1, hh),  # -Δ / (γ - 1) at the midpoint
        (log_gamma_ratio(a + 1.0 + hh, g1) - log_gamma_ratio(a + 1.0, g1)) / safe,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out = log_front + np.log(exprel(-ratio * g1)) + np.log(np.where(hh > 0, ratio, 1.0))
    return np.asarray(np.where(hh > 0, out, -np.inf))


def expected_purchases_rows(params: Any, x: Any, t_x: Any, n: Any, t: Any) -> np.ndarray:
    """``E[X(n, n+t) | x, t_x, n]`` (FHS 2010 eq. 13) with per-row ``params`` ``(4, rows)``.

    ``t`` broadcasts against the rows (``(k, 1)`` gives ``(k, rows)``).
    """
    al, be, ga, de = (np.asarray(v, dtype=np.float64) for v in params)
    x, t_x, n = (np.asarray(v, dtype=np.float64) for v in (x, t_x, n))
    log_l = bgbb_row_terms(params, x, t_x, n)["log_l"]
    log_p = betaln(al + x + 1.0, be + n - x) - betaln(al, be) - log_l
    return np.asarray(np.exp(log_p + log_survival_sum_rows(ga, de, n, t)))


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
    return np.asarray(al / (al + be) * np.exp(log_survival_sum_rows(ga, de, 0.0, t)))


_PURCHASE = ("alpha", "beta", "purchase")
_DROPOUT = ("gamma", "delta", "dropout")


class BetaGeoBetaBinomCovariateModel(OneReadCovariateMixin, DiscretePurchaseModel):
    r"""BG/BB with static covariates on ``p_i ~ Beta(alpha_i, beta_i)``, ``theta_i ~ Beta(...)``.

    ``theta_i ~ Beta(gamma_i, delta_i)``; each parameter is ``base * exp(coefficients' z_i)``.

    A positive ``alpha:<column>`` (negative ``beta:<column>``) raises the transaction
    probability; a positive ``gamma:<column>`` (negative ``delta:<column>``) raises dropout (see
    :mod:`customer_models.valuation._bgbb_covariates`).

    Parameters
    ----------
    purchase_covariates : list of str, optional
        Columns acting on the transaction probability (``alpha:``, ``beta:``; or
        ``purchase:``).
    dropout_covariates : list of str, optional
        Columns acting on the dropout probability (``gamma:``, ``delta:``; or ``dropout:``).
    purchase_link, dropout_link : {"separate", "shared"}, default "separate"
        One coefficient vector per beta parameter, or one on both of the process (which
        moves the concentration, not the mean).
    penalizer : float or dict, default 0.0
        L2 penalty on the coefficients of the standardized covariates, one number or
        ``{"purchase": ..., "dropout": ...}``.
    penalizer_coef : float, default 0.0
        The plain model's penalty, applied to the no-covariate fit (start and null model).
    time_unit : str, optional
        Name of one transaction opportunity; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha, beta, gamma, delta`` (at ``z = 0``), then the coefficients on the original
        covariate scale.
    covariance_, summary_, likelihood_ratio_test_, log_likelihood_, aic_, bic_, n_customers_
        As in :class:`~customer_models.valuation._bgnbd_covariates.BetaGeoCovariateModel`;
        the null model is :class:`~customer_models.valuation.BetaGeoBetaBinomModel`.

    Notes
    -----
    Covariates are standardized for the optimizer and the results mapped back; a constant
    column has its coefficient fixed at 0, and with only such columns the fit is exactly the
    BG/BB fit. Rows are compressed on ``(x, t_x, n, z)`` when the covariates take few
    values (categorical). Predictions read each customer's covariates from the same columns
    of ``data``; ``expected_purchases_new_customer`` takes ``covariates=`` profiles.

    Examples
    --------
    >>> import pandas as pd
    >>> m = BetaGeoBetaBinomCovariateModel.from_params(
    ...     alpha=1.2, beta=0.75, gamma=0.66, delta=2.8,
    ...     **{"alpha:web": 0.5, "beta:web": 0.0})
    >>> e = m.expected_purchases_new_customer(t=6, covariates=pd.DataFrame({"web": [0, 1]}))
    >>> e.round(3).tolist()
    [2.217, 2.612]
    >>> import numpy as np  # only E[p] = alpha_i / (alpha_i + beta) moves with web
    >>> a1 = 1.2 * np.exp(0.5)
    >>> bool(np.isclose(e[1] / e[0], (a1 / (a1 + 0.75)) / (1.2 / 1.95)))
    True
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    _link_prefixes: ClassVar[dict[str, str]] = {
        **dict.fromkeys(_PURCHASE, "purchase"),
        **dict.fromkeys(_DROPOUT, "dropout"),
    }
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
    # the model's likelihood at z = 0 (contract tests); fit and predictions use the per-row
    # kernels above, so the class declares no prediction kernels
    _loglik_kernel = kernel(log_likelihood_kernel)
    _loglik_gradient_kernel = kernel(log_likelihood_gradient_kernel)

    def __init__(
        self,
        purchase_covariates: Any = None,
        *,
        dropout_covariates: Any = None,
        purchase_link: str = "separate",
        dropout_link: str = "separate",
        penalizer: Any = 0.0,
        penalizer_coef: float = 0.0,
        time_unit: str | None = None,
    ) -> None:
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates
        self.purchase_link = purchase_link
        self.dropout_link = dropout_link
        self.penalizer = penalizer
        self.penalizer_coef = penalizer_coef
        self.time_unit = time_unit

    def _links(self) -> list[Link]:
        reserved = self.required_columns
        purchase = check_covariate_names(self.purchase_covariates, "purchase_covariates", reserved)
        dropout = check_covariate_names(self.dropout_covariates, "dropout_covariates", reserved)
        return link_pair(purchase, self.purchase_link, "purchase_link", (0, 1), _PURCHASE) + (
            link_pair(dropout, self.dropout_link, "dropout_link", (2, 3), _DROPOUT)
        )

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:
        prefixes = by_prefix(names)
        purchase, purchase_link = link_arguments(prefixes, _PURCHASE)
        dropout, dropout_link = link_arguments(prefixes, _DROPOUT)
        return {
            "purchase_covariates": purchase,
            "dropout_covariates": dropout,
            "purchase_link": purchase_link,
            "dropout_link": dropout_link,
        }

    def fit(
        self, X: Any, y: None = None, *, sample_weight: Any = None, progress: Any = None
    ) -> BetaGeoBetaBinomCovariateModel:
        """Fit by maximum likelihood (Newton's method with the analytic chain-rule Hessian).

        Parameters
        ----------
        X : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        y : None
            Unused.
        sample_weight : None, str or array-like
            Per-row counts.
        progress : bool, tqdm-compatible class or callable, optional
            Validated; the covariate fit reports nothing.

        Returns
        -------
        self
        """
        null = BetaGeoBetaBinomModel(penalizer_coef=self.penalizer_coef, time_unit=self.time_unit)
        return self._fit_through_links(
            X,
            sample_weight,
            progress,
            processes=("purchase", "dropout"),
            null_model=null,
            rows_kernel=bgbb_rows_hessian_kernel,
            loglik_kernel=bgbb_log_likelihood_rows,
            gradient_kernel=bgbb_rows_gradient_kernel,
        )

    # ------------------------------------------------------------------ evaluation
    def _rows(
        self, data: Any
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, pd.Index | None]:
        self._require_fitted()
        frame, from_arrays = as_frame(
            data, (*self.required_columns, *self._covariate_columns()), "data"
        )
        cols, _ = self._prepare(frame, check_unit=not from_arrays)
        histories = (cols["frequency"], cols["recency"], cols["n_periods"])
        return histories, self._row_params(frame, "data"), None if from_arrays else frame.index

    def log_likelihood(self, X: Any, *, sample_weight: Any = None) -> float:
        """Total log-likelihood of ``X`` (with its covariates) under the fitted parameters.

        Parameters
        ----------
        X : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        sample_weight : None, str or array-like
            Per-row counts.

        Returns
        -------
        float
        """
        histories, params, index = self._rows(X)
        size = histories[0].size
        w = self._weights(X, sample_weight, size, row_ids(index, size))
        ll = bgbb_log_likelihood_rows(params, *histories)
        return float(w @ np.where(w > 0, ll, 0.0))

    def probability_alive(self, data: Any, *, periods_ahead: int = 1) -> pd.Series | np.ndarray:
        """P(alive at opportunity ``n + periods_ahead``) of each customer at its covariates.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        periods_ahead : int, default 1
            Whole number of opportunities after ``n``.

        Returns
        -------
        pandas.Series
            ``probability_alive`` on ``data``'s index.
        """
        m = whole_periods(periods_ahead, "periods_ahead", scalar=True)
        histories, params, index = self._rows(data)
        return self._wrap(probability_alive_rows(params, *histories, m), index, "probability_alive")

    def expected_purchases(self, data: Any, *, t: Any) -> pd.Series | np.ndarray:
        """``E[X(n, n + t) | history, covariates]``: transactions in the next ``t`` opportunities.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        t : int or array-like of int
            Future opportunities (a scalar, or one value per row).

        Returns
        -------
        pandas.Series
            ``expected_purchases`` on ``data``'s index.
        """
        t_arr = whole_periods(t, "t")
        histories, params, index = self._rows(data)
        size = histories[0].size
        if t_arr.size != 1 and t_arr.size != size:
            raise ParameterError(
                f"t must be a scalar or have one value per row ({size}); got {t_arr.size}."
            )
        horizon = t_arr.reshape(()) if t_arr.size == 1 else t_arr
        e = expected_purchases_rows(params, *histories, horizon)
        return self._wrap(np.broadcast_to(e, (size,)).copy(), index, "expected_purchases")

    def _expected_over_times(self, data: Any) -> Any:
        """Return ``times -> E[X(n, n + t)]`` per row at its covariates, validated once (CLV)."""
        histories, params, _ = self._rows(data)
        size = histories[0].size

        def expected(times: Any) -> np.ndarray:
            t_arr = np.asarray(times, dtype=np.float64)
            bad = (t_arr < 0) | (t_arr != np.floor(t_arr))
            if bad.any():
                raise ParameterError(
                    f"{type(self).__name__} counts whole transaction opportunities: the horizon "
                    f"must be a whole number of model periods ({int(bad.sum())} period ends are "
                    f"not, e.g. {float(t_arr[bad].ravel()[0]):g}); use the model's time_unit."
                )
            if not (t_arr.ndim == 2 and t_arr.shape[1] == size):
                t_arr = t_arr[..., None]
            return np.broadcast_to(
                expected_purchases_rows(params, *histories, t_arr), (*t_arr.shape[:-1], size)
            ).copy()

        return expected

    def probability_of_purchases(self, data: Any, *, n: int, t: int) -> pd.Series | np.ndarray:
        """``P(X(n_periods, n_periods + t) = n | history, covariates)`` per customer.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        n : int
            Number of future transactions (whole number >= 0).
        t : int
            Future transaction opportunities (whole number >= 0).

        Returns
        -------
        pandas.Series
            ``probability_of_purchases`` on ``data``'s index.
        """
        k = float(whole_periods(n, "n", scalar=True))
        horizon = int(whole_periods(t, "t", scalar=True))
        histories, params, index = self._rows(data)
        p = probability_of_purchases_rows(params, *histories, horizon, k)
        return self._wrap(p, index, "probability_of_purchases")

    def expected_purchases_new_customer(
        self, *, t: Any, covariates: Any = None
    ) -> float | np.ndarray | pd.Series:
        """Return the expected transactions of a new customer in its first ``t`` opportunities.

        Parameters
        ----------
        t : int or array-like of int
            Transaction opportunities.
        covariates : pandas.DataFrame or mapping, optional
            Covariate profiles, one row each, with exactly the model's covariate columns
            (required when the model has covariates; a mapping is one profile).

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            Without covariates as :meth:`BetaGeoBetaBinomModel.expected_purchases_new_customer`;
            with, a Series ``expected_purchases`` per profile (scalar ``t``) or a DataFrame
            (profiles x t).
        """
        self._require_fitted()
        t_arr = whole_periods(t, "t")
        names = self._covariate_columns()
        base, _ = self._base_and_coefs()
        if not names and covariates is None:
            e = expected_purchases_new_customer_rows(base, t_arr)
            return float(e) if t_arr.ndim == 0 else np.asarray(e)
        profiles = self._profiles(covariates, names)
        params = self._row_params(profiles, "covariates")[:, :, None]
        e = expected_purchases_new_customer_rows(params, np.atleast_1d(t_arr)[None, :])
        if t_arr.ndim == 0:
            return pd.Series(e[:, 0], index=profiles.index, name="expected_purchases")
        return pd.DataFrame(e, index=profiles.index, columns=pd.Index(t_arr, name="t"))
