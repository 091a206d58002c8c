"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Hardie's note 025).

Kernels are plain numpy functions of ``params = (p, q, v)`` and per-row arrays ``x``
(repeat transactions, > 0) and ``m`` (mean spend of those transactions, > 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import gammaln, polygamma

from customer_models.exceptions import ParameterError
from customer_models.valuation._base import ValuationModel
from customer_models.valuation._checks import check_frequency
from customer_models.valuation._kernels import kernel
from customer_models.valuation._optimize import dot
from customer_models.valuation._patterns import count_grid
from customer_models.valuation._special import digamma_difference, log_gamma_ratio

__all__ = ["GammaGammaModel"]

PARAM_NAMES = ("p", "q", "v")


def _frequency_terms(
    p: float, q: float, v: float, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the parts of the log-density and gradient that depend on a row only via x.

    ``A = log Γ(px+q) − log Γ(px) − log Γ(q)``, ``B = ψ(px+q) − ψ(px)`` and
    ``C = ψ(px+q) − ψ(q)``, per row, each difference evaluated without cancellation
    (:func:`log_gamma_ratio`, :func:`digamma_difference`). When x holds whole numbers of
    moderate size (the usual case: repeat-purchase counts) they are evaluated once per distinct
    x in a lookup table instead of once per row.
    """
    table = count_grid(x)
    grid = x if table is None else table[0]
    pg = p * grid
    q_col = np.full_like(pg, q)
    a = log_gamma_ratio(pg, q) - float(gammaln(q))
    # B and C in one call: two short grids cost one call's overhead instead of two
    bc = digamma_difference(np.concatenate([pg, q_col]), np.concatenate([q_col, pg]))
    b, c = bc[: pg.size], bc[pg.size :]
    if table is not None:
        idx = table[1]
        return a[idx], b[idx], c[idx]
    return a, b, c


def log_likelihood_gradient_kernel(
    params: np.ndarray, x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log density of the mean spend ``m`` of ``x`` transactions, and its gradient.

    ``log f(m | p, q, v, x) = log Γ(px+q) − log Γ(px) − log Γ(q) + q log v + (px−1) log m
    + px log x − (px+q) log(v + x m)`` (equation 1a of Hardie's note 025, as in lifetimes),
    evaluated as ``log Γ(px+q) − log Γ(px) − log Γ(q) − px log1p(v/(xm)) − q log1p(xm/v)
    − log m``: the terms of size ``px log(xm)`` cancel analytically, not in float64 (with
    ``px = 1e7`` they are 1e8). The analytic gradient is with respect to ``(p, q, v)``
    (natural scale). ``x`` must be > 0.

    Examples
    --------
    >>> import numpy as np
    >>> ll, grad = log_likelihood_gradient_kernel(
    ...     np.array([6.25, 3.74, 15.44]), np.array([2.0]), np.array([22.35])
    ... )
    >>> grad.shape
    (1, 3)
    """
    p, q, v = (float(val) for val in np.asarray(params, dtype=float))
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    a, b, c = _frequency_terms(p, q, v, x)
    # in place where possible: this kernel dominates large fits, and every fresh row array
    # is a page-faulting allocation
    xm = x * m
    spend_over_v = np.divide(xm, v)
    np.log1p(spend_over_v, out=spend_over_v)  # log((v + xm) / v)
    v_over_spend = np.divide(v, xm)
    np.log1p(v_over_spend, out=v_over_spend)  # log((v + xm) / (xm))
    grad = np.empty((3, x.size))
    g_p, g_q, g_v = grad
    ll = a
    np.multiply(x, p, out=g_v)
    g_v *= v_over_spend
    ll -= g_v
    np.multiply(spend_over_v, q, out=g_v)
    ll -= g_v
    np.log(m, out=g_v)
    ll -= g_v
    np.subtract(b, v_over_spend, out=g_p)
    g_p *= x
    np.subtract(c, spend_over_v, out=g_q)
    # q/v − (px+q)/(v+xm) = x (q m − p v) / (v (v + x m)), without the cancellation
    np.multiply(m, q, out=g_v)
    g_v -= p * v
    g_v *= x
    xm += v
    xm *= v
    g_v /= xm
    return ll, grad.T  # (n, 3) view; filling rows of a (3, n) array is much faster


def log_likelihood_kernel(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-row Gamma-Gamma log-likelihood (see :func:`log_likelihood_gradient_kernel`).

    Examples
    --------
    >>> import numpy as np
    >>> ll = log_likelihood_kernel(np.array([6.25, 3.74, 15.44]), np.array([1.0]), np.array([5.0]))
    >>> bool(ll[0] < 0)
    True
    """
    return log_likelihood_gradient_kernel(params, x, m)[0]


def log_likelihood_derivatives_kernel(
    params: np.ndarray,
    weights: np.ndarray,
    x: np.ndarray,
    m: np.ndarray,
    *,
    hessian: bool = False,
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Weighted total log-likelihood, its gradient and (if asked) Hessian in ``(p, q, v)``.

    What fitting needs, without per-row gradient arrays: the terms of ``x`` alone (``A``,
    ``B``, ``C`` of :func:`_frequency_terms`) enter once per distinct frequency with the
    summed weights; the rest are weighted sums over rows, two transcendental functions per
    row instead of three. The Hessian of ``A`` uses trigamma differences; the ``v`` terms are
    ``-x / (v + x m)`` (p, v), ``x m / (v (v + x m))`` (q, v) and
    ``-q / v^2 + (p x + q) / (v + x m)^2`` (v, v).

    Examples
    --------
    >>> import numpy as np
    >>> p, w = np.array([6.25, 3.74, 15.44]), np.array([1.0, 2.0])
    >>> x, m = np.array([1.0, 3.0]), np.array([20.0, 35.0])
    >>> ll, g, h = log_likelihood_derivatives_kernel(p, w, x, m, hessian=True)
    >>> ll_rows, g_rows = log_likelihood_gradient_kernel(p, x, m)
    >>> bool(np.isclose(ll, w @ ll_rows)), bool(np.allclose(g, w @ g_rows)), h.shape
    (True, True, (3, 3))
    """
    p, q, v = (float(val) for val in np.asarray(params, dtype=float))
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    w = np.asarray(weights, dtype=float)
    table = count_grid(x)
    if table is None:  # frequencies that are not small whole numbers: per-row terms
        grid, w_grid = x, w
    else:
        w_grid = np.bincount(table[1], weights=w, minlength=table[0].size)
        used = w_grid > 0  # the grid starts at 0, where the x terms are infinite
        grid, w_grid = table[0][used], w_grid[used]
    pg = p * grid
    a, b, c = _frequency_terms(p, q, v, grid)
    xm = x * m
    wx = w * x
    log_m = np.log(m)
    v_over_spend = np.divide(v, xm)
    np.log1p(v_over_spend, out=v_over_spend)  # log((v + x m) / (x m))
    inverse = xm + v
    np.reciprocal(inverse, out=inverse)  # 1 / (v + x m)
    # totals only, so log((v + x m) / v) = log((v + x m) / (x m)) + log x + log m - log v
    # costs no second logarithm per row; sums over rows cancel to rounding of the totals
    w_total, w_log_m, wl2 = dot(w_grid, np.ones_like(grid)), dot(w, log_m), dot(w, v_over_spend)
    wl1 = wl2 + dot(w_grid, np.log(grid)) + w_log_m - w_total * math.log(v)
    wxl2 = dot(wx, v_over_spend)
    ll = dot(w_grid, a) - p * wxl2 - q * wl1 - w_log_m
    # d/dv: sum w (q / v - (p x + q) / (v + x m))
    g_v = q * w_total / v - p * dot(wx, inverse) - q * dot(w, inverse)
    grad = np.array([dot(w_grid, grid * b) - wxl2, dot(w_grid, c) - wl1, g_v])
    if not hessian:
        return ll, grad, None
    tri_y = polygamma(1, pg + q)
    h_pp = dot(w_grid, grid * grid * (tri_y - polygamma(1, pg)))
    h_pq = dot(w_grid, grid * tri_y)
    h_qq = dot(w_grid, tri_y - float(polygamma(1, q)))
    h_pv = -dot(wx, inverse)  # -x / (v + x m)
    h_qv = dot(w, xm * inverse) / v  # x m / (v (v + x m))
    # d/dv of q / v - (p x + q) / (v + x m)
    h_vv = -q * w_total / (v * v) + p * dot(wx, inverse * inverse) + q * dot(w, inverse * inverse)
    hess = np.array([[h_pp, h_pq, h_pv], [h_pq, h_qq, h_qv], [h_pv, h_qv, h_vv]])
    return ll, grad, hess


def population_mean_spend_kernel(params: np.ndarray) -> float:
    """Mean spend per transaction in the population, ``p v / (q − 1)`` (infinite if q <= 1).

    Examples
    --------
    >>> import numpy as np
    >>> round(population_mean_spend_kernel(np.array([6.25, 3.74, 15.44])), 2)
    35.22
    """
    p, q, v = (float(val) for val in np.asarray(params, dtype=float))
    if q <= 1.0:
        return float("inf")
    return p * v / (q - 1.0)


def expected_spend_kernel(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Conditional mean spend per transaction ``E[Z | x, m] = p (v + x m) / (p x + q − 1)``.

    The same as the weighted average of the population mean ``p v / (q − 1)`` and the
    observed mean ``m`` (equation 5 of note 025), written in a form that stays finite and
    positive whenever ``p x + q > 1``. Rows without valid spend (``x = 0``, or ``m <= 0``
    after $0 orders or netted refunds) get the population mean: ``x`` is treated as 0.

    Examples
    --------
    >>> import numpy as np
    >>> e = expected_spend_kernel(np.array([6.25, 3.74, 15.44]), np.array([0.0, 2.0]),
    ...                           np.array([0.0, 22.35]))
    >>> np.round(e, 2).tolist()
    [35.22, 24.66]
    """
    p, q, v = (float(val) for val in np.asarray(params, dtype=float))
    m = np.asarray(m, dtype=float)
    valid = (np.asarray(x) > 0) & (m > 0)
    x = np.where(valid, np.asarray(x, dtype=float), 0.0)
    m = np.where(valid, m, 0.0)
    return p * (v + x * m) / (p * x + q - 1.0)


# ----------------------------------------------------------------------------- estimator


def _infinite_mean_message(q: float) -> str:
    return (
        f"q = {q:.4g} <= 1: the fitted spend distribution has an infinite population mean "
        "(p * v / (q - 1) does not exist), so the expected spend of a customer without repeat "
        "purchases is undefined. This usually means a few very large average spends dominate: "
        "check monetary_value for outliers, returns or currency mix-ups, or use the observed "
        "monetary_value instead of the model."
    )


class GammaGammaModel(ValuationModel):
    r"""Gamma-Gamma model of the spend per transaction (Fader, Hardie & Lee 2005).

    A customer's transaction values are Gamma(``p``, ``nu``) around their own mean spend
    ``p / nu``; across customers ``nu ~ Gamma(q, v)``. The model is independent of the
    purchase process, so it pairs with any purchase model for CLV.

    Data: ``frequency`` (repeat transactions ``x``) and ``monetary_value`` (the mean value
    ``m`` of those repeat transactions). **Only customers with valid spend are used to fit**:
    repeat purchases (frequency > 0) whose mean value is positive (monetary_value > 0). The
    others carry no information about spend per purchase and are skipped: one-time buyers
    (no observed repeat spend), and repeat buyers whose repeat purchases are worth 0 (a $0
    order) or net to <= 0 after refunds. So the whole customer summary can be passed as it
    is, and ``n_customers_`` says how many customers the fit used.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters (see :class:`ValuationModel`).
    time_unit : str, optional
        Recorded for consistency with the purchase models (spend has no time unit).

    Attributes
    ----------
    params_ : pandas.Series
        ``p``, ``q``, ``v``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`ValuationModel`.

    Warns
    -----
    ConvergenceWarning
        When the fit gives ``q <= 1``: the population mean spend ``p v / (q - 1)`` is then
        infinite and :meth:`expected_spend` refuses customers without repeat purchases. Also
        when the optimizer had trouble (see :meth:`ValuationModel.fit`).

    Notes
    -----
    The log-likelihood is the density of the observed mean ``m`` of ``x`` transactions
    (equation 1a of Hardie's note 025, the convention of lifetimes), whose total on the 946
    CDNOW repeat buyers at the optimum is -4055.92:

    .. math::

        \log f(m) = \log\Gamma(px+q) - \log\Gamma(px) - \log\Gamma(q) + q\log v
          + (px-1)\log m + px\log x - (px+q)\log(v + xm)

    The conditional expected spend is ``E[Z | x, m] = p (v + x m) / (p x + q - 1)``, the
    weighted average of the population mean ``p v / (q - 1)`` and ``m``.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: Using Iso-Value
       Curves for Customer Base Analysis", Journal of Marketing Research, 42 (4), 415-430.
    .. [2] Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary
       Value", http://brucehardie.com/notes/025/.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> model = GammaGammaModel().fit(load_cdnow_summary())
    >>> model.params_.round(2).tolist(), model.n_customers_
    ([6.25, 3.74, 15.45], 946.0)
    >>> round(model.log_likelihood_, 2)
    -4055.92
    """

    param_names: ClassVar[tuple[str, ...]] = PARAM_NAMES
    required_columns: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0)
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {"v": "monetary_value"}

    _loglik_gradient_kernel = kernel(log_likelihood_gradient_kernel)  # and the likelihood
    _derivatives_kernel = kernel(log_likelihood_derivatives_kernel)

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        # p = 1, q = 2 make the population mean p v / (q - 1) = v: start v at the mean spend.
        _, m = columns
        mean_m = dot(weights, m) / float(weights.sum())
        return np.array([1.0, 2.0, max(mean_m, 1e-6)])

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        check_frequency(columns["frequency"], ids, what=what)

    @classmethod
    def _fit_mask(cls, columns: Mapping[str, np.ndarray]) -> np.ndarray | None:
        # Customers with valid spend only: repeat purchases whose mean value is positive.
        # A $0 repeat order or refunds netted against spend leave monetary_value <= 0; such
        # customers are valued at the population mean (see expected_spend), never refused.
        return np.asarray((columns["frequency"] > 0) & (columns["monetary_value"] > 0))

    def _fit_warnings(self) -> list[str]:
        q = float(self.params_["q"])
        return [f"GammaGammaModel fit: {_infinite_mean_message(q)}"] if q <= 1.0 else []

    def population_mean_spend(self) -> float:
        """Mean spend per transaction across customers, ``p v / (q - 1)``.

        Returns
        -------
        float

        Raises
        ------
        ParameterError
            When ``q <= 1`` (the mean is infinite), with the reason.

        Examples
        --------
        >>> m = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> round(m.population_mean_spend(), 2)
        35.22
        """
        params = self._params_array()
        if params[1] <= 1.0:
            raise ParameterError(_infinite_mean_message(float(params[1])))
        return population_mean_spend_kernel(params)

    def expected_spend(self, data: Any) -> pd.Series | np.ndarray:
        """Conditional expected spend per transaction of each customer.

        ``E[Z | x, m] = p (v + x m) / (p x + q - 1)``: the observed mean ``m`` shrunk towards
        the population mean ``p v / (q - 1)``, more strongly for customers with few
        transactions. Customers without valid spend get the population mean: frequency 0, or
        ``monetary_value <= 0`` (repeat purchases worth $0, or refunds netted against spend
        with ``rfm_summary(refunds="net_customer")``).

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency`` and ``monetary_value`` per customer.

        Returns
        -------
        pandas.Series
            ``expected_spend`` on ``data``'s index (ndarray for array input), finite and > 0.

        Raises
        ------
        ParameterError
            When ``q <= 1`` and ``data`` has customers with frequency 0 (their expected spend
            is the infinite population mean), or more generally when ``p x + q <= 1``.

        Examples
        --------
        >>> import pandas as pd
        >>> m = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> df = pd.DataFrame({"frequency": [0, 2], "monetary_value": [0.0, 22.35]})
        >>> m.expected_spend(df).round(2).tolist()
        [35.22, 24.66]
        """
        params = self._params_array()
        columns, index = self._prepare(data)
        x, m = columns["frequency"], columns["monetary_value"]
        p, q, _ = params
        infinite = p * np.where(m > 0, x, 0.0) + q <= 1.0
        if np.any(infinite):
            ids = np.arange(x.size) if index is None else np.asarray(index)
            first = [v.item() if hasattr(v, "item") else v for v in ids[infinite][:5]]
            # p > 0 and frequency >= 0, so this only happens when q <= 1.
            raise ParameterError(
                f"expected_spend is infinite for {int(infinite.sum())} of {x.size} rows "
                f"(p * frequency + q <= 1; first ids: {first}). {_infinite_mean_message(q)}"
            )
        values = expected_spend_kernel(params, x, m)
        return self._wrap(values, index, "expected_spend")
