"""Validate a transaction table and reduce it to one row per customer and day."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import (
    as_pandas,
    check_finite,
    check_no_missing,
    check_non_negative,
    check_rule,
    ensure_numeric,
    require_columns,
)
from customer_models.loyalty._points import PointRules, row_points
from customer_models.loyalty._segments import DayIndex

__all__ = ["Daily", "prepare_daily"]

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


def _factorize(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted customer codes; a single pass when numeric ids are already sorted."""
    if ids.dtype.kind in "iuf" and ids.size and bool((ids[1:] >= ids[:-1]).all()):
        new = np.ones(ids.size, dtype=bool)
        new[1:] = ids[1:] != ids[:-1]
        return np.cumsum(new) - 1, ids[new]
    codes, uniques = pd.factorize(ids, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def _days(frame: pd.DataFrame, column: str, ids: np.ndarray) -> np.ndarray:
    dates = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        parsed = pd.to_datetime(dates, errors="coerce", format="mixed")
        bad = parsed.isna().to_numpy() & dates.notna().to_numpy()
        check_rule(
            bad,
            ids,
            rule=f"{column} must be a date",
            column=column,
            what=WHAT,
            hint="Convert it with pd.to_datetime first.",
        )
        dates = parsed
    check_no_missing(dates, ids, column=column, what=WHAT)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy().astype("datetime64[D]").view(np.int64)


def prepare_daily(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    qualifying: str,
    redeemed_col: str | None,
    rules: PointRules,
    as_of_day: int | None,
) -> tuple[Daily, int]:
    """Check ``transactions`` and aggregate it per customer and day up to ``as_of_day``.

    Returns the daily table and the evaluation day (the last transaction day when
    ``as_of_day`` is None).
    """
    frame = as_pandas(transactions, what=WHAT)
    needed = [customer_col, date_col, amount_col, *rules.columns]
    if qualifying not in ("spend", "points", "visits"):
        needed.append(qualifying)
    if redeemed_col is not None:
        needed.append(redeemed_col)
    require_columns(frame, list(dict.fromkeys(needed)), what=WHAT)

    ids = frame[customer_col].to_numpy()
    check_no_missing(frame[customer_col], ids, column=customer_col, what=WHAT)
    day = _days(frame, date_col, ids)
    amount = ensure_numeric(frame[amount_col], ids, column=amount_col, what=WHAT)
    check_finite(amount, ids, column=amount_col, what=WHAT)
    if as_of_day is None:
        as_of_day = int(day.max()) if day.size else 0
    keep = day <= as_of_day
    if not keep.all():
        frame, ids, day, amount = frame.loc[keep], ids[keep], day[keep], amount[keep]

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

    codes, uniques = _factorize(ids)
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
    return Daily(pd.Index(uniques, name=customer_col), index, qual_day, points_day), as_of_day
