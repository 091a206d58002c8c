"""The distribution of a customer's (undiscounted) value over the next ``t``.

``V = margin × (Z_1 + ... + Z_N)``: ``N`` is the purchase count in ``(T, T+t]`` from the
transaction model's predictive pmf and the ``Z_j`` are the spends of those purchases under the
Gamma-Gamma model. Given the customer's spend rate ``ν`` the ``Z_j`` are independent
``Gamma(p, ν)``, so their sum is ``Gamma(n p, ν)``; the posterior of ``ν`` given ``x`` repeat
purchases with mean spend ``m`` is ``Gamma(q + p x, v + x m)`` (Fader, Hardie & Lee 2005,
"RFM and CLV"), and a ``Gamma(a, ν)`` variable with ``ν ~ Gamma(q', γ')`` is ``γ'`` times a
beta-prime, so ``P(Z_1 + ... + Z_n <= s) = I_{s/(s+γ')}(n p, q')`` exactly. Hence

``P(V <= c) = P(N = 0) + Σ_{n>=1} P(N = n) I_{z}(n p, q')``, ``z = (c/margin) / (c/margin + γ')``

with no simulation; quantiles come from a safeguarded Newton iteration on this CDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln

from customer_models._validation import as_pandas, check_number
from customer_models.exceptions import ParameterError
from customer_models.valuation._predictive import purchase_pmf

__all__ = ["value_distribution"]

#: Customers per block of the CDF evaluation (bounds memory at block × counts).
_BLOCK = 512
#: Newton/bisection steps of a quantile (Newton converges in about ten).
_ITERATIONS = 100


def _spend_posterior(spend_model: Any, frame: pd.DataFrame) -> tuple[float, np.ndarray, np.ndarray]:
    from customer_models.valuation._gamma_gamma import GammaGammaModel

    if not isinstance(spend_model, GammaGammaModel):
        raise ParameterError(
            "spend_model must be a fitted GammaGammaModel (the spend distribution per purchase "
            f"is needed, not only its mean); got {type(spend_model).__name__}."
        )
    spend_model.expected_spend(frame)  # validates the columns and the fitted parameters
    p, q, v = (float(c) for c in spend_model.params_.to_numpy(dtype=np.float64))
    x = frame["frequency"].to_numpy(dtype=np.float64)
    m = frame["monetary_value"].to_numpy(dtype=np.float64)
    valid = (x > 0) & (m > 0)  # as expected_spend: no valid spend, the prior
    shape = q + p * np.where(valid, x, 0.0)
    rate = v + np.where(valid, x * m, 0.0)
    return p, shape, rate


def _cdf(pmf: np.ndarray, p: float, shape: np.ndarray, rate: np.ndarray, s: np.ndarray) -> Any:
    """P(S <= s) per row of ``pmf`` (customers × counts), s = value / margin."""
    n = np.arange(1, pmf.shape[1], dtype=np.float64)[None, :]
    z = (s / (s + rate))[:, None]
    tail = betainc(n * p, shape[:, None], np.broadcast_to(z, (z.shape[0], n.shape[1])))
    return pmf[:, 0] + np.einsum("ij,ij->i", pmf[:, 1:], tail)


def value_distribution(
    transaction_model: Any,
    spend_model: Any,
    data: Any,
    *,
    t: float,
    margin: float = 1.0,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    thresholds: Sequence[float] = (),
) -> pd.DataFrame:
    """Quantiles of each customer's value over the next ``t`` and P(value > threshold).

    The value is ``margin ×`` the spend of the purchases in ``(T, T+t]``, undiscounted: both
    the purchase count (the transaction model's predictive pmf) and each purchase's spend (the
    Gamma-Gamma model given the customer's history) are random. See the module docstring for
    the exact CDF.

    Parameters
    ----------
    transaction_model : fitted purchase model
        BG/NBD, MBG/NBD, Pareto/NBD or BG/BB (``t`` in its time unit).
    spend_model : fitted GammaGammaModel
    data : DataFrame
        ``frequency``, ``recency``, ``T`` (or ``n_periods``) and ``monetary_value``.
    t : float
        Horizon in the transaction model's time unit, a scalar.
    margin : float, default 1.0
        Profit margin, > 0.
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Levels in (0, 1 - 1e-9]; columns ``q{level}``. A quantile is 0 when ``P(no purchase)``
        reaches its level.
    thresholds : sequence of float, optional
        Values ``c >= 0``; columns ``p_above_{c}`` hold ``P(value > c)``.

    Returns
    -------
    DataFrame
        ``expected_value`` (``margin E[N] E[Z]``), the quantile and threshold columns, on
        ``data``'s index.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import BetaGeoModel, GammaGammaModel
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86],
    ...                     "monetary_value": [22.35]})
    >>> out = value_distribution(bg, gg, one, t=39, thresholds=[100])
    >>> out.round(2).iloc[0].tolist()
    [30.24, 0.0, 15.46, 115.34, 0.07]
    """
    frame = as_pandas(data, what="data")
    gain = float(check_number(margin, "margin", low=0.0, low_inclusive=False))
    levels = [
        float(check_number(q, "quantiles", low=0.0, high=1.0 - 1e-9, low_inclusive=False))
        for q in quantiles
    ]
    cuts = [float(check_number(c, "thresholds", low=0.0)) for c in thresholds]
    p, shape, rate = _spend_posterior(spend_model, frame)
    pmf = purchase_pmf(transaction_model, frame, t=t).to_numpy()
    counts = np.arange(pmf.shape[1], dtype=np.float64)
    mean_spend = p * rate / (shape - 1.0) if np.all(shape > 1.0) else None
    out: dict[str, np.ndarray] = {}
    if mean_spend is not None:
        out["expected_value"] = gain * (pmf @ counts) * mean_spend
    n_rows = pmf.shape[0]
    # rows sorted by the length of their pmf, so each block carries only the counts it needs
    length = pmf.shape[1] - np.argmax(pmf[:, ::-1] > 0, axis=1)
    order = np.argsort(length, kind="stable")
    blocks = []
    for start in range(0, n_rows, _BLOCK):
        rows = order[start : start + _BLOCK]
        blocks.append((rows, pmf[rows, : max(int(length[rows].max()), 1)]))
    for q in levels:
        values = np.zeros(n_rows)
        for rows, part in blocks:
            values[rows] = _quantile(part, p, shape[rows], rate[rows], q)
        out[f"q{q:g}"] = gain * values
    for c in cuts:
        above = np.zeros(n_rows)
        for rows, part in blocks:
            s = np.full(rows.size, c / gain)
            above[rows] = 1.0 - _cdf(part, p, shape[rows], rate[rows], s)
        out[f"p_above_{c:g}"] = np.clip(above, 0.0, 1.0)
    return pd.DataFrame(out, index=frame.index)


def _quantile(pmf: np.ndarray, p: float, shape: np.ndarray, rate: np.ndarray, q: float) -> Any:
    """Smallest s with P(S <= s) >= q (0 where P(N = 0) >= q).

    Safeguarded Newton in ``z = s/(s + γ')`` on [0, 1), where the CDF is
    ``P(N = 0) + Σ P(N = n) I_z(n p, q')`` and its derivative the matching mixture of beta
    densities: a Newton step inside the bracket, else a bisection.
    """
    out = np.zeros(pmf.shape[0])
    todo = np.flatnonzero(pmf[:, 0] < q)
    if todo.size == 0:
        return out
    pm, sh = pmf[todo], shape[todo][:, None]
    a = np.arange(1, pm.shape[1], dtype=np.float64)[None, :] * p
    log_b = betaln(a, sh)
    lo, hi = np.zeros(todo.size), np.ones(todo.size)
    z = np.full(todo.size, 0.5)
    act = np.arange(todo.size)  # rows still iterating
    for _ in range(_ITERATIONS):
        za = z[act]
        zz = np.broadcast_to(za[:, None], (act.size, a.shape[1]))
        w, sa, lb = pm[act], sh[act], log_b[act]
        cdf = w[:, 0] + np.einsum("ij,ij->i", w[:, 1:], betainc(a, sa, zz))
        below = cdf < q
        lo[act] = np.where(below, za, lo[act])
        hi[act] = np.where(below, hi[act], za)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            dens = np.einsum(
                "ij,ij->i",
                w[:, 1:],
                np.exp((a - 1.0) * np.log(zz) + (sa - 1.0) * np.log1p(-zz) - lb),
            )
            step = za - (cdf - q) / dens
        inside = np.isfinite(step) & (step > lo[act]) & (step < hi[act])
        new = np.where(inside, step, 0.5 * (lo[act] + hi[act]))
        done = (np.abs(new - za) <= 1e-15 + 1e-12 * za) | (hi[act] - lo[act] <= 1e-15)
        z[act] = new
        act = act[~done]
        if act.size == 0:
            break
    out[todo] = rate[todo] * z / (1.0 - z)
    return out
