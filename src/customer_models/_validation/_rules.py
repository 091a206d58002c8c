"""Data rules over columns, vectorized.

The message names the column, the rule, the number of offending rows and the first few ids.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation._messages import offending_ids
from customer_models.exceptions import DataValidationError

__all__ = [
    "check_finite",
    "check_no_missing",
    "check_non_negative",
    "check_not_empty",
    "check_rule",
    "ensure_numeric",
    "refuse_rows",
]


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
    refuse_rows(
        n_bad, mask.size, offending_ids(ids, mask), rule=rule, column=column, what=what, hint=hint
    )


def refuse_rows(
    n_bad: int,
    n_total: int,
    examples: list[Any],
    *,
    rule: str,
    column: str | None = None,
    what: str = "data",
    hint: str = "",
) -> None:
    """Raise the message of :func:`check_rule` from a count and a few ids already fetched.

    For data that is not in memory (a database table), where the caller counts and fetches
    the offending ids itself.

    Examples
    --------
    >>> refuse_rows(3, 10, ["a", "b"], rule="x must be >= 0", column="x", what="table")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: table column 'x': 3 of 10 rows break the rule
    'x must be >= 0'; first offending ids: ['a', 'b'].
    """
    where = f"{what} column {column!r}" if column is not None else what
    noun = "row breaks" if n_bad == 1 and n_total == 1 else "rows break"
    message = (
        f"{where}: {n_bad} of {n_total} {noun} the rule {rule!r}; first offending ids: {examples}."
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
