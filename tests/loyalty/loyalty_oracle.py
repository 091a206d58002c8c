"""A slow, obviously-correct, per-customer re-implementation of the loyalty rules.

Used only as a test oracle for the vectorized implementation: plain Python loops over
customers and days, sums recomputed from scratch for every window.
"""

from __future__ import annotations

from collections import deque

import pandas as pd

PERIOD = {"YS": "Y", "QS": "Q", "MS": "M"}


def window_start(day: pd.Timestamp, window: str) -> pd.Timestamp:
    if window.endswith("D"):
        return day - pd.Timedelta(days=int(window[:-1]) - 1)
    return day.to_period(PERIOD[window]).start_time


def review_days(first: pd.Timestamp, as_of: pd.Timestamp, review: str) -> list[pd.Timestamp]:
    starts = pd.period_range(first, as_of + pd.Timedelta(days=1), freq=PERIOD[review])
    return [p.start_time for p in starts if first < p.start_time <= as_of]


def level(value: float, thresholds: list[float]) -> int:
    return max([0] + [i for i, t in enumerate(thresholds) if value >= t - 1e-9 * max(1, abs(t))])


def oracle(
    tx: pd.DataFrame,
    *,
    thresholds: list[float],
    window: str,
    review: str,
    grace: int,
    soft: bool,
    rate: float,
    app: float,
    expiry_months: int | None,
    as_of: pd.Timestamp,
) -> dict[object, dict[str, object]]:
    """Tier level, points balance, next expiry amount and date per customer."""
    tx = tx[tx["date"] <= as_of]
    first_global = tx["date"].min()
    reviews = review_days(first_global, as_of, review)
    out = {}
    for customer, rows in tx.groupby("customer_id"):
        spend: dict[pd.Timestamp, float] = {}
        points: dict[pd.Timestamp, float] = {}
        for _, row in rows.iterrows():
            multiplier = app if row["channel"] == "app" else 1.0
            spend[row["date"]] = spend.get(row["date"], 0.0) + row["amount"]
            points[row["date"]] = points.get(row["date"], 0.0) + row["amount"] * rate * multiplier

        def value(end: pd.Timestamp, spend=spend) -> float:
            start = window_start(end, window)
            return sum(v for d, v in spend.items() if start <= d <= end)

        # reviews happen at the start of their day, before that day's transactions
        events = sorted([(r, 0) for r in reviews] + [(d, 1) for d in spend])
        tier, missed = 0, 0
        for day, kind in events:
            if kind == 0:
                earned = level(value(day - pd.Timedelta(days=1)), thresholds)
                if earned < tier:
                    if missed < grace:
                        missed += 1
                    else:
                        tier = max(earned, tier - 1) if soft else earned
                        missed = 0
                else:
                    missed = 0
            else:
                earned = level(value(day), thresholds)
                if earned > tier:
                    tier, missed = earned, 0

        lots: deque[list] = deque()
        debt = 0.0

        def expire(day: pd.Timestamp, lots=lots) -> None:
            while lots and lots[0][0] <= day:
                lots.popleft()

        for day in sorted(points):
            if expiry_months is not None:
                expire(day)
            net = points[day]
            if net > 0:
                pay = min(debt, net)
                debt -= pay
                net -= pay
                if net > 0:
                    ends = (
                        day + pd.DateOffset(months=expiry_months)
                        if expiry_months is not None
                        else pd.Timestamp.max
                    )
                    lots.append([ends, net])
            elif net < 0:
                need = -net
                while need > 0 and lots:
                    take = min(need, lots[0][1])
                    lots[0][1] -= take
                    need -= take
                    if lots[0][1] <= 1e-12:
                        lots.popleft()
                debt += need
        if expiry_months is not None:
            expire(as_of)
        balance = sum(lot[1] for lot in lots) - debt
        positive = [lot for lot in lots if lot[1] > 1e-9]
        if expiry_months is not None and positive:
            next_day = positive[0][0]
            expiring = sum(lot[1] for lot in positive if lot[0] == next_day)
        else:
            next_day, expiring = pd.NaT, 0.0
        out[customer] = {
            "tier": tier,
            "points_balance": balance,
            "points_expiring_next": expiring,
            "points_expiry_date": next_day,
        }
    return out
