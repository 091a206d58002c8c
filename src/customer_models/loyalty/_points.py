"""Points: accrual rules as data, and FIFO balances with expiry, vectorized over customers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models.exceptions import ParameterError
from customer_models.loyalty._segments import DayIndex, segment_cumsum

if TYPE_CHECKING:
    from typing import TypeAlias

    #: Points rules by row attribute: ``{column: {value: number}}`` or a DataFrame with
    #: ``column``, ``value`` and the number's column.
    RuleTableLike: TypeAlias = Mapping[str, Mapping[Any, float | np.number]] | pd.DataFrame

__all__ = ["PointRules", "PointsState", "fifo_points", "parse_rules", "row_points"]

RuleTable = tuple[tuple[str, tuple[tuple[Any, float], ...]], ...]


@dataclass(frozen=True)
class PointRules:
    """Points per currency unit, row multipliers, fixed row bonuses and expiry."""

    rate: float
    multipliers: RuleTable
    bonuses: RuleTable
    expiry_months: int | None

    @property
    def columns(self) -> list[str]:
        """Transaction columns the rules read."""
        return list(dict.fromkeys([c for c, _ in self.multipliers + self.bonuses]))


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ParameterError(f"{what} must be a number, got {value!r}.")
    value = float(value)
    if not np.isfinite(value):
        raise ParameterError(f"{what} must be finite, got {value}.")
    if value < 0:
        raise ParameterError(f"{what} must be >= 0, got {value:g}.")
    return value


def _rule_table(rules: Any, name: str, kind: str) -> RuleTable:
    if rules is None:
        return ()
    example = "{'channel': {'app': 2.0}}" if kind == "multiplier" else "{'type': {'referral': 250}}"
    if isinstance(rules, pd.DataFrame):
        need = ["column", "value", kind]
        missing = [c for c in need if c not in rules.columns]
        if missing:
            raise ParameterError(
                f"a {name} DataFrame needs the columns {need}, missing {missing}; or pass a "
                f"dict such as {example}."
            )
        nested: dict[str, dict[Any, Any]] = {}
        for column, value, number in zip(rules["column"], rules["value"], rules[kind], strict=True):
            nested.setdefault(str(column), {})[value] = number
        rules = nested
    if not isinstance(rules, Mapping):
        raise ParameterError(
            f"{name} must map a transaction column to {{value: {kind}}}, e.g. {name}={example}; "
            f"got {type(rules).__name__}."
        )
    table = []
    for column, mapping in rules.items():
        if not isinstance(column, str) or not isinstance(mapping, Mapping):
            raise ParameterError(
                f"{name} must map a column name to a dict of {{value: {kind}}}, e.g. "
                f"{name}={example}; got {column!r}: {mapping!r}."
            )
        entries = tuple(
            (value, _number(number, f"{name}[{column!r}][{value!r}]"))
            for value, number in mapping.items()
        )
        table.append((column, entries))
    return tuple(table)


def parse_rules(points: Any, multipliers: Any, bonuses: Any, expiry_months: Any) -> PointRules:
    """Validate the points parameters of a program.

    Examples
    --------
    >>> parse_rules(1.0, {"channel": {"app": 2}}, None, 12).multipliers
    (('channel', (('app', 2.0),)),)
    >>> parse_rules(1.0, {"channel": {"app": -2}}, None, None)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: multipliers['channel']['app'] must be >= 0, got -2.
    """
    rate = _number(points, "points (points per currency unit)")
    if expiry_months is not None and (
        isinstance(expiry_months, bool)
        or not isinstance(expiry_months, (int, np.integer))
        or expiry_months < 1
    ):
        raise ParameterError(
            f"expiry_months must be a whole number of months >= 1 (or None for points that "
            f"never expire), got {expiry_months!r}."
        )
    return PointRules(
        rate=rate,
        multipliers=_rule_table(multipliers, "multipliers", "multiplier"),
        bonuses=_rule_table(bonuses, "bonuses", "points"),
        expiry_months=None if expiry_months is None else int(expiry_months),
    )


def _per_row(column: pd.Series, entries: tuple[tuple[Any, float], ...], default: float):
    """Look each row's value up in ``entries`` (work per distinct value, not per row)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    mapping = dict(entries)
    table = np.array([mapping.get(u, default) for u in uniques] + [default], dtype=np.float64)
    return table[codes]  # code -1 (missing) picks the trailing default


def row_points(frame: pd.DataFrame, amount: np.ndarray, rules: PointRules) -> np.ndarray:
    """Points of each transaction row: ``amount * rate * multipliers + bonuses``.

    Refund rows (negative amounts) give negative points with the same multipliers.
    """
    points = amount * rules.rate
    for column, entries in rules.multipliers:
        points = points * _per_row(frame[column], entries, 1.0)
    for column, entries in rules.bonuses:
        points = points + _per_row(frame[column], entries, 0.0)
    return points


@dataclass
class PointsState:
    """Per-customer points at the evaluation date."""

    balance: np.ndarray
    earned: np.ndarray
    expired: np.ndarray
    expiring_next: np.ndarray
    expiry_day: np.ndarray  # int64 day number; NO_DAY when nothing expires


#: Marker for "no date" in day-number arrays.
NO_DAY = np.iinfo(np.int64).min


def fifo_points(
    index: DayIndex,
    key: np.ndarray,
    net: np.ndarray,
    expiry_day: np.ndarray | None,
    as_of_day: int,
) -> PointsState:
    """Points balance with first-in-first-out use and expiry, vectorized over customers.

    ``net`` is each customer-day's net point movement (earned minus refunded minus redeemed).
    A positive day is a lot that expires on ``expiry_day`` (at the start of that day); a
    negative day uses points from the oldest lots first. With ``A_i`` the points earned up to
    lot ``i`` and ``C(t)`` the points used before day ``t``, the points expired by day ``t``
    are ``max(0, max over lots expired by t of A_i - C(x_i))`` (a running maximum: lots drain
    in order, so a lot expires with whatever of it the earlier uses did not take). The balance
    is ``earned - used - expired``; it is negative only when more points were used than were
    available at that moment (a refund of points that already expired or were redeemed), and
    later earnings first make up that shortfall.
    """
    customer = index.customer
    n = index.starts.size - 1
    lot = np.maximum(net, 0.0)
    earned_cum = segment_cumsum(lot, customer)
    earned = earned_cum[index.starts[1:] - 1]
    negative = np.flatnonzero(net < 0)
    used = np.bincount(customer[negative], weights=-net[negative], minlength=n)
    expiring = np.zeros(n)
    next_day = np.full(n, NO_DAY, dtype=np.int64)
    if expiry_day is None:
        return PointsState(np.round(earned - used, 6), earned, np.zeros(n), expiring, next_day)

    gone = np.flatnonzero((expiry_day <= as_of_day) & (lot > 0))
    owner = customer[gone]
    used_before = np.zeros(gone.size)
    if negative.size:  # only customers who ever used points need the look-up
        user = used[owner] > 0
        used_cum = segment_cumsum(np.maximum(-net, 0.0), customer)
        used_before[user] = index.through(used_cum, owner[user], expiry_day[gone[user]] - 1, key)
    candidate = np.zeros(n)
    if gone.size:  # rows are sorted by customer: reduce each customer's run of expired lots
        run = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        candidate[owner[run]] = np.maximum.reduceat(earned_cum[gone] - used_before, run)
    expired = np.maximum(candidate, 0.0)
    out = used + expired
    future = np.flatnonzero((expiry_day > as_of_day) & (lot > 0))
    owner = customer[future]
    lot_f = lot[future]
    remaining = np.clip(
        earned_cum[future] - np.maximum(out[owner], earned_cum[future] - lot_f), 0.0, lot_f
    )
    keep = remaining > 1e-9
    rows, owner, remaining = future[keep], owner[keep], remaining[keep]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    next_day[owner[first]] = expiry_day[rows[first]]
    same = expiry_day[rows] == next_day[owner]
    expiring = np.bincount(owner[same], weights=remaining[same], minlength=n).astype(np.float64)
    balance = np.round(earned - used - expired, 6)
    return PointsState(balance, earned, expired, np.round(expiring, 6), next_day)
