"""``2F1(1, B; C; z)`` by Gauss-Legendre quadrature, exact to rounding up to ``z -> 1``.

The Pareto/NBD likelihood needs ``2F1(1, B; C; z)`` and its derivatives where the power
series is long or cancels (``z`` near 1); :func:`~customer_models.valuation._special.hyp2f1_1bc`
comes here for ``z > 0.9``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["flat_arguments", "hyp2f1_1bc_quad", "shaped4"]


# 2F1(1, B; C; z) = (C - 1) int_0^1 (1-u)^(C-2) (1 - z u)^(-B) du gives
#     2F1(1, B; C; z) = n int_0^inf exp(psi(d)) dd,   psi(d) = -a d - B log(z + eps e^d),
# eps = 1 - z. psi is concave, with its maximum at d* = max(0, log(-a z / (eps n))); the
# integrand falls at rate a (then n beyond the bend at d = log(z / eps)). Panels: between the
# points where psi has fallen by _DROP_LEVELS below its maximum (on both sides of d*), and
# around the bend, where log(z + eps e^d) turns from flat to linear.

_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
#: Falls of psi below its maximum that bound the panels (e^-40 ~ 4e-18: the truncation),
#: then two more (see `_quad_edges`) for the z-derivative's weight, which grows up to 1/eps.
_DROP_LEVELS = (0.25, 1.0, 3.0, 7.0, 14.0, 24.0, 40.0)
#: Panel edges around the bend log(z / eps) (its smooth corrections decay like e^-|d - bend|).
_BEND_OFFSETS = np.array([-30.0, -12.0, -4.0, 0.0, 4.0, 12.0, 30.0])
_LEVEL_ITERATIONS = 8
_LEVEL_TOL = 1e-2
_QUAD_CHUNK = 2_048


def _log_z_eps(d: np.ndarray, z: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """``log(eps + z e^-d)`` (<= 0), accurate in absolute terms for every d >= 0."""
    return np.log(eps + z * np.exp(-d))


def _psi(d: np.ndarray, a: np.ndarray, b: np.ndarray, z: np.ndarray, eps: np.ndarray) -> Any:
    """Return ``-a d - b log(z + eps e^d)``, written as ``-n d - b log(eps + z e^-d)``."""
    return -(a + b) * d - b * _log_z_eps(d, z, eps)


def _psi_slope(d: np.ndarray, a: np.ndarray, b: np.ndarray, z: np.ndarray, eps: np.ndarray) -> Any:
    """``psi'(d) = -a - b w``, ``w = eps e^d / (z + eps e^d)`` (logistic, no overflow)."""
    w = eps / (eps + z * np.exp(-np.maximum(d, -700.0)))
    return -a - b * w


def _level_points(
    a: np.ndarray,
    b: np.ndarray,
    z: np.ndarray,
    eps: np.ndarray,
    mode: np.ndarray,
    side: float,
    levels: np.ndarray,
) -> np.ndarray:
    """Distances from the mode (along ``side``) where psi has fallen by each drop level.

    The fall ``D(h) = psi(mode) - psi(mode + side h)`` is convex and increasing in ``h``. Each
    level is bracketed, ``D(lo) <= y <= D(hi)``, and both ends move: a Newton step on
    ``log D`` from ``lo`` (exact where psi falls like a double exponential) and a Newton step
    on ``D`` from ``hi`` (which never passes the root, D being convex). The upper end is
    returned: at or beyond the level, so the last edge truncates no more than ``e^-40``.
    On the left side distances are capped at the mode (``d >= 0``).
    """
    peak = _psi(mode, a, b, z, eps)

    def fall(h: np.ndarray) -> np.ndarray:
        return np.asarray(peak - _psi(mode + side * h, a, b, z, eps))

    def slope(h: np.ndarray) -> np.ndarray:
        return np.asarray(-side * _psi_slope(mode + side * h, a, b, z, eps))

    cap = mode if side < 0 else np.full_like(mode, np.inf)
    g0 = slope(np.zeros_like(mode))
    lo = np.zeros_like(mode)
    f_lo = np.zeros_like(mode)
    out = []
    for y in levels.T:  # one level per row, increasing
        # |psi''| <= b / 4, so D(h) <= g0 h + b h^2 / 8: this h is at or below the root
        first = np.minimum(2.0 * y / (g0 + np.sqrt(g0 * g0 + b * y / 2.0) + 1e-300), cap)
        f_first = fall(first)
        move = (first > lo) & (f_first <= y)
        lo, f_lo = np.where(move, first, lo), np.where(move, f_first, f_lo)
        g_lo = slope(lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            hi = lo + np.where(g_lo > 0, (y - f_lo) / g_lo, np.inf)  # tangent: D >= y there
        hi = np.minimum(hi, cap)
        f_hi = fall(np.where(np.isfinite(hi), hi, 0.0))
        for _ in range(_LEVEL_ITERATIONS):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                up = lo + (np.log(y) - np.log(f_lo)) * f_lo / slope(lo)
                down = hi - (f_hi - y) / slope(hi)
            up = np.where(np.isfinite(up) & (up > lo) & (up < hi), up, lo)
            down = np.where(np.isfinite(down) & (down > lo) & (down < hi), down, hi)
            f_up, f_down = fall(up), fall(down)
            lo, f_lo = np.where(f_up <= y, up, lo), np.where(f_up <= y, f_up, f_lo)
            hi, f_hi = np.where(f_down >= y, down, hi), np.where(f_down >= y, f_down, f_hi)
            if np.all(hi - lo <= _LEVEL_TOL * (1.0 + lo)):  # an edge needs no more digits
                break
        out.append(hi)
    return np.stack(out, axis=-1)


def _quad_edges(
    a: np.ndarray, b: np.ndarray, z: np.ndarray, eps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted panel edges in ``d`` (rows x edges) and the mode of psi."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.log(np.where(a < 0, -a * z / (eps * (a + b)), 1.0))
    mode = np.maximum(np.where(a < 0, inner, 0.0), 0.0)
    # d log F / dz weighs the integrand by w = (1 - e^-d) / (eps + z e^-d), which grows
    # (at most e-fold per unit of d) from w(max(mode, 1)) up to 1/eps: fall that much further
    start = np.maximum(mode, 1.0)
    extra = np.maximum(-np.log(eps) - np.log(-np.expm1(-start) / (eps + z * np.exp(-start))), 0)
    levels = np.concatenate(
        [np.broadcast_to(_DROP_LEVELS, (mode.size, 7)), 40.0 + extra[:, None] * [0.5, 1.0]], -1
    )
    right = mode[:, None] + _level_points(a, b, z, eps, mode, 1.0, levels)
    left = np.zeros_like(levels)
    rising = np.flatnonzero(mode > 0)  # a maximum inside (a < 0): a rising side too
    if rising.size:
        cols = (a[rising], b[rising], z[rising], eps[rising], mode[rising])
        points = _level_points(*cols, -1.0, levels[rising])
        left[rising] = np.clip(mode[rising, None] - points, 0.0, None)
    with np.errstate(divide="ignore"):
        bend = np.log(z) - np.log(eps)
    bends = np.clip(bend[:, None] + _BEND_OFFSETS, 0.0, right[:, -1:])
    edges = np.concatenate([np.zeros_like(mode)[:, None], left, mode[:, None], right, bends], -1)
    return np.sort(edges, axis=-1), mode


def _quad_chunk(
    b: np.ndarray, c: np.ndarray, z: np.ndarray, eps: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    a, n = c - b - 1.0, c - 1.0
    edges, mode = _quad_edges(a, b, z, eps)
    half = 0.5 * np.diff(edges, axis=-1)
    mid = 0.5 * (edges[:, 1:] + edges[:, :-1])
    d = (mid[..., None] + half[..., None] * _GL_X).reshape(b.size, -1)
    w = (half[..., None] * _GL_W).reshape(b.size, -1)
    col = (a[:, None], b[:, None], z[:, None], eps[:, None])
    peak = _psi(mode, a, b, z, eps)
    ell = _log_z_eps(d, *col[2:])
    f = np.exp(-(col[0] + col[1]) * d - col[1] * ell - peak[:, None]) * w
    total = f.sum(axis=-1)
    mean_d = np.einsum("ij,ij->i", f, d) / total
    d_b = -np.einsum("ij,ij->i", f, ell) / total  # E[-log(eps + z e^-d)] >= 0
    d_z = b * np.einsum("ij,ij->i", f, -np.expm1(-d) * np.exp(-ell)) / total
    return np.log(n) + peak + np.log(total), d_b, 1.0 / n - mean_d, d_z


def flat_arguments(
    B: Any, C: Any, z: Any, eps: Any
) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Broadcast shape and flat float64 ``B``, ``C``, ``z`` and ``1 - z`` (``eps`` if given)."""
    zz = np.asarray(z, dtype=np.float64)
    ee = 1.0 - zz if eps is None else np.asarray(eps, dtype=np.float64)
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (B, C, zz, ee)))
    b, c, z_flat, e_flat = (np.ascontiguousarray(v).ravel() for v in arrs)
    return arrs[0].shape, b, c, z_flat, e_flat


def hyp2f1_1bc_quad(
    B: Any, C: Any, z: Any, eps: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``log 2F1(1, B; C; z)`` and its derivatives by quadrature, accurate up to ``z -> 1``.

    ``2F1(1, B; C; z) = n int_0^inf exp(-a d) (z + eps e^d)^-B dd`` with ``a = C - B - 1``,
    ``n = C - 1`` and ``eps = 1 - z`` (pass it when ``1 - z`` would cancel). The log-integrand
    is concave; composite 16-point Gauss-Legendre panels lie between the points where it has
    fallen by 0.25, 1, 3, 7, 14, 24 and 40 from its maximum (each side), and around its bend
    at ``d = log(z/eps)``, so every panel is smooth at the scale of its nodes whatever the
    parameters. The derivatives are integrals of the same nodes (differentiation under the
    integral, every weight of one sign): ``d/dB = E[-log(eps + z e^-d)]``,
    ``d/dC = 1/n - E[d]``, ``d/dz = B E[(1 - e^-d) / (eps + z e^-d)]``.

    Parameters
    ----------
    B, C, z : array-like
        ``0 < B < C``, ``C > 1``, ``0 <= z < 1``; broadcast together.
    eps : array-like, optional
        ``1 - z``.

    Returns
    -------
    tuple of numpy.ndarray
        The four arrays of :func:`customer_models.valuation._special.hyp2f1_1bc`.

    Examples
    --------
    Close to ``z = 1``, where the power series would need millions of terms:

    >>> from scipy.special import hyp2f1
    >>> value = hyp2f1_1bc_quad(2.5, 4.0, 0.999999)[0]
    >>> bool(abs(value - np.log(hyp2f1(1.0, 2.5, 4.0, 0.999999))) < 1e-12)
    True
    """
    shape, b, c, z_flat, e_flat = flat_arguments(B, C, z, eps)
    out = [np.empty(b.size) for _ in range(4)]
    for start in range(0, b.size, _QUAD_CHUNK):  # bounded memory: rows x ~350 nodes
        part = slice(start, start + _QUAD_CHUNK)
        with np.errstate(over="ignore", under="ignore"):
            values = _quad_chunk(b[part], c[part], z_flat[part], e_flat[part])
        for v, q in zip(out, values, strict=True):
            v[part] = q
    return shaped4(out, shape)


def shaped4(
    values: list[np.ndarray], shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reshape the four outputs of a ``2F1(1, B; C; z)`` evaluation to ``shape``.

    >>> [v.shape for v in shaped4([np.zeros(4)] * 4, (2, 2))][0]
    (2, 2)
    """
    return (
        values[0].reshape(shape),
        values[1].reshape(shape),
        values[2].reshape(shape),
        values[3].reshape(shape),
    )
