"""Input handling shared by the segmenters: named columns or positions, sklearn bookkeeping.

Every segmenter reads a few columns from the customer summary (a DataFrame indexed by customer
id). Columns are given by name (DataFrame input) or by position (``int``; works for arrays
and DataFrames alike). Plain arrays have no names, so a column given by name is looked up at
its documented position instead (each estimator documents its column order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array, validate_data

from customer_models._validation import (
    as_pandas,
    check_number,
    check_rule,
    require_columns,
    sklearn_input,
)
from customer_models.exceptions import (
    DataValidationError,
    MissingColumnError,
    ParameterError,
)

__all__ = [
    "Table",
    "check_column",
    "check_int",
    "check_names",
    "numeric_or_nan",
    "read_table",
]

Column = str | int


class Table:
    """A validated view of the input: row labels plus column access by name or position."""

    def __init__(self, data: pd.DataFrame | np.ndarray, what: str) -> None:
        self.data = data
        self.what = what
        self.is_frame = isinstance(data, pd.DataFrame)
        self.n_rows = int(data.shape[0])
        self.n_cols = int(data.shape[1])
        self.index: pd.Index = (
            data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(self.n_rows)
        )

    @property
    def ids(self) -> np.ndarray:
        """Row labels (customer ids for a summary, row positions for arrays)."""
        return self.index.to_numpy()

    def label(self, column: Column) -> str:
        """Return a readable name for ``column``."""
        if isinstance(column, str):
            return column
        if self.is_frame:
            return str(self.data.columns[column])  # type: ignore[union-attr]
        return f"column {column}"

    def raw(self, column: Column, *, position: int | None = None) -> np.ndarray | pd.Series:
        """Return the column as stored (Series for frames, 1-D array for arrays)."""
        if isinstance(self.data, pd.DataFrame):
            if isinstance(column, str):
                require_columns(self.data, [column], what=self.what)
                return self.data[column]
            self._check_position(column)
            return self.data.iloc[:, column]
        if isinstance(column, str):
            if position is None:
                raise MissingColumnError(
                    f"{self.what} is a plain array without column names, so column "
                    f"{column!r} cannot be found; pass a DataFrame or give the column by "
                    "position (an int)."
                )
            column = position
        self._check_position(column)
        return self.data[:, column]

    def _check_position(self, position: int) -> None:
        if not -self.n_cols <= position < self.n_cols:
            raise MissingColumnError(
                f"{self.what} has {self.n_cols} feature(s) (columns), so column position "
                f"{position} does not exist."
            )

    def numeric(self, column: Column, *, position: int | None = None) -> np.ndarray:
        """Return the column as finite float64; errors name the column and first bad ids."""
        values = self.raw(column, position=position)
        name = self.label(column) if isinstance(column, int) or self.is_frame else column
        if isinstance(values, pd.Series):
            array = numeric_or_nan(values, self.ids, column=name, what=self.what)
        else:
            try:
                array = np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise DataValidationError(
                    f"{self.what} {name!r} must be numeric: {exc}",
                    column=name,
                    rule=f"{name} must be numeric",
                ) from exc
        check_rule(
            ~np.isfinite(array),
            self.ids,
            rule=f"{name} must not be NaN or infinite",
            column=name,
            what=self.what,
            hint="Fill or drop missing values before segmenting.",
        )
        return array


def numeric_or_nan(values: pd.Series, ids: Any, *, column: str, what: str = "data") -> np.ndarray:
    """``values`` as float64 with NaN where missing; entries that are not numbers raise.

    Booleans and text holding numbers are read as numbers (``"3"`` is 3.0); what they do with
    the NaN is the caller's rule (the segmenters refuse it, profiles skip it).

    Examples
    --------
    >>> numeric_or_nan(pd.Series(["1.5", None]), [10, 11], column="spend")
    array([1.5, nan])
    >>> numeric_or_nan(pd.Series(["1.5", "a lot"]), [10, 11], column="spend")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: data column 'spend': 1 of 2 rows break the
    rule 'spend must be numeric'; first offending ids: [11].
    """
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        coerced = pd.to_numeric(values, errors="coerce")
        check_rule(
            coerced.isna().to_numpy() & values.notna().to_numpy(),
            ids,
            rule=f"{column} must be numeric",
            column=column,
            what=what,
        )
        values = coerced
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def read_table(estimator: Any, X: Any, *, reset: bool, what: str, numeric: bool = True) -> Table:
    """Validate ``X`` (DataFrame, polars/Arrow table, array or list) and record its features.

    On ``reset=True`` (``fit``) sets ``n_features_in_`` and, for DataFrames with string
    column names, ``feature_names_in_``; otherwise checks them like scikit-learn does.
    """
    if not isinstance(X, pd.DataFrame):
        module = type(X).__module__.split(".")[0]
        if module in ("polars", "pyarrow"):
            X = as_pandas(X, what=what)
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise DataValidationError(
                f"{what} is empty: 0 sample(s); at least one row is needed.",
                rule="not empty",
            )
        sklearn_input(validate_data, estimator, X, reset=reset, skip_check_array=True, what=what)
        return Table(X, what)
    array = sklearn_input(
        check_array,
        X,
        dtype="numeric" if numeric else None,
        ensure_all_finite=False,
        estimator=estimator,
        input_name="X",
        what=what,
    )
    sklearn_input(validate_data, estimator, array, reset=reset, skip_check_array=True, what=what)
    return Table(array, what)


def check_column(column: Any, name: str, *, allow_none: bool = False) -> Any:
    """Return ``column`` if it is a column name (str) or position (int), else raise.

    Examples
    --------
    >>> check_column(2.5, "value_col")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: value_col must be a column name (str) or
    position (int), got 2.5 (float).
    """
    if column is None and allow_none:
        return None
    is_int = isinstance(column, int | np.integer) and not isinstance(column, bool | np.bool_)
    if isinstance(column, str) or is_int:
        return column
    extra = " or None" if allow_none else ""
    raise ParameterError(
        f"{name} must be a column name (str) or position (int){extra}, got {column!r} "
        f"({type(column).__name__})."
    )


def check_names(values: Any, name: str) -> list[Any]:
    """Return ``values`` (a list/tuple/array of names or column references) as a list."""
    if isinstance(values, str | bytes) or not isinstance(values, list | tuple | np.ndarray):
        raise ParameterError(
            f"{name} must be a list of names, got {values!r} ({type(values).__name__})."
        )
    return list(values)


def check_int(value: Any, name: str, *, minimum: int) -> int:
    """Raise :class:`ParameterError` unless ``value`` is an int >= ``minimum``."""
    if isinstance(value, float):  # 3.0 is refused too: a count given as a float is a slip
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r} (float).")
    result: int = check_number(value, name, low=minimum, integer=True)
    return result
