"""Names listed in a parameter table (grades, tiers): non-empty strings, each listed once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from customer_models.exceptions import ParameterError

__all__ = ["check_labels"]


def check_labels(labels: Iterable[Any], what: str) -> tuple[str, ...]:
    """Return ``labels`` as a tuple of names, in order, or raise :class:`ParameterError`.

    Each label must be a non-empty string and appear once. ``what`` starts the messages
    (``"tier"``: "tier names must be unique; ...").

    Examples
    --------
    >>> check_labels(["Base", "Gold"], "tier")
    ('Base', 'Gold')
    >>> check_labels(["A", "B", "A"], "grades: grade")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: grades: grade names must be unique; 'A' is listed
    twice.
    """
    names: list[str] = []
    for label in labels:
        if not isinstance(label, str) or not label:
            raise ParameterError(f"{what} names must be non-empty strings, got {label!r}.")
        if label in names:
            raise ParameterError(f"{what} names must be unique; {label!r} is listed twice.")
        names.append(label)
    return tuple(names)
