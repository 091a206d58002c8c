"""Probabilistic scores of the holdout counts: P(at least one), log score, interval coverage.

One pass over the counts ``k = 0, 1, 2, ...`` asks the model for ``P(X = k)`` in each
customer's own holdout (``probability_of_purchases(data, n=k, t=duration)``), on the
customers still unresolved: a customer is done once ``k`` has reached its observed holdout
count and its cumulative probability has reached the upper quantile of the interval. The
work is one model call per count (per distinct holdout length), never one per customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models.exceptions import DataValidationError, ParameterError

__all__ = [
    "LOG_FLOOR",
    "MAX_COUNT",
    "HoldoutScores",
    "has_pmf",
    "holdout_scores",
    "pmf_interval_bounds",
]

#: Largest holdout count the pass walks to (one model call per count): beyond it, refuse.
MAX_COUNT = 10_000
#: A pmf below this counts as this in the log score (so one customer adds at most ~690.8).
LOG_FLOOR = 1e-300

#: Rounding a pmf may show beyond [0, 1]; more than this is an error of the model.
_PMF_SLACK = 1e-9


@dataclass(frozen=True)
class HoldoutScores:
    """Per-customer probabilistic scores of the observed holdout counts."""

    probability_any: np.ndarray
    log_score: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _pmf_at(model: Any, frame: pd.DataFrame, rows: np.ndarray, k: int, t: np.ndarray) -> Any:
    """``P(X = k)`` in the holdout for the customers ``rows`` (one call per holdout length)."""
    out = np.empty(rows.size)
    durations = t[rows]
    for value in np.unique(durations):
        pick = durations == value
        part = frame.iloc[rows[pick]]
        horizon: float | int = float(value)
        if float(value).is_integer():
            horizon = int(value)  # discrete-time models take whole opportunities
        values = model.probability_of_purchases(part, n=k, t=horizon)
        out[pick] = np.asarray(values, dtype=np.float64)
    return out


def has_pmf(model: Any, frame: pd.DataFrame) -> bool:
    """Whether ``model`` answers ``probability_of_purchases`` on these rows."""
    if not callable(getattr(model, "probability_of_purchases", None)):
        return False
    try:
        model.probability_of_purchases(frame.iloc[:1], n=0, t=1)
    except (ParameterError, NotImplementedError):
        return False
    return True


def pmf_interval_bounds(confidence: float) -> tuple[float, float]:
    """Cumulative probabilities of the central interval: ``((1 - c) / 2, (1 + c) / 2)``.

    Examples
    --------
    >>> [round(q, 3) for q in pmf_interval_bounds(0.9)]
    [0.05, 0.95]
    """
    return (1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0


def holdout_scores(
    model: Any,
    frame: pd.DataFrame,
    actual: np.ndarray,
    duration: np.ndarray,
    *,
    confidence: float,
) -> HoldoutScores:
    """P(at least one purchase), ``-log P(X = actual)`` and the central interval per customer.

    The interval ``[lower, upper]`` of the holdout count is the central one of the model's
    predictive distribution: ``lower`` the smallest ``k`` with ``P(X <= k) >= (1 - c) / 2``,
    ``upper`` the smallest ``k`` with ``P(X <= k) >= (1 + c) / 2``, so it holds at least
    ``c`` of the probability (counts are discrete), as
    :func:`customer_models.valuation.prediction_interval` defines it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class Fair:  # X = 0 or 1 with probability 1/2 each, whatever the horizon
    ...     def probability_of_purchases(self, data, *, n, t):
    ...         return pd.Series(0.5 if n < 2 else 0.0, index=data.index)
    >>> frame = pd.DataFrame(index=["a", "b"])
    >>> s = holdout_scores(Fair(), frame, np.array([0.0, 1.0]), np.ones(2), confidence=0.5)
    >>> s.probability_any.tolist(), s.log_score.round(3).tolist(), s.upper.tolist()
    ([0.5, 0.5], [0.693, 0.693], [1.0, 1.0])
    """
    n = actual.size
    observed = actual.astype(np.int64)
    low_q, high_q = pmf_interval_bounds(confidence)
    cdf = np.zeros(n)
    at_actual = np.zeros(n)
    p_zero = np.zeros(n)
    lower = np.full(n, -1.0)
    upper = np.full(n, -1.0)
    rows = np.arange(n)
    k = 0
    while rows.size:
        if k > MAX_COUNT:
            raise DataValidationError(
                f"the holdout scores need the model's pmf beyond {MAX_COUNT:,} purchases for "
                f"{rows.size} customers (observed holdout counts up to "
                f"{int(observed.max()):,}); evaluate on a shorter holdout.",
                column="frequency_holdout",
                rule=f"holdout counts below {MAX_COUNT:,}",
                n_rows=int(rows.size),
            )
        raw = np.asarray(_pmf_at(model, frame, rows, k, duration), dtype=np.float64)
        if not np.all(np.isfinite(raw)):
            raise DataValidationError(
                f"{type(model).__name__}.probability_of_purchases returned a non-finite "
                f"probability at n={k} for {int((~np.isfinite(raw)).sum())} customers.",
                rule="finite pmf",
            )
        wrong = (raw > 1.0 + _PMF_SLACK) | (raw < -_PMF_SLACK)
        if wrong.any():  # a broken pmf, not rounding: never scored as a certainty
            ids = list(frame.index[rows[wrong]][:5])
            raise DataValidationError(
                f"{type(model).__name__}.probability_of_purchases returned probabilities "
                f"outside [0, 1] at n={k} for {int(wrong.sum())} customers (e.g. "
                f"{float(raw[wrong][0]):.4g}; first ids: {ids}).",
                rule="pmf in [0, 1]",
                n_rows=int(wrong.sum()),
            )
        pmf = np.clip(raw, 0.0, 1.0)  # rounding noise only
        if k == 0:
            p_zero[rows] = pmf
        hit = observed[rows] == k
        at_actual[rows[hit]] = pmf[hit]
        cdf[rows] += pmf
        new_lower = (lower[rows] < 0) & (cdf[rows] >= low_q)
        lower[rows[new_lower]] = k
        new_upper = (upper[rows] < 0) & (cdf[rows] >= high_q * (1.0 - 1e-12))
        upper[rows[new_upper]] = k
        done = (upper[rows] >= 0) & (observed[rows] <= k)
        rows = rows[~done]
        k += 1
    return HoldoutScores(
        probability_any=np.clip(1.0 - p_zero, 0.0, 1.0),
        log_score=-np.log(np.maximum(at_actual, LOG_FLOOR)),
        lower=lower,
        upper=upper,
    )
