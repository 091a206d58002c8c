"""Tier tables as data, and the vectorized tier state machine over review periods."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._validation import as_pairs, check_labels
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TypeAlias

    #: A tier table: names from the entry tier up with their thresholds, as a mapping, a list
    #: of (name, threshold) pairs, a Series or a DataFrame with tier and threshold columns.
    TierTable: TypeAlias = (
        Mapping[str, float | np.number]
        | Sequence[tuple[str, float | np.number] | list[Any]]
        | pd.Series
        | pd.DataFrame
    )

__all__ = [
    "EV_DOWN",
    "EV_GRACE",
    "EV_HELD",
    "EV_NONE",
    "EV_SOFT",
    "EV_UPGRADE",
    "TierScan",
    "Tiers",
    "format_number",
    "parse_tiers",
    "scan_tiers",
]

#: What last set a customer's tier (used for the ``reason`` column).
EV_NONE, EV_UPGRADE, EV_HELD, EV_GRACE, EV_SOFT, EV_DOWN = range(6)

_EXAMPLE = "[('Base', 0), ('Silver', 500), ('Gold', 2000)]"


def format_number(value: float) -> str:
    """Format a threshold or value with thousands separators (``2,000`` or ``2,000.50``)."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


@dataclass(frozen=True)
class Tiers:
    """Tier names with strictly ascending thresholds; the first tier is the entry tier (0)."""

    names: tuple[str, ...]
    thresholds: np.ndarray

    @property
    def n(self) -> int:
        """Number of tiers."""
        return len(self.names)

    def level(self, values: np.ndarray) -> np.ndarray:
        """Tier level (0 = entry tier) earned by each qualifying value.

        A value within 1e-9 (relative) below a threshold counts as reaching it, so sums of
        prices such as ``0.1 + 0.2`` reach a threshold of ``0.3``.
        """
        cut = self.thresholds - 1e-9 * np.maximum(1.0, np.abs(self.thresholds))
        values = np.asarray(values, dtype=np.float64)
        level = np.zeros(values.shape, dtype=np.int16)
        for threshold in cut[1:]:  # a few tiers: one comparison pass per tier
            level += values >= threshold
        return level


def _pairs(tiers: Any) -> list[tuple[Any, Any]]:
    if isinstance(tiers, pd.DataFrame):
        cols = [str(c) for c in tiers.columns]
        name_col = next((c for c in ("tier", "name") if c in cols), None)
        if name_col is None or "threshold" not in cols:
            raise ParameterError(
                "a tiers DataFrame needs a 'tier' (or 'name') column and a 'threshold' column, "
                f"got columns {cols}."
            )
        return list(zip(tiers[name_col].tolist(), tiers["threshold"].tolist(), strict=True))
    return as_pairs(
        tiers,
        bad_item=lambda item: (
            f"each tier must be a (name, threshold) pair such as ('Gold', 2000), "
            f"got {item!r}. Example: tiers={_EXAMPLE}."
        ),
        bad_type=lambda table: (
            f"tiers must be a list of (name, threshold) pairs, a dict name -> threshold or a "
            f"DataFrame with 'tier' and 'threshold' columns, got {type(table).__name__}. "
            f"Example: tiers={_EXAMPLE}."
        ),
    )


def parse_tiers(tiers: TierTable) -> Tiers:
    """Validate a tier table and return it as :class:`Tiers`.

    Examples
    --------
    >>> parse_tiers({"Base": 0, "Gold": 2000}).names
    ('Base', 'Gold')
    >>> parse_tiers([("Base", 0), ("Gold", 500), ("Silver", 500)])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: tier thresholds must be strictly ascending: ...
    """
    pairs = _pairs(tiers)
    if not pairs:
        raise ParameterError(f"tiers must name at least one tier, e.g. tiers={_EXAMPLE}.")
    names = check_labels([name for name, _ in pairs], "tier")
    values: list[float] = []
    for name, threshold in pairs:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.number)):
            raise ParameterError(
                f"the threshold of tier {name!r} must be a number, got {threshold!r}."
            )
        if not np.isfinite(threshold):
            raise ParameterError(f"the threshold of tier {name!r} must be finite, got {threshold}.")
        values.append(float(threshold))
    for i in range(1, len(values)):
        if values[i] == values[i - 1]:
            raise ParameterError(
                f"tier thresholds must be strictly ascending: {names[i - 1]!r} and {names[i]!r} "
                f"share the threshold {format_number(values[i])}. Give each tier its own "
                f"threshold, e.g. tiers={_EXAMPLE}."
            )
        if values[i] < values[i - 1]:
            raise ParameterError(
                f"tier thresholds must be listed in ascending order, got {names[i - 1]!r} "
                f"({format_number(values[i - 1])}) before {names[i]!r} "
                f"({format_number(values[i])}). List tiers from the entry tier up, e.g. "
                f"tiers={_EXAMPLE}."
            )
    if values[0] != 0:
        raise ParameterError(
            f"the lowest tier {names[0]!r} is the entry tier every customer holds and must have "
            f"threshold 0, got {format_number(values[0])}; add an entry tier first, e.g. "
            f"('Member', 0)."
        )
    return Tiers(names=tuple(names), thresholds=np.asarray(values, dtype=np.float64))


@dataclass
class TierScan:
    """Tier state of every customer after the scan, plus what last set it."""

    tier: np.ndarray  # int16 level
    event: np.ndarray  # int8, one of EV_*
    event_period: np.ndarray  # int32: review k (1-based) or period of the upgrade
    event_value: np.ndarray  # float64: qualifying value at that review / peak in the period
    event_from: np.ndarray  # int16: tier held before the review
    grace_used: np.ndarray  # int16: consecutive reviews kept under grace


def scan_tiers(
    n_customers: int,
    n_reviews: int,
    pair_customer: np.ndarray,
    pair_period: np.ndarray,
    pair_level: np.ndarray,
    pair_value: np.ndarray,
    review_value: Callable[[int], np.ndarray],
    tiers: Tiers,
    *,
    grace_periods: int,
    soft_landing: bool,
) -> TierScan:
    """Run the tier rules over the review periods, vectorized over customers.

    Period ``k`` (0..n_reviews) runs from review ``k`` (none for ``k = 0``) up to the next
    review. At review ``k`` every customer is compared with the tier earned by
    ``review_value(k)`` (the qualifying value of the window that ended the day before):
    if it is below the tier held, the customer keeps the tier under grace while fewer than
    ``grace_periods`` consecutive reviews were missed, and otherwise drops to the earned
    tier (with ``soft_landing``, to at most one tier lower). The grace count restarts after a
    requalification, a downgrade or an upgrade. Inside a period, the customer is upgraded at
    once to the best tier earned on any of their days (``pair_*``: one entry per customer and
    period with the best level and the highest qualifying value of that period).

    The only Python loop is over the periods.
    """
    tier = np.zeros(n_customers, dtype=np.int16)
    grace = np.zeros(n_customers, dtype=np.int16)
    event = np.full(n_customers, EV_NONE, dtype=np.int8)
    event_period = np.zeros(n_customers, dtype=np.int32)
    event_value = np.zeros(n_customers, dtype=np.float64)
    event_from = np.zeros(n_customers, dtype=np.int16)

    order = np.argsort(pair_period, kind="stable")
    bounds = np.searchsorted(pair_period[order], np.arange(n_reviews + 2))
    for k in range(n_reviews + 1):
        if k >= 1:
            value = review_value(k)
            earned = tiers.level(value)
            fail = earned < tier
            graced = fail & (grace < grace_periods)
            drop = fail & ~graced
            target = np.maximum(earned, tier - 1).astype(np.int16) if soft_landing else earned
            softened = drop & (target > earned)
            event[:] = EV_HELD
            event[graced] = EV_GRACE
            event[drop] = EV_DOWN
            event[softened] = EV_SOFT
            event_period[:] = k
            event_value = np.array(value, dtype=np.float64)
            event_from = tier.copy()
            grace = np.where(graced, grace + 1, 0).astype(np.int16)
            tier = np.where(drop, target, tier).astype(np.int16)
        rows = order[bounds[k] : bounds[k + 1]]
        customers = pair_customer[rows]
        levels = pair_level[rows]
        up = levels > tier[customers]
        lifted = customers[up]
        tier[lifted] = levels[up]
        grace[lifted] = 0
        event[lifted] = EV_UPGRADE
        event_period[lifted] = k
        event_value[lifted] = pair_value[rows][up]
    return TierScan(tier, event, event_period, event_value, event_from, grace)
