"""Rows in, rows out: how a valuation model reads its data and hands results back.

:func:`as_frame` accepts a DataFrame (or a polars/Arrow table), a 2-D array or a mapping of
arrays; :func:`numeric_columns` turns the required columns into checked float64 arrays;
:func:`sample_weights` reads per-row weights; :func:`weighted_patterns` is the one row
preparation of ``fit`` and ``log_likelihood`` (the rows the model uses, the positive weights,
identical rows compressed); :func:`wrap` puts values back on the caller's index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from customer_models._polars import as_customer_frame
from customer_models._validation import (
    as_pandas,
    check_finite,
    check_rule,
    ensure_numeric,
    require_columns,
)
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.valuation._checks import TIME_COLUMNS
from customer_models.valuation._patterns import Patterns, compress_patterns

__all__ = [
    "as_frame",
    "ids_of",
    "numeric_columns",
    "row_ids",
    "sample_weights",
    "uses_time",
    "weighted_patterns",
    "wrap",
]


def ids_of(index: pd.Index) -> np.ndarray:
    """Return the customer ids of a frame's rows, as error messages show them."""
    return np.asarray(index)


def row_ids(index: pd.Index | None, n_rows: int) -> np.ndarray:
    """Ids for error messages: the index, or row positions for array input."""
    return np.arange(n_rows) if index is None else ids_of(index)


def uses_time(columns: tuple[str, ...]) -> bool:
    """Whether any of ``columns`` is a span of time (so the time unit must match)."""
    return any(c in TIME_COLUMNS for c in columns)


def as_frame(data: Any, names: tuple[str, ...], what: str) -> tuple[pd.DataFrame, bool]:
    """``(frame, from_arrays)``: ``data`` as a DataFrame, and whether it came as arrays.

    A 2-D ndarray must have the columns ``names`` in that order; a mapping holds one array
    per column. Array input gets ndarray results (see :func:`wrap`).

    Examples
    --------
    >>> import numpy as np
    >>> frame, from_arrays = as_frame(np.zeros((2, 2)), ("frequency", "T"), "data")
    >>> list(frame.columns), from_arrays
    (['frequency', 'T'], True)
    """
    if isinstance(data, np.ndarray):
        arr = np.asarray(data)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise ParameterError(
                f"{what} as an array must be 2-D with {len(names)} columns in the order "
                f"{list(names)}; got shape {arr.shape}."
            )
        return pd.DataFrame(arr, columns=list(names)), True
    if isinstance(data, Mapping) and not isinstance(data, pd.DataFrame):
        return pd.DataFrame({k: np.asarray(v).ravel() for k, v in data.items()}), True
    return as_customer_frame(data, what, names), False


def numeric_columns(
    frame: pd.DataFrame, names: tuple[str, ...], what: str
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``({column: float64 array}, ids)``, every value numeric and finite."""
    ids = ids_of(frame.index)
    out: dict[str, np.ndarray] = {}
    for name in names:
        values = ensure_numeric(frame[name], ids, column=name, what=what)
        check_finite(values, ids, column=name, what=what)
        out[name] = values
    return out, ids


def _weight_array(weights: Any, n: int, ids: np.ndarray) -> np.ndarray:
    raw = weights.to_numpy() if isinstance(weights, pd.Series | pd.DataFrame) else weights
    try:
        array = np.asarray(raw)
    except (TypeError, ValueError):
        array = np.asarray([raw], dtype=object)
    if array.dtype.kind not in "iuf":
        raise ParameterError(
            "sample_weight must be numbers (an array with one weight per row) or the name "
            f"of a column, got {type(weights).__name__} of dtype {array.dtype}."
        )
    w = array.astype(np.float64).ravel()
    if w.size != n:
        raise ParameterError(f"sample_weight has {w.size} entries but the data has {n} rows.")
    check_rule(np.isnan(w), ids, rule="sample_weight must not be missing", column="sample_weight")
    return w


def sample_weights(data: Any, weights: Any, n: int, ids: np.ndarray) -> np.ndarray:
    """Per-row weights: None (all ones), a column name of ``data`` or an array of ``n``.

    Weights must be finite, >= 0 and sum to more than 0.

    Examples
    --------
    >>> import numpy as np
    >>> sample_weights(None, [1, 2], 2, np.arange(2)).tolist()
    [1.0, 2.0]
    """
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        frame = as_pandas(data)
        require_columns(frame, [weights], what="data (sample_weight column)")
        w = ensure_numeric(frame[weights], ids, column=weights, what="sample_weight")
    else:
        w = _weight_array(weights, n, ids)
    check_finite(w, ids, column="sample_weight", what="sample_weight")
    check_rule(
        w < 0,
        ids,
        rule="sample_weight must be >= 0",
        column="sample_weight",
        what="sample_weight",
    )
    if not w.sum() > 0:
        raise DataValidationError(
            "sample_weight sums to 0: at least one row needs a positive weight.",
            column="sample_weight",
            rule="sample_weight must sum to > 0",
        )
    return w


def weighted_patterns(
    arrays: tuple[np.ndarray, ...], weights: np.ndarray, mask: np.ndarray | None
) -> Patterns:
    """Return the distinct rows the likelihood sees: in ``mask``, weight > 0, compressed.

    ``fit`` and ``log_likelihood`` both go through here, so they sum the same terms.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 1.0, 2.0, 3.0])
    >>> p = weighted_patterns((x,), np.array([1.0, 1.0, 0.0, 2.0]), x < 3)
    >>> p.columns[0].tolist(), p.weights.tolist()
    ([1.0], [2.0])
    """
    if mask is not None:
        arrays = tuple(a[mask] for a in arrays)
        weights = weights[mask]
    keep = weights > 0
    if not keep.all():
        arrays = tuple(a[keep] for a in arrays)
        weights = weights[keep]
    return compress_patterns(arrays, weights)


def wrap(values: np.ndarray, index: pd.Index | None, name: str) -> pd.Series | np.ndarray:
    """``values`` as a Series named ``name`` on ``index``, or an ndarray when index is None.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> wrap(np.array([0.5]), pd.Index(["a"]), "probability_alive")
    a    0.5
    Name: probability_alive, dtype: float64
    """
    values = np.asarray(values, dtype=np.float64)
    if index is None:
        return values
    return pd.Series(values, index=index, name=name)
