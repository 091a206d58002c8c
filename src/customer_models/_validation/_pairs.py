"""Tables of (name, value) pairs given as a list of pairs, a dict or a Series."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from customer_models.exceptions import ParameterError

__all__ = ["as_pairs"]


def as_pairs(
    value: Any,
    *,
    bad_item: Callable[[Any], str],
    bad_type: Callable[[Any], str],
) -> list[tuple[Any, Any]]:
    """Return ``value`` (a Series, a mapping or a list/tuple of 2-item pairs) as a list of pairs.

    Grade tables, tier tables and a criterion's categories all accept these three forms; the
    caller words the errors: ``bad_item(item)`` for an entry of a list that is not a pair,
    ``bad_type(value)`` for anything else. Order is kept (a Series' index, a dict's keys).

    Examples
    --------
    >>> as_pairs({"A": 1, "B": 2}, bad_item=repr, bad_type=repr)
    [('A', 1), ('B', 2)]
    >>> as_pairs([("A", 1), "B"], bad_item=lambda item: f"not a pair: {item!r}", bad_type=repr)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: not a pair: 'B'
    """
    if isinstance(value, pd.Series):
        return list(zip(value.index.tolist(), value.tolist(), strict=True))
    if isinstance(value, Mapping):
        return list(value.items())
    if not isinstance(value, (list, tuple)):
        raise ParameterError(bad_type(value))
    pairs = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ParameterError(bad_item(item))
        pairs.append((item[0], item[1]))
    return pairs
