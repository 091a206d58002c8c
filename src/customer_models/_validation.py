"""Vectorized checks shared by every public entry point.

Each check raises a :mod:`customer_models.exceptions` error whose message names the column, the
rule, the number of offending rows and the first few offending ids. None of them mutates its
input.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from customer_models.exceptions import (
    DataValidationError,
    MissingColumnError,
    ParameterError,
)

__all__ = [
    "as_pandas",
    "check_finite",
    "check_no_missing",
    "check_non_negative",
    "check_not_empty",
    "check_rule",
    "ensure_numeric",
    "require_columns",
]

#: How many offending ids an error message shows.
N_EXAMPLES = 5


def as_pandas(data: Any, *, what: str = "data") -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame, converting polars or Arrow tables once.

    pandas frames are returned as they are (never copied, never mutated). Polars DataFrames and
    LazyFrames, PyArrow tables and anything exposing ``to_pandas()`` are converted. Other inputs
    raise :class:`~customer_models.exceptions.ParameterError`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1]})
    >>> as_pandas(df) is df
    True
    """
    if isinstance(data, pd.DataFrame):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "polars":
        if hasattr(data, "collect") and not hasattr(data, "to_pandas"):
            data = data.collect()  # LazyFrame
        return data.to_pandas()
    if hasattr(data, "to_pandas"):  # pyarrow.Table, pyarrow.RecordBatch, ...
        converted = data.to_pandas()
        if isinstance(converted, pd.DataFrame):
            return converted
    raise ParameterError(
        f"{what} must be a pandas DataFrame (polars and Arrow tables are converted), "
        f"got {type(data).__name__}."
    )


def _closest(name: str, candidates: Sequence[str]) -> str:
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    if not match:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            match = [lowered[name.lower()]]
    return f" Did you mean {match[0]!r}?" if match else ""


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, what: str = "data") -> None:
    """Raise :class:`MissingColumnError` unless every column in ``columns`` is in ``df``.

    The message lists the available columns and suggests the closest match.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"date": []}), ["data"], what="transactions")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.MissingColumnError: transactions has no column 'data'. ...
    Did you mean 'date'?
    """
    available = [str(c) for c in df.columns]
    for column in columns:
        if column not in df.columns:
            raise MissingColumnError(
                f"{what} has no column {column!r}. Available columns: {available}."
                f"{_closest(str(column), available)}"
            )


def _examples(ids: Any, mask: np.ndarray) -> list[object]:
    values = np.asarray(ids)[np.asarray(mask, dtype=bool)][:N_EXAMPLES]
    return [v.item() if hasattr(v, "item") else v for v in values]


def check_rule(
    bad: np.ndarray | pd.Series,
    ids: Any,
    *,
    rule: str,
    column: str | None = None,
    what: str = "data",
    hint: str = "",
) -> None:
    """Raise :class:`DataValidationError` if any element of the boolean mask ``bad`` is true.

    Parameters
    ----------
    bad : array of bool
        True where a row breaks the rule.
    ids : array-like
        Customer ids (or row labels) aligned with ``bad``; the first few offenders are shown.
    rule : str
        The rule, stated positively (e.g. ``"frequency must be >= 0"``).
    column : str, optional
        The column the rule is about.
    what : str
        What the data is (``"transactions"``, ``"summary"``), for the message.
    hint : str
        A sentence telling the user how to fix or opt out.

    Examples
    --------
    >>> import numpy as np
    >>> check_rule(np.array([False, True]), ["a", "b"], rule="x must be >= 0", column="x")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: data column 'x': 1 of 2 rows break the rule
    'x must be >= 0'; first offending ids: ['b'].
    """
    mask = np.asarray(bad, dtype=bool)
    n_bad = int(mask.sum())
    if n_bad == 0:
        return
    examples = _examples(ids, mask)
    where = f"{what} column {column!r}" if column is not None else what
    noun = "row breaks" if n_bad == 1 and mask.size == 1 else "rows break"
    message = (
        f"{where}: {n_bad} of {mask.size} {noun} the rule {rule!r}; "
        f"first offending ids: {examples}."
    )
    if hint:
        message += f" {hint}"
    raise DataValidationError(message, column=column, rule=rule, n_rows=n_bad, examples=examples)


def check_not_empty(df: pd.DataFrame, *, what: str = "data") -> None:
    """Raise :class:`DataValidationError` if ``df`` has no rows."""
    if len(df) == 0:
        raise DataValidationError(
            f"{what} is empty: at least one row is needed.", rule="not empty", n_rows=0
        )


def check_no_missing(values: pd.Series, ids: Any, *, column: str, what: str = "data") -> None:
    """Raise if ``values`` has NaN/None/NaT."""
    check_rule(
        values.isna().to_numpy(),
        ids,
        rule=f"{column} must not be missing",
        column=column,
        what=what,
    )


def ensure_numeric(values: pd.Series, ids: Any, *, column: str, what: str = "data") -> np.ndarray:
    """Return ``values`` as a float64 array, raising on non-numeric or missing entries."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        coerced = pd.to_numeric(values, errors="coerce")
        bad = coerced.isna().to_numpy() & values.notna().to_numpy()
        check_rule(bad, ids, rule=f"{column} must be numeric", column=column, what=what)
        values = coerced
    check_no_missing(values, ids, column=column, what=what)
    return values.to_numpy(dtype=np.float64)


def check_finite(values: np.ndarray, ids: Any, *, column: str, what: str = "data") -> None:
    """Raise if ``values`` has NaN or infinite entries."""
    check_rule(~np.isfinite(values), ids, rule=f"{column} must be finite", column=column, what=what)


def check_non_negative(
    values: np.ndarray, ids: Any, *, column: str, what: str = "data", hint: str = ""
) -> None:
    """Raise if ``values`` has negative entries."""
    check_rule(values < 0, ids, rule=f"{column} must be >= 0", column=column, what=what, hint=hint)


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ParameterError(f"{name} must be one of {list(choices)}, got {value!r}.")
