"""The one transaction reader: ids, dates, values and the refunds policy.

Every function that takes a transaction log (the summary, churn features, behaviour features,
lifecycle stages over time, cohort retention, tracking, loyalty, the Dask paths) reads it here,
so ids, dates (through :mod:`customer_models._time`) and values obey the same rules everywhere.
The caller's frame is never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from customer_models._time import cutoff_us, parse_date_column
from customer_models._validation import (
    as_pandas,
    check_not_empty,
    check_rule,
    ensure_numeric,
    require_columns,
)
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = [
    "PARSING_OPTIONS",
    "READER_OPTIONS",
    "REFUND_POLICIES",
    "RefundPolicy",
    "TransactionLog",
    "read_transactions",
    "read_with",
]

#: The options that only parse dates (engines that read typed dates do not take them).
PARSING_OPTIONS = ("date_format", "dayfirst", "date_unit")
#: The reader's options that the public functions take under the same names.
READER_OPTIONS = ("customer_col", "date_col", "value_col", "refunds", *PARSING_OPTIONS)

#: How negative values (refunds, returns) are treated. See :func:`read_transactions`.
RefundPolicy = Literal["error", "drop", "net_period", "net_customer"]
REFUND_POLICIES: tuple[str, ...] = ("error", "drop", "net_period", "net_customer")


@dataclass(frozen=True)
class TransactionLog:
    """Validated transaction columns, aligned row by row with the caller's frame."""

    frame: pd.DataFrame
    ids: pd.Series
    us: np.ndarray  # int64 wall-clock microseconds since the epoch
    amounts: np.ndarray | None
    tz: Any
    customer_col: str
    date_col: str
    value_col: str | None
    refunds: str
    rows: np.ndarray | None = None  # positions in ``frame`` of the kept rows (None: all)

    def __len__(self) -> int:
        return int(self.us.size)

    def cutoff(self, value: Any, freq: str, argument: str) -> int:
        """Return the last microsecond of the ``freq`` period containing the cut-off ``value``."""
        return cutoff_us(value, freq, argument, tz=self.tz)

    def end(self, value: Any, freq: str, argument: str = "observation_end") -> int:
        """Return the observation end: ``value`` as a cut-off, else the last period."""
        if value is None:
            value = pd.Timestamp(int(self.us.max()), unit="us")
        return self.cutoff(value, freq, argument)

    def column(self, name: str) -> pd.Series:
        """Return another column of the caller's frame, on the kept rows."""
        series = self.frame[name]
        return series if self.rows is None else series.iloc[self.rows]

    def take(self, mask: np.ndarray) -> TransactionLog:
        """Keep the rows where ``mask`` is true."""
        if bool(mask.all()):
            return self
        rows = np.flatnonzero(mask) if self.rows is None else self.rows[mask]
        return replace(
            self,
            ids=self.ids[mask],
            us=self.us[mask],
            amounts=None if self.amounts is None else self.amounts[mask],
            rows=rows,
        )


def _finite_values(column: pd.Series, ids: pd.Series, name: str, what: str) -> np.ndarray:
    """Return the value column as float64; refuse it unless numeric, present and finite.

    A float column whose sum is finite has no NaN or infinity (either would make the sum
    NaN or infinite): one reduction instead of row-sized masks on the common path.
    """
    if isinstance(column.dtype, np.dtype) and column.dtype == np.float64:
        values = column.to_numpy()
        if np.isfinite(values.sum()):
            return values
    values = ensure_numeric(column, ids, column=name, what=what)
    check_rule(~np.isfinite(values), ids, rule=f"{name} must be finite", column=name, what=what)
    return values


def read_with(transactions: Any, arguments: Mapping[str, Any], **overrides: Any) -> TransactionLog:
    """Read ``transactions`` with the reader's options a public function was given.

    ``arguments`` are the caller's parameters (its ``locals()``); the :data:`READER_OPTIONS`
    among them go to :func:`read_transactions` (one spelling of the list for every function
    that reads a log), ``overrides`` (e.g. ``columns=``, a fixed ``refunds=``) on top.
    """
    options = {name: arguments[name] for name in READER_OPTIONS if name in arguments}
    return read_transactions(transactions, **{**options, **overrides})


def read_transactions(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: str | None = None,
    refunds: str = "error",
    columns: tuple[str, ...] = (),
    what: str = "transactions",
) -> TransactionLog:
    """Read and validate a transaction log.

    Parameters
    ----------
    transactions : DataFrame
        pandas, polars or Arrow table with one row per transaction.
    customer_col, date_col : str
        Customer id and date columns.
    value_col : str, optional
        Transaction value column (numeric, finite).
    date_format, dayfirst, date_unit
        How to read string or numeric dates; see
        :func:`customer_models._time.parse_date_column`.
    refunds : {"error", "drop", "net_period", "net_customer"}
        Negative values: an error (default), rows dropped, or kept for the caller to net
        (within their period, or against the customer's spend).
    columns : tuple of str
        Further columns that must exist.
    what : str
        Name of the table in error messages.

    Returns
    -------
    TransactionLog

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-05", "2024-01-06"],
    ...                    "amount": [10.0, -4.0]})
    >>> log = read_transactions(tx, customer_col="customer_id", date_col="date",
    ...                         value_col="amount", refunds="drop")
    >>> len(log), log.amounts.tolist()
    (1, [10.0])
    """
    if refunds not in REFUND_POLICIES:
        raise ParameterError(f"refunds={refunds!r} is not one of {list(REFUND_POLICIES)}.")
    df = as_pandas(transactions, what=what)
    needed = [customer_col, date_col] + ([value_col] if value_col is not None else [])
    require_columns(df, [*needed, *columns], what=what)
    duplicated = [c for c in dict.fromkeys(needed) if isinstance(df[c], pd.DataFrame)]
    if duplicated:
        raise DataValidationError(
            f"{what} has more than one column named {duplicated[0]!r}; rename the duplicates.",
            column=duplicated[0],
            rule="column names are unique",
        )
    check_not_empty(df, what=what)
    ids = df[customer_col]
    # numpy integer ids cannot be missing: no row-sized mask (46 MB at 10M customers).
    if not (isinstance(ids.dtype, np.dtype) and ids.dtype.kind in "iu"):
        check_rule(
            ids.isna().to_numpy(),
            df.index,
            rule=f"{customer_col} must not be missing",
            column=customer_col,
            what=f"{what} (row labels shown)",
        )
    us, tz = parse_date_column(
        df[date_col],
        date_col,
        date_format=date_format,
        dayfirst=dayfirst,
        date_unit=date_unit,
        ids=ids,
    )
    missing = np.iinfo(np.int64).min
    check_rule(
        us == missing if int(us.min()) == missing else np.zeros(0, dtype=bool),
        ids,
        rule=f"{date_col} must not be missing",
        column=date_col,
        what=what,
    )
    values = None
    if value_col is not None:
        values = _finite_values(df[value_col], ids, value_col, what)
        negative = values < 0 if float(values.min()) < 0 else np.zeros(0, dtype=bool)
        if refunds == "error":
            check_rule(
                negative,
                ids,
                rule=f"{value_col} must be >= 0",
                column=value_col,
                what=what,
                hint=(
                    "If these are refunds or returns, choose a policy: refunds='drop' ignores "
                    "them, refunds='net_period' nets them within their period, "
                    "refunds='net_customer' also nets them against the customer's spend."
                ),
            )
    log = TransactionLog(
        frame=df,
        ids=ids,
        us=us,
        amounts=values,
        tz=tz,
        customer_col=customer_col,
        date_col=date_col,
        value_col=value_col,
        refunds=refunds,
    )
    if refunds == "drop" and values is not None and negative.size:
        log = log.take(~negative)
        if len(log) == 0:
            raise DataValidationError(
                f"{what} has only refunds (negative {value_col}); nothing is left after "
                "refunds='drop'.",
                column=value_col,
                rule=f"{value_col} > 0 somewhere",
                n_rows=int(negative.size),
            )
    return log
