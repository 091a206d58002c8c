"""The ``reason`` column: why each customer holds their tier, in one sentence.

Sentences are built once per distinct (kind, tier, value, review, ...) combination and then
spread to the customers, so the work grows with the number of distinct reasons, not customers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from customer_models.loyalty._calendar import format_day
from customer_models.loyalty._tiers import (
    EV_DOWN,
    EV_GRACE,
    EV_HELD,
    EV_SOFT,
    EV_UPGRADE,
    Tiers,
    TierScan,
    format_number,
)

__all__ = ["build_reasons"]

QUALIFIED, ENTRY = 10, 11


def _display(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round down for display, so ``2,310 >= 2,000`` and ``1,999 < 2,000`` always read true."""
    scale = 10.0**decimals
    return np.floor(values * scale + 1e-6) / scale


def build_reasons(
    scan: TierScan,
    current_value: np.ndarray,
    tiers: Tiers,
    *,
    label: str,
    reviews: np.ndarray,
    window_start: Callable[[int], int],
    as_of_day: int,
    next_review_day: int,
    grace_periods: int,
) -> np.ndarray:
    """Return the reason sentence of every customer (object array)."""
    level = scan.tier.astype(np.int64)
    now = tiers.level(current_value)
    kind = scan.event.astype(np.int64)
    kind = np.where((level > 0) & (now >= level), QUALIFIED, kind)
    kind = np.where((level == 0) & ~np.isin(kind, [EV_SOFT, EV_DOWN]), ENTRY, kind)
    current = np.isin(kind, [QUALIFIED, ENTRY])
    value = np.where(current, current_value, scan.event_value)
    integral = bool(np.all(np.mod(tiers.thresholds, 1) == 0))
    value = _display(value, 0 if integral else 2)
    period = np.where(current, 0, scan.event_period)
    source = np.where(np.isin(kind, [EV_SOFT, EV_DOWN]), scan.event_from, 0)
    grace = np.where(kind == EV_GRACE, scan.grace_used, 0)
    parts = pd.DataFrame(
        {
            "kind": kind,
            "level": level,
            "period": period,
            "source": source,
            "grace": grace,
            "value": value,
        }
    )
    codes = parts.groupby(list(parts.columns), sort=False).ngroup().to_numpy()
    distinct = parts.drop_duplicates()

    names, cuts = tiers.names, tiers.thresholds
    until = f"kept until the review on {format_day(next_review_day)}"

    def window(end_day: int) -> str:
        return f"window {format_day(window_start(end_day))}..{format_day(end_day)}"

    def sentence(k: int, lv: int, p: int, src: int, g: int, v: float) -> str:
        tier, amount = names[lv], f"{label} {format_number(v)}"
        need = f"{tier} {format_number(cuts[lv])}"
        if k == QUALIFIED:
            return f"qualified: {amount} >= {need} in {window(as_of_day)}"
        if k == ENTRY:
            text = f"entry tier: {amount} in {window(as_of_day)}"
            if len(names) > 1:
                text += f" (below {names[1]} {format_number(cuts[1])})"
            return text
        if k == EV_UPGRADE:
            after = f" after the review on {format_day(reviews[p - 1])}" if p >= 1 else ""
            return f"upgraded: {label} reached {format_number(v)} >= {need}{after}; {until}"
        review = int(reviews[p - 1])
        at = f"in {window(review - 1)} at the review on {format_day(review)}"
        if k == EV_HELD:
            return f"held: {amount} >= {need} {at}; {until}"
        if k == EV_GRACE:
            return f"grace: {amount} < {need} {at}; tier kept under grace ({g} of {grace_periods})"
        earned = names[int(tiers.level(np.array([v]))[0])]
        if k == EV_SOFT:
            return (
                f"soft landing: {amount} {at} earns {earned}; dropped one tier from "
                f"{names[src]} to {tier}"
            )
        return f"downgraded: {amount} {at} earns {tier}; dropped from {names[src]}"

    texts = [
        sentence(int(k), int(lv), int(p), int(src), int(g), float(v))
        for k, lv, p, src, g, v in zip(
            distinct["kind"],
            distinct["level"],
            distinct["period"],
            distinct["source"],
            distinct["grace"],
            distinct["value"],
            strict=True,
        )
    ]
    return np.asarray(texts, dtype=object)[codes]
