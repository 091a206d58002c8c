"""Cohort tracking: expected vs actual repeat transactions per period (R BTYD's conventions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._time import (
    US_PER_DAY,
    cutoff_us,
    parse_date_column,
    to_instant_us,
    us_to_datetime,
)
from customer_models._transactions import read_with
from customer_models._validation import as_pandas, check_rule, require_columns
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.valuation._clv import _model_unit, _period_days

if TYPE_CHECKING:
    from customer_models.typing import DateLike


__all__ = ["TrackingOptions", "transaction_tracking"]


class TrackingOptions(TypedDict, total=False):
    """The keywords of :func:`transaction_tracking` after its tables, which the plot passes on."""

    period: str | None
    start: DateLike | None
    end: DateLike | None
    customer_col: str
    date_col: str
    model_time_unit: str | None
    date_format: str | None
    dayfirst: bool | None


#: Most (birth day x period) model evaluations :func:`transaction_tracking` makes: 20 per
#: customer or transaction row, at least 1,000,000 and at most 50,000,000.
CELLS_PER_ROW = 20
MIN_TRACKING_CELLS = 1_000_000
MAX_TRACKING_CELLS = 50_000_000
_MISSING = np.iinfo(np.int64).min


def _day(us: int) -> str:
    return str(us_to_datetime(np.array([us], dtype=np.int64))[0].date())


def _refuse_long_grid(
    n_births: int,
    n_periods: int,
    n_rows: int,
    tx_day: np.ndarray,
    tx_ids: np.ndarray,
    birth_day: np.ndarray,
    data_ids: Any,
    date_col: str,
) -> None:
    """Refuse a grid far longer than the data warrants, naming the rows at both ends."""
    cells = n_births * n_periods
    limit = min(MAX_TRACKING_CELLS, max(MIN_TRACKING_CELLS, CELLS_PER_ROW * n_rows))
    if cells <= limit:
        return
    first = int(birth_day.min())
    last = int(tx_day.max()) if tx_day.size else first
    late = tx_ids[tx_day == last][:3].tolist() if tx_day.size else []
    check_rule(
        birth_day == first,
        data_ids,
        rule=f"the tracking grid has at most {limit:,} (birth day x period) cells",
        column=date_col,
        what="data",
        hint=(
            f"Tracking from {_day(first * US_PER_DAY)} to {_day(last * US_PER_DAY)} needs "
            f"{n_births:,} birth days x {n_periods:,} periods = {cells:,} model evaluations; "
            f"the last transactions are those of customers {late}. A placeholder date "
            "(1900-01-01, 9999-12-31) is usually the cause: remove such rows, or pass "
            "start= and end=."
        ),
    )


@polars_out
def transaction_tracking(
    model: Any,
    data: Any,
    transactions: Any,
    *,
    period: str | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    model_time_unit: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
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
    start : date-like, optional
        Start of period 1 (the start of its day). Default: the cohort's first purchase day.
    end : date-like, optional
        Last day tracked, a cut-off: purchases at any time on that day count (a
        ``pd.Period`` means its last day). Default: the last transaction date; the grid is
        rounded up to whole periods.
    customer_col, date_col : str
        Columns of ``transactions``. Dates are read as in
        :func:`~customer_models.rfm_summary` (timezone-aware dates on their local clock,
        dates far from 1970 kept, never wrapped).
    model_time_unit : str, optional
        Unit of the model's ``t`` (default ``model.time_unit_``).
    date_format, dayfirst
        How string (or integer) dates of ``transactions`` and of ``data["first_purchase"]``
        are read, as in :func:`~customer_models.rfm_summary`.

    Returns
    -------
    DataFrame
        One row per period ``1..n`` (index ``period``) with ``start`` and ``end`` (Timestamps,
        end exclusive), ``t`` (period end in model units since ``start``), ``actual``,
        ``expected`` (incremental) and ``actual_cumulative``, ``expected_cumulative``.

    Raises
    ------
    DataValidationError
        Bad dates, customers of ``data`` without a transaction (and no ``first_purchase``),
        or a grid of (birth day x period) model evaluations far larger than the data (more
        than 20 per customer or transaction, at least 1,000,000, at most 50,000,000): a
        placeholder date such as 9999-12-31 is the usual cause.

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
    if len(frame) == 0:
        raise DataValidationError(
            "data has no customers: tracking needs the cohort's summary (one row per customer).",
            rule="data has at least one customer",
        )
    cohort_rows = tx[customer_col].isin(frame.index).to_numpy()
    tz: Any = None
    if cohort_rows.any():
        log = read_with(tx.loc[cohort_rows, [customer_col, date_col]], locals())
        tx_ids, day, tz = log.ids.to_numpy(), np.floor_divide(log.us, US_PER_DAY), log.tz
    else:
        tx_ids, day = tx[customer_col].to_numpy()[:0], np.zeros(0, dtype=np.int64)
    codes, uniques = pd.factorize(tx_ids)
    days = pd.DataFrame({"c": codes, "day": day}).drop_duplicates()
    first_tx = days.groupby("c", sort=False)["day"].transform("min").to_numpy()
    if "first_purchase" in frame.columns:
        first_us, first_tz = parse_date_column(
            frame["first_purchase"],
            "first_purchase",
            date_format=date_format,
            dayfirst=dayfirst,
            ids=frame.index,
        )
        check_rule(
            first_us == _MISSING,
            frame.index,
            rule="first_purchase must not be missing",
            column="first_purchase",
            what="data",
        )
        birth_day = np.floor_divide(first_us, US_PER_DAY)
        tz = tz if tz is not None else first_tz
    else:
        known = pd.Series(first_tx, index=days["c"].to_numpy()).groupby(level=0).min()
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
    repeat_days = days["day"].to_numpy()[days["day"].to_numpy() > first_tx]

    if start is None:
        origin_day = int(birth_day.min())
    else:
        origin_day = int(np.floor_divide(to_instant_us(start, "start", tz=tz), US_PER_DAY))
    last_day = int(day.max()) if day.size else int(birth_day.max())
    if end is None:
        end_day = last_day
    else:
        end_day = int(np.floor_divide(cutoff_us(end, "D", "end", tz=tz), US_PER_DAY))
    n_periods = max(1, int(np.ceil((end_day + 1 - origin_day) / period_days - 1e-9)))
    n_births = int(np.unique(birth_day).size)
    _refuse_long_grid(
        n_births, n_periods, max(len(frame), day.size), day, tx_ids, birth_day, frame.index,
        date_col,
    )  # fmt: skip

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
    start_us = origin_day * US_PER_DAY + np.round(
        np.arange(n_periods + 1) * period_days * US_PER_DAY
    ).astype(np.int64)
    bounds = us_to_datetime(start_us)
    out = pd.DataFrame(
        {
            "start": bounds[:-1],
            "end": bounds[1:],
            "t": grid,
            "actual": actual.astype(np.int64),
            "expected": np.diff(expected_cum, prepend=0.0),
            "actual_cumulative": np.cumsum(actual).astype(np.int64),
            "expected_cumulative": expected_cum,
        },
        index=pd.RangeIndex(1, n_periods + 1, name="period"),
    )
    return out
