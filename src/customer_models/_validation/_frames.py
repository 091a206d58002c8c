"""Tables: one pandas DataFrame in, with unique, present columns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from customer_models._validation._messages import N_EXAMPLES, closest
from customer_models.exceptions import (
    CustomerModelsError,
    DataValidationError,
    MissingColumnError,
    ParameterError,
)

__all__ = ["as_pandas", "check_unique_columns", "require_columns", "sklearn_input"]


def as_pandas(data: Any, *, what: str = "data") -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame, converting polars or Arrow tables once.

    pandas frames are returned as they are (never copied, never mutated). Polars DataFrames and
    LazyFrames, PyArrow tables and anything exposing ``to_pandas()`` are converted. Other inputs
    raise :class:`~customer_models.exceptions.ParameterError`, and so do two columns with the
    same name (see :func:`check_unique_columns`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1]})
    >>> as_pandas(df) is df
    True
    """
    if isinstance(data, pd.DataFrame):
        check_unique_columns(data, what=what)
        return data
    module = type(data).__module__.split(".")[0]
    if module == "polars":
        if hasattr(data, "collect") and not hasattr(data, "to_pandas"):
            data = data.collect()  # LazyFrame
        return data.to_pandas()
    if hasattr(data, "to_pandas"):  # pyarrow.Table, pyarrow.RecordBatch, ...
        converted = data.to_pandas()
        if isinstance(converted, pd.DataFrame):
            check_unique_columns(converted, what=what)
            return converted
    raise ParameterError(
        f"{what} must be a pandas DataFrame (polars and Arrow tables are converted), "
        f"got {type(data).__name__}."
    )


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
    check_unique_columns(df, what=what)
    available = [str(c) for c in df.columns]
    for column in columns:
        try:
            present = column in df.columns
        except TypeError:  # unhashable: a list or a dict given as a column name
            raise ParameterError(
                f"{what}: a column name must be a string (or another hashable label), got "
                f"{column!r} ({type(column).__name__})."
            ) from None
        if not present:
            raise MissingColumnError(
                f"{what} has no column {column!r}. Available columns: {available}."
                f"{closest(str(column), available)}"
            )


def check_unique_columns(df: pd.DataFrame, *, what: str = "data") -> None:
    """Raise :class:`DataValidationError` if two columns of ``df`` have the same name.

    With duplicated names ``df[name]`` is a DataFrame, not a column, and every later step
    would fail with an unrelated pandas error (or silently use one of the two).

    Examples
    --------
    >>> import pandas as pd
    >>> check_unique_columns(pd.DataFrame([[1, 2]], columns=["a", "a"]), what="summary")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: summary has 2 columns named 'a'; column
    names must be unique. Rename or drop the copies ...
    """
    columns = df.columns
    if columns.is_unique:
        return
    duplicated = columns[columns.duplicated()].unique()
    counts = {name: int((columns == name).sum()) for name in duplicated[:N_EXAMPLES]}
    described = ", ".join(f"{n} columns named {name!r}" for name, n in counts.items())
    raise DataValidationError(
        f"{what} has {described}; column names must be unique. Rename or drop the copies "
        "(e.g. df.loc[:, ~df.columns.duplicated()]).",
        column=str(duplicated[0]),
        rule="column names are unique",
        n_rows=len(duplicated),
        examples=list(duplicated[:N_EXAMPLES]),
    )


def sklearn_input(function: Any, *args: Any, what: str = "X", **kwargs: Any) -> Any:
    """Call a scikit-learn input check (``validate_data``, ``check_array``) with our errors.

    scikit-learn raises a bare ``ValueError`` for a frame whose columns differ from the ones
    seen in ``fit``, a 1-D or empty input, or strings where numbers are expected. The same
    message (scikit-learn's checks match on it) is raised as a
    :class:`DataValidationError`, so ``except CustomerModelsError`` catches it.
    """
    if isinstance(args[-1] if args else None, pd.DataFrame):
        check_unique_columns(args[-1], what=what)
    try:
        return function(*args, **kwargs)
    except ValueError as exc:  # TypeErrors stay: scikit-learn's checks expect them
        if isinstance(exc, CustomerModelsError):
            raise
        raise DataValidationError(f"{what}: {exc}", rule="scikit-learn input check") from exc
