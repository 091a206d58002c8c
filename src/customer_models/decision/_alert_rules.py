"""Alert rules between two snapshots of the same customers, vectorized over customers.

Each rule looks at the ``before`` and ``after`` frames (aligned on the customers present in
both, except :class:`TierAtRisk`, which reads ``after`` only) and returns the customers it
fires on with the numbers behind the alert and a severity used to keep the worst ones when a
rule fires too often.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import check_rule, ensure_numeric, require_columns
from customer_models.exceptions import ParameterError

__all__ = ["AliveDrop", "Fired", "GradeDrop", "PurchasesBelowExpected", "TierAtRisk"]

#: Most purchase counts whose pmf is summed per customer (the Markov bound keeps it small).
MAX_COUNT = 10_000


@dataclass
class Fired:
    """What one rule found: evaluated count and the fired customers with their numbers."""

    n_evaluated: int
    ids: np.ndarray
    before: np.ndarray
    after: np.ndarray
    statistic: np.ndarray
    severity: np.ndarray
    #: formats the reason of the alerts kept: (before, after, statistic) -> str array; called
    #: after the flood cap, so text is built only for the alerts reported
    reason: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    return (
        np.char.mod(spec, np.asarray(values, dtype=np.float64))
        if values.size
        else np.array([], dtype=str)
    )


def _number(value: Any, name: str, *, low: float, high: float | None = None) -> float:
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < low or (high is not None and value > high):
        bound = f">= {low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise ParameterError(f"{name} must be a number {bound}, got {value!r}.")
    return float(value)


def _pick(mask: np.ndarray, ids: Any, *arrays: np.ndarray) -> list[np.ndarray]:
    return [np.asarray(ids)[mask], *(a[mask] for a in arrays)]


@dataclass(frozen=True)
class AliveDrop:
    """Fires when P(alive) fell by more than ``threshold`` between the snapshots.

    Examples
    --------
    >>> AliveDrop(0.3).name
    'alive_drop'
    """

    threshold: float = 0.2
    column: str = "probability_alive"
    name: str = "alive_drop"

    def evaluate(self, before: pd.DataFrame, after: pd.DataFrame) -> Fired:
        """Return the customers whose ``column`` fell by more than ``threshold``."""
        thr = _number(self.threshold, "AliveDrop threshold", low=0, high=1)
        for frame, what in ((before, "before"), (after, "after")):
            require_columns(frame, [self.column], what=f"{what} snapshot")
        b = ensure_numeric(before[self.column], before.index, column=self.column, what="before")
        a = ensure_numeric(after[self.column], after.index, column=self.column, what="after")
        drop = b - a
        ids, b, a, drop = _pick(drop > thr, before.index, b, a, drop)

        def reason(b: np.ndarray, a: np.ndarray, _: np.ndarray) -> np.ndarray:
            return np.char.add(
                np.char.add(np.char.add("P(alive) fell from ", _fmt(b, "%.2f")), " to "),
                np.char.add(_fmt(a, "%.2f"), f" (by more than {thr:g})"),
            )

        return Fired(len(before), ids, b, a, drop, drop, reason)


@dataclass(frozen=True)
class GradeDrop:
    """Fires when the grade fell by at least ``steps`` grades (grades listed best first).

    ``grades`` lists the grade names best first; by default the column's ordered categories
    (as :meth:`Scorecard.score` returns them: best first).
    """

    steps: int = 1
    column: str = "grade"
    grades: tuple[str, ...] | None = None
    name: str = "grade_drop"

    def evaluate(self, before: pd.DataFrame, after: pd.DataFrame) -> Fired:
        """Return the customers whose grade is ``steps`` or more grades worse than before."""
        steps = _number(self.steps, "GradeDrop steps", low=1)
        if not float(steps).is_integer():
            raise ParameterError(f"GradeDrop steps must be a whole number, got {self.steps!r}.")
        for frame, what in ((before, "before"), (after, "after")):
            require_columns(frame, [self.column], what=f"{what} snapshot")
        grades = self.grades
        if grades is None:
            dtype = before[self.column].dtype
            if not (isinstance(dtype, pd.CategoricalDtype) and dtype.ordered):
                raise ParameterError(
                    f"GradeDrop: column {self.column!r} is not an ordered categorical; give "
                    "grades= (best first), e.g. grades=('A', 'B', 'C', 'D')."
                )
            grades = tuple(dtype.categories)
        names = pd.Index(list(grades))
        codes = []
        for frame, what in ((before, "before"), (after, "after")):
            code = names.get_indexer(frame[self.column].astype(object))
            check_rule(
                code < 0,
                frame.index,
                rule=f"{self.column} must be one of {list(names)}",
                column=self.column,
                what=f"{what} snapshot",
            )
            codes.append(code.astype(np.float64))
        b, a = codes
        fell = a - b
        ids, b, a, fell = _pick(fell >= steps, before.index, b, a, fell)
        labels = np.asarray(names, dtype=str)

        def reason(b: np.ndarray, a: np.ndarray, _: np.ndarray) -> np.ndarray:
            return np.char.add(
                np.char.add("grade dropped from ", labels[b.astype(np.int64) - 1]),
                np.char.add(" to ", labels[a.astype(np.int64) - 1]),
            )

        # before/after hold grade positions (1 = best grade) so the table stays numeric
        return Fired(len(before), ids, b + 1, a + 1, fell, fell, reason)


@dataclass(frozen=True)
class PurchasesBelowExpected:
    """Fires when a customer bought far less than the model expected between the snapshots.

    ``before`` and ``after`` are customer summaries (``frequency``, ``recency``, ``T``) as of
    the two dates, in the model's time unit. The purchases between them are
    ``after.frequency - before.frequency`` over ``t = after.T - before.T``; the rule fires
    when ``P(X(t) <= observed | before's history) < alpha`` under the fitted model's pmf
    (``probability_of_purchases``).

    Notes
    -----
    By Markov's inequality ``P(X > n) <= E[X] / (n + 1)``, so a customer with
    ``n + 1 >= E[X] / (1 - alpha)`` cannot fire; the pmf is summed only for the others and
    only up to their observed count, a few terms each.
    """

    model: Any
    alpha: float = 0.05
    name: str = "purchases_below_expected"

    def evaluate(self, before: pd.DataFrame, after: pd.DataFrame) -> Fired:
        """Return the customers whose purchases have a lower-tail probability below alpha."""
        alpha = _number(self.alpha, "PurchasesBelowExpected alpha", low=0, high=1)
        for method in ("expected_purchases", "probability_of_purchases"):
            if not callable(getattr(self.model, method, None)):
                raise ParameterError(
                    f"PurchasesBelowExpected needs a fitted purchase model with {method}(), "
                    f"got {type(self.model).__name__}."
                )
        require_columns(before, ["frequency", "recency", "T"], what="before snapshot")
        require_columns(after, ["frequency", "T"], what="after snapshot")
        x0 = ensure_numeric(before["frequency"], before.index, column="frequency", what="before")
        x1 = ensure_numeric(after["frequency"], after.index, column="frequency", what="after")
        T0 = ensure_numeric(before["T"], before.index, column="T", what="before")
        T1 = ensure_numeric(after["T"], after.index, column="T", what="after")
        ids = before.index
        observed = x1 - x0
        t = T1 - T0
        check_rule(
            observed < 0,
            ids,
            rule="after.frequency must be >= before.frequency",
            column="frequency",
            what="snapshots",
        )
        check_rule(
            t <= 0,
            ids,
            rule="after.T must be > before.T (after is later)",
            column="T",
            what="snapshots",
        )
        expected = np.asarray(self.model.expected_purchases(before, t=t), dtype=np.float64)
        p = np.ones_like(expected)
        candidate = np.flatnonzero((observed + 1) < expected / max(1 - alpha, 1e-300))
        if candidate.size:
            top = int(observed[candidate].max())
            if top > MAX_COUNT:
                raise ParameterError(
                    f"PurchasesBelowExpected: an observed count of {top} exceeds {MAX_COUNT}; "
                    "the snapshots are too far apart for this rule."
                )
            sub = before.iloc[candidate]
            obs, horizon = observed[candidate], t[candidate]
            cdf = np.zeros(candidate.size)
            for k in range(top + 1):  # a loop over counts, each call vectorized over customers
                rows = np.flatnonzero(obs >= k)
                cdf[rows] += np.asarray(
                    self.model.probability_of_purchases(sub.iloc[rows], n=k, t=horizon[rows]),
                    dtype=np.float64,
                )
            p[candidate] = np.minimum(cdf, 1.0)
        fire = p < alpha
        ids, e, o, pf = _pick(fire, ids, expected, observed, p)

        def reason(e: np.ndarray, o: np.ndarray, pf: np.ndarray) -> np.ndarray:
            text = np.char.add(_fmt(o, "%.0f"), " purchases where the model expected ")
            return np.char.add(
                np.char.add(text, _fmt(e, "%.2f")),
                np.char.add(" (P(X <= observed) = ", np.char.add(_fmt(pf, "%.3g"), ")")),
            )

        severity = -np.log(np.maximum(pf, 1e-300))
        return Fired(len(before), ids, e, o, pf, severity, reason)


@dataclass(frozen=True)
class TierAtRisk:
    """Fires when a customer will lose their tier at a review within ``days`` days.

    Reads the ``after`` frame only: a :meth:`LoyaltyProgram.tiers_at` result (or any frame
    with ``amount_col``), with the days to the next review in ``days_col`` or, by default,
    from its ``attrs`` (``next_review - as_of``). A customer is at risk when the amount still
    needed to keep the tier is > 0.
    """

    days: float = 30
    amount_col: str = "amount_to_keep_tier"
    days_col: str | None = None
    name: str = "tier_at_risk"

    def evaluate(self, before: pd.DataFrame, after: pd.DataFrame) -> Fired:
        """Return the customers short of their tier's threshold with a review within ``days``."""
        horizon = _number(self.days, "TierAtRisk days", low=0)
        require_columns(after, [self.amount_col], what="after snapshot")
        need = ensure_numeric(
            after[self.amount_col], after.index, column=self.amount_col, what="after"
        )
        if self.days_col is not None:
            require_columns(after, [self.days_col], what="after snapshot")
            left = ensure_numeric(
                after[self.days_col], after.index, column=self.days_col, what="after"
            )
        else:
            attrs = after.attrs
            if "next_review" not in attrs or "as_of" not in attrs:
                raise ParameterError(
                    "TierAtRisk needs days_col= or an after frame from LoyaltyProgram.tiers_at "
                    "(attrs 'as_of' and 'next_review')."
                )
            days = (pd.Timestamp(attrs["next_review"]) - pd.Timestamp(attrs["as_of"])).days
            left = np.full(len(after), float(days))
        fire = (need > 0) & (left <= horizon)
        ids, n, d = _pick(fire, after.index, need, left)

        def reason(d: np.ndarray, n: np.ndarray, _: np.ndarray) -> np.ndarray:
            return np.char.add(
                np.char.add("needs ", _fmt(n, "%.2f")),
                np.char.add(
                    " more to keep the tier at the review in ",
                    np.char.add(_fmt(d, "%.0f"), " days"),
                ),
            )

        return Fired(len(after), ids, d, n, n, n, reason)
