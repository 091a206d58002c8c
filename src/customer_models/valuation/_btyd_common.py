"""Array helpers shared by the kernels of the continuous-time purchase models.

BG/NBD, MBG/NBD and Pareto/NBD take a parameter vector of four entries and the columns
``x`` (frequency), ``t_x`` (recency) and ``T``; these helpers are what their kernels have in
common. Kernels only: nothing here knows a model class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from customer_models.valuation._patterns import count_grid

__all__ = ["by_count", "conditional_pmf", "in_chunks", "unpack4"]


def unpack4(params: Any) -> tuple[Any, Any, Any, Any]:
    """Return the four parameters, each of shape ``params.shape[1:]`` (float).

    Examples
    --------
    >>> unpack4([0.5, 4.0, 0.8, 2.5])[1]
    np.float64(4.0)
    """
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


def by_count(fn: Callable[[Any], Any], shift: Any, x: np.ndarray) -> np.ndarray:
    """``fn(shift + x)``, via a table over 0..max(x) when ``shift`` is a scalar.

    Frequencies are small whole numbers shared by many rows, so special functions of
    ``shift + x`` are evaluated once per distinct count (a large saving in fitting).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import gammaln
    >>> x = np.arange(100.0) % 7
    >>> bool(np.array_equal(by_count(gammaln, 0.5, x), gammaln(0.5 + x)))
    True
    """
    if np.ndim(shift) == 0 and np.ndim(x) == 1 and x.size > 64:
        grid = count_grid(x)
        if grid is not None:
            values, codes = grid
            return np.asarray(fn(shift + values))[codes]
    return np.asarray(fn(shift + x))


def conditional_pmf(alive: Any, pmf_given_alive: Any, n: np.ndarray) -> np.ndarray:
    """``P(X(T, T+t) = n) = P(alive) P(n | alive) + (1 - P(alive)) [n = 0]``.

    A customer who has dropped out buys nothing; one who is alive at ``T`` buys as a new
    customer of the model under the posterior given alive.

    Examples
    --------
    >>> import numpy as np
    >>> conditional_pmf(0.5, np.array([0.2, 0.8]), np.array([0.0, 1.0])).tolist()
    [0.6, 0.4]
    """
    return np.asarray(alive * pmf_given_alive + (1.0 - alive) * (n == 0))


def in_chunks(fn: Callable[..., np.ndarray], rows: int, *arrays: np.ndarray) -> np.ndarray:
    """``fn(*arrays)`` evaluated on consecutive blocks of ``rows`` rows (bounded memory).

    Examples
    --------
    >>> import numpy as np
    >>> in_chunks(lambda a, b: a * b, 2, np.arange(5.0), np.full(5, 2.0)).tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    out = np.empty(arrays[0].size)
    for start in range(0, arrays[0].size, rows):
        part = slice(start, start + rows)
        out[part] = fn(*(a[part] for a in arrays))
    return out
