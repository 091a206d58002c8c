"""Per-customer predictive distributions of a fitted purchase model.

What a customer will do in the next ``t`` (not only what is expected): the distribution of the
purchase count ``X(T, T+t)`` (:func:`purchase_pmf`, :func:`purchase_distribution`: quantiles
and P(at least one purchase)), P(alive at ``T + t``) (:func:`probability_alive_at`) and the
time to the next purchase (:func:`next_purchase_cdf`, :func:`next_purchase_quantile`). All are
built on each model's ``probability_of_purchases`` kernel, evaluated once per distinct history
and count; the counts are walked upwards only as far as each customer needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._validation import as_pandas, check_number
from customer_models.exceptions import ParameterError
from customer_models.valuation._bgbb import BetaGeoBetaBinomModel
from customer_models.valuation._bgbb_next_purchase import (
    bgbb_next_purchase_cdf,
    bgbb_next_purchase_quantile,
)
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._discrete import DiscretePurchaseModel
from customer_models.valuation._param_draws import evaluator
from customer_models.valuation._predictive_source import MAX_COUNT, TAIL, pmf_source, scan
from customer_models.valuation._purchase import PurchaseModel

__all__ = [
    "next_purchase_cdf",
    "next_purchase_quantile",
    "purchase_distribution",
    "purchase_pmf",
]

#: Bisection steps in log time for the next-purchase quantile (relative precision ~1e-12).
_BISECTIONS = 50
#: Default horizon of the next-purchase quantile, in multiples of the largest T.
_MAX_TIME_FACTOR = 1e4


def expected_purchases_of(model: Any, data: Any, t: Any) -> np.ndarray:
    """``model.expected_purchases(data, t=t)`` per row, once per distinct history (fast path)."""
    frame = as_pandas(data, what="data")
    if not isinstance(model, PurchaseModel | DiscretePurchaseModel):
        return np.asarray(model.expected_purchases(frame, t=t), dtype=np.float64)
    ev = evaluator(model, frame, "expected_purchases", float(t))
    values = ev.evaluate(model.params_.to_numpy(dtype=np.float64), slice(0, ev.n_patterns))
    return np.asarray(values, dtype=np.float64)[ev.inverse]


def window_expected(model: Any, data: Any, t: Any, start: float = 0.0) -> np.ndarray:
    """``E[X(T + start, T + start + t)]`` per row: ``E[X(start + t)] - E[X(start)]``."""
    total = expected_purchases_of(model, data, float(start) + float(t))
    return total - expected_purchases_of(model, data, start) if start > 0 else total


def per_customer_frame(
    model: Any,
    data: Any,
    t: Any,
    source: Any,
    columns: dict[str, np.ndarray],
    start: float = 0.0,
) -> pd.DataFrame:
    """Return ``expected_purchases`` (if the model has it) and per-pattern ``columns`` per row.

    ``columns`` hold one value per distinct history of ``source``; the frame is on ``data``'s
    index (every customer gets its pattern's values). ``expected_purchases`` is over the window
    ``(T + start, T + start + t]``.
    """
    out: dict[str, np.ndarray] = {}
    if hasattr(model, "expected_purchases"):
        out["expected_purchases"] = window_expected(model, data, t, start)
    out.update({name: values[source.inverse] for name, values in columns.items()})
    return pd.DataFrame(out, index=source.index)


def _checked_levels(quantiles: Any) -> list[float]:
    values = list(np.atleast_1d(np.asarray(quantiles, dtype=object)))
    if not values:
        raise ParameterError("quantiles must hold at least one level in (0, 1).")
    return [
        float(check_number(q, "quantiles", low=0.0, high=1.0 - 1e-9, low_inclusive=False))
        for q in values
    ]


@polars_out
def purchase_pmf(
    model: Any,
    data: Any,
    *,
    t: float,
    start: float = 0.0,
    tail: float = TAIL,
    max_count: int = MAX_COUNT,
) -> pd.DataFrame:
    """Probability of each purchase count in the next ``t``, per customer.

    ``P(X(T, T+t) = k | frequency, recency, T)`` for ``k = 0, 1, ..., K``, where ``K`` is the
    first count after which every customer's remaining mass is below ``tail`` (a customer's
    row is zero past its own stop).

    Parameters
    ----------
    model : fitted purchase model
        BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, or a model with ``probability_of_purchases``.
    data : DataFrame
        Customer summary with the columns the model needs.
    t : float
        Horizon in the model's time unit (whole opportunities for BG/BB), a scalar.
    start : float, default 0.0
        Count the purchases in the later window ``(T + start, T + start + t]`` instead
        (BG/BB: opportunities ``n + start + 1 .. n + start + t``, whole ``start``); BG/NBD,
        MBG/NBD, Pareto/NBD and BG/BB only for ``start > 0`` (closed forms, see
        :mod:`._window_pmf`).
    tail : float, default 1e-10
        Stop a customer's row once ``1 - sum(pmf) < tail`` (1e-13 to 0.5; the kernels sum
        to 1 within about 1e-14).
    max_count : int, default 100,000
        Refuse (naming the customers) rather than walk past this count.

    Returns
    -------
    DataFrame
        One column per count ``0..K`` (integer labels), on ``data``'s index; rows sum to
        ``1 - tail`` or more. Memory is customers × (K + 1): for quantiles on large tables use
        :func:`purchase_distribution`.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import BetaGeoModel, purchase_pmf
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> p = purchase_pmf(bg, pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]}),
    ...                  t=39)
    >>> round(float(p.sum(axis=1).iloc[0]), 9), round(float((p.columns * p.iloc[0]).sum()), 3)
    (1.0, 1.226)
    """
    tol = float(check_number(tail, "tail", low=1e-13, high=0.5))
    cap = int(check_number(max_count, "max_count", low=1, integer=True))
    first = float(check_number(start, "start", low=0.0))
    source = pmf_source(model, data, t, first)
    res = scan(source, source.fixed(), full=True, tail=tol, max_count=cap)
    assert res.pmf is not None
    table = res.pmf[source.inverse]
    return pd.DataFrame(table, index=source.index, columns=pd.RangeIndex(table.shape[1]))


@polars_out
def purchase_distribution(
    model: Any,
    data: Any,
    *,
    t: float,
    start: float = 0.0,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    max_count: int = MAX_COUNT,
) -> pd.DataFrame:
    """Return expected purchases, P(at least one purchase) and count quantiles in the next t.

    Parameters
    ----------
    model, data, t, start
        As in :func:`purchase_pmf` (with ``start``, all columns are of the later window).
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Levels in (0, 1 - 1e-9]; the level-``q`` quantile is the smallest count ``k`` with
        ``P(X <= k) >= q``.
    max_count : int, default 100,000
        Refuse rather than walk past this count.

    Returns
    -------
    DataFrame
        ``expected_purchases`` (when the model has it), ``probability_any`` (``P(X >= 1)``) and
        one column ``q{level}`` per level (e.g. ``q0.95``), on ``data``'s index. Memory is
        O(customers): counts are walked per chunk of distinct histories and each customer
        stops at its highest quantile.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import ParetoNBDModel
    >>> pnbd = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> history = {"frequency": [2], "recency": [30.43], "T": [38.86]}
    >>> purchase_distribution(pnbd, pd.DataFrame(history), t=39).round(3).iloc[0].tolist()
    [1.455, 0.592, 0.0, 1.0, 5.0]
    """
    levels = _checked_levels(quantiles)
    cap = int(check_number(max_count, "max_count", low=1, integer=True))
    first = float(check_number(start, "start", low=0.0))
    source = pmf_source(model, data, t, first)
    res = scan(source, source.fixed(), levels=levels, max_count=cap)
    columns = {"probability_any": np.clip(1.0 - res.p0, 0.0, 1.0)}
    columns.update({f"q{q:g}": v for q, v in zip(levels, res.quantile, strict=True)})
    return per_customer_frame(model, data, t, source, columns, first)


def _no_purchase(model: Any, data: Any) -> tuple[Any, Any, pd.Index]:
    """``(fn(times) -> P(X(T, T+times) = 0) per pattern, inverse, index)`` (continuous models)."""
    if not isinstance(model, PurchaseModel) or type(model)._pmf_kernel is None:
        raise ParameterError(
            "The time to the next purchase needs a continuous-time purchase model with a "
            f"purchase-count pmf (BG/NBD, MBG/NBD, Pareto/NBD); got {type(model).__name__}."
        )
    source = pmf_source(model, data, 0.0)
    x, t_x, T = source.columns
    kernel = type(model)._pmf_kernel
    theta = model.params_.to_numpy(dtype=np.float64)

    def p0(times: np.ndarray) -> np.ndarray:
        return np.asarray(kernel(theta, 0.0, x, t_x, T, times), dtype=np.float64)

    return p0, source.inverse, source.index


@polars_out
def next_purchase_cdf(
    model: PurchaseModel | BetaGeoBetaBinomModel, data: Any, *, t: float
) -> pd.Series:
    """Probability that each customer's next purchase comes within ``t`` after ``T``.

    ``P(next purchase <= T + t) = 1 - P(X(T, T+t) = 0)``, exactly; the distribution is
    defective (a customer who has dropped out never buys again), so it tends to the
    probability of ever buying again, not to 1. For BG/NBD and MBG/NBD it is
    ``P(alive) [1 - ((α+T)/(α+T+t))^(r+x)]`` (see :func:`next_purchase_quantile`), computed
    with ``expm1`` so that it keeps its relative precision for customers unlikely to buy.
    For BG/BB, ``t`` counts opportunities and the CDF is the sum of the closed-form
    probabilities that the next transaction comes at opportunity ``n + i``, ``i = 1..t``
    (:mod:`._bgbb_next_purchase`).

    Parameters
    ----------
    model : fitted BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, GGompertzNBDModel,
        NegativeBinomialModel or BetaGeoBetaBinomModel
    data : DataFrame
        Customer summary (``frequency``, ``recency``, ``T``; BG/BB ``n_periods``).
    t : float
        Time after ``T`` in the model's unit, >= 0 (whole opportunities for BG/BB).

    Returns
    -------
    pandas.Series
        ``next_purchase_cdf`` on ``data``'s index.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import ModifiedBetaGeoModel
    >>> mbg = ModifiedBetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> history = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> round(float(next_purchase_cdf(mbg, history, t=39).iloc[0]), 3)
    0.591
    """
    if isinstance(model, BetaGeoBetaBinomModel):
        frame = as_pandas(data, what="data")
        m = int(check_number(t, "t", low=0, integer=True))
        values = bgbb_next_purchase_cdf(model, frame, m)
        return pd.Series(values, index=frame.index, name="next_purchase_cdf")
    horizon = float(check_number(t, "t", low=0.0))
    if isinstance(model, BetaGeoModel):  # MBG/NBD too
        frame = as_pandas(data, what="data")
        alive, rp, scale = _bg_alive_rate(model, frame)
        values = alive * -np.expm1(-rp * np.log1p(horizon / scale))
        return pd.Series(values, index=frame.index, name="next_purchase_cdf")
    p0, inverse, index = _no_purchase(model, data)
    n = int(inverse.max()) + 1 if inverse.size else 0
    values = 1.0 - p0(np.full(n, horizon))
    return pd.Series(np.clip(values, 0.0, 1.0)[inverse], index=index, name="next_purchase_cdf")


@polars_out
def next_purchase_quantile(
    model: PurchaseModel | BetaGeoBetaBinomModel,
    data: Any,
    *,
    q: float = 0.5,
    max_time: float | None = None,
) -> pd.Series:
    """Time after ``T`` by which each customer has made the next purchase with probability q.

    The smallest ``t`` with ``next_purchase_cdf(t) >= q``. BG/NBD and MBG/NBD in closed form:
    a customer alive at ``T`` who makes no purchase stays alive (dropout happens only at a
    purchase), so ``P(no purchase in t) = 1 - P(alive) + P(alive) ((α+T)/(α+T+t))^(r+x)`` and
    ``t = (α+T) [(1 - q/P(alive))^(-1/(r+x)) - 1]``; Pareto/NBD by bisection in ``log t``
    (50 steps, relative precision about 1e-12) between ``max_time × e^-40`` and ``max_time``.
    BG/BB: the smallest whole number of opportunities, found by walking them upwards.

    Parameters
    ----------
    model, data
        As in :func:`next_purchase_cdf`: a fitted BG/NBD, MBG/NBD, Pareto/NBD, GGompertz/NBD,
        NBD or BG/BB model, and its customer summary.
    q : float, default 0.5
        Probability in (0, 1).
    max_time : float, optional
        Longest time looked at (model units); default 10,000 × the largest ``T`` (BG/BB:
        ``n_periods``, at most 1,000,000 opportunities). Customers
        whose probability of buying within ``max_time`` is below ``q`` get ``inf`` (for
        many, the probability of ever buying again is below ``q``).

    Returns
    -------
    pandas.Series
        ``next_purchase_quantile`` on ``data``'s index (model time units, ``inf`` as above).

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import BetaGeoModel
    >>> from customer_models.valuation import ParetoNBDModel
    >>> m = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> df = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0], "T": [38.86] * 2})
    >>> t_q = next_purchase_quantile(m, df, q=0.25)
    >>> t_q.round(2).tolist()
    [7.38, inf]
    >>> round(float(next_purchase_cdf(m, df.head(1), t=t_q.iloc[0]).iloc[0]), 6)
    0.25
    """
    level = float(
        check_number(q, "q", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    )
    frame = as_pandas(data, what="data")
    if isinstance(model, BetaGeoBetaBinomModel):
        return _bgbb_quantile(model, frame, level, max_time)
    if max_time is None:
        horizon = _MAX_TIME_FACTOR * max(float(frame["T"].max()), 1.0)
    else:
        horizon = float(check_number(max_time, "max_time", low=0.0, low_inclusive=False))
    if isinstance(model, BetaGeoModel):  # MBG/NBD too
        values = _bg_next_purchase_quantile(model, frame, level, horizon)
        return pd.Series(values, index=frame.index, name="next_purchase_quantile")
    p0, inverse, index = _no_purchase(model, data)
    values = _quantile_by_bisection(
        p0, int(inverse.max()) + 1 if inverse.size else 0, horizon, level
    )
    return pd.Series(values[inverse], index=index, name="next_purchase_quantile")


def _bgbb_quantile(model: Any, frame: pd.DataFrame, level: float, max_time: Any) -> pd.Series:
    """BG/BB's next-purchase quantile in whole opportunities (see `next_purchase_quantile`)."""
    top = None if max_time is None else int(check_number(max_time, "max_time", low=1, integer=True))
    values = bgbb_next_purchase_quantile(model, frame, level, top, factor=_MAX_TIME_FACTOR)
    return pd.Series(values, index=frame.index, name="next_purchase_quantile")


def _quantile_by_bisection(p0: Any, n: int, horizon: float, level: float) -> np.ndarray:
    """Smallest ``t`` with ``1 - p0(t) >= level`` per pattern (``inf`` past ``horizon``)."""
    reach = 1.0 - p0(np.full(n, horizon))
    lo = np.full(n, np.log(horizon) - 40.0)
    hi = np.full(n, np.log(horizon))
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        above = 1.0 - p0(np.exp(mid)) >= level
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return np.where(reach >= level, np.exp(hi), np.inf)


def _bg_alive_rate(model: Any, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``P(alive)``, ``r + x`` and ``alpha + T`` of each customer (BG family).

    Alive and not buying in ``t`` has probability ``P(alive) ((alpha+T)/(alpha+T+t))^(r+x)``.
    """
    alive = np.asarray(model.probability_alive(frame), dtype=np.float64)
    r, alpha = (float(v) for v in model.params_.to_numpy(dtype=np.float64)[:2])
    rp = r + frame["frequency"].to_numpy(dtype=np.float64)
    return alive, rp, alpha + frame["T"].to_numpy(dtype=np.float64)


def _bg_next_purchase_quantile(
    model: Any, frame: pd.DataFrame, level: float, horizon: float
) -> np.ndarray:
    """Return the BG family's next-purchase quantile in closed form (`next_purchase_quantile`)."""
    alive, rp, scale = _bg_alive_rate(model, frame)
    reachable = alive > level
    share = np.where(reachable, level / np.where(reachable, alive, 1.0), 0.0)
    with np.errstate(over="ignore"):  # a huge t is past the horizon: inf below
        t = scale * np.expm1(-np.log1p(-share) / rp)
    return np.where(reachable & (t <= horizon), t, np.inf)
