"""Survey hygiene: turn raw answers into a clean float array, or say exactly what is wrong.

Every public feedback function funnels its answers through :func:`clean_scores` (one answer
vector) or :func:`clean_score_column` (a column of a table). The rules, in order:

1. answers must be numeric (booleans are refused: they are not ratings);
2. missing answers (NaN/None) raise unless ``dropna=True``, in which case they are dropped and
   counted (``n_dropped``), never silently;
3. answers must lie on the scale ``[low, high]`` (infinite values break this rule);
4. on an integer scale (integer bounds) answers must be whole numbers;
5. at least ``min_n`` answers must remain.

All checks are vectorized and none mutates its input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._validation import as_one_column, check_bool, check_number, check_rule
from customer_models.exceptions import DataValidationError, ParameterError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "MAX_BOOTSTRAP",
    "as_list",
    "check_confidence",
    "check_scale",
    "clean_score_column",
    "clean_scores",
    "clean_weights",
    "kish_effective_n",
    "validate_values",
]

#: Most bootstrap replicates (nps, key_drivers): the work and memory grow with it.
MAX_BOOTSTRAP = 1_000_000

_DROPNA_HINT = (
    "Pass dropna=True to drop missing answers explicitly (the number dropped is reported as "
    "n_dropped)."
)


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` as a float, raising :class:`ParameterError` unless it is in (0, 1)."""
    value: float = check_number(
        confidence, "confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    return value


def check_scale(scale: Any, *, name: str = "scale") -> tuple[float, float, bool]:
    """Validate a ``(low, high)`` scale; return ``(low, high, is_integer_scale)``."""
    try:
        low, high = scale
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a (low, high) pair such as (1, 5), got {scale!r}."
        ) from None
    for bound in (low, high):
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating)):
            raise ParameterError(f"{name} bounds must be numbers, got {scale!r}.")
        if not np.isfinite(bound):
            raise ParameterError(f"{name} bounds must be finite, got {scale!r}.")
    if not low < high:
        raise ParameterError(f"{name} must be (low, high) with low < high, got {scale!r}.")
    is_int = float(low).is_integer() and float(high).is_integer()
    return float(low), float(high), is_int


def _as_series(scores: Any, *, what: str) -> pd.Series:
    """Return answers (or weights) as one Series; a single answer or a string is refused."""
    if isinstance(scores, (str, bytes)) or np.ndim(scores) == 0:
        raise ParameterError(
            f"{what} must be a 1-d array-like of answers (list, numpy array, Series), "
            f"got {type(scores).__name__}."
        )
    module = type(scores).__module__.split(".")[0]
    if module == "polars" and hasattr(scores, "to_pandas"):
        return scores.to_pandas()
    return as_one_column(scores, what, hint=" Select the score column, e.g. df['nps'].")


def _to_float(values: pd.Series, *, column: str, what: str) -> np.ndarray:
    ids = values.index
    if pd.api.types.is_bool_dtype(values):
        raise DataValidationError(
            f"{what} column {column!r} holds booleans; answers must be numeric ratings.",
            column=column,
            rule=f"{column} must be numeric",
            n_rows=len(values),
            examples=list(ids[:5]),
        )
    if not pd.api.types.is_numeric_dtype(values):
        coerced = pd.to_numeric(values, errors="coerce")
        bad = coerced.isna().to_numpy() & values.notna().to_numpy()
        check_rule(bad, ids, rule=f"{column} must be numeric", column=column, what=what)
        values = coerced
    if isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return values.to_numpy(dtype=np.float64)


def validate_values(
    x: np.ndarray,
    ids: Any,
    *,
    scale: tuple[float, float, bool],
    dropna: bool,
    column: str,
    what: str,
) -> np.ndarray:
    """Apply rules 2-4 to a float array; return the boolean mask of kept answers."""
    dropna = check_bool(dropna, "dropna")
    low, high, is_int = scale
    missing = np.isnan(x)
    if not dropna:
        check_rule(
            missing,
            ids,
            rule=f"{column} must not be missing",
            column=column,
            what=what,
            hint=_DROPNA_HINT,
        )
    with np.errstate(invalid="ignore"):
        outside = ~missing & ~((x >= low) & (x <= high))
    check_rule(
        outside,
        ids,
        rule=f"{column} must be on the scale {_fmt(low)}..{_fmt(high)}",
        column=column,
        what=what,
        hint="Recode or remove answers outside the scale (or pass the right scale=).",
    )
    if is_int:
        # on the scale and not missing, so finite here
        fractional = ~missing & (x != np.floor(np.where(missing, 0.0, x)))
        check_rule(
            fractional,
            ids,
            rule=f"{column} must be a whole number on the integer scale {_fmt(low)}..{_fmt(high)}",
            column=column,
            what=what,
            hint="Round the answers or pass a non-integer scale such as (1.0, 5.5).",
        )
    return ~missing


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _check_min_n(n: int, min_n: int, *, what: str, column: str, n_dropped: int) -> None:
    if n < min_n:
        dropped = f" after dropping {n_dropped} missing" if n_dropped else ""
        raise DataValidationError(
            f"{what} has {n} usable answer{'s' if n != 1 else ''}{dropped}; "
            f"at least {min_n} {'are' if min_n != 1 else 'is'} needed.",
            column=column,
            rule=f"at least {min_n} answers",
            n_rows=n,
        )


def clean_weights(weights: Any, n: int, *, what: str = "weights") -> np.ndarray:
    """Return weights as a float array of length ``n``: finite, non-negative, positive sum."""
    series = _as_series(weights, what=what)
    if len(series) != n:
        raise ParameterError(f"{what} must have one weight per answer ({n}), got {len(series)}.")
    w = _to_float(series, column=what, what=what)
    ids = series.index
    check_rule(~np.isfinite(w), ids, rule=f"{what} must be finite", column=what, what=what)
    check_rule(w < 0, ids, rule=f"{what} must be >= 0", column=what, what=what)
    return w


def clean_scores(
    scores: ArrayLike,
    *,
    scale: tuple[float, float, bool],
    dropna: bool,
    weights: ArrayLike | None = None,
    min_n: int = 1,
    what: str = "scores",
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Validate one vector of answers (and optional weights).

    Returns
    -------
    x : ndarray of float
        The kept answers.
    w : ndarray of float or None
        Their weights (None when unweighted).
    n_dropped : int
        How many missing answers were dropped (0 unless ``dropna=True``).
    """
    series = _as_series(scores, what=what)
    column = str(series.name) if series.name is not None else what
    x = _to_float(series, column=column, what=what)
    w = None if weights is None else clean_weights(weights, len(x), what="sample_weight")
    keep = validate_values(x, series.index, scale=scale, dropna=dropna, column=column, what=what)
    n_dropped = int(keep.size - keep.sum())
    if n_dropped:
        x = x[keep]
        w = None if w is None else w[keep]
    _check_min_n(x.size, min_n, what=what, column=column, n_dropped=n_dropped)
    if w is not None and not w.sum() > 0:
        raise DataValidationError(
            "sample_weight sums to 0: at least one answer needs a positive weight.",
            column="sample_weight",
            rule="sample_weight must have a positive sum",
            n_rows=int(w.size),
        )
    return x, w, n_dropped


def clean_score_column(
    df: pd.DataFrame,
    score_col: str,
    *,
    scale: tuple[float, float, bool],
    dropna: bool,
    what: str = "data",
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a score column of ``df``; return ``(x, keep_mask)`` (x has NaN where dropped)."""
    values = df[score_col]
    x = _to_float(values, column=score_col, what=what)
    keep = validate_values(x, df.index, scale=scale, dropna=dropna, column=score_col, what=what)
    return x, keep


def kish_effective_n(w: np.ndarray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (0 when no weight is positive).

    The weights are divided by their largest value first (the ratio does not change), so
    tiny or huge weights neither underflow nor overflow when squared.
    """
    largest = float(np.max(w)) if w.size else 0.0
    if not largest > 0:
        return 0.0
    u = w / largest
    return float(u.sum() ** 2 / np.square(u).sum())


def as_list(value: Any) -> list[Any]:
    """Wrap a scalar (or a ``pd.Grouper``) in a list; pass sequences through as lists."""
    if value is None:
        return []
    if isinstance(value, (str, pd.Grouper)) or not isinstance(value, Sequence):
        return [value]
    return list(value)
