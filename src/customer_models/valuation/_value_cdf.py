"""Fast evaluation of the compound value CDF and its quantiles on blocks of value rows.

A value row is one distinct (purchase-count pmf, spend posterior) pair: the pmf ``w`` over the
counts ``n = 0..K-1`` and the posterior ``Gamma(b, γ')`` of the spend rate. With
``z = s/(s + γ')`` the CDF of the spend ``S`` of the next purchases is

``F(z) = w_0 + Σ_{n>=1} w_n I_z(n p, b)``

and its density (in ``z``) the matching mixture of beta densities. Most terms of that sum are
saturated (``I_z`` is 0 or 1 to rounding) at any ``z``; for ``a, b >= 1`` the beta density is
log-concave, so its tails are bounded by the tangent of the log density:
``I_z(a, b) <= f(z) / (log f)'(z)`` where the slope is positive and
``1 - I_z(a, b) <= f(z) / -(log f)'(z)`` where it is negative. Terms whose bound times their
weight is below ``_SATURATED`` are set to 0 or 1 without calling the incomplete beta; terms with
weight below ``_NEGLIGIBLE`` are left out. Both errors are far below the 1e-10 tail of the pmf.

Quantiles are found for all rows of a block at once by a safeguarded Halley iteration in
``y = log(z / (1 - z)) = log(s / γ')`` (the first two derivatives are cheap sums of the beta
terms; a bisection step in the bracket when Halley leaves it), with a bounded number of steps.
Rows are held in order of pmf length and evaluated in chunks that carry only their own counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import betainc, betaln

__all__ = ["MixtureBlock", "ValueBlock", "solve_increasing"]

#: A term whose weighted tail bound is below this is taken as exactly 0 or 1.
_SATURATED = 1e-15
#: Terms with a pmf weight below this are left out of the sum.
_NEGLIGIBLE = 1e-18
#: A Halley step (in log value) below this, relative, is the last one.
_LAST_STEP = 1e-6
#: Rows per evaluation chunk (each chunk carries the counts of its longest pmf).
_CHUNK = 1024
#: Halley/bisection steps of a quantile (Halley converges in two to four).
_ITERATIONS = 100


class ValueBlock:
    """Compound CDF of a block of value rows (see the module docstring).

    Parameters
    ----------
    pmf : numpy.ndarray
        Rows × counts, the count pmf of each row (column ``n`` is ``P(N = n)``).
    p : float
        Gamma-Gamma shape of one purchase's spend.
    shape, rate : numpy.ndarray
        Posterior ``Gamma(shape, rate)`` of each row's spend rate.

    Examples
    --------
    >>> import numpy as np
    >>> blk = ValueBlock(np.array([[0.5, 0.5]]), 2.0, np.array([3.0]), np.array([1.0]))
    >>> round(float(blk.cdf(np.array([1.0]))[0]), 6)  # 0.5 + 0.5 * I_{1/2}(2, 3)
    0.84375
    """

    def __init__(self, pmf: np.ndarray, p: float, shape: np.ndarray, rate: np.ndarray) -> None:
        used = pmf[:, 1:] > _NEGLIGIBLE
        last = used.shape[1] - np.argmax(used[:, ::-1], axis=1)
        length = np.where(used.any(axis=1), last, 0)
        # rows held in order of their pmf length: a chunk of rows spans only its own counts
        self.order = np.argsort(length, kind="stable")
        self.position = np.empty_like(self.order)
        self.position[self.order] = np.arange(self.order.size)
        pmf = pmf[self.order]
        self.length = length[self.order]
        self.used = used[self.order]
        self.w0 = pmf[:, 0]
        self.w = pmf[:, 1:]
        self.rate = rate[self.order]
        self.b = shape[self.order][:, None]
        self.a = np.arange(1, pmf.shape[1], dtype=np.float64)[None, :] * p
        # B(n p, b) once per distinct b (b = q + p x: few values per block of similar x)
        b_values, b_index = np.unique(self.b[:, 0], return_inverse=True)
        self.log_beta = betaln(self.a, b_values[:, None])[b_index]
        self.log_w = np.log(np.where(self.used, self.w, 1.0))
        self.concave = (self.a >= 1.0) & (self.b >= 1.0)

    def _terms(self, rows: np.ndarray, z: np.ndarray) -> tuple[Any, Any, Any]:
        """CDF at ``z`` for ``rows`` (ascending) and its derivatives, in chunks of rows."""
        parts = [
            self._chunk(rows[i : i + _CHUNK], z[i : i + _CHUNK])
            for i in range(0, rows.size, _CHUNK)
        ]
        if len(parts) == 1:
            return parts[0]
        return tuple(np.concatenate(v) for v in zip(*parts, strict=True))  # type: ignore[return-value]

    def _chunk(self, rows: np.ndarray, z: np.ndarray) -> tuple[Any, Any, Any]:
        """CDF at ``z`` (0 < z < 1) for ``rows``, and its first two derivatives in log-odds."""
        width = int(self.length[rows].max(initial=0))  # counts with weight in these rows
        a, b = self.a[:, :width], self.b[rows]
        zc = z[:, None]
        lz, l1z = np.log(zc), np.log1p(-zc)
        log_f = (a - 1.0) * lz + (b - 1.0) * l1z - self.log_beta[rows, :width]
        slope = (a - 1.0) / zc - (b - 1.0) / (1.0 - zc)
        with np.errstate(divide="ignore"):
            bound = log_f - np.log(np.abs(slope))
        # the error of a saturated term in the sum is at most its weight times its bound
        sat = self.concave[rows, :width] & (self.log_w[rows, :width] + bound < np.log(_SATURATED))
        used = self.used[rows, :width]
        tail = np.where(slope < 0.0, 1.0, 0.0)  # saturated value: 1 above the mode, 0 below
        todo = np.nonzero(used & ~sat)
        if todo[0].size:
            tail[todo] = betainc(
                np.broadcast_to(a, tail.shape)[todo],
                np.broadcast_to(b, tail.shape)[todo],
                z[todo[0]],
            )
        w = np.where(used, self.w[rows, :width], 0.0)
        cdf = self.w0[rows] + np.einsum("ij,ij->i", w, tail)
        # d/dy of z^a (1 - z)^b / B(a, b) (the density in y = log-odds) is that times a(1-z) - bz
        g = w * np.exp(np.where(used, log_f + lz + l1z, -np.inf))
        return cdf, g.sum(axis=1), np.einsum("ij,ij->i", g, a * (1.0 - zc) - b * zc)

    def cdf(self, s: np.ndarray) -> Any:
        """``P(S <= s)`` per row (``s >= 0``)."""
        z = s[self.order] / (s[self.order] + self.rate)
        out = self.w0.copy()
        inner = np.flatnonzero(z > 0.0)
        if inner.size:
            out[inner] = self._terms(inner, np.minimum(z[inner], 1.0 - 1e-16))[0]
        back = np.empty_like(out)
        back[self.order] = np.clip(out, 0.0, 1.0)
        return back

    def quantile(self, q: float) -> Any:
        """Smallest ``s`` with ``P(S <= s) >= q`` per row (0 where ``P(N = 0) >= q``)."""
        out = np.zeros(self.w0.size)
        todo = np.flatnonzero(self.w0 < q)
        if todo.size == 0:
            return out
        out[self.order] = self._sorted_quantile(q, todo)
        return out

    def _sorted_quantile(self, q: float, todo: np.ndarray) -> Any:
        out = np.zeros(self.w0.size)

        def terms(act: np.ndarray, y: np.ndarray) -> tuple[Any, Any, Any]:
            return self._terms(todo[act], _odds_to_z(y))

        out[todo] = self.rate[todo] * np.exp(solve_increasing(terms, q, self._start(todo, q)))
        return out

    def _start(self, todo: np.ndarray, q: float) -> Any:
        """Start in log-odds: the q-quantile of the count given a purchase × the mean spend."""
        w = self.w[todo]
        cum = (np.cumsum(w, axis=1) + self.w0[todo, None]) >= q
        n_q = 1.0 + np.argmax(cum, axis=1)
        b = self.b[todo, 0]
        return np.log(np.maximum(n_q * self.a[0, 0] / np.maximum(b, 0.5), 1e-300))

    # ---- the same in the caller's row order and in log value (for mixtures over draws)
    @property
    def p_zero(self) -> Any:
        """``P(S = 0) = P(N = 0)`` per row, in the caller's order."""
        out = np.empty_like(self.w0)
        out[self.order] = self.w0
        return out

    def start(self, rows: np.ndarray, q: float) -> Any:
        """Return a starting log value for the ``q`` quantile of ``rows`` (caller's order)."""
        pos = self.position[rows]
        return self._start(pos, q) + np.log(self.rate[pos])

    def terms_at(self, rows: np.ndarray, log_s: np.ndarray) -> tuple[Any, Any, Any]:
        """CDF at ``exp(log_s)`` of ``rows`` (caller's order) and its derivatives in ``log s``."""
        pos = self.position[rows]
        perm = np.argsort(pos, kind="stable")
        z = _odds_to_z((log_s - np.log(self.rate[pos]))[perm])
        parts = self._terms(pos[perm], z)
        back = np.empty_like(perm)
        back[perm] = np.arange(perm.size)
        return tuple(np.asarray(v)[back] for v in parts)  # type: ignore[return-value]


class MixtureBlock:
    """The equal-weight mixture of the value CDFs of several blocks of the same value rows.

    One :class:`ValueBlock` per parameter draw (the count pmf and the spend posterior at that
    draw); the mixture's CDF is the mean of theirs, its quantiles solve the mean CDF in
    ``log s`` (the derivatives are means too).

    Examples
    --------
    >>> import numpy as np
    >>> one = ValueBlock(np.array([[0.5, 0.5]]), 2.0, np.array([3.0]), np.array([1.0]))
    >>> two = ValueBlock(np.array([[0.2, 0.8]]), 2.0, np.array([3.0]), np.array([2.0]))
    >>> mix = MixtureBlock([one, two])
    >>> s = np.array([1.5])
    >>> bool(np.isclose(mix.cdf(s)[0], (one.cdf(s)[0] + two.cdf(s)[0]) / 2))
    True
    >>> q = mix.quantile(0.7)
    >>> round(float(mix.cdf(q)[0]), 9)
    0.7
    """

    def __init__(self, blocks: list[ValueBlock]) -> None:
        self.blocks = blocks
        self.p_zero = np.mean([b.p_zero for b in blocks], axis=0)

    def cdf(self, s: np.ndarray) -> Any:
        """``P(S <= s)`` per row (``s >= 0``)."""
        return np.mean([b.cdf(s) for b in self.blocks], axis=0)

    def quantile(self, q: float) -> Any:
        """Smallest ``s`` with ``P(S <= s) >= q`` per row (0 where ``P(N = 0) >= q``)."""
        out = np.zeros(self.p_zero.size)
        todo = np.flatnonzero(self.p_zero < q)
        if todo.size == 0:
            return out
        start = np.mean([b.start(todo, q) for b in self.blocks], axis=0)

        def terms(act: np.ndarray, y: np.ndarray) -> tuple[Any, Any, Any]:
            parts = [b.terms_at(todo[act], y) for b in self.blocks]
            cdf, g1, g2 = (np.mean(v, axis=0) for v in zip(*parts, strict=True))
            return cdf, g1, g2

        out[todo] = np.exp(solve_increasing(terms, q, start))
        return out


def _odds_to_z(y: np.ndarray) -> Any:
    """``z = 1/(1 + e^-y)`` without overflow, kept inside (0, 1)."""
    z = np.where(
        y > 0, 1.0 / (1.0 + np.exp(-np.abs(y))), np.exp(-np.abs(y)) / (1.0 + np.exp(-np.abs(y)))
    )
    return np.clip(z, 1e-300, 1.0 - 1e-16)


def solve_increasing(
    terms: Callable[[np.ndarray, np.ndarray], tuple[Any, Any, Any]], q: float, y: np.ndarray
) -> Any:
    """Solve ``F(y) = q`` per row for an increasing ``F`` given by ``terms(rows, y)``.

    ``terms`` returns ``F`` and its first two derivatives in ``y`` for the rows asked for. A
    safeguarded Halley iteration (a bisection step in the bracket when Halley leaves it; the
    bracket grows by 2 in ``y`` until it holds the root); the result has ``F(y) >= q`` to
    rounding.
    """
    y = np.array(y, dtype=np.float64)
    lo, hi = np.full(y.size, -np.inf), np.full(y.size, np.inf)
    act = np.arange(y.size)
    for _ in range(_ITERATIONS):
        ya = y[act]
        cdf, g1, g2 = terms(act, ya)
        below = cdf < q
        lo[act] = np.where(below, ya, lo[act])
        hi[act] = np.where(below, hi[act], ya)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            gap = cdf - q  # Halley's step (cubic convergence; the derivatives are cheap)
            step = ya - 2.0 * gap * g1 / (2.0 * g1 * g1 - gap * g2)
        inside = np.isfinite(step) & (step > lo[act]) & (step < hi[act])
        l_a, h_a = lo[act], hi[act]
        mid = np.where(
            np.isfinite(l_a) & np.isfinite(h_a),
            0.5 * (l_a + h_a),
            np.where(np.isfinite(l_a), l_a + 2.0, h_a - 2.0),
        )
        tol = 1e-12 * np.maximum(1.0, np.abs(ya))
        narrow = h_a - l_a <= tol  # bracketed to rounding: the upper end (CDF >= q)
        # a Halley step this small leaves an error of order its cube: converged
        small = np.isfinite(step) & (np.abs(step - ya) <= _LAST_STEP * np.maximum(1.0, np.abs(ya)))
        done = narrow | small
        new = np.where(inside, step, mid)
        y[act] = np.where(narrow, h_a, np.where(small, step, new))
        act = act[~done]
        if act.size == 0:
            break
    return y
