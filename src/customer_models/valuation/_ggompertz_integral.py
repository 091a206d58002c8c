r"""The fixed-grid quadrature of the GGompertz/NBD model: exponentially weighted integrals.

Every integral of the model (likelihood, expected purchases, count distribution) is brought to

.. math::

    \int_0^Y e^{-m y} G(y)\, dy

by a change of variable that makes its steepest factor exactly exponential (the purchase
factor ``(α + τ)^-(r+x)`` in ``y = log((α + τ)/(α + t_x))``, the Pareto-like tail of the
lifetime in ``y = log(1 + c u)``), with ``G`` slowly varying. The weight is then integrated
exactly by ``v = (1 − e^(−m y)) / (1 − e^(−m Y))``, which leaves ``W ∫_0^1 G(y(v)) dv``
with ``W = (1 − e^(−mY))/m``. For a large ``m Y`` the remaining integrand has a logarithmic
boundary layer at ``v = 1``, which a double-exponential (tanh-sinh) rule on a fixed grid
integrates to double precision; the grid's complement ``1 − v`` is computed directly, so
nodes next to ``v = 1`` keep their precision. Everything is in log space and vectorized:
``(rows, nodes)`` arrays, evaluated in blocks of bounded size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit, logsumexp

__all__ = [
    "BLOCK_ROWS",
    "LOG_NODE_WEIGHTS",
    "NODES",
    "exp_weighted_nodes",
    "log_exp_weighted_integral",
    "log_one_plus_expm1",
    "log_split_integral",
    "log_sum_exp_rows",
    "rows_in_blocks",
    "split_nodes",
]

#: tanh-sinh step and half-width: ``t_j = j h`` for ``|t_j| <= T_MAX`` (h = 1/12, 101 nodes);
#: at ``|t| = 4.2`` the nodes are within 1e-45 of the ends, beyond which nothing is left.
_STEP = 1.0 / 12.0
_T_MAX = 4.2
#: Rows per block: (rows, nodes) temporaries stay near 10 MB each.
BLOCK_ROWS = 8_192


def _tanh_sinh_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(-_T_MAX, _T_MAX + _STEP / 2, _STEP)
    w = np.pi * np.sinh(t)
    v, one_minus_v = expit(w), expit(-w)
    weight = _STEP * np.pi * np.cosh(t) * v * one_minus_v
    return v, one_minus_v, np.log(weight)


#: Nodes ``v`` on (0, 1), their complements ``1 − v`` and the log quadrature weights.
_V, _ONE_MINUS_V, LOG_NODE_WEIGHTS = _tanh_sinh_grid()
NODES = _V.size


def log_one_plus_expm1(kappa: Any, z: Any) -> np.ndarray:
    """``log(1 + κ (e^z − 1))`` for ``κ > 0``, ``z >= 0``, without overflow or cancellation.

    Examples
    --------
    >>> round(float(log_one_plus_expm1(2.0, 1e-12)), 20)
    2e-12
    >>> float(log_one_plus_expm1(0.5, 1e4))  # z + log(κ) for large z
    9999.306852819439
    """
    kappa, z = np.broadcast_arrays(np.asarray(kappa, float), np.asarray(z, float))
    # log1p(κ expm1(z)) is exact for every z; only beyond _Z_DIRECT could κ e^z overflow,
    # and there the rare entries take z + log(κ + (1 − κ) e^(−z)).
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = np.asarray(np.log1p(kappa * np.expm1(np.minimum(z, _Z_DIRECT))))
    big = z > _Z_DIRECT
    if big.any():
        zb, kb = z[big], kappa[big]
        if out.ndim == 0:
            return np.asarray(zb[0] + np.log(kb[0] + np.exp(-zb[0]) * (1.0 - kb[0])))
        out[big] = zb + np.log(kb + np.exp(-zb) * (1.0 - kb))
    return out


#: Below this ``e^z`` (< 1e217) times any κ below 1e90 stays finite.
_Z_DIRECT = 500.0


def _log_exprel(q: np.ndarray) -> np.ndarray:
    """``log((e^q − 1)/q)``, 0 at q = 0, for any real q."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        tiny = np.abs(q) < 1e-14
        qs = np.where(tiny, 1.0, q)
        big = qs > 30.0
        direct = np.log(np.expm1(np.where(big, 1.0, qs)) / np.where(big, 1.0, qs))
        asym = qs - np.log(np.where(big, qs, 1.0)) + np.log1p(-np.exp(-np.where(big, qs, 30.0)))
    return np.asarray(np.where(tiny, q / 2.0, np.where(big, asym, direct)))


def log_exp_weighted_integral(
    m: np.ndarray, Y: np.ndarray, log_g: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``log ∫_0^Y e^(−m y) G(y) dy`` per row, with ``log_g`` evaluated on a (rows, nodes) grid.

    Parameters
    ----------
    m, Y : ndarray
        1-D arrays of rows: the weight's rate (any real) and the upper limit (>= 0).
    log_g : callable
        ``y (rows, nodes) -> log G(y)`` of the same shape; it sees the rows in order.

    Returns
    -------
    ndarray
        ``log`` of the integral per row; ``-inf`` where ``Y = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> m, Y = np.array([3.0, -0.5, 0.0]), np.array([2.0, 5.0, 1.0])
    >>> got = np.exp(log_exp_weighted_integral(m, Y, lambda y: np.zeros_like(y)))
    >>> np.allclose(got, [-np.expm1(-6.0) / 3.0, np.expm1(2.5) / 0.5, 1.0], rtol=1e-14)
    True
    >>> ref = (1 - 7 * np.exp(-6.0)) / 9.0  # ∫_0^2 y e^(-3y) dy
    >>> bool(np.isclose(np.exp(log_exp_weighted_integral(m[:1], Y[:1], np.log))[0], ref,
    ...                 rtol=1e-13))
    True
    """
    y, log_weight = exp_weighted_nodes(m, Y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = logsumexp(LOG_NODE_WEIGHTS[None, :] + log_g(y), axis=1)
    return np.asarray(log_weight + total)


def exp_weighted_nodes(m: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``y`` (rows, nodes) and ``log W`` (rows,) of :func:`log_exp_weighted_integral`.

    ``∫_0^Y e^(−m y) G(y) dy = W Σ_j w_j G(y_j)`` with ``w_j = exp(LOG_NODE_WEIGHTS[j])``.

    Examples
    --------
    >>> import numpy as np
    >>> y, log_w = exp_weighted_nodes(np.array([0.0]), np.array([2.0]))
    >>> float(y.min()) >= 0.0, float(y.max()) <= 2.0, float(np.exp(log_w[0]))
    (True, True, 2.0)
    """
    q = -m * Y
    y = np.empty((q.size, NODES))
    # y = −log(1 − v (1 − e^q)) / m, in the form that is exact for the row's q (one per row)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tiny = np.abs(q) < 1e-14
        small = ~tiny & (np.abs(q) < 1.0)
        low = q <= -1.0
        high = q >= 1.0
        y[tiny] = _V[None, :] * Y[tiny, None]
        y[small] = -np.log1p(_V[None, :] * np.expm1(q[small, None])) / m[small, None]
        y[low] = -np.log(_ONE_MINUS_V[None, :] + _V[None, :] * np.exp(q[low, None])) / m[low, None]
        y[high] = (
            -(q[high, None] + np.log(_V[None, :] + _ONE_MINUS_V[None, :] * np.exp(-q[high, None])))
            / m[high, None]
        )
        np.maximum(y, 0.0, out=y)  # rounding at the ends
        np.minimum(y, Y[:, None], out=y)
        log_weight = np.log(Y) + _log_exprel(q)
    return y, np.asarray(log_weight)


def split_nodes(m: np.ndarray, Y: np.ndarray, split: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log weights of ``∫_0^Y e^(−m y) G(y) dy`` as two panels split at ``split``.

    A panel ``[y0, y1]`` is ``e^(−m y0) ∫_0^(y1−y0) e^(−m y') G(y0 + y') dy'``, so each
    panel's rule clusters its nodes at the split too, where the integrand changes regime.
    Returns ``y`` and ``log`` weights, both (rows, 2 * NODES):
    ``∫ ≈ Σ_j exp(log_w[:, j]) G(y[:, j])``.

    Examples
    --------
    >>> import numpy as np
    >>> y, log_w = split_nodes(np.array([2.0]), np.array([3.0]), np.array([1.0]))
    >>> bool(np.isclose(np.exp(log_w).sum(), -np.expm1(-6.0) / 2.0, rtol=1e-14))
    True
    """
    cut = np.clip(split, 0.0, Y)
    y_lo, w_lo = exp_weighted_nodes(m, cut)
    y_hi, w_hi = exp_weighted_nodes(m, Y - cut)
    y = np.concatenate([y_lo, cut[:, None] + y_hi], axis=1)
    log_w = np.concatenate(
        [
            w_lo[:, None] + LOG_NODE_WEIGHTS[None, :],
            (w_hi - m * cut)[:, None] + LOG_NODE_WEIGHTS[None, :],
        ],
        axis=1,
    )
    return y, log_w


def log_split_integral(
    m: np.ndarray, Y: np.ndarray, split: np.ndarray, log_g: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``log ∫_0^Y e^(−m y) G(y) dy`` on the two panels of :func:`split_nodes`.

    Examples
    --------
    >>> import numpy as np
    >>> got = log_split_integral(np.array([3.0]), np.array([2.0]), np.array([0.5]), np.log)
    >>> bool(np.isclose(np.exp(got[0]), (1 - 7 * np.exp(-6.0)) / 9.0, rtol=1e-13))
    True
    """
    y, log_w = split_nodes(m, Y, split)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return log_sum_exp_rows(log_w + log_g(y))


def log_sum_exp_rows(terms: np.ndarray) -> np.ndarray:
    """``log Σ_j exp(terms[i, j])`` per row; ``-inf`` for a row of ``-inf`` (an empty integral).

    Examples
    --------
    >>> import numpy as np
    >>> log_sum_exp_rows(np.array([[0.0, 0.0], [-np.inf, -np.inf]])).tolist()
    [0.6931471805599453, -inf]
    """
    top = np.max(terms, axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.asarray(top + np.log(np.einsum("ij->i", np.exp(terms - top[:, None]))))


def rows_in_blocks(fn: Callable[..., np.ndarray], *arrays: Any) -> np.ndarray:
    """``fn(*rows)`` on the broadcast, flattened arrays, in blocks of :data:`BLOCK_ROWS` rows.

    Returns the result in the broadcast shape.

    Examples
    --------
    >>> import numpy as np
    >>> rows_in_blocks(lambda a, b: a * b, np.arange(3.0), 2.0).tolist()
    [0.0, 2.0, 4.0]
    """
    arrs = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in arrays))
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrs]
    out = np.empty(flat[0].size)
    for start in range(0, out.size, BLOCK_ROWS):
        part = slice(start, start + BLOCK_ROWS)
        out[part] = fn(*(a[part] for a in flat))
    return out.reshape(shape)
