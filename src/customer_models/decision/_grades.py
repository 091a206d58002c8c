"""Grades from total points: by point thresholds or by share of customers.

Grades are listed best first (``"A"`` first). Customers with equal totals always get the same
grade, so grades by share are exact up to ties at a boundary (the tie goes to the better
grade).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._validation import as_pairs, check_labels, check_number
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TypeAlias

    #: A grade table: grade names best first, each with a number (or None), as a mapping, a
    #: list of (grade, number) pairs or a Series.
    GradeTable: TypeAlias = (
        Mapping[str, float | np.number | None]
        | Sequence[tuple[str, float | np.number | None] | list[Any]]
        | pd.Series
    )

__all__ = ["GradeRule", "parse_grades"]

_POINTS_EXAMPLE = "grades=[('A', 80), ('B', 60), ('C', 40), ('D', None)]"
_SHARES_EXAMPLE = "grade_shares=[('A', 0.1), ('B', 0.2), ('C', 0.3), ('D', 0.4)]"
#: Relative tolerance so that sums such as 0.1 + 0.2 reach a threshold of 0.3.
_TOL = 1e-9


@dataclass(frozen=True)
class GradeRule:
    """Grade names (best first) with minimum points or shares of customers."""

    names: tuple[str, ...]
    minimums: tuple[float, ...] | None  # minimum total for each grade but the last
    shares: tuple[float, ...] | None  # share of customers in each grade

    def cutoffs(self, total: np.ndarray) -> np.ndarray:
        """Minimum total of each grade but the last (descending), for these totals."""
        if self.minimums is not None:
            cut = np.asarray(self.minimums, dtype=np.float64)
            return cut - _TOL * np.maximum(1.0, np.abs(cut))
        assert self.shares is not None
        n = total.size
        ordered = np.sort(total)[::-1]
        cumulative = np.cumsum(self.shares)[:-1]
        rank = np.ceil(np.round(cumulative * n, 9)).astype(np.int64) - 1
        cut = np.where(rank >= 0, ordered[np.clip(rank, 0, max(n - 1, 0))], np.inf)
        return np.asarray(cut, dtype=np.float64)

    def grade(self, total: np.ndarray, index: pd.Index) -> pd.Series:
        """Ordered categorical grade of every total (best grade first in the categories)."""
        cut = self.cutoffs(total)
        # grade index = number of cutoffs the total falls below (cutoffs are descending)
        code = np.searchsorted(-cut, -total, side="left").astype(np.int8)
        dtype = pd.CategoricalDtype(list(self.names), ordered=True)
        grade = pd.Series(pd.Categorical.from_codes(code, dtype=dtype), index=index, name="grade")
        return grade

    def to_dict(self) -> dict[str, Any]:
        """Return the grade rule as JSON-able data."""
        if self.minimums is not None:
            pairs = [[n, m] for n, m in zip(self.names, [*self.minimums, None], strict=True)]
            return {"grades": pairs}
        assert self.shares is not None
        return {"grade_shares": [[n, s] for n, s in zip(self.names, self.shares, strict=True)]}


def _pairs(value: Any, what: str, example: str) -> list[tuple[Any, Any]]:
    return as_pairs(
        value,
        bad_item=lambda item: (
            f"each entry of {what} must be a (grade, value) pair, got {item!r}. Example: {example}."
        ),
        bad_type=lambda table: (
            f"{what} must be a list of (grade, value) pairs or a dict, got "
            f"{type(table).__name__}. Example: {example}."
        ),
    )


def _names(pairs: list[tuple[Any, Any]], what: str) -> tuple[str, ...]:
    names = check_labels([name for name, _ in pairs], f"{what}: grade")
    if len(names) < 2:
        raise ParameterError(f"{what} needs at least two grades.")
    if len(names) > 100:
        raise ParameterError(f"{what} may list at most 100 grades, got {len(names)}.")
    return names


def parse_grades(grades: GradeTable | None, grade_shares: GradeTable | None) -> GradeRule | None:
    """Validate ``grades`` (minimum points, best first) or ``grade_shares``; ``None`` if neither.

    Examples
    --------
    >>> parse_grades([("A", 80), ("B", 50), ("C", None)], None).minimums
    (80.0, 50.0)
    >>> parse_grades(None, [("A", 0.2), ("B", 0.5), ("C", 0.2)])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: grade_shares must sum to 1, got 0.9. Example: ...
    """
    if grades is not None and grade_shares is not None:
        raise ParameterError("give grades= (minimum points) or grade_shares=, not both.")
    if grades is None and grade_shares is None:
        return None
    if grades is not None:
        pairs = _pairs(grades, "grades", _POINTS_EXAMPLE)
        names = _names(pairs, "grades")
        if pairs[-1][1] is not None:
            raise ParameterError(
                f"the last grade {names[-1]!r} takes every remaining customer: give it None as "
                f"its minimum, e.g. {_POINTS_EXAMPLE}."
            )
        minimums = [check_number(m, f"the minimum points of grade {n!r}") for n, m in pairs[:-1]]
        for k in range(1, len(minimums)):
            if minimums[k] >= minimums[k - 1]:
                raise ParameterError(
                    f"grade minimums must be strictly descending (best grade first): "
                    f"{names[k - 1]!r} needs {minimums[k - 1]:g} and {names[k]!r} needs "
                    f"{minimums[k]:g}. Example: {_POINTS_EXAMPLE}."
                )
        return GradeRule(names, tuple(minimums), None)
    pairs = _pairs(grade_shares, "grade_shares", _SHARES_EXAMPLE)
    names = _names(pairs, "grade_shares")
    shares = [check_number(s, f"the share of grade {n!r}") for n, s in pairs]
    bad = [n for n, s in zip(names, shares, strict=True) if not 0 <= s <= 1]
    if bad:
        raise ParameterError(f"grade_shares must be in [0, 1]; grades {bad} are not.")
    if abs(sum(shares) - 1.0) > 1e-9:
        raise ParameterError(
            f"grade_shares must sum to 1, got {sum(shares):g}. Example: {_SHARES_EXAMPLE}."
        )
    return GradeRule(names, None, tuple(shares))
