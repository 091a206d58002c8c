"""Tie-aware equal-frequency binning: the edge policy shared by RFM scores and value tiers.

The kernel works on a 1-D float array oriented so that *higher values earn higher scores*.
It never splits a group of tied values, never leaves a bin empty and, when there are no ties,
gives bins whose sizes differ by at most one (the same bins as ``pd.qcut``).

Policy (greedy equal-frequency with re-targeting)
-------------------------------------------------
Sort the distinct values ``v_1 < ... < v_d`` with counts ``c_1 ... c_d``. Bins are filled from
the lowest score upwards. With ``b`` bins still to fill and ``N`` customers not yet placed,
the current bin's target size is ``N / b``; the bin ends at the distinct value whose
cumulative count is closest to the target (the smaller one on an exact tie), but early enough
to leave at least one distinct value for each of the ``b - 1`` remaining bins. A heavy tie
(say 60% of customers with frequency 0) therefore becomes one bin on its own, and the
remaining bins share the remaining customers equally instead of being merged away.

Thresholds are the midpoints between the last value of a bin and the first value of the
next, so new customers with values never seen in ``fit`` fall in the nearest bin.
"""

from __future__ import annotations

import numpy as np

__all__ = ["apply_edges", "tie_aware_edges"]


def tie_aware_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Return ``n_bins - 1`` ascending thresholds splitting ``values`` into ``n_bins`` bins.

    Parameters
    ----------
    values : ndarray of float
        Finite values, higher is better. Must have at least ``n_bins`` distinct values
        (the caller checks and raises a helpful error).
    n_bins : int
        Number of bins, at least 1.

    Returns
    -------
    ndarray of float
        Thresholds; a value ``x`` gets bin ``1 + #(thresholds <= x)``.

    Examples
    --------
    >>> tie_aware_edges(np.array([0, 0, 0, 0, 0, 0, 1, 2, 3, 4.0]), 3)
    array([0.5, 2.5])
    """
    distinct, counts = np.unique(values, return_counts=True)
    n_distinct = distinct.size
    if n_bins <= 1 or n_distinct == 0:
        return np.empty(0, dtype=np.float64)
    cum = np.cumsum(counts)
    ends: list[int] = []
    start = 0
    placed = 0
    total = int(cum[-1])
    for remaining in range(n_bins, 1, -1):
        target = placed + (total - placed) / remaining
        lo, hi = start, n_distinct - remaining  # leave one distinct value per later bin
        k = int(np.searchsorted(cum, target, side="left"))  # first cum >= target
        above = min(max(k, lo), hi)
        below = min(max(k - 1, lo), hi)
        if abs(cum[below] - target) <= abs(cum[above] - target):
            end = below
        else:
            end = above
        ends.append(end)
        placed = int(cum[end])
        start = end + 1
    idx = np.asarray(ends, dtype=np.intp)
    lower = distinct[idx]
    upper = distinct[idx + 1]
    mid = lower + (upper - lower) / 2.0
    # Guard against midpoints that round onto the lower value for adjacent floats.
    return np.where(mid > lower, mid, upper).astype(np.float64)


def apply_edges(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin numbers ``1..len(edges)+1`` for ``values`` (higher value, higher bin).

    Examples
    --------
    >>> apply_edges(np.array([0.0, 0.5, 1.0, 9.0]), np.array([0.5, 2.5]))
    array([1, 2, 2, 3])
    """
    return (np.searchsorted(edges, values, side="right") + 1).astype(np.int64)
