"""Sums over the transaction opportunities of discrete-time histories ``(x, t_x, n)``.

A discrete-time likelihood (BG/BB) sums one term per opportunity ``t_x .. n - 1`` of each
history. :class:`OpportunityRows` sorts the rows by their number of terms so that each step
of the sum works on a prefix of the rows (slices, no masks), and hands out the steps in
vectorized blocks: the work is the total number of terms, not rows x the longest sum, and
the Python iterations are the number of blocks.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from customer_models.exceptions import ParameterError

__all__ = ["OpportunityRows"]

#: Elements (rows x term indices) per block of the sum over opportunities.
_TERM_BLOCK = 1 << 18
_MIN_WIDTH = 16


class OpportunityRows:
    """Rows as whole-number index arrays, sorted by the number of terms ``n - t_x``.

    In iteration ``i`` of the sum over terms only the rows with ``n - t_x > i`` take part;
    after sorting they are a prefix, so the loop works on slices (no masks) and costs the
    total number of terms rather than rows x longest sum.

    Examples
    --------
    >>> import numpy as np
    >>> rows = OpportunityRows(np.array([0, 2]), np.array([0, 3]), np.array([4, 4]))
    >>> rows.counts.tolist()  # rows with n - t_x > i, for i = 0 .. 3
    [2, 1, 1, 1]
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, n: np.ndarray) -> None:
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, n)))
        self.shape = arrays[0].shape
        xf, tf, nf = (a.ravel() for a in arrays)
        xi, ti, ni = (v.astype(np.intp) for v in (xf, tf, nf))
        if not (np.array_equal(xi, xf) and np.array_equal(ti, tf) and np.array_equal(ni, nf)):
            raise ParameterError(
                "Discrete-time kernels need whole-number frequency, recency, n_periods."
            )
        span = ni - ti
        self.order = np.argsort(-span, kind="stable")
        self.x, self.t_x, self.n = xi[self.order], ti[self.order], ni[self.order]
        span_sorted = span[self.order]
        self.n_max = int(ni.max()) if ni.size else 0
        k_max = int(span_sorted[0]) if span_sorted.size else 0
        # counts[i] = number of rows with n - t_x > i
        self.counts = np.searchsorted(-span_sorted, -np.arange(k_max), side="left")
        self.size = xi.size

    def blocks(self) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        """Blocks of term indices: ``(c, j, valid)`` for iterations ``i0 .. i0 + width - 1``.

        ``c`` rows take part (those with ``n - t_x > i0``), ``j = t_x + i`` of shape
        ``(c, width)`` (clipped into the tables) and ``valid = i < n - t_x``. A block ends
        before half of its rows drop out and holds at most ``_TERM_BLOCK`` elements, so the
        work is at most twice the number of terms and the Python iterations are the number
        of blocks (about log2(rows) plus elements / _TERM_BLOCK), not of opportunities. Where
        a block would be narrower than ``_MIN_WIDTH`` it is a single index: ``j`` of shape
        ``(c,)`` and ``valid`` None (all ``c`` rows take part).
        """
        k_max = self.counts.size
        neg = -self.counts
        i0 = 0
        while i0 < k_max:
            c = int(self.counts[i0])
            # at least half of the c rows stay active through the block: bounded waste
            half = int(np.searchsorted(neg, -(c / 2.0), side="left"))
            width = max(1, min(half - i0, _TERM_BLOCK // max(c, 1)))
            if width < _MIN_WIDTH:  # rows drop out fast here: one index at a time, no mask
                yield c, self.t_x[:c] + i0, None
                i0 += 1
                continue
            i = i0 + np.arange(width)
            j = self.t_x[:c, None] + i[None, :]
            valid = i[None, :] < (self.n[:c] - self.t_x[:c])[:, None]
            yield c, np.where(valid, j, self.t_x[:c, None]), valid
            i0 += width

    def unsort(self, values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values)
        out[self.order] = values
        return out
