r"""Bootstrap of correlation matrices on sufficient statistics, not on resampled rows.

A replicate's correlation matrix depends on its rows only through the count, the column sums
and the cross-products. So each *unit* (a row, or above :data:`BOOTSTRAP_UNITS` rows a random
bucket of rows) is summarised once, a replicate draws units with replacement as a vector of
counts, and its moments are one matrix product of those counts with the unit summaries. The
work is ``n_draws × units`` instead of ``n_draws × rows``: at a million rows and 200
replicates that is 50 times less, and no resample is ever materialised.

With as many units as rows this is exactly the nonparametric bootstrap of the rows. Buckets
(rows assigned to one of :data:`BOOTSTRAP_UNITS` buckets at random) resample groups of
exchangeable rows, the bucketed bootstrap of Chamandy et al. (2012): the spread it gives
differs from the row bootstrap's by about :math:`\sqrt{2/m}` relative (1% at
:math:`m = 20{,}000`), far below the Monte Carlo error of a few hundred replicates.

References
----------
.. [1] Chamandy, N., Muralidharan, O., Najmi, A., Naidu, S. (2012). Estimating uncertainty for
   massive data streams. Google technical report.
"""

from __future__ import annotations

import numpy as np

from customer_models._progress import Progress

__all__ = ["BOOTSTRAP_UNITS", "bootstrap_correlations"]

#: Rows are resampled one by one up to this many rows, as random buckets of rows above it.
BOOTSTRAP_UNITS = 20_000

#: Replicates whose variance in a column is below this share of the full sample's variance
#: are treated as having a constant column (the resample drew one distinct value).
_FLAT_VARIANCE = 1e-10

#: Count-matrix entries per block of replicates (bounds the memory of a large n_draws).
_BLOCK_ENTRIES = 4_000_000


def _unit_moments(
    standardized: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: row count and the moments ``[z_1..z_k, z_i z_j (i <= j)]`` summed over rows."""
    n, k = standardized.shape
    upper_i, upper_j = np.triu_indices(k)
    if n <= BOOTSTRAP_UNITS:
        products = standardized[:, upper_i] * standardized[:, upper_j]
        return np.ones(n), np.hstack([standardized, products])
    bucket = rng.integers(0, BOOTSTRAP_UNITS, size=n)
    size = np.bincount(bucket, minlength=BOOTSTRAP_UNITS).astype(np.float64)
    moments = np.empty((BOOTSTRAP_UNITS, k + upper_i.size))
    for col in range(k):  # a loop over columns, never over rows or units
        moments[:, col] = np.bincount(bucket, standardized[:, col], BOOTSTRAP_UNITS)
    product = np.empty(n)
    for col, (i, j) in enumerate(zip(upper_i, upper_j, strict=True), start=k):
        np.multiply(standardized[:, i], standardized[:, j], out=product)
        moments[:, col] = np.bincount(bucket, product, BOOTSTRAP_UNITS)
    return size, moments


def _correlations(counts: np.ndarray, size: np.ndarray, moments: np.ndarray, k: int) -> np.ndarray:
    """Correlation matrices ``(b, k, k)`` of the replicates whose unit counts are ``counts``."""
    n_rows = counts @ size
    totals = (counts @ moments) / n_rows[:, None]
    mean = totals[:, :k]
    upper_i, upper_j = np.triu_indices(k)
    second = np.empty((counts.shape[0], k, k))
    second[:, upper_i, upper_j] = totals[:, k:]
    second[:, upper_j, upper_i] = totals[:, k:]
    cov = second - mean[:, :, None] * mean[:, None, :]
    var = np.einsum("bii->bi", cov)
    flat = (var <= _FLAT_VARIANCE).any(axis=1)
    sd = np.sqrt(np.where(var > _FLAT_VARIANCE, var, 1.0))
    corr = np.clip(cov / (sd[:, :, None] * sd[:, None, :]), -1.0, 1.0)
    corr[flat] = np.nan
    return corr


def bootstrap_correlations(
    matrix: np.ndarray,
    n_draws: int,
    rng: np.random.Generator,
    progress: Progress | None = None,
) -> np.ndarray:
    """Pearson correlation matrices of ``n_draws`` bootstrap resamples of ``matrix``'s rows.

    Parameters
    ----------
    matrix : ndarray of shape (n, k)
        Finite values; no column constant.
    n_draws : int
        Number of replicates.
    rng : numpy.random.Generator
        Source of the resampling (and of the bucket assignment above
        :data:`BOOTSTRAP_UNITS` rows).
    progress : Progress, optional
        Advanced by the replicates of each block as it is done.

    Returns
    -------
    ndarray of shape (n_draws, k, k)
        NaN for a replicate in which some column is constant.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 2))
    >>> x[:, 1] += x[:, 0]
    >>> stack = bootstrap_correlations(x, 300, np.random.default_rng(1))
    >>> stack.shape
    (300, 2, 2)
    >>> r = stack[:, 0, 1]
    >>> bool(abs(r.mean() - np.corrcoef(x.T)[0, 1]) < 0.01), bool(0.01 < r.std() < 0.05)
    (True, True)
    """
    k = matrix.shape[1]
    # Standardized columns keep the one-pass moments (E[z^2] - E[z]^2) free of cancellation.
    standardized = (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)
    size, moments = _unit_moments(standardized, rng)
    units = size.size
    block = max(1, _BLOCK_ENTRIES // units)
    out = np.empty((n_draws, k, k))
    for start in range(0, n_draws, block):  # blocks of replicates, bounded memory
        b = min(block, n_draws - start)
        draws = rng.integers(0, units, size=(b, units)) + units * np.arange(b)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * units).reshape(b, units)
        out[start : start + b] = _correlations(counts.astype(np.float64), size, moments, k)
        if progress is not None:
            progress.advance(b)
    return out
