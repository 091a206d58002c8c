"""The summary frame from a reduction, the checks of the cut-offs and the holdout columns.

The in-memory summary (:mod:`customer_models.summary`) and the SQL engine
(:mod:`customer_models.sql`) build their frames here, so columns, dtypes, attrs and errors agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models._reductions import NO_PURCHASE_RULE, Reduced, reduce_purchases
from customer_models._time import TIME_UNIT_DAYS, us_to_datetime
from customer_models._transactions import TransactionLog
from customer_models.exceptions import DataValidationError

__all__ = [
    "add_holdout",
    "check_calibration_end",
    "check_end",
    "holdout_purchases",
    "summary_frame",
    "summary_until",
]


def summary_frame(
    red: Reduced,
    end_period: int,
    freq: str,
    time_unit: str,
    customer_col: str,
    include_first_transaction: bool,
    tz: Any,
) -> pd.DataFrame:
    """Build the summary frame of a reduction at ``end_period`` (the in-memory and SQL paths)."""
    scale = TIME_UNIT_DAYS[freq] / TIME_UNIT_DAYS[time_unit]
    # An owned reduction's arrays become the columns in place (no fresh 80 MB arrays at 10M).
    reuse = red.owned and red.first_period.dtype == np.float64
    recency = np.subtract(
        red.last_period, red.first_period, out=red.last_period if reuse else None, dtype=float
    )
    recency *= scale
    t = np.subtract(
        end_period, red.first_period, out=red.first_period if reuse else None, dtype=float
    )
    t *= scale
    n_periods = red.n_periods
    repeat = np.subtract(n_periods, 1, out=n_periods if red.owned else None)
    count = repeat + 1 if include_first_transaction else repeat
    monetary = None
    if red.total_value is not None and red.first_period_value is not None:
        spare = red.first_period_value if red.owned else None  # free once used here
        numerator = (
            red.total_value
            if include_first_transaction
            else np.subtract(red.total_value, red.first_period_value, out=spare)
        )
        # Mean value per purchase period; 0 for customers without repeat periods.
        has = count > 0
        monetary = np.divide(numerator, count, out=spare, where=has)
        monetary[~has] = 0.0
    frequency = count
    columns: dict[str, Any] = {
        "frequency": frequency.astype(np.int64, copy=False),
        "recency": recency,
        "T": t,
    }
    if monetary is not None:
        columns["monetary_value"] = monetary
    for name, us in (("first_purchase", red.first_us), ("last_purchase", red.last_us)):
        # A naive datetime64 view becomes the column without a copy (an index is copied).
        columns[name] = us.view("datetime64[us]") if tz is None else us_to_datetime(us, tz)
    columns["n_transactions"] = red.n_transactions.astype(np.int64, copy=False)
    if red.total_value is not None:
        columns["total_value"] = red.total_value
    index = red.uniques.rename(customer_col)
    # The columns are this function's own arrays: no copy (a copy is 10% of the time at 10M).
    summary = pd.DataFrame(columns, index=index, copy=False)
    summary.attrs["time_unit"] = time_unit
    summary.attrs["freq"] = freq
    return summary


def summary_until(
    log: TransactionLog,
    end_us: int,
    end_period: int,
    freq: str,
    time_unit: str,
    customer_col: str,
    include_first_transaction: bool,
    periods: np.ndarray | None = None,
) -> tuple[Reduced, pd.DataFrame]:
    """Summarise the rows of ``log`` up to ``end_us`` at ``end_period``; the reduction too.

    ``periods`` (the ``freq`` periods of every row of ``log``, optional) is reused where the
    reduction needs them; the split matches its holdout rows to the returned reduction.
    """
    reduced = reduce_purchases(log, freq, end_us=end_us, periods=periods)
    # the same names, in summary_frame's order
    args = (end_period, freq, time_unit, customer_col, include_first_transaction, log.tz)
    return reduced, summary_frame(reduced, *args)


def check_end(end_us: int, first_us: int, argument: str, date_col: str, n_rows: int) -> None:
    """Refuse an end of data before the first purchase (in memory and in the database)."""
    if end_us < first_us:
        raise DataValidationError(
            f"{argument} ({_show(end_us)}) is before every purchase (the first is "
            f"{_show(first_us)}); nothing is left to summarise.",
            column=date_col,
            rule=f"{argument} >= first purchase",
            n_rows=n_rows,
        )


def check_calibration_end(first_us: int, cal_us: int, end_us: int, date_col: str) -> None:
    """Refuse a calibration end outside ``[first purchase, observation_end)``."""
    if not first_us <= cal_us < end_us:
        raise DataValidationError(
            f"calibration_end ({_show(cal_us)}, the end of its period) must fall between the "
            f"first purchase ({_show(first_us)}) and observation_end ({_show(end_us)}), "
            "in an earlier period than the latter.",
            column=date_col,
            rule="first purchase <= calibration_end < observation_end",
        )


def add_holdout(
    summary: pd.DataFrame,
    n_hold: np.ndarray,
    hold_total: np.ndarray | None,
    holdout_periods: int,
    freq: str,
    time_unit: str,
) -> pd.DataFrame:
    """Add the holdout columns (per customer, in the summary's order) to ``summary``.

    ``n_hold`` and ``hold_total`` are each customer's holdout purchase periods and their total
    value (None without a value column); ``holdout_periods`` is the holdout length in ``freq``
    periods.
    """
    summary["frequency_holdout"] = n_hold
    if hold_total is not None:
        summary["monetary_value_holdout"] = np.divide(
            hold_total, n_hold, out=np.zeros(n_hold.size), where=n_hold > 0
        )
    scale = TIME_UNIT_DAYS[freq] / TIME_UNIT_DAYS[time_unit]
    summary["duration_holdout"] = float(holdout_periods * scale)
    return summary


def _show(us: int) -> str:
    return str(us_to_datetime(np.array([us]))[0])


def holdout_purchases(log: TransactionLog, periods: np.ndarray, freq: str) -> Reduced | None:
    """Reduce the holdout to its purchase periods; None when every one nets to <= 0.

    Refunds alone in the holdout are no purchases: the customers' holdout counts are 0, which
    is an answer, not an error (unlike a whole log without a purchase).
    """
    try:
        return reduce_purchases(log, freq, periods=periods)
    except DataValidationError as err:
        if err.rule != NO_PURCHASE_RULE:
            raise
        return None
