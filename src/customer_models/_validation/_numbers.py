"""Numeric parameters: a number (or an array of them) within bounds."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation._messages import N_EXAMPLES, describe
from customer_models.exceptions import ParameterError

__all__ = ["check_number", "check_numbers"]


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
    :class:`ParameterError` naming the parameter, the rule and the value; so do NaN and
    infinity (the message says the value must be finite; ``finite=False`` lets infinity
    through), non-whole numbers with ``integer=True`` and values outside the bounds. Numpy
    scalars are accepted.

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
    >>> check_number(float("nan"), "t", low=0)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: t must be finite (a number >= 0), got nan (float).
    """
    if value is None and allow_none:
        return None
    kind = "an integer" if integer else "a number"
    bounds = _bound_text(low, high, low_inclusive, high_inclusive)
    requirement = kind + (f" {bounds}" if bounds else "")
    rule = f"{name} must be {requirement}" + (" (or None)" if allow_none else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{rule}, got {describe(value)}.")
    number = float(value)
    if finite and not math.isfinite(number):
        requirement += ", or None" if allow_none else ""
        raise ParameterError(f"{name} must be finite ({requirement}), got {describe(value)}.")
    if math.isnan(number):  # refused even with finite=False
        raise ParameterError(f"{rule}, got {describe(value)}.")
    if integer:
        if not float(number).is_integer():
            raise ParameterError(f"{rule}, got {describe(value)}.")
        result: Any = int(value) if isinstance(value, numbers.Integral) else int(number)
    else:
        result = number
    if low is not None and (number < low or (not low_inclusive and number == low)):
        raise ParameterError(f"{rule}, got {describe(value)}.")
    if high is not None and (number > high or (not high_inclusive and number == high)):
        raise ParameterError(f"{rule}, got {describe(value)}.")
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
        raise ParameterError(f"{rule}, got {describe(value)}.")
    if isinstance(value, pd.Series | pd.Index):
        value = value.to_numpy()
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{rule}, got {describe(value)}.") from None
    if raw.dtype.kind not in "iuf":  # bool, str, object (None, mixed), datetime...
        raise ParameterError(f"{rule}, got {describe(value)}.")
    arr = raw.astype(np.float64)
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= arr < low
    if integer:
        bad |= np.isfinite(arr) & (arr != np.floor(arr))
    if np.any(bad):
        examples = arr[bad][:N_EXAMPLES].tolist()
        shown = describe(value) if arr.ndim == 0 else f"{int(bad.sum())} bad values: {examples}"
        raise ParameterError(f"{rule}, got {shown}.")
    return arr
