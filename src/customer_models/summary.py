"""The customer summary: from a transaction table to one row per customer.

This is the spine of the library: every model, segmenter and classifier reads it. The work is
done by a vectorized kernel over integer codes (no Python loop per customer):

1. customer ids are factorized once, dates become integer period numbers;
2. per customer, the first and last purchase period, the number of distinct purchase periods
   and the value of the first period are reductions over those codes;
3. the (customer, period) pairs are packed into one integer key and de-duplicated by sorting
   (skipped when the table is already sorted by customer and date).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import (
    as_pandas,
    check_no_missing,
    check_non_negative,
    check_not_empty,
    check_rule,
    ensure_numeric,
    require_columns,
)
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = ["TIME_UNIT_DAYS", "calibration_holdout_split", "rfm_summary"]

#: Length of each supported period or time unit in days (months and years are averages).
TIME_UNIT_DAYS: dict[str, float] = {
    "s": 1.0 / 86_400.0,
    "min": 1.0 / 1_440.0,
    "h": 1.0 / 24.0,
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12.0,
    "Q": 365.25 / 4.0,
    "Y": 365.25,
}
_ALIASES = {
    "d": "D", "day": "D", "days": "D",
    "w": "W", "week": "W", "weeks": "W",
    "m": "M", "month": "M", "months": "M", "ME": "M", "MS": "M",
    "q": "Q", "quarter": "Q", "quarters": "Q", "QE": "Q", "QS": "Q",
    "y": "Y", "year": "Y", "years": "Y", "A": "Y", "YE": "Y", "YS": "Y",
    "H": "h", "hour": "h", "hours": "h",
    "T": "min", "minute": "min", "minutes": "min",
    "S": "s", "second": "s", "seconds": "s",
}  # fmt: skip
_NS_PER_DAY = 86_400 * 10**9


def _unit(name: str, argument: str) -> str:
    unit = _ALIASES.get(name, name)
    if unit not in TIME_UNIT_DAYS:
        raise ParameterError(
            f"{argument}={name!r} is not a supported unit; use one of {list(TIME_UNIT_DAYS)}."
        )
    return unit


@dataclass(frozen=True)
class _Clean:
    """Validated transaction columns as numpy arrays (the caller's frame is never touched)."""

    ids: pd.Series
    ns: np.ndarray  # wall-clock nanoseconds since the epoch, int64
    amounts: np.ndarray | None
    tz: Any


def _to_wall_ns(dates: pd.Series, ids: pd.Series, column: str) -> tuple[np.ndarray, Any]:
    """Dates as int64 wall-clock nanoseconds; timezone-aware dates keep their local clock."""
    if not pd.api.types.is_datetime64_any_dtype(dates):
        parsed = pd.to_datetime(dates, errors="coerce", format="mixed")
        check_rule(
            (parsed.isna() & dates.notna()).to_numpy(),
            ids,
            rule=f"{column} must be a parseable date",
            column=column,
            what="transactions",
        )
        dates = parsed
    check_no_missing(dates, ids, column=column, what="transactions")
    tz = getattr(dates.dt, "tz", None)
    if tz is not None:
        dates = dates.dt.tz_localize(None)  # local wall clock: a purchase at 23:00 stays that day
    return dates.to_numpy(dtype="datetime64[ns]").view(np.int64), tz


def _clean(
    transactions: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    allow_negative: bool,
) -> _Clean:
    df = as_pandas(transactions, what="transactions")
    columns = [customer_col, date_col] + ([value_col] if value_col is not None else [])
    require_columns(df, columns, what="transactions")
    check_not_empty(df, what="transactions")
    ids = df[customer_col]
    check_rule(
        ids.isna().to_numpy(),
        df.index,
        rule=f"{customer_col} must not be missing",
        column=customer_col,
        what="transactions (row labels shown)",
    )
    ns, tz = _to_wall_ns(df[date_col], ids, date_col)
    values = None
    if value_col is not None:
        values = ensure_numeric(df[value_col], ids, column=value_col, what="transactions")
        check_rule(
            ~np.isfinite(values),
            ids,
            rule=f"{value_col} must be finite",
            column=value_col,
            what="transactions",
        )
        if not allow_negative:
            check_non_negative(
                values,
                ids,
                column=value_col,
                what="transactions",
                hint="Pass allow_negative=True if refunds are intended to reduce spend.",
            )
    return _Clean(ids=ids, ns=ns, amounts=values, tz=tz)


def _timestamp_ns(value: Any, tz: Any, argument: str) -> int:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ParameterError(f"{argument}={value!r} is not a parseable date.") from err
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz).tz_localize(None) if tz is not None else ts.tz_localize(None)
    return int(ts.as_unit("ns").value)


def _period_codes(ns: np.ndarray, freq: str) -> np.ndarray:
    """Integer period number of each timestamp (consecutive periods differ by one)."""
    if freq == "D":
        return np.floor_divide(ns, _NS_PER_DAY)
    if freq in ("h", "min", "s"):
        return np.floor_divide(ns, int(TIME_UNIT_DAYS[freq] * _NS_PER_DAY + 0.5))
    # Calendar periods (weeks ending Sunday as in pandas/lifetimes, months, quarters, years).
    index = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    return np.asarray(index.to_period(freq).asi8, dtype=np.int64)


def _period_start_ns(codes: np.ndarray, freq: str) -> np.ndarray:
    if freq == "D":
        return codes * _NS_PER_DAY
    if freq in ("h", "min", "s"):
        return codes * int(TIME_UNIT_DAYS[freq] * _NS_PER_DAY + 0.5)
    periods = pd.PeriodIndex.from_ordinals(codes, freq=freq)
    return np.asarray(periods.start_time.asi8, dtype=np.int64)


@dataclass(frozen=True)
class _Reduced:
    """Per-customer reductions over the transaction codes."""

    uniques: pd.Index
    first_period: np.ndarray
    last_period: np.ndarray
    n_periods: np.ndarray
    n_transactions: np.ndarray
    first_ns: np.ndarray
    last_ns: np.ndarray
    total_value: np.ndarray | None
    first_period_value: np.ndarray | None


def _distinct_periods_per_customer(codes: np.ndarray, periods: np.ndarray, n: int) -> np.ndarray:
    """Count the distinct periods of each customer code in ``0..n-1``.

    (customer, period) pairs are packed into one int64 key and sorted (a SIMD sort, faster than
    a hash table with millions of distinct keys); tables already sorted by customer and date
    skip the sort.
    """
    if codes.size == 0:
        return np.zeros(n, dtype=np.int64)
    offset = periods - periods.min()
    span = int(offset.max()) + 1
    key = codes.astype(np.int64) * span + offset
    if not bool((key[1:] >= key[:-1]).all()):
        key = np.sort(key)
    first_of_run = np.empty(key.size, dtype=bool)
    first_of_run[0] = True
    np.not_equal(key[1:], key[:-1], out=first_of_run[1:])
    return np.bincount(key[first_of_run] // span, minlength=n)


def _reduce(
    ids: pd.Series, ns: np.ndarray, periods: np.ndarray, values: np.ndarray | None
) -> _Reduced:
    codes, uniques = pd.factorize(ids, sort=True)
    n = len(uniques)
    first_period = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_period, codes, periods)
    last_period = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_period, codes, periods)
    first_ns = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_ns, codes, ns)
    last_ns = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_ns, codes, ns)
    n_periods = _distinct_periods_per_customer(codes, periods, n)
    n_transactions = np.bincount(codes, minlength=n)
    total = first_value = None
    if values is not None:
        total = np.bincount(codes, weights=values, minlength=n)
        in_first = periods == first_period[codes]
        first_value = np.bincount(codes, weights=np.where(in_first, values, 0.0), minlength=n)
    return _Reduced(
        pd.Index(uniques),
        first_period,
        last_period,
        n_periods,
        n_transactions,
        first_ns,
        last_ns,
        total,
        first_value,
    )


def _summary_frame(
    red: _Reduced,
    *,
    end_period: int,
    freq: str,
    time_unit: str,
    customer_col: str,
    include_first_transaction: bool,
    tz: Any,
) -> pd.DataFrame:
    scale = TIME_UNIT_DAYS[freq] / TIME_UNIT_DAYS[time_unit]
    repeat = red.n_periods - 1
    frequency = red.n_periods if include_first_transaction else repeat
    columns: dict[str, Any] = {
        "frequency": frequency.astype(np.int64),
        "recency": (red.last_period - red.first_period) * scale,
        "T": (end_period - red.first_period) * scale,
    }
    if red.total_value is not None and red.first_period_value is not None:
        if include_first_transaction:
            numerator, count = red.total_value, red.n_periods
        else:
            numerator, count = red.total_value - red.first_period_value, repeat
        # Mean value per purchase period; 0 for customers without repeat periods.
        columns["monetary_value"] = np.divide(
            numerator, count, out=np.zeros(count.size), where=count > 0
        )
    first = pd.to_datetime(red.first_ns.view("datetime64[ns]"))
    last = pd.to_datetime(red.last_ns.view("datetime64[ns]"))
    if tz is not None:
        first, last = first.tz_localize(tz), last.tz_localize(tz)
    columns["first_purchase"] = first
    columns["last_purchase"] = last
    columns["n_transactions"] = red.n_transactions.astype(np.int64)
    if red.total_value is not None:
        columns["total_value"] = red.total_value
    index = red.uniques.rename(customer_col)
    summary = pd.DataFrame(columns, index=index)
    summary.attrs["time_unit"] = time_unit
    summary.attrs["freq"] = freq
    return summary


def _observation_end_ns(end: Any, ns: np.ndarray, tz: Any) -> int:
    return int(ns.max()) if end is None else _timestamp_ns(end, tz, "observation_end")


def rfm_summary(
    transactions: Any,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    freq: str = "D",
    time_unit: str | None = None,
    observation_end: Any = None,
    include_first_transaction: bool = False,
    allow_negative: bool = False,
) -> pd.DataFrame:
    """Summarise a transaction table into one row per customer (the customer summary).

    Purchases that fall in the same ``freq`` period (the same day by default) collapse into one
    purchase period whose value is their sum.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction. pandas, polars or Arrow tables are accepted (converted once).
    customer_col, date_col : str
        Customer id and transaction date columns. Dates may be datetimes (timezone-aware dates
        are summarised on their local clock) or strings that :func:`pandas.to_datetime` parses.
    value_col : str, optional
        Transaction value column; with it the summary has ``monetary_value`` and
        ``total_value``.
    freq : {"D", "W", "M", "Q", "Y", "h", "min", "s"}, default "D"
        Length of a purchase period. Weeks end on Sunday, as in pandas and lifetimes.
    time_unit : str, optional
        Unit in which ``recency`` and ``T`` are reported (default: ``freq``). Daily periods can
        be reported in fractional weeks with ``freq="D", time_unit="W"``. Months are 365.25/12
        days.
    observation_end : date-like, optional
        End of observation; transactions after it are ignored. Default: the last date in the
        data.
    include_first_transaction : bool, default False
        If True, ``frequency`` counts every purchase period and ``monetary_value`` averages over
        all of them (lifetimes' option of the same name); BTYD models need the default False.
    allow_negative : bool, default False
        Accept negative values (refunds). By default they are an error.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), with columns

        - ``frequency``: repeat purchase periods (distinct periods with a purchase, minus one);
        - ``recency``: BTYD recency, time from the first to the last purchase period. This is
          *not* marketing recency; time since the last purchase is ``T - recency``;
        - ``T``: time from the first purchase period to ``observation_end``;
        - ``monetary_value`` (with ``value_col``): mean value of the repeat periods (the first
          period excluded), 0 when ``frequency`` is 0;
        - ``first_purchase``, ``last_purchase``: timestamps of the first and last transaction;
        - ``n_transactions``: number of transaction rows (before periods collapse);
        - ``total_value`` (with ``value_col``): sum of all values, the first period included.

        ``attrs["time_unit"]`` records the unit of ``recency`` and ``T``; ``attrs["freq"]`` the
        period.

    Raises
    ------
    MissingColumnError
        A named column is absent (the message suggests the closest one).
    DataValidationError
        Missing ids or dates, unparseable dates, non-numeric, missing or negative values, an
        empty table, or an ``observation_end`` before every purchase.

    See Also
    --------
    calibration_holdout_split : the summary of a calibration period plus holdout outcomes.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models import rfm_summary
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]),
    ...     "amount": [10.0, 5.0, 20.0, 7.0],
    ... })
    >>> rfm_summary(tx, value_col="amount", observation_end="2024-01-29")[
    ...     ["frequency", "recency", "T", "monetary_value"]]
                 frequency  recency     T  monetary_value
    customer_id
    a                    1     14.0  28.0            20.0
    b                    0      0.0  21.0             0.0

    Daily periods reported in weeks reproduce the published CDNOW summary:

    >>> from customer_models import load_cdnow_transactions
    >>> summary = rfm_summary(load_cdnow_transactions(sample=True), value_col="amount",
    ...                       time_unit="W", observation_end="1997-09-30")
    >>> summary.loc[1, ["frequency", "recency", "T"]].round(2).tolist()
    [2.0, 30.43, 38.86]
    """
    freq = _unit(freq, "freq")
    time_unit = freq if time_unit is None else _unit(time_unit, "time_unit")
    clean = _clean(transactions, customer_col, date_col, value_col, allow_negative)
    end_ns = _observation_end_ns(observation_end, clean.ns, clean.tz)
    keep = clean.ns <= end_ns
    if not keep.any():
        raise DataValidationError(
            f"observation_end {pd.Timestamp(end_ns)} is before every purchase (the first is "
            f"{pd.Timestamp(int(clean.ns.min()))}); nothing is left to summarise.",
            column=date_col,
            rule="observation_end >= first purchase",
            n_rows=len(keep),
        )
    ids, ns = clean.ids, clean.ns
    values = clean.amounts
    if not keep.all():
        ids, ns = ids[keep], ns[keep]
        values = values[keep] if values is not None else None
    periods = _period_codes(ns, freq)
    end_period = int(_period_codes(np.array([end_ns], dtype=np.int64), freq)[0])
    reduced = _reduce(ids, ns, periods, values)
    return _summary_frame(
        reduced,
        end_period=end_period,
        freq=freq,
        time_unit=time_unit,
        customer_col=customer_col,
        include_first_transaction=include_first_transaction,
        tz=clean.tz,
    )


def calibration_holdout_split(
    transactions: Any,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    freq: str = "D",
    time_unit: str | None = None,
    include_first_transaction: bool = False,
    allow_negative: bool = False,
) -> pd.DataFrame:
    """Summarise a calibration period and count what each customer did in the holdout period.

    Customers are those whose first purchase is on or before ``calibration_end``; the
    calibration summary is :func:`rfm_summary` with ``observation_end=calibration_end``. The
    holdout period is ``(calibration_end, observation_end]``.

    Parameters
    ----------
    transactions : DataFrame
        As in :func:`rfm_summary`.
    calibration_end : date-like
        Last day of the calibration period.
    observation_end : date-like, optional
        Last day of the holdout period (default: the last date in the data).
    customer_col, date_col, value_col, freq, time_unit, include_first_transaction, allow_negative
        As in :func:`rfm_summary`.

    Returns
    -------
    DataFrame
        The calibration summary (columns of :func:`rfm_summary`) plus

        - ``frequency_holdout``: purchase periods in the holdout period;
        - ``monetary_value_holdout`` (with ``value_col``): mean value of those periods, 0 if
          none (lifetimes averages over transaction rows instead; we average over periods, as
          the calibration ``monetary_value`` does);
        - ``duration_holdout``: length of the holdout period in ``time_unit``.

    Raises
    ------
    DataValidationError
        ``calibration_end`` before the first purchase or not before ``observation_end``, and the
        errors of :func:`rfm_summary`.

    Examples
    --------
    >>> from customer_models import calibration_holdout_split, load_cdnow_transactions
    >>> data = calibration_holdout_split(
    ...     load_cdnow_transactions(sample=True), value_col="amount", time_unit="W",
    ...     calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> len(data), round(float(data["duration_holdout"].iloc[0]), 2)
    (2357, 39.0)
    >>> int(data["frequency_holdout"].sum())
    1882
    """
    freq = _unit(freq, "freq")
    time_unit = freq if time_unit is None else _unit(time_unit, "time_unit")
    clean = _clean(transactions, customer_col, date_col, value_col, allow_negative)
    end_ns = _observation_end_ns(observation_end, clean.ns, clean.tz)
    cal_ns = _timestamp_ns(calibration_end, clean.tz, "calibration_end")
    first_ns = int(clean.ns.min())
    if not first_ns <= cal_ns < end_ns:
        raise DataValidationError(
            f"calibration_end {pd.Timestamp(cal_ns)} must fall between the first purchase "
            f"({pd.Timestamp(first_ns)}) and observation_end ({pd.Timestamp(end_ns)}), "
            "before the latter.",
            column=date_col,
            rule="first purchase <= calibration_end < observation_end",
        )
    periods = _period_codes(clean.ns, freq)
    cal_period = int(_period_codes(np.array([cal_ns], dtype=np.int64), freq)[0])
    end_period = int(_period_codes(np.array([end_ns], dtype=np.int64), freq)[0])
    in_cal = clean.ns <= cal_ns
    values = clean.amounts
    reduced = _reduce(
        clean.ids[in_cal],
        clean.ns[in_cal],
        periods[in_cal],
        values[in_cal] if values is not None else None,
    )
    summary = _summary_frame(
        reduced,
        end_period=cal_period,
        freq=freq,
        time_unit=time_unit,
        customer_col=customer_col,
        include_first_transaction=include_first_transaction,
        tz=clean.tz,
    )
    # Holdout: distinct purchase periods (and their value) of calibration customers.
    in_hold = ~in_cal & (clean.ns <= end_ns)
    hold_codes = reduced.uniques.get_indexer(clean.ids[in_hold])
    known = hold_codes >= 0
    hold_codes = hold_codes[known].astype(np.int64)
    hold_periods = periods[in_hold][known]
    n = len(reduced.uniques)
    n_hold = _distinct_periods_per_customer(hold_codes, hold_periods, n)
    summary["frequency_holdout"] = n_hold.astype(np.int64)
    if values is not None:
        hold_total = np.bincount(hold_codes, weights=values[in_hold][known], minlength=n)
        summary["monetary_value_holdout"] = np.divide(
            hold_total, n_hold, out=np.zeros(n), where=n_hold > 0
        )
    scale = TIME_UNIT_DAYS[freq] / TIME_UNIT_DAYS[time_unit]
    summary["duration_holdout"] = float((end_period - cal_period) * scale)
    return summary
