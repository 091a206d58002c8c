"""Fast special functions for the per-row derivatives of the covariate models.

With covariates every customer has its own parameters, so the trigamma function of the
Hessians is evaluated once per row rather than once per distinct count; scipy's
``polygamma(1, x)`` goes through the Hurwitz zeta function and dominated the fit time. This
module's :func:`trigamma` shifts the argument to ``y >= 10`` by the recurrence
``psi1(y) = psi1(y + 1) + 1 / y**2`` and sums the asymptotic series there (error below
``3e-13`` relative, against scipy over 1e-6 .. 5e8).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["trigamma"]

_SHIFT = 10.0


def trigamma(x: Any) -> np.ndarray:
    """Trigamma function ``psi1(x)`` for ``x > 0`` (vectorized).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import polygamma
    >>> x = np.array([1e-6, 0.3, 1.0, 7.5, 12.0, 1e8])
    >>> bool(np.allclose(trigamma(x), polygamma(1, x), rtol=1e-13, atol=0))
    True
    """
    y = np.array(x, dtype=np.float64, copy=True)
    acc = np.zeros_like(y)
    for _ in range(int(_SHIFT)):
        small = y < _SHIFT
        if not small.any():
            break
        ys = np.where(small, y, 1.0)
        acc += np.where(small, 1.0 / (ys * ys), 0.0)
        y = np.where(small, y + 1.0, y)
    iy = 1.0 / y
    iy2 = iy * iy
    tail = iy2 * (1 / 42 - iy2 * (1 / 30 - iy2 * (5 / 66)))
    series = iy + 0.5 * iy2 + iy * iy2 * (1 / 6 - iy2 * (1 / 30 - tail))
    return np.asarray(acc + series)
