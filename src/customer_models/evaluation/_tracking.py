"""Cohort tracking: expected vs actual repeat transactions per period (R BTYD's conventions)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import (
    as_pandas,
    check_no_missing,
    check_rule,
    require_columns,
)
from customer_models.exceptions import ParameterError
from customer_models.valuation._clv import _model_unit, _period_days

__all__ = ["transaction_tracking"]

_NS_PER_DAY = 86_400 * 10**9


def _days(ns: np.ndarray) -> np.ndarray:
    """Whole days since the epoch of datetime64[ns] values (floor)."""
    return np.floor_divide(ns, _NS_PER_DAY)


def _as_ns(values: pd.Series, ids: Any, column: str, what: str) -> np.ndarray:
    dates = pd.to_datetime(values, errors="coerce")
    bad = dates.isna().to_numpy() & values.notna().to_numpy()
    check_rule(bad, ids, rule=f"{column} must be a date", column=column, what=what)
    check_no_missing(dates, ids, column=column, what=what)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def transaction_tracking(
    model: Any,
    data: Any,
    transactions: Any,
    *,
    period: str | None = None,
    origin: Any = None,
    end: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    model_time_unit: str | None = None,
) -> pd.DataFrame:
    """Compare expected and actual repeat transactions of a cohort, period by period.

    The cohort is the customers of ``data``. Each customer's birth is their first purchase day
    (``data["first_purchase"]`` if present, else the earliest date in ``transactions``); the
    expected cumulative repeat transactions at time ``t`` are
    ``Σ_i E[X(t − birth_i)]`` over customers born before ``t``, with ``E[X(·)]`` the model's
    expectation for a new customer (R BTYD's ``pnbd.ExpectedCumulativeTransactions``). Actual
    repeat transactions are the customers' distinct purchase days after their first one
    (``dc.SplitUpElogForRepeatTrans`` on a same-day-merged log).

    Parameters
    ----------
    model : fitted valuation model
        Must have ``expected_purchases_new_customer(t=...)``.
    data : DataFrame
        The cohort's summary, indexed by customer id.
    transactions : DataFrame
        Transaction log with ``customer_col`` and ``date_col``; customers outside ``data`` are
        ignored.
    period : str, optional
        Length of a tracking period (``"D"``, ``"W"``, ``"M"``, ``"7D"``...). Default: the
        model's time unit.
    origin : date-like, optional
        Start of period 1. Default: the cohort's first purchase day.
    end : date-like, optional
        Last day tracked. Default: the last transaction date; the grid is rounded up to whole
        periods.
    customer_col, date_col : str
        Columns of ``transactions``.
    model_time_unit : str, optional
        Unit of the model's ``t`` (default ``model.time_unit_``).

    Returns
    -------
    DataFrame
        One row per period ``1..n`` (index ``period``) with ``start`` and ``end`` (Timestamps,
        end exclusive), ``t`` (period end in model units since ``origin``), ``actual``,
        ``expected`` (incremental) and ``actual_cumulative``, ``expected_cumulative``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class OnePerWeek:  # a new customer makes one repeat purchase per week
    ...     time_unit_ = "W"
    ...     params_ = pd.Series({"rate": 1.0})
    ...     def expected_purchases_new_customer(self, *, t):
    ...         return np.asarray(t, dtype=float)
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-08"])})
    >>> data = pd.DataFrame(index=pd.Index([1, 2], name="customer_id"))
    >>> transaction_tracking(OnePerWeek(), data, tx)[["actual", "expected_cumulative"]]
            actual  expected_cumulative
    period
    1            0                  1.0
    2            1                  3.0
    """
    frame = as_pandas(data, what="data")
    tx = as_pandas(transactions, what="transactions")
    require_columns(tx, [customer_col, date_col], what="transactions")
    unit = _model_unit(model, model_time_unit)
    unit_days = _period_days(unit, "model_time_unit")
    period_days = _period_days(period if period is not None else unit, "period")
    if unit_days is None or period_days is None:
        raise ParameterError(
            f"Tracking needs calendar units; got model unit {unit!r} and period {period!r}."
        )
    tx = tx.loc[tx[customer_col].isin(frame.index), [customer_col, date_col]]
    check_no_missing(tx[customer_col], tx[customer_col], column=customer_col, what="transactions")
    ns = _as_ns(tx[date_col], tx[customer_col].to_numpy(), date_col, "transactions")
    codes, uniques = pd.factorize(tx[customer_col])
    day = _days(ns)
    log = pd.DataFrame({"c": codes, "day": day}).drop_duplicates()
    first_tx = log.groupby("c", sort=False)["day"].transform("min").to_numpy()
    if "first_purchase" in frame.columns:
        first_ns = _as_ns(frame["first_purchase"], frame.index, "first_purchase", "data")
        birth_day = _days(first_ns)
    else:
        known = pd.Series(first_tx, index=log["c"].to_numpy()).groupby(level=0).min()
        birth_by_code = pd.Series(known.to_numpy(), index=uniques[known.index.to_numpy()])
        aligned = birth_by_code.reindex(frame.index)
        check_rule(
            aligned.isna().to_numpy(),
            frame.index,
            rule="every customer of data has a transaction",
            what="transactions",
            hint="Pass the transactions the summary was built from, or add 'first_purchase'.",
        )
        birth_day = aligned.to_numpy(dtype=np.int64)
    repeat_days = log["day"].to_numpy()[log["day"].to_numpy() > first_tx]

    origin_day = (
        int(birth_day.min())
        if origin is None
        else int(_days(np.array([pd.Timestamp(origin).value]))[0])
    )
    last_day = int(day.max()) if day.size else int(birth_day.max())
    end_day = last_day if end is None else int(_days(np.array([pd.Timestamp(end).value]))[0])
    n_periods = max(1, int(np.ceil((end_day + 1 - origin_day) / period_days - 1e-9)))

    offsets = (repeat_days - origin_day) / period_days
    keep = (offsets >= 0) & (offsets < n_periods)
    actual = np.bincount(np.floor(offsets[keep]).astype(np.int64), minlength=n_periods)

    ratio = period_days / unit_days
    grid = np.arange(1, n_periods + 1) * ratio  # period ends in model units since origin
    births, counts = np.unique((birth_day - origin_day) / unit_days, return_counts=True)
    ages = grid[None, :] - births[:, None]
    positive = ages > 0
    expected_matrix = np.zeros(ages.shape)
    if positive.any():
        values = model.expected_purchases_new_customer(t=ages[positive])
        expected_matrix[positive] = np.asarray(values, dtype=np.float64)
    expected_cum = counts @ expected_matrix
    starts = pd.Timestamp(origin_day * _NS_PER_DAY) + pd.to_timedelta(
        np.arange(n_periods) * period_days, unit="D"
    )
    out = pd.DataFrame(
        {
            "start": starts,
            "end": starts + pd.Timedelta(days=period_days),
            "t": grid,
            "actual": actual.astype(np.int64),
            "expected": np.diff(expected_cum, prepend=0.0),
            "actual_cumulative": np.cumsum(actual).astype(np.int64),
            "expected_cumulative": expected_cum,
        },
        index=pd.RangeIndex(1, n_periods + 1, name="period"),
    )
    return out
