"""Vectorized checks shared by every public entry point.

Each check raises a :mod:`customer_models.exceptions` error whose message names the column, the
rule, the number of offending rows and the first few offending ids. None of them mutates its
input.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from customer_models.exceptions import (
    CustomerModelsError,
    DataValidationError,
    MissingColumnError,
    NotFittedError,
    ParameterError,
)

__all__ = [
    "as_generator",
    "as_pandas",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_fitted",
    "check_no_missing",
    "check_non_negative",
    "check_not_empty",
    "check_number",
    "check_numbers",
    "check_random_state",
    "check_rule",
    "check_str",
    "check_unique_columns",
    "ensure_numeric",
    "require_columns",
    "sklearn_input",
]

#: How many offending ids an error message shows.
N_EXAMPLES = 5


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


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _bound_text(low: float | None, high: float | None, low_inc: bool, high_inc: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inc else '>'} {low:g}")
    if high is not None:
        parts.append(f"{'<=' if high_inc else '<'} {high:g}")
    return " and ".join(parts)


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
    allow_none: bool = False,
    finite: bool = True,
) -> Any:
    """Return ``value`` as a Python ``float`` (``int`` with ``integer=True``), or raise.

    Strings, None (unless ``allow_none``), booleans, arrays and other non-numbers raise
    :class:`ParameterError` naming the parameter, the rule and the value; so do NaN, infinity
    (unless ``finite=False``), non-whole numbers with ``integer=True`` and values outside the
    bounds. Numpy scalars are accepted.

    Examples
    --------
    >>> check_number(3, "n_bins", low=1, integer=True)
    3
    >>> check_number("0.1", "discount_rate", low=0)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: discount_rate must be a number >= 0, got '0.1' (str).
    >>> check_number(0.0, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: level must be a number > 0 and < 1, got 0.0 (float).
    """
    if value is None and allow_none:
        return None
    kind = "an integer" if integer else "a number"
    bounds = _bound_text(low, high, low_inclusive, high_inclusive)
    rule = f"{name} must be {kind}" + (f" {bounds}" if bounds else "")
    if allow_none:
        rule += " (or None)"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{rule}, got {_describe(value)}.")
    number = float(value)
    if math.isnan(number) or (finite and math.isinf(number)):
        raise ParameterError(f"{rule}, got {_describe(value)}.")
    if integer:
        if not float(number).is_integer():
            raise ParameterError(f"{rule}, got {_describe(value)}.")
        result: Any = int(value) if isinstance(value, numbers.Integral) else int(number)
    else:
        result = number
    if low is not None and (number < low or (not low_inclusive and number == low)):
        raise ParameterError(f"{rule}, got {_describe(value)}.")
    if high is not None and (number > high or (not high_inclusive and number == high)):
        raise ParameterError(f"{rule}, got {_describe(value)}.")
    return result


def check_numbers(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    integer: bool = False,
    what: str = "",
) -> np.ndarray:
    """Return ``value`` (a number or an array-like of numbers) as a float64 array, or raise.

    The array form of :func:`check_number` for arguments that broadcast (``t``, ``n``):
    strings, None, booleans, NaN, infinity, non-whole values with ``integer=True`` and values
    below ``low`` raise :class:`ParameterError`.

    Examples
    --------
    >>> check_numbers([1, 2.5], "t", low=0)
    array([1. , 2.5])
    >>> check_numbers("30", "t", low=0)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: t must be a number >= 0 or an array of them,
    got '30' (str).
    """
    kind = "a whole number" if integer else "a number"
    rule = f"{name} must be {kind}" + (f" >= {low:g}" if low is not None else "")
    rule += " or an array of them" + (f" ({what})" if what else "")
    if value is None or isinstance(value, (str, bytes)):
        raise ParameterError(f"{rule}, got {_describe(value)}.")
    if isinstance(value, pd.Series | pd.Index):
        value = value.to_numpy()
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{rule}, got {_describe(value)}.") from None
    if raw.dtype.kind not in "iuf":  # bool, str, object (None, mixed), datetime...
        raise ParameterError(f"{rule}, got {_describe(value)}.")
    arr = raw.astype(np.float64)
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= arr < low
    if integer:
        bad |= np.isfinite(arr) & (arr != np.floor(arr))
    if np.any(bad):
        examples = arr[bad][:N_EXAMPLES].tolist()
        shown = _describe(value) if arr.ndim == 0 else f"{int(bad.sum())} bad values: {examples}"
        raise ParameterError(f"{rule}, got {shown}.")
    return arr


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a ``bool``; raise :class:`ParameterError` unless it is one.

    Strings such as ``"False"`` are refused (they are truthy), and so are 0/1.

    Examples
    --------
    >>> check_bool("no", "normalize")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: normalize must be True or False, got 'no' (str).
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ParameterError(f"{name} must be True or False, got {_describe(value)}.")


def check_str(value: Any, name: str, *, allow_none: bool = False, non_empty: bool = True) -> Any:
    """Return ``value`` if it is a string (or None with ``allow_none``), else raise.

    Examples
    --------
    >>> check_str(3, "new_label")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: new_label must be a string, got 3 (int).
    """
    if value is None and allow_none:
        return None
    what = "a string" + (" (or None)" if allow_none else "")
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be {what}, got {_describe(value)}.")
    if non_empty and not value:
        raise ParameterError(f"{name} must be a non-empty string, got ''.")
    return value


def _same(value: Any, option: Any) -> bool:
    """``value == option`` without raising, and without True == 1 or "1" == 1."""
    flags = (bool, np.bool_)
    if isinstance(value, flags) != isinstance(option, flags):
        return False
    if isinstance(value, str) != isinstance(option, str):
        return False
    try:
        return bool(value == option)
    except (TypeError, ValueError):
        return False


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Return ``value`` unless it is not one of ``choices``: then raise :class:`ParameterError`.

    Unhashable values and arrays are refused with the same message (never a raw TypeError),
    and the closest choice is suggested for a misspelt string.

    Examples
    --------
    >>> check_choice("quantile", "method", ["abc", "quantile"])
    'quantile'
    >>> check_choice("quantil", "method", ["abc", "quantile"])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: method must be one of ['abc', 'quantile'], got
    'quantil' (str). Did you mean 'quantile'?
    """
    options = list(choices)
    if not any(_same(value, option) for option in options):
        hint = _closest(value, [str(o) for o in options]) if isinstance(value, str) else ""
        raise ParameterError(f"{name} must be one of {options}, got {_describe(value)}.{hint}")
    return value


def check_random_state(value: Any, name: str = "random_state") -> Any:
    """Return ``value`` if it is a seed: None, an int in [0, 2**32), a Generator or RandomState.

    Examples
    --------
    >>> check_random_state("42")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: random_state must be None, an integer in
    [0, 2**32) or a numpy Generator/RandomState, got '42' (str).
    """
    if value is None or isinstance(value, (np.random.Generator, np.random.RandomState)):
        return value
    if (
        isinstance(value, numbers.Integral)
        and not isinstance(value, (bool, np.bool_))
        and 0 <= int(value) < 2**32
    ):
        return int(value)
    raise ParameterError(
        f"{name} must be None, an integer in [0, 2**32) or a numpy Generator/RandomState, "
        f"got {_describe(value)}."
    )


def as_generator(random_state: Any, name: str = "random_state") -> np.random.Generator:
    """Return a numpy Generator for a checked ``random_state`` (see :func:`check_random_state`).

    A Generator is used as is (so successive calls continue its stream); a legacy
    RandomState seeds a new Generator from its stream.

    Examples
    --------
    >>> bool(as_generator(0).integers(10) == as_generator(0).integers(10))
    True
    """
    random_state = check_random_state(random_state, name)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31))
    return np.random.default_rng(random_state)


def check_fitted(estimator: Any, attribute: str, *, how: str = "call fit first") -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has a non-None ``attribute``.

    The one not-fitted check of the library; the message names the class and ``how`` to fit
    it. ``NotFittedError`` is also scikit-learn's (and an ``AttributeError``).

    Examples
    --------
    >>> class Model:
    ...     params_ = None
    >>> check_fitted(Model(), "params_", how="call fit(data) first")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.NotFittedError: This Model is not fitted yet; call fit(data) first.
    """
    if getattr(estimator, attribute, None) is None:
        raise NotFittedError(f"This {type(estimator).__name__} is not fitted yet; {how}.")
