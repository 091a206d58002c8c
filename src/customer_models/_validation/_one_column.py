"""One column of values: a Series, a one-column DataFrame or a 1-d array-like, as a Series."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models.exceptions import ParameterError

__all__ = ["as_one_column"]


def as_one_column(values: Any, name: str, *, scalar: bool = False, hint: str = "") -> pd.Series:
    """Return ``values`` as a Series, raising :class:`ParameterError` unless it is one column.

    A Series comes back as it is (its index is the caller's ids), a one-column DataFrame as
    its column, anything else through ``np.asarray`` on a new ``RangeIndex``.

    Parameters
    ----------
    values : Series, DataFrame or array-like
        The values.
    name : str
        What they are, for the messages.
    scalar : bool, default False
        Read a single number as one value (otherwise a 0-d input is refused).
    hint : str, optional
        Appended to the message refusing a DataFrame of several columns (e.g. which to select).

    Examples
    --------
    >>> as_one_column(pd.DataFrame({"a": [1, 2]}), "durations").tolist()
    [1, 2]
    >>> as_one_column(3.0, "durations", scalar=True).tolist()
    [3.0]
    """
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ParameterError(
                f"{name} must be one-dimensional, one column of values (a Series or array); got "
                f"a DataFrame with {values.shape[1]} columns.{hint}"
            )
        return values.iloc[:, 0]
    array = np.asarray(values)
    if scalar and array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ParameterError(
            f"{name} must be one-dimensional (1-d), got an array of shape {array.shape}."
        )
    return pd.Series(array)
