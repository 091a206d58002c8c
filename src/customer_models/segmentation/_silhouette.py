"""Silhouettes of several clusterings of the same points from one pass over their distances.

Choosing k compares the silhouettes of k-means runs for every candidate k on the same
points. Each needs, for every point, the sum of its distances to the members of every cluster;
with the labels of all candidates one-hot encoded side by side, those sums are one matrix
product of the distance matrix with the stacked indicator matrix. So the distances are computed
once (in row blocks, never the whole square) instead of once per k as repeated
``sklearn.metrics.silhouette_score`` calls would. The blocks are small enough to stay in cache
and use scikit-learn's expanded form ``|x|^2 + |y|^2 - 2 x.y`` without its per-call input
checks, which cost more than the arithmetic at a few thousand points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["silhouettes"]

#: Distance entries per row block (8 bytes each: about 2 MB, a cache-sized block).
_BLOCK_ENTRIES = 250_000


def silhouettes(points: np.ndarray, labelings: Sequence[np.ndarray]) -> np.ndarray:
    """Mean silhouette coefficient (Euclidean) of each labeling of ``points``.

    Parameters
    ----------
    points : ndarray of shape (n, d)
    labelings : sequence of int ndarrays of shape (n,)
        Cluster labels ``0..k-1`` of each candidate clustering; each must have at least two
        clusters.

    Returns
    -------
    ndarray of shape (len(labelings),)
        The silhouettes, as ``sklearn.metrics.silhouette_score`` defines them (a point alone
        in its cluster scores 0).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import silhouette_score
    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))])
    >>> two, three = np.repeat([0, 1], 50), np.arange(100) % 3
    >>> got = silhouettes(x, [two, three])
    >>> bool(np.allclose(got, [silhouette_score(x, two), silhouette_score(x, three)]))
    True
    """
    n = points.shape[0]
    sizes = [int(labels.max()) + 1 for labels in labelings]
    offsets = np.cumsum([0, *sizes])
    indicator = np.zeros((n, offsets[-1]))
    for offset, labels in zip(offsets[:-1], labelings, strict=True):  # one column block per k
        indicator[np.arange(n), offset + labels] = 1.0
    counts = indicator.sum(axis=0)
    sums = _distance_sums(np.asarray(points, dtype=np.float64), indicator)
    scores = np.empty(len(labelings))
    rows = np.arange(n)
    for position, (offset, labels) in enumerate(zip(offsets[:-1], labelings, strict=True)):
        own = offset + labels
        block_sums = sums[:, offset : offset + sizes[position]]
        block_counts = counts[offset : offset + sizes[position]]
        own_size = counts[own]
        a = sums[rows, own] / np.maximum(own_size - 1.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_to = block_sums / block_counts  # empty clusters give inf/nan, masked below
        mean_to[rows, labels] = np.inf
        mean_to[:, block_counts == 0] = np.inf
        b = mean_to.min(axis=1)
        denominator = np.maximum(a, b)
        s = np.where(denominator > 0, (b - a) / np.where(denominator > 0, denominator, 1.0), 0.0)
        scores[position] = np.where(own_size > 1, s, 0.0).mean()
    return scores


def _distance_sums(points: np.ndarray, indicator: np.ndarray) -> np.ndarray:
    """``D @ indicator`` for the Euclidean distance matrix ``D`` of ``points``, by row blocks."""
    n = points.shape[0]
    squares = np.einsum("ij,ij->i", points, points)
    sums = np.empty((n, indicator.shape[1]))
    block = max(1, _BLOCK_ENTRIES // max(n, 1))
    for start in range(0, n, block):  # row blocks of the distance matrix, bounded memory
        stop = min(n, start + block)
        distances = points[start:stop] @ points.T
        distances *= -2.0
        distances += squares[start:stop, None]
        distances += squares[None, :]
        np.maximum(distances, 0.0, out=distances)  # rounding can leave tiny negatives
        np.sqrt(distances, out=distances)
        # A point's distance to itself is 0; the expanded-square formula leaves ~1e-8 there.
        distances[np.arange(stop - start), np.arange(start, stop)] = 0.0
        np.matmul(distances, indicator, out=sums[start:stop])
    return sums
