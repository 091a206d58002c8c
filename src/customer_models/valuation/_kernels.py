"""One-line kernel declarations for model classes.

A model's kernels are plain module-level numpy functions; the class declares them as
``_alive_kernel = kernel(probability_alive_kernel)``. ``ValuationModel`` types its likelihood
hooks with ``*columns``, which a function of named columns ``(params, x, t_x, n)`` does not
match for mypy; :func:`kernel` keeps the declaration one line and the type loose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["kernel"]


def kernel(function: Callable[..., Any]) -> Any:
    """Return ``function`` as a staticmethod, to declare it as a kernel of a model class.

    Examples
    --------
    >>> import numpy as np
    >>> class Toy:
    ...     _new_customer_kernel = kernel(lambda params, t: params[0] * np.asarray(t))
    >>> Toy._new_customer_kernel(np.array([2.0]), 3).item()
    6.0
    """
    return staticmethod(function)
