"""Hypergeometric series with their own parameters in every row, fast at a million rows.

Covariate models give each customer its own ``alpha_i, a_i, b_i``, so the ``2F1`` of an
expectation is a different series in every row and nothing can be shared between customers.
:func:`~customer_models.valuation._special.pfq_series` builds each block of 64 terms as a
rows x 64 matrix (cumulative products and sums over it), which moves every term through
memory about twenty times. Here the terms are generated one at a time as a recurrence on
cache-sized chunks of rows (``_CHUNK`` rows: each temporary is 128 KiB), with in-place
operations (nine per term and row), and the stopping rule is tested every ``_CHECK``
terms; a row's value is the partial sum at the first test it passes, so it does not depend
on the other rows of its chunk. About ten times faster than :func:`pfq_series` on the
series of the BG/NBD expectation (benchmarks/README_covariates.md).

The series is ``sum_k t_k`` with ``t_0 = 1`` and
``t_(k+1) / t_k = z (A+k) (B+k) / ((C+k) (k+shift))``: ``shift = 1`` is the Gauss series
``2F1(A, B; C; z)``, ``shift = 2`` is ``3F2(A, B, 1; C, 2; z)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from customer_models.exceptions import ParameterError
from customer_models.valuation._patterns import on_distinct_rows

__all__ = ["hyp2f1_rows", "on_repeated_rows", "ratio_series_rows"]

#: Rows per chunk: each of the six working arrays is 128 KiB (in the L2 cache).
_CHUNK = 16_384
#: Terms between two tests of the stopping rule.
_CHECK = 8
#: A row stops when a term falls to this share of the running sum (as in `pfq_series`).
_REL_TOL = 1e-17
#: Compact the chunk's working arrays when this share of its rows has finished.
_COMPACT = 0.5
#: Rows of the sample that decides whether grouping equal rows may pay.
_SAMPLE = 16_384


def ratio_series_rows(
    A: Any, B: Any, C: Any, z: Any, *, shift: float = 1.0, max_terms: int = 4_096
) -> tuple[np.ndarray, np.ndarray]:
    """``sum_k t_k``, ``t_(k+1)/t_k = z (A+k)(B+k)/((C+k)(k+shift))``, and a convergence flag.

    All arguments broadcast together (``C`` not a non-positive integer, ``shift > 0``). A row
    has converged when, at one of the tests every ``_CHECK`` terms, its last term is at most
    ``1e-17`` of its running sum in absolute value and all later terms have one sign
    (``k + 1 > max(-A, -B)``). Rows that do not converge within ``max_terms`` terms, or whose
    sum overflows (value NaN), get ``converged = False`` and must not be used by the caller:
    no approximate tail is ever returned as a value.

    Parameters
    ----------
    A, B, C, z : array-like
        Parameters and argument, one per row.
    shift : float
        ``1`` for ``2F1(A, B; C; z)``, ``2`` for ``3F2(A, B, 1; C, 2; z)``.
    max_terms : int
        Cap on the number of terms.

    Returns
    -------
    tuple of numpy.ndarray
        The sums and the convergence flags, of the broadcast shape.

    Examples
    --------
    >>> from scipy.special import hyp2f1
    >>> value, ok = ratio_series_rows([0.5, 2.0], [1.5, 0.7], [2.5, 3.1], [0.3, 0.6])
    >>> bool(np.allclose(value, hyp2f1([0.5, 2.0], [1.5, 0.7], [2.5, 3.1], [0.3, 0.6]),
    ...                  rtol=1e-15, atol=0)), ok.tolist()
    (True, [True, True])
    """
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (A, B, C, z)))
    shape = arrs[0].shape
    a, b, c, zz = (np.ascontiguousarray(v).ravel() for v in arrs)
    out = np.empty(zz.size)
    ok = np.empty(zz.size, dtype=bool)
    for start in range(0, zz.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        out[part], ok[part] = _chunk(a[part], b[part], c[part], zz[part], shift, max_terms)
    return out.reshape(shape), ok.reshape(shape)


def _chunk(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, shift: float, max_terms: int
) -> tuple[np.ndarray, np.ndarray]:
    """`ratio_series_rows` of one chunk: the recurrence on the rows not yet finished."""
    out = np.ones(z.size)
    rows = np.flatnonzero((z != 0) & (a != 0) & (b != 0))  # else the sum is its first term
    a, b, c, z = a[rows], b[rows], c[rows], z[rows]
    # terms change sign up to k = max(-A, -B): no stop before (a row-wise bound)
    k_min = np.maximum(np.maximum(-a, -b), 0.0)
    k_sign = float(k_min.max(initial=0.0))
    term = np.ones(rows.size)
    total = np.ones(rows.size)
    num = np.empty(rows.size)
    den = np.empty(rows.size)
    finished = np.zeros(rows.size, dtype=bool)
    k = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while rows.size and k < max_terms:
            for _ in range(_CHECK):
                np.add(a, k, out=num)
                np.add(b, k, out=den)
                num *= den
                np.add(c, k, out=den)
                den *= k + shift
                num /= den
                num *= z
                term *= num
                total += term
                k += 1
            np.abs(term, out=num)
            np.abs(total, out=den)
            den *= _REL_TOL
            done = num <= den  # NaN: never; an overflow to inf is caught below
            if k <= k_sign:
                done &= k > k_min
            new = done > finished  # done and not recorded yet
            if not new.any():
                continue
            out[rows[new]] = total[new]
            finished |= new
            if finished.all() or finished.mean() >= _COMPACT:
                keep = ~finished
                rows, a, b, c, z = rows[keep], a[keep], b[keep], c[keep], z[keep]
                term, total, k_min = term[keep], total[keep], k_min[keep]
                finished = finished[keep]
                num, den = num[keep], den[keep]
    rest = rows[~finished]
    out[rest] = total[~finished]
    ok = np.isfinite(out)
    ok[rest] = False
    out[~ok & ~np.isfinite(out)] = np.nan  # an overflow: NaN, as in `pfq_series`, never inf
    return out, ok


def hyp2f1_rows(A: Any, B: Any, C: Any, z: Any, *, max_terms: int = 4_096) -> np.ndarray:
    """Gauss series ``2F1(A, B; C; z)`` with parameters per row, for ``|z| < 1``.

    Never a truncated sum: a row that does not converge is refused. Computed by
    :func:`ratio_series_rows`.

    Parameters
    ----------
    A, B, C, z : array-like
        Broadcast together; ``C`` not a non-positive integer.
    max_terms : int
        Cap on the number of terms.

    Returns
    -------
    numpy.ndarray
        Values of the broadcast shape.

    Raises
    ------
    ParameterError
        A row needs more than ``max_terms`` terms or overflows.

    Examples
    --------
    >>> from scipy.special import hyp2f1
    >>> bool(np.isclose(hyp2f1_rows(0.5, 1.5, 2.5, 0.3), hyp2f1(0.5, 1.5, 2.5, 0.3),
    ...                 rtol=1e-15, atol=0))
    True
    """
    value, ok = ratio_series_rows(A, B, C, z, shift=1.0, max_terms=max_terms)
    if not np.all(ok):
        zz = np.broadcast_to(np.asarray(z, dtype=np.float64), value.shape)
        raise ParameterError(
            f"The 2F1 power series did not converge within max_terms={max_terms} terms for "
            f"{int((~ok).sum())} argument rows (largest |z| = {float(np.abs(zz[~ok]).max()):.6g});"
            " a power series is not usable this close to |z| = 1."
        )
    return value


def on_repeated_rows(fn: Callable[..., Any], arrays: Sequence[Any]) -> np.ndarray:
    """``fn(*arrays)`` (elementwise), once per distinct row if a sample shows rows repeat.

    :func:`~customer_models.valuation._patterns.on_distinct_rows` groups every row before
    deciding that grouping does not pay (more than half the rows distinct), which costs a
    quarter of a second per million rows of four columns. Per-customer parameters of a
    covariate model with continuous covariates never repeat, so an evenly spaced sample of
    ``_SAMPLE`` rows decides first: with ``D`` distinct rows among ``n``, each repeated
    about ``n / D`` times, a sample of ``m`` rows holds about ``m^2 / (2 D)`` repeats when
    ``D`` is near ``n/2``, and none at all when every row is distinct. Fewer repeats than
    that: ``fn`` on all rows; otherwise :func:`on_distinct_rows` (which decides again).

    Examples
    --------
    >>> calls = []
    >>> def f(v):
    ...     calls.append(v.size)
    ...     return 2.0 * v
    >>> _ = on_repeated_rows(f, (np.tile([1.0, 2.0], 20_000),))  # grouped: 2 distinct rows
    >>> _ = on_repeated_rows(f, (np.arange(40_000.0),))  # sampled, no repeats: not grouped
    >>> calls
    [2, 40000]
    """
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in arrays))
    n = arrs[0].size
    if n > _SAMPLE:
        step = n // _SAMPLE
        sample = np.column_stack([np.ravel(v)[::step][:_SAMPLE] for v in arrs])
        repeats = _SAMPLE - np.unique(sample, axis=0).shape[0]
        if repeats < max(1.0, _SAMPLE**2 / (2.0 * n)):
            shape = arrs[0].shape
            flat = [np.ascontiguousarray(v).ravel() for v in arrs]
            return np.asarray(fn(*flat)).reshape(shape)
    return on_distinct_rows(fn, arrs)
