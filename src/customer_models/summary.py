"""The customer summary: from a transaction table to one row per customer.

This is the spine of the library: every model, segmenter and classifier reads it. The one
transaction reader (:mod:`customer_models._transactions`) validates the log; the vectorized
reductions (:mod:`customer_models._reductions`) compute each customer's first and last purchase
period, distinct purchase periods and spend; this module turns them into the summary frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._litt import LOG_INTERPURCHASE_COLUMN, litt_of_log
from customer_models._polars import POLARS_ORIGIN, as_customer_frame, is_polars, polars_out
from customer_models._summary_frame import (
    add_holdout,
    check_calibration_end,
    check_end,
    holdout_purchases,
    summary_until,
)
from customer_models._summary_options import read_log
from customer_models._time import (
    TIME_UNIT_DAYS,
    DateUnit,
    normalize_unit,
    period_codes,
)
from customer_models._transactions import RefundPolicy
from customer_models._validation import check_bool
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from customer_models.typing import DateLike

__all__ = ["TIME_UNIT_DAYS", "calibration_holdout_split", "rfm_summary", "with_time_unit"]


@polars_out
def rfm_summary(
    transactions: Any,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    freq: str = "D",
    time_unit: str | None = None,
    observation_end: DateLike | None = None,
    include_first_transaction: bool = False,
    refunds: RefundPolicy = "error",
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: DateUnit | None = None,
    include_log_interpurchase: bool = False,
) -> pd.DataFrame:
    """Summarise a transaction table into one row per customer (the customer summary).

    Purchases that fall in the same ``freq`` period (the same day by default) collapse into one
    purchase period whose value is their sum.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction. pandas, polars or Arrow tables are accepted (converted once).
    customer_col, date_col : str
        Customer id and transaction date columns. Dates may be datetimes of any resolution
        (timezone-aware dates are summarised on their local clock), date objects, ISO 8601
        strings or strings in one format (see ``date_format`` and ``dayfirst``). Dates far
        from 1970 (a ``9999-12-31`` sentinel) are kept as they are, never wrapped.
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
        End of observation (str, datetime, date, numpy datetime64, Timestamp or Period). It is a
        cut-off: the whole ``freq`` period that contains it is observed, so
        ``observation_end="2024-01-31"`` keeps purchases made at any time on January 31 and
        ``T`` runs to that day. Default: the period of the last transaction.
    include_first_transaction : bool, default False
        If True, ``frequency`` counts every purchase period and ``monetary_value`` averages over
        all of them (lifetimes' option of the same name); BTYD models need the default False.
    refunds : {"error", "drop", "net_period", "net_customer"}, default "error"
        What negative values (refunds, returns) mean. ``"error"`` refuses them; ``"drop"``
        ignores those rows; ``"net_period"`` nets them within their period, and a period with a
        refund is a purchase only if its net value is positive (a refund never adds a
        purchase); ``"net_customer"`` does the same and also subtracts refunds made in other
        periods from the customer's spend (``monetary_value`` may then be <= 0: such customers
        have no valid spend, see :doc:`the summary guide <summary>`). Zero-value orders are
        purchases under every policy.
    date_format : str, optional
        ``strptime`` format of string dates (e.g. ``"%d/%m/%Y"``) or of integer dates
        (``"%Y%m%d"`` for 20240105).
    dayfirst : bool, optional
        Read slash dates day-first (True) or month-first (False). Without it, dates whose order
        is ambiguous are an error that shows two of them.
    date_unit : {"D", "s", "ms", "us", "ns"}, optional
        Unit of numeric dates counted from 1970-01-01. Numeric dates without ``date_unit`` or
        ``date_format`` are an error.
    include_log_interpurchase : bool, default False
        Add ``log_interpurchase_sum``, the sum of the log times between consecutive purchase
        periods (in ``time_unit``; see :func:`~customer_models.log_interpurchase_sum`), the
        column the Erlang-k models (:class:`~customer_models.BetaGeoCNBDModel`) need.

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
        - ``total_value`` (with ``value_col``): sum of all values, the first period included;
        - ``log_interpurchase_sum`` (with ``include_log_interpurchase=True``).

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
    freq, time_unit, log = read_log(transactions, locals())
    end_us = log.end(observation_end, freq)
    check_end(end_us, int(log.us.min()), "observation_end", log.date_col, len(log))
    end_period = int(period_codes(np.array([end_us]), freq)[0])
    litt = None
    if check_bool(include_log_interpurchase, "include_log_interpurchase"):
        # from the log already read, before the summary reuses arrays in place
        litt = litt_of_log(log, end_us, freq, time_unit, refunds, customer_col)
    _, summary = summary_until(
        log, end_us, end_period, freq, time_unit, customer_col, include_first_transaction
    )
    if litt is not None:
        summary[LOG_INTERPURCHASE_COLUMN] = litt.reindex(summary.index).to_numpy()
    return summary


@polars_out
def calibration_holdout_split(
    transactions: Any,
    *,
    calibration_end: DateLike,
    observation_end: DateLike | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    freq: str = "D",
    time_unit: str | None = None,
    include_first_transaction: bool = False,
    refunds: RefundPolicy = "error",
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: DateUnit | None = None,
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
        End of the calibration period, a cut-off like ``observation_end``: the whole ``freq``
        period that contains it belongs to the calibration period.
    observation_end : date-like, optional
        Last day of the holdout period (default: the last date in the data).
    customer_col, date_col, value_col, freq, time_unit, include_first_transaction
        As in :func:`rfm_summary`.
    refunds, date_format, dayfirst, date_unit
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
    freq, time_unit, log = read_log(transactions, locals())
    end_us = log.end(observation_end, freq)
    cal_us = log.cutoff(calibration_end, freq, "calibration_end")
    check_calibration_end(int(log.us.min()), cal_us, end_us, date_col)
    periods = period_codes(log.us, freq)
    cal_period, end_period = (int(p) for p in period_codes(np.array([cal_us, end_us]), freq))
    in_cal = log.us <= cal_us
    reduced, summary = summary_until(
        log,
        cal_us,
        cal_period,
        freq,
        time_unit,
        customer_col,
        include_first_transaction,
        periods,
    )
    # Holdout: purchase periods (and their value) of calibration customers.
    n = len(reduced.uniques)
    n_hold = np.zeros(n, dtype=np.int64)
    hold_total = np.zeros(n)
    in_hold = ~in_cal & (log.us <= end_us)
    if in_hold.any():
        hold_log = log.take(in_hold)
        known = reduced.uniques.get_indexer(hold_log.ids) >= 0
        if known.any():
            hold_log = hold_log.take(known)
            held = holdout_purchases(hold_log, periods[in_hold][known], freq)
            if held is not None:
                position = reduced.uniques.get_indexer(held.uniques)
                n_hold[position] = held.n_periods
                if held.total_value is not None:
                    hold_total[position] = held.total_value
    total = None if value_col is None else hold_total
    return add_holdout(summary, n_hold, total, end_period - cal_period, freq, time_unit)


def with_time_unit(summary: pd.DataFrame, time_unit: str) -> pd.DataFrame:
    """Say in which unit a summary's ``recency`` and ``T`` are (a shallow copy, not mutated).

    :func:`rfm_summary` records the unit in ``summary.attrs["time_unit"]``; pandas keeps it
    through column subsets, ``assign``, ``concat`` and Parquet but drops it in ``join``,
    ``merge`` and CSV. A fitted model refuses a frame whose unit it cannot know, so restore
    the unit after such steps (or state it for a summary built by hand).

    Parameters
    ----------
    summary : DataFrame
        A customer summary. A polars table gives a pandas view indexed by its
        ``customer_id`` column, marked so that the library's functions given it answer in
        polars (polars tables cannot carry the unit themselves).
    time_unit : str
        Its unit (``"D"``, ``"W"``, ``"M"``, ... or any name the model was fitted with, such
        as BG/BB's ``"period"``).

    Returns
    -------
    DataFrame
        The same data (no copy of the values) with ``attrs["time_unit"]`` set.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> with_time_unit(frame, "weeks").attrs["time_unit"], frame.attrs
    ('W', {})
    """
    from_polars = is_polars(summary)
    if from_polars:
        # polars tables carry no attributes: the unit (and the polars origin, so that the
        # functions given this frame answer in polars) travel on a pandas view of it.
        summary = as_customer_frame(summary, "summary")
    if not isinstance(summary, pd.DataFrame):
        raise ParameterError(
            f"summary must be a pandas or polars DataFrame, got {type(summary).__name__}."
        )
    try:
        unit = normalize_unit(time_unit, "time_unit")
    except ParameterError:
        if not isinstance(time_unit, str) or not time_unit:
            raise
        unit = time_unit
    out = summary.copy(deep=False)
    out.attrs = {**summary.attrs, "time_unit": unit}
    if from_polars:
        out.attrs[POLARS_ORIGIN] = True
    return out
