"""Public functions of :mod:`customer_models.sql`: the summary of an Ibis table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models import summary as _memory
from customer_models._summary_frame import (
    add_holdout,
    check_calibration_end,
    check_end,
    summary_frame,
)
from customer_models._summary_options import (
    ParsedSplitOptions,
    ParsedSummaryOptions,
    same_keywords,
)
from customer_models._transactions import READER_OPTIONS
from customer_models.sql._read import CID, PERIOD, Prepared, prepare
from customer_models.sql._summary import (
    end_of,
    no_purchase_error,
    per_customer,
    reduced_from,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["calibration_holdout_split", "rfm_summary"]


#: The keywords that go to :func:`~customer_models.sql._read.prepare` as they are.
_PREPARE = (*READER_OPTIONS, "freq", "time_unit")


def _read(table: Any, options: Mapping[str, Any]) -> Prepared:
    return prepare(table, **{name: options[name] for name in _PREPARE})


def _frame(
    prepared: Prepared, fetched: pd.DataFrame, end_period: int, options: Mapping[str, Any]
) -> Any:
    return summary_frame(
        reduced_from(fetched, prepared),
        end_period=end_period,
        freq=prepared.freq,
        time_unit=prepared.time_unit,
        tz=None,
        customer_col=options["customer_col"],
        include_first_transaction=options["include_first_transaction"],
    )


@same_keywords(_memory.rfm_summary, first="table", drop=("include_log_interpurchase",))
def rfm_summary(table: Any, **options: Unpack[ParsedSummaryOptions]) -> pd.DataFrame:
    """Summarise a transaction table in its database: one SQL query, one row per customer back.

    The same summary as :func:`customer_models.rfm_summary` (same conventions, columns, dtypes,
    index and attrs), computed where the table lives: the database groups the rows by customer
    and purchase period and only the per-customer rows are fetched.

    Parameters
    ----------
    table : ibis.expr.types.Table
        One row per transaction, on any Ibis backend (DuckDB, PostgreSQL, BigQuery,
        Snowflake, ...).
    customer_col, date_col : str
        Customer id and date columns. Dates must be timestamps without time zone or dates
        (cast strings or numbers in Ibis first; zoned timestamps are refused, see the guide).
    value_col : str, optional
        Numeric transaction value column.
    freq, time_unit, observation_end, include_first_transaction, refunds
        As in :func:`customer_models.rfm_summary`; every ``freq`` and ``time_unit`` is
        supported.
    date_format, dayfirst, date_unit
        Not supported on a database table (a clear error unless None): convert the column in
        Ibis instead.

    Returns
    -------
    DataFrame
        The columns of :func:`customer_models.rfm_summary`, indexed by customer id (sorted).

    Raises
    ------
    MissingColumnError
        A named column is absent.
    DataValidationError
        The errors of :func:`customer_models.rfm_summary` (missing ids, dates or values,
        non-finite or, with ``refunds="error"``, negative values, an empty table), found by an
        aggregate query; also a date column of another type, or with a time zone.
    ParameterError
        A table that is not an Ibis table, an unknown unit or policy, ``date_format``,
        ``dayfirst`` or ``date_unit``.

    Examples
    --------
    >>> import pandas as pd
    >>> import customer_models.sql as cms
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]),
    ...     "amount": [10.0, 5.0, 20.0, 7.0],
    ... })
    >>> table = cms.memtable(tx)  # or con.table("tx") on a connection
    >>> cms.rfm_summary(table, value_col="amount", observation_end="2024-01-29")[
    ...     ["frequency", "recency", "T", "monetary_value"]]
                 frequency  recency     T  monetary_value
    customer_id
    a                    1     14.0  28.0            20.0
    b                    0      0.0  21.0             0.0
    """
    prepared = _read(table, options)
    date_col, value_col = options["date_col"], options["value_col"]
    end_us, end_period = end_of(prepared, options["observation_end"])
    check_end(end_us, prepared.first_us, "observation_end", date_col, prepared.n_rows)
    rows = prepared.table.filter(prepared.table[PERIOD] <= end_period)
    fetched = per_customer(rows, prepared).to_pyarrow().to_pandas()
    if len(fetched) == 0:
        raise no_purchase_error(value_col, int(rows.count().to_pyarrow().as_py()))
    return _frame(prepared, fetched, end_period, options)


@same_keywords(_memory.calibration_holdout_split, first="table")
def calibration_holdout_split(table: Any, **options: Unpack[ParsedSplitOptions]) -> pd.DataFrame:
    """Calibration summary plus holdout outcomes of a database table, in one SQL query.

    The same frame as :func:`customer_models.calibration_holdout_split`: customers whose first
    purchase is on or before ``calibration_end``, their calibration summary, and their purchase
    periods (and mean period value) in ``(calibration_end, observation_end]``.

    Parameters
    ----------
    table : ibis.expr.types.Table
        As in :func:`rfm_summary`.
    calibration_end : date-like
        End of the calibration period (its whole ``freq`` period).
    observation_end : date-like, optional
        Last day of the holdout period (default: the last date in the data).
    customer_col, date_col, value_col, freq, time_unit, include_first_transaction, refunds
        As in :func:`rfm_summary`.
    date_format, dayfirst, date_unit
        Not supported (see :func:`rfm_summary`).

    Returns
    -------
    DataFrame
        The columns of :func:`customer_models.calibration_holdout_split`.

    Raises
    ------
    DataValidationError
        The errors of :func:`customer_models.calibration_holdout_split` (a ``calibration_end``
        outside the data's span among them) and of :func:`rfm_summary`.

    Examples
    --------
    >>> import customer_models.sql as cms
    >>> from customer_models import load_cdnow_transactions
    >>> table = cms.memtable(load_cdnow_transactions(sample=True))
    >>> data = cms.calibration_holdout_split(
    ...     table, value_col="amount", time_unit="W",
    ...     calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> len(data), int(data["frequency_holdout"].sum())
    (2357, 1882)
    """
    prepared = _read(table, options)
    end_us, end_period = end_of(prepared, options["observation_end"])
    cal_us, cal_period = end_of(prepared, options["calibration_end"], "calibration_end")
    check_calibration_end(prepared.first_us, cal_us, end_us, options["date_col"])
    rows, period = prepared.table, prepared.table[PERIOD]
    calibration = per_customer(rows.filter(period <= cal_period), prepared)
    hold = per_customer(
        rows.filter((period > cal_period) & (period <= end_period)), prepared, buyers_only=False
    )
    hold_columns = {"h_id": hold[CID], "h_n": hold.n_periods}
    if prepared.has_value:
        hold_columns["h_total"] = hold.total
    hold = hold.select(**hold_columns)
    joined = calibration.left_join(hold, calibration[CID] == hold.h_id)
    fetched = joined.drop("h_id").to_pyarrow().to_pandas()
    summary = _frame(prepared, fetched, cal_period, options)
    # Holdout columns, in the summary's (sorted) order.
    fetched = fetched.set_index(CID).reindex(summary.index)
    n_hold = fetched["h_n"].fillna(0).to_numpy(dtype=np.int64)
    hold_total = None
    if prepared.has_value:
        hold_total = fetched["h_total"].fillna(0.0).to_numpy(dtype=np.float64)
    periods = end_period - cal_period
    return add_holdout(summary, n_hold, hold_total, periods, prepared.freq, prepared.time_unit)
