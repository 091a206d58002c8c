"""Validate a transaction table and reduce it to one row per customer and day."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._reductions import customer_codes
from customer_models._time import US_PER_DAY
from customer_models._transactions import TransactionLog, read_with
from customer_models._validation import check_finite, check_non_negative, ensure_numeric
from customer_models.exceptions import MissingColumnError
from customer_models.loyalty._points import PointRules, row_points
from customer_models.loyalty._segments import DayIndex

__all__ = ["Daily", "prepare_daily", "read_log"]

WHAT = "transactions"


@dataclass
class Daily:
    """One row per (customer, day), sorted by customer then day.

    ``qual`` is the day's qualifying value (net of refunds), ``points`` the day's net point
    movement (earned minus refunded minus redeemed).
    """

    ids: pd.Index
    index: DayIndex
    qual: np.ndarray
    points: np.ndarray

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return len(self.ids)

    def upto(self, day: int) -> Daily:
        """Restrict the table to days on or before ``day`` (customers without rows dropped)."""
        keep = self.index.day <= day
        if keep.all():
            return self
        customer = self.index.customer[keep]
        present = np.bincount(customer, minlength=self.n_customers) > 0
        recode = np.cumsum(present) - 1
        ids = self.ids[present]
        index = DayIndex.build(recode[customer], self.index.day[keep], len(ids))
        return Daily(ids, index, self.qual[keep], self.points[keep])


def read_log(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    value_col: str,
    qualifying: str,
    redeemed_col: str | None,
    rules: PointRules,
    date_format: str | None,
    dayfirst: bool | None,
) -> TransactionLog:
    """Read ``transactions`` with the one reader; refunds (negative amounts) are kept.

    Loyalty nets refunds by design: they reduce the day's spend and take points back.
    """
    needed = [*rules.columns]
    if qualifying not in ("spend", "points", "visits"):
        needed.append(qualifying)
    if redeemed_col is not None:
        needed.append(redeemed_col)
    try:
        return _read(transactions, customer_col, date_col, value_col, needed, date_format, dayfirst)
    except MissingColumnError as err:
        columns = getattr(transactions, "columns", getattr(transactions, "column_names", ()))
        if qualifying in needed and qualifying not in list(columns):
            raise MissingColumnError(
                f"qualifying={qualifying!r} is not 'spend', 'points' or 'visits', so it names a "
                f"numeric column to sum, and {err}"
            ) from None
        raise


def _read(
    transactions: Any,
    customer_col: str,
    date_col: str,
    value_col: str,
    needed: list[str],
    date_format: str | None,
    dayfirst: bool | None,
) -> TransactionLog:
    return read_with(
        transactions,
        locals(),
        refunds="net_customer",
        columns=tuple(dict.fromkeys(c for c in needed if c not in (customer_col, date_col))),
    )


def log_days(log: TransactionLog) -> np.ndarray:
    """Day number (days since 1970-01-01, wall clock) of every row of ``log``."""
    return np.floor_divide(log.us, US_PER_DAY)


def prepare_daily(
    log: TransactionLog,
    *,
    qualifying: str,
    redeemed_col: str | None,
    rules: PointRules,
    as_of_day: int | None,
) -> tuple[Daily, int]:
    """Aggregate the transactions per customer and day up to ``as_of_day``.

    Returns the daily table and the evaluation day (the last transaction day when
    ``as_of_day`` is None).
    """
    assert log.amounts is not None
    day = log_days(log)
    if as_of_day is None:
        as_of_day = int(day.max())
    log = log.take(day <= as_of_day)
    day = log_days(log)
    amount = log.amounts
    assert amount is not None
    ids = log.ids.to_numpy()
    frame = log.frame if log.rows is None else log.frame.iloc[log.rows]

    points = row_points(frame, amount, rules)
    if redeemed_col is not None:
        redeemed = ensure_numeric(frame[redeemed_col], ids, column=redeemed_col, what=WHAT)
        check_finite(redeemed, ids, column=redeemed_col, what=WHAT)
        check_non_negative(
            redeemed,
            ids,
            column=redeemed_col,
            what=WHAT,
            hint="Redeemed points are positive numbers; use refunds (negative amounts) to "
            "take points back.",
        )
    if qualifying in ("spend", "visits"):
        qual = amount
    elif qualifying == "points":
        qual = points
    else:
        qual = ensure_numeric(frame[qualifying], ids, column=qualifying, what=WHAT)
        check_finite(qual, ids, column=qualifying, what=WHAT)
    if redeemed_col is not None:
        points = points - redeemed

    codes, uniques = customer_codes(log.ids)
    n = len(uniques)
    first = int(day.min()) if day.size else 0
    span = int(day.max()) - first + 2 if day.size else 2
    key = codes * span + (day - first)
    if key.size > 1 and bool((key[1:] < key[:-1]).any()):
        order = np.argsort(key)
        key, qual, points = key[order], qual[order], points[order]
    new_day = np.ones(key.size, dtype=bool)
    new_day[1:] = key[1:] != key[:-1]
    if new_day.all():  # one row per customer-day: nothing to add up
        day_key, qual_day, points_day = key, qual, points
    else:
        group = np.cumsum(new_day) - 1
        day_key = key[new_day]
        qual_day = np.bincount(group, weights=qual, minlength=day_key.size)
        points_day = np.bincount(group, weights=points, minlength=day_key.size)
    if qualifying == "visits":
        qual_day = (qual_day > 0).astype(np.float64)
    customer = day_key // span
    index = DayIndex.build(customer, day_key % span + first, n)
    return Daily(uniques.rename(log.customer_col), index, qual_day, points_day), as_of_day
