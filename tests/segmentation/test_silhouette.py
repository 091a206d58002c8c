"""Silhouettes of several clusterings from one pass: against scikit-learn's silhouette_score."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from customer_models.segmentation import _silhouette
from customer_models.segmentation._silhouette import silhouettes


@pytest.mark.parametrize("n", [7, 300, 1_200])
def test_matches_sklearn_for_every_candidate(n, monkeypatch):
    monkeypatch.setattr(_silhouette, "_BLOCK_ENTRIES", 5_000)  # many row blocks
    rng = np.random.default_rng(n)
    points = np.vstack([rng.normal(c, 1.0, size=(n // 3 + 1, 3)) for c in (0.0, 4.0, 9.0)])[:n]
    labelings = [
        KMeans(k, n_init=1, random_state=0).fit(points).labels_ for k in range(2, min(n, 7))
    ]
    labelings.append(np.r_[np.zeros(n - 1, dtype=int), 1])  # a singleton cluster scores 0
    expected = [silhouette_score(points, labels) for labels in labelings]
    np.testing.assert_allclose(silhouettes(points, labelings), expected, rtol=0, atol=1e-12)


def test_duplicate_points_and_ties():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [5.0, 5.0]])
    labelings = [np.array([0, 0, 1, 1, 1]), np.array([0, 1, 0, 1, 2])]
    expected = [silhouette_score(points, labels) for labels in labelings]
    np.testing.assert_allclose(silhouettes(points, labelings), expected, rtol=0, atol=1e-12)
