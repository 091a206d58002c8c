"""Read an Ibis transaction table: the in-memory reader's rules, checked in the database.

The checks are one aggregate query (row count, missing ids and dates, non-finite and negative
values, first and last date); only when a rule is broken does a second query fetch a few
offending ids. The errors are the in-memory reader's (:mod:`customer_models._transactions`):
same classes, rules, counts and hints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._distributed import import_extra
from customer_models._time import TIME_UNIT_DAYS, normalize_unit
from customer_models._transactions import REFUND_POLICIES
from customer_models._validation import require_columns
from customer_models._validation._messages import N_EXAMPLES
from customer_models._validation._rules import refuse_rows
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = ["Prepared", "count_true", "ibis_module", "period_code", "prepare"]

_REFUND_HINT = (
    "If these are refunds or returns, choose a policy: refunds='drop' ignores "
    "them, refunds='net_period' nets them within their period, "
    "refunds='net_customer' also nets them against the customer's spend."
)
#: Internal column names of the prepared table (customer, instant, value, period).
CID, TS, VALUE, PERIOD = "_cm_customer", "_cm_ts", "_cm_value", "_cm_period"


def ibis_module() -> Any:
    """Import Ibis, or say which extra installs it."""
    return import_extra("ibis", "sql", "Ibis")


@dataclass(frozen=True)
class Prepared:
    """The table reduced to (customer, instant, value, period) and the facts the checks found."""

    table: Any  # ibis Table with columns CID, TS, PERIOD (and VALUE with a value column)
    n_rows: int  # rows kept (after refunds="drop")
    first_us: int  # first and last kept instant, wall-clock microseconds
    last_us: int
    freq: str
    time_unit: str
    refunds: str
    has_value: bool


def period_code(ts: Any, freq: str) -> Any:
    """Integer period number of an Ibis timestamp at ``freq``, as :func:`period_codes`."""
    ibis = ibis_module()
    day = ts.date().delta(ibis.date(1970, 1, 1), unit="day").cast("int64")
    if freq == "D":
        return day
    if freq == "W":  # 1970-01-01 was a Thursday; weeks run Monday to Sunday
        return (day + 3) // 7
    if freq in ("h", "min", "s"):
        code = day * 24 + ts.hour().cast("int64")
        if freq != "h":
            code = code * 60 + ts.minute().cast("int64")
        if freq == "s":
            code = code * 60 + ts.second().cast("int64")
        return code
    months = (ts.year().cast("int64") - 1970) * 12 + ts.month().cast("int64") - 1
    if freq == "M":
        return months
    if freq == "Q":
        return months // 3
    return ts.year().cast("int64") - 1970  # "Y"


def _missing(column: Any) -> Any:
    return column.isnull()  # noqa: PD003 - an Ibis column, not pandas


def count_true(condition: Any) -> Any:
    """Count the rows where an Ibis boolean is true (0 on no rows; portable across backends)."""
    return ibis_module().ifelse(condition, 1, 0).sum().cast("int64")


_count = count_true


def _examples(table: Any, bad: Any, customer_col: str) -> list[Any]:
    ids = table.filter(bad).select(table[customer_col]).limit(N_EXAMPLES).to_pyarrow()
    return [v.as_py() for v in ids.column(0)]


def _check_params(
    table: Any, date_format: Any, dayfirst: Any, date_unit: Any, refunds: str, freq: str
) -> tuple[str, Any]:
    ibis = ibis_module()
    if not isinstance(table, ibis.expr.types.Table):
        raise ParameterError(
            f"transactions must be an Ibis table (ibis.expr.types.Table), got "
            f"{type(table).__name__}; for pandas, polars or Arrow tables use "
            "customer_models.rfm_summary."
        )
    for name, value in (("date_format", date_format), ("dayfirst", dayfirst)):
        if value is not None:
            raise ParameterError(
                f"{name}= is not supported on a database table: cast the date column in Ibis "
                "first, e.g. table.mutate(date=table.date.cast('timestamp')) for ISO 8601 strings."
            )
    if date_unit is not None:
        raise ParameterError(
            "date_unit= is not supported on a database table: convert the numeric dates in "
            "Ibis first, e.g. table.mutate(date=table.date.as_timestamp('s'))."
        )
    if refunds not in REFUND_POLICIES:
        raise ParameterError(f"refunds={refunds!r} is not one of {list(REFUND_POLICIES)}.")
    return normalize_unit(freq, "freq"), ibis


def prepare(
    table: Any,
    *,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    freq: str,
    time_unit: str | None,
    refunds: str,
    date_format: Any = None,
    dayfirst: Any = None,
    date_unit: Any = None,
    extra: tuple[str, ...] = (),
) -> Prepared:
    """Validate the table as :func:`read_transactions` does and return the prepared table.

    ``extra`` columns are kept, under their own names, next to the internal ones.
    """
    freq, ibis = _check_params(table, date_format, dayfirst, date_unit, refunds, freq)
    time_unit = freq if time_unit is None else normalize_unit(time_unit, "time_unit")
    assert time_unit in TIME_UNIT_DAYS
    needed = [customer_col, date_col, *extra] + ([value_col] if value_col is not None else [])
    require_columns(pd.DataFrame(columns=list(table.columns)), needed, what="transactions")
    schema = table.schema()
    date_type = schema[date_col]
    if date_type.is_timestamp() and date_type.timezone is not None:
        raise DataValidationError(
            f"transactions column {date_col!r} is a timestamp with time zone "
            f"({date_type.timezone}); databases keep the instant, not the local clock the "
            "in-memory summary reads. Convert it to local wall-clock timestamps without a zone "
            "first (e.g. in the database: date AT TIME ZONE 'Europe/Paris').",
            column=date_col,
            rule=f"{date_col} must be a timestamp without time zone or a date",
        )
    if not (date_type.is_timestamp() or date_type.is_date()):
        raise DataValidationError(
            f"transactions column {date_col!r} has type {date_type}; on a database table the "
            "dates must be timestamps or dates: cast them in Ibis first, e.g. "
            f"table.mutate({date_col}=table.{date_col}.cast('timestamp')) for ISO 8601 strings.",
            column=date_col,
            rule=f"{date_col} must be a timestamp or a date",
        )
    value_type = schema[value_col] if value_col is not None else None
    if value_type is not None and not (value_type.is_numeric() or value_type.is_boolean()):
        raise DataValidationError(
            f"transactions column {value_col!r} has type {value_type}; it must be numeric "
            "(cast it in Ibis first, e.g. .cast('float64')).",
            column=value_col,
            rule=f"{value_col} must be numeric",
        )
    ts = table[date_col].cast("timestamp") if date_type.is_date() else table[date_col]
    columns: dict[str, Any] = {CID: table[customer_col], TS: ts}
    if value_col is not None:
        columns[VALUE] = table[value_col].cast("float64")
    columns.update({name: table[name] for name in extra})
    base = table.select(**columns)
    return _checked(
        base, table, ibis, customer_col, date_col, value_col, value_type, refunds, freq, time_unit
    )


def _checked(
    base: Any,
    table: Any,
    ibis: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    value_type: Any,
    refunds: str,
    freq: str,
    time_unit: str,
) -> Prepared:
    value = base[VALUE] if value_col is not None else None
    stats: dict[str, Any] = {
        "n": base.count(),
        "no_id": _count(_missing(base[CID])),
        "no_date": _count(_missing(base[TS])),
        "first": base[TS].min(),
        "last": base[TS].max(),
    }
    if value is not None:
        if value_type.is_floating():
            stats["no_value"] = _count(_missing(value) | value.isnan())
            stats["non_finite"] = _count(value.isinf())
        else:
            stats["no_value"] = _count(_missing(value))
        stats["negative"] = _count(value < 0)
        kept = value >= 0
        stats["first_kept"] = base[TS].min(where=kept)
        stats["last_kept"] = base[TS].max(where=kept)
    found = base.aggregate(**stats).to_pyarrow().to_pylist()[0]
    n = int(found["n"])
    if n == 0:
        raise DataValidationError(
            "transactions is empty: at least one row is needed.", rule="not empty", n_rows=0
        )
    if found["no_id"]:
        raise DataValidationError(
            f"transactions column {customer_col!r}: {found['no_id']} of {n} rows break the rule "
            f"'{customer_col} must not be missing' (a database table has no row labels to "
            "show).",
            column=customer_col,
            rule=f"{customer_col} must not be missing",
            n_rows=int(found["no_id"]),
        )
    date = table[date_col]
    if found["no_date"]:
        refuse_rows(
            int(found["no_date"]),
            n,
            _examples(table, _missing(date), customer_col),
            rule=f"{date_col} must not be missing",
            column=date_col,
            what="transactions",
        )
    if value_col is not None:
        raw = table[value_col]
        floating = value_type.is_floating()
        if found["no_value"]:  # NaN is missing, as pandas reads it
            missing = _missing(raw) | raw.isnan() if floating else _missing(raw)
            refuse_rows(
                int(found["no_value"]),
                n,
                _examples(table, missing, customer_col),
                rule=f"{value_col} must not be missing",
                column=value_col,
                what="transactions",
            )
        if found.get("non_finite"):
            refuse_rows(
                int(found["non_finite"]),
                n,
                _examples(table, raw.isinf(), customer_col),
                rule=f"{value_col} must be finite",
                column=value_col,
                what="transactions",
            )
        negative = int(found["negative"])
        if negative and refunds == "error":
            refuse_rows(
                negative,
                n,
                _examples(table, raw < 0, customer_col),
                rule=f"{value_col} must be >= 0",
                column=value_col,
                what="transactions",
                hint=_REFUND_HINT,
            )
        if refunds == "drop" and negative:
            if negative == n:
                raise DataValidationError(
                    f"transactions has only refunds (negative {value_col}); nothing is left "
                    "after refunds='drop'.",
                    column=value_col,
                    rule=f"{value_col} > 0 somewhere",
                    n_rows=n,
                )
            base = base.filter(base[VALUE] >= 0)
            n -= negative
            found["first"], found["last"] = found["first_kept"], found["last_kept"]
    return Prepared(
        table=base.mutate(**{PERIOD: period_code(base[TS], freq)}),
        n_rows=n,
        first_us=_us(found["first"]),
        last_us=_us(found["last"]),
        freq=freq,
        time_unit=time_unit,
        refunds=refunds,
        has_value=value_col is not None,
    )


def _us(value: Any) -> int:
    """Convert a fetched timestamp (or date) to wall-clock microseconds since the epoch."""
    stamp = pd.Timestamp(value)
    return int(stamp.to_datetime64().astype("datetime64[us]").astype(np.int64))
