"""Reading the classifier's input: a customer summary (frequency, recency, T) or a 2-D array."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils import check_array

from customer_models._validation import (
    as_pandas,
    check_finite,
    check_non_negative,
    check_not_empty,
    check_rule,
    ensure_numeric,
    require_columns,
    sklearn_input,
)
from customer_models.exceptions import ParameterError

__all__ = ["SUMMARY_COLUMNS", "as_count", "as_summary", "has_rhythm", "purchase_columns"]

SUMMARY_COLUMNS = ("frequency", "recency", "T")
_NOT_A_SUMMARY = (
    "X must be a customer summary DataFrame with columns frequency, recency and T "
    "(see customer_models.rfm_summary)"
)
# sklearn's common checks match "Negative values in data" for estimators tagged positive_only.
_NEGATIVE_HINT = (
    "Negative values in data are not counts or durations: build the summary with rfm_summary."
)


def _array_summary(X: Any, who: str) -> pd.DataFrame:
    """Read a 2-D array as the summary columns, checked the scikit-learn way, then ours.

    scikit-learn's ``check_array`` refuses complex, 1-D, empty and non-numeric input with the
    messages its checks expect; missing values are ours to refuse, with the column named (a
    plain array has no ids, so it cannot mark prospects the way a summary DataFrame does).
    """
    arr = sklearn_input(
        check_array, X, dtype=np.float64, ensure_all_finite=False, input_name="X", what="summary"
    )
    if arr.shape[1] != len(SUMMARY_COLUMNS):
        raise ParameterError(
            f"X has {arr.shape[1]} features, but {who} is expecting 3 features as input: "
            "a 2-D array is read as exactly those three columns, frequency, recency and T, "
            "in that order; or pass the customer summary DataFrame of rfm_summary."
        )
    rows = np.arange(len(arr))
    for j, column in enumerate(SUMMARY_COLUMNS):
        check_rule(
            ~np.isfinite(arr[:, j]),
            rows,
            rule=f"{column} must be finite (no NaN or inf)",
            column=column,
            what="summary",
            hint="Prospects (no purchase yet) need a summary DataFrame with frequency missing.",
        )
    return pd.DataFrame(arr, columns=list(SUMMARY_COLUMNS))


def as_summary(X: Any, who: str = "LifecycleStageClassifier") -> pd.DataFrame:
    """Return ``X`` as a summary DataFrame (never a copy of a pandas frame).

    Polars and Arrow tables are converted; a 2-D array is read as ``frequency``, ``recency``,
    ``T`` on a ``RangeIndex``; sparse input is refused. ``who`` names the estimator in the
    width error.

    Examples
    --------
    >>> as_summary([[1.0, 2.0, 3.0]])
       frequency  recency    T
    0        1.0      2.0  3.0
    """
    if isinstance(X, pd.DataFrame):
        return as_pandas(X, what="summary")
    if sparse.issparse(X):
        raise ParameterError(f"sparse input is not supported: {_NOT_A_SUMMARY}.")
    if type(X).__module__.split(".")[0] == "polars" or hasattr(X, "to_pandas"):
        return as_pandas(X, what="summary")
    return _array_summary(X, who)


def unit_of(df: pd.DataFrame, time_unit: str | None) -> str:
    """Return the unit of ``recency`` and ``T``: ``time_unit``, else the attrs', else days."""
    if time_unit is not None:
        return str(time_unit)
    return str(df.attrs.get("time_unit") or "D")


def has_rhythm(prospect: np.ndarray, frequency: np.ndarray, recency: np.ndarray) -> np.ndarray:
    """Buyers with a rhythm of their own: a repeat purchase after the first period."""
    return ~prospect & (frequency >= 1) & (recency > 0)


def as_count(values: np.ndarray) -> np.ndarray:
    """Return integer-valued floats as int64 (purchase counts), others unchanged.

    Examples
    --------
    >>> as_count(np.array([1.0, 3.0])).dtype, as_count(np.array([1.5])).dtype
    (dtype('int64'), dtype('float64'))
    """
    if np.all(values == np.floor(values)) and np.all(values < 2**53):
        return values.astype(np.int64)
    return values


def _prospects(df: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Rows without a purchase: missing ``frequency`` or ``n_transactions == 0``."""
    freq_col = pd.to_numeric(df["frequency"], errors="coerce")
    check_rule(
        freq_col.isna().to_numpy() & df["frequency"].notna().to_numpy(),
        ids,
        rule="frequency must be numeric",
        column="frequency",
        what="summary",
    )
    prospect = freq_col.isna().to_numpy()
    if "n_transactions" in df.columns:
        n_tx = pd.to_numeric(df["n_transactions"], errors="coerce").fillna(0).to_numpy()
        check_rule(
            (n_tx == 0) & ~prospect & (freq_col.fillna(0).to_numpy() > 0),
            ids,
            rule="frequency must be 0 or missing when n_transactions is 0",
            column="frequency",
            what="summary",
        )
        prospect = prospect | (n_tx == 0)
    return prospect


def purchase_columns(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate the summary; return (is_prospect, frequency, recency, T) arrays.

    Prospect rows carry zeros in the three numeric arrays.
    """
    require_columns(df, SUMMARY_COLUMNS, what="summary")
    check_not_empty(df, what="summary")
    ids = df.index.to_numpy()
    prospect = _prospects(df, ids)
    buyers = ~prospect
    sub = df.loc[buyers, list(SUMMARY_COLUMNS)] if not buyers.all() else df
    sub_ids = ids[buyers]
    arrays = []
    for column in SUMMARY_COLUMNS:
        values = ensure_numeric(sub[column], sub_ids, column=column, what="summary")
        check_finite(values, sub_ids, column=column, what="summary")
        check_non_negative(values, sub_ids, column=column, what="summary", hint=_NEGATIVE_HINT)
        full = np.zeros(len(df))
        full[buyers] = values
        arrays.append(full)
    frequency, recency, T = arrays
    tolerance = 1e-9 * np.maximum(1.0, T)
    check_rule(
        buyers & (recency > T + tolerance),
        ids,
        rule="recency must be <= T",
        column="recency",
        what="summary",
        hint="recency is the BTYD time from first to last purchase, T the time from "
        "first purchase to the end of observation (see rfm_summary).",
    )
    return prospect, frequency, recency, T
