"""Flag, string and choice parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from customer_models._validation._messages import closest, describe
from customer_models.exceptions import ParameterError

__all__ = ["check_bool", "check_choice", "check_str"]


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
    raise ParameterError(f"{name} must be True or False, got {describe(value)}.")


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
        raise ParameterError(f"{name} must be {what}, got {describe(value)}.")
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
        hint = closest(value, [str(o) for o in options]) if isinstance(value, str) else ""
        raise ParameterError(f"{name} must be one of {options}, got {describe(value)}.{hint}")
    return value
