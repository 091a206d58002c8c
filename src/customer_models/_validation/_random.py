"""Seeds: ``random_state`` checked once and turned into a numpy Generator."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from customer_models._validation._messages import describe
from customer_models.exceptions import ParameterError

__all__ = ["as_generator", "check_random_state"]


def check_random_state(value: Any, name: str = "random_state", *, generator: bool = True) -> Any:
    """Return ``value`` if it is a seed: None, an int in [0, 2**32), a Generator or RandomState.

    ``generator=False`` refuses a numpy Generator: for seeds handed to scikit-learn, whose
    estimators and splitters take only an int or a RandomState.

    Examples
    --------
    >>> check_random_state("42")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: random_state must be None, an integer in
    [0, 2**32) or a numpy Generator/RandomState, got '42' (str).
    """
    if isinstance(value, np.random.Generator) and not generator:
        raise ParameterError(
            f"{name} must be None, an integer in [0, 2**32) or a numpy RandomState: "
            f"scikit-learn does not take a numpy Generator, got {describe(value)}. Pass an "
            "integer seed, e.g. int(rng.integers(2**32))."
        )
    if value is None or isinstance(value, (np.random.Generator, np.random.RandomState)):
        return value
    if (
        isinstance(value, numbers.Integral)
        and not isinstance(value, (bool, np.bool_))
        and 0 <= int(value) < 2**32
    ):
        return int(value)
    allowed = "a numpy Generator/RandomState" if generator else "a numpy RandomState"
    raise ParameterError(
        f"{name} must be None, an integer in [0, 2**32) or {allowed}, got {describe(value)}."
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
