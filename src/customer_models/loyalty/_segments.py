"""Per-customer running sums over a (customer, day)-sorted daily table, on numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DayIndex", "segment_cumsum"]


def segment_cumsum(values: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Return the running sum of ``values`` within each customer (compensated summation)."""
    return (
        pd.Series(values, copy=False)
        .groupby(customer, sort=False)
        .cumsum()
        .to_numpy(dtype=np.float64)
    )


@dataclass(frozen=True)
class DayIndex:
    """Look up per-customer running sums "through day ``e``" with one ``searchsorted``.

    Rows are sorted by (customer, day) and unique; ``starts[c]`` is the first row of customer
    ``c`` (``starts[n]`` = number of rows).
    """

    customer: np.ndarray
    day: np.ndarray
    starts: np.ndarray
    first_day: int
    span: int

    @classmethod
    def build(cls, customer: np.ndarray, day: np.ndarray, n_customers: int) -> DayIndex:
        """Index a sorted daily table."""
        first = int(day.min()) if day.size else 0
        span = int(day.max()) - first + 2 if day.size else 2
        starts = np.searchsorted(customer, np.arange(n_customers + 1))
        return cls(customer, day, starts, first, span)

    @property
    def key(self) -> np.ndarray:
        """Sorted int64 key ``customer * span + (day - first_day)``."""
        return self.customer * self.span + (self.day - self.first_day)

    def by_day(self) -> tuple[np.ndarray, np.ndarray]:
        """Row order by day (radix sort on small integers) and the days in that order."""
        offset = self.day - self.first_day
        small = offset.astype(np.uint16) if self.span < 2**16 else offset
        order = np.argsort(small, kind="stable")
        return order, self.day[order]

    def window_sum(
        self,
        values: np.ndarray,
        first_day: int,
        last_day: int,
        by_day: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Per-customer sum of ``values`` over days ``first_day..last_day``.

        With ``by_day`` (from :meth:`by_day`, worth it for many windows), only the rows inside
        the window are touched; otherwise one masked pass over all rows.
        """
        n = self.starts.size - 1
        if by_day is None:
            inside = (self.day >= first_day) & (self.day <= last_day)
            return np.bincount(self.customer, weights=np.where(inside, values, 0.0), minlength=n)
        order, sorted_day = by_day
        lo = int(np.searchsorted(sorted_day, first_day, side="left"))
        hi = int(np.searchsorted(sorted_day, last_day, side="right"))
        rows = order[lo:hi]
        return np.bincount(self.customer[rows], weights=values[rows], minlength=n)

    def through(
        self, cumulative: np.ndarray, customer: np.ndarray, end_day: np.ndarray, key: np.ndarray
    ) -> np.ndarray:
        """Return ``cumulative`` at each customer's last row on or before ``end_day`` (0: none)."""
        offset = np.clip(np.asarray(end_day, dtype=np.int64) - self.first_day, -1, self.span - 2)
        row = np.searchsorted(key, customer * self.span + offset, side="right") - 1
        valid = row >= self.starts[customer]
        return np.where(valid, cumulative[np.maximum(row, 0)], 0.0)
