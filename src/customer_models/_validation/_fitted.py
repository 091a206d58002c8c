"""The one not-fitted check of the library."""

from __future__ import annotations

from typing import Any

from customer_models.exceptions import NotFittedError

__all__ = ["check_fitted"]


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
