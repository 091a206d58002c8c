"""Data checks shared by the buy-till-you-die models: BTYD rules, time units, horizons.

Every model validates its summary through these, so the rules (whole repeat counts, recency
within the customer's age, recency 0 without repeats, the summary in the model's time unit)
and their messages are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._time import normalize_unit
from customer_models._validation import check_numbers, check_rule
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = [
    "TIME_COLUMNS",
    "attrs_time_unit",
    "check_count",
    "check_frequency",
    "check_frequency_recency",
    "check_horizon",
    "check_time_unit",
    "check_whole",
]


def check_whole(values: np.ndarray, ids: Any, *, column: str, what: str, hint: str) -> None:
    """Check that ``column`` holds whole numbers (the one whole-number rule of the models).

    Examples
    --------
    >>> import numpy as np
    >>> check_whole(np.array([2.0, 0.5]), ["a", "b"], column="n_periods", what="data", hint="")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: ... 'n_periods must be a whole number'...
    """
    check_rule(
        values != np.floor(values),
        ids,
        rule=f"{column} must be a whole number",
        column=column,
        what=what,
        hint=hint,
    )


def check_frequency(x: np.ndarray, ids: Any, *, what: str = "data") -> None:
    """Check that ``frequency`` (repeat purchases) is a whole number >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> check_frequency(np.array([0.0, 1.5]), ["a", "b"])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: ... 'frequency must be a whole number'...
    """
    check_rule(
        x < 0,
        ids,
        rule="frequency must be >= 0",
        column="frequency",
        what=what,
        hint="frequency counts repeat purchases (purchases after the first).",
    )
    check_whole(
        x, ids, column="frequency", what=what, hint="frequency counts repeat purchase periods."
    )


def check_frequency_recency(
    columns: Mapping[str, np.ndarray],
    ids: ArrayLike,
    *,
    what: str = "data",
    age_column: str = "T",
) -> None:
    """Check the buy-till-you-die rules on ``frequency``, ``recency`` and the age column.

    Rules: frequency is a whole number >= 0; recency >= 0; recency <= age (``T`` or
    ``n_periods``); recency == 0 when frequency == 0.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        Must hold ``frequency``, ``recency`` and ``age_column`` as float arrays.
    ids : array-like
        Customer ids aligned with the arrays (shown in the error).
    what : str
        Name of the data in messages.
    age_column : str
        ``"T"`` for continuous-time models, ``"n_periods"`` for BG/BB.

    Raises
    ------
    DataValidationError
        Naming the rule, the number of offending rows and the first ids.

    Examples
    --------
    >>> import numpy as np
    >>> cols = {"frequency": np.array([1.0]), "recency": np.array([5.0]), "T": np.array([4.0])}
    >>> check_frequency_recency(cols, ["c1"])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: data column 'recency': 1 of 1 row ...
    """
    x, t_x, age = columns["frequency"], columns["recency"], columns[age_column]
    check_frequency(x, ids, what=what)
    check_rule(t_x < 0, ids, rule="recency must be >= 0", column="recency", what=what)
    check_rule(age < 0, ids, rule=f"{age_column} must be >= 0", column=age_column, what=what)
    tol = 1e-9 * np.maximum(1.0, np.abs(age))
    check_rule(
        t_x > age + tol,
        ids,
        rule=f"recency <= {age_column}",
        column="recency",
        what=what,
        hint=(
            "recency is the BTYD recency (time from first to last purchase), not the time "
            f"since the last purchase; that one is {age_column} - recency."
        ),
    )
    check_rule(
        (x == 0) & (t_x != 0),
        ids,
        rule="recency == 0 when frequency == 0",
        column="recency",
        what=what,
        hint="a customer without repeat purchases has recency 0.",
    )


#: Columns measured in the model's time unit.
TIME_COLUMNS = frozenset({"recency", "T", "n_periods", "duration"})


def check_time_unit(model: Any, frame: pd.DataFrame, *, what: str = "data") -> None:
    """Refuse a summary whose time unit differs from the model's, or cannot be known.

    The unit travels in ``frame.attrs["time_unit"]`` (set by :func:`~customer_models.rfm_summary`,
    kept by column subsets, ``assign``, ``concat`` and Parquet, dropped by ``join``, ``merge``
    and CSV). A model that knows its unit (``time_unit_``) scores only frames that say the
    same unit, so a weekly model never rescores a daily summary silently.

    Raises
    ------
    ParameterError
        The units differ, or the frame has no unit while the model has one.
    """
    model_unit = getattr(model, "time_unit_", None)
    if model_unit is None:
        return
    data_unit = attrs_time_unit(frame)
    name = type(model).__name__
    if data_unit is None:
        raise ParameterError(
            f"{what} does not say its time unit, and {name} was fitted with recency/T in "
            f"{model_unit!r}: pandas drops DataFrame.attrs in join, merge and CSV, so the unit "
            f"of this frame cannot be known. If it is in {model_unit!r}, say so: "
            f"cm.with_time_unit(frame, {model_unit!r}) (column subsets, assign, concat and "
            "Parquet keep the unit)."
        )
    if _canonical_unit(data_unit) != _canonical_unit(model_unit):
        raise ParameterError(
            f"{what} has recency/T in {data_unit!r} but {name} was fitted in {model_unit!r}: "
            f"scoring it would use the wrong clock. Build the summary with "
            f"time_unit={model_unit!r} (rfm_summary(..., time_unit={model_unit!r})), or refit "
            f"the model on this summary."
        )


def _canonical_unit(unit: str) -> str:
    """Canonical spelling of a calendar unit; other names (BG/BB's "period") as they are."""
    try:
        return normalize_unit(unit, "time_unit")
    except ParameterError:
        return str(unit)


def attrs_time_unit(data: Any) -> str | None:
    attrs = getattr(data, "attrs", None)
    if isinstance(attrs, Mapping):
        unit = attrs.get("time_unit")
        return None if unit is None else str(unit)
    return None


def check_horizon(t: Any, name: str = "t") -> np.ndarray:
    """Return ``t`` as a float array, raising :class:`ParameterError` unless finite and >= 0."""
    return check_numbers(t, name, low=0.0)


def check_count(n: Any, name: str = "n") -> np.ndarray:
    """Return ``n`` as a float array of whole numbers >= 0, else raise :class:`ParameterError`."""
    return check_numbers(n, name, low=0.0, integer=True)
