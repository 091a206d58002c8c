"""scikit-learn's estimator checks on every segmenter (accepted failures listed with reasons).

sklearn's checks feed generic arrays of 2-10 columns. The instances below read their columns
by position (documented parameters), so the checks exercise the real code paths.
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from customer_models.segmentation import (
    KMeansSegmenter,
    RFMScorer,
    RFMSegmenter,
    RuleSegmenter,
    ValueSegmenter,
)

# R score from column 1 (already "time since last purchase" because T_col=None), F from
# column 0; 3 bins so that integer-valued check data (3 distinct values) can be scored.
_THREE_BIN_MAP = {
    "High": {"r": (2, 3), "f": (2, 3)},
    "Recent": {"r": (2, 3), "f": (1, 1)},
    "Old": {"r": (1, 1)},
}

ESTIMATORS = [
    RFMScorer(3, frequency_col=0, recency_col=1, T_col=None, monetary_col=None),
    RFMSegmenter(
        _THREE_BIN_MAP, n_bins=3, frequency_col=0, recency_col=1, T_col=None, monetary_col=None
    ),
    RuleSegmenter([("high", {0: (0.0, None)}), ("mid", {1: (0.0, None)})], default="low"),
    ValueSegmenter("quantile", value_col=0, labels=("high", "low")),
    KMeansSegmenter(3, log_transform=False, sample_size=10, random_state=0),
]

_NOT_CLUSTERS = (
    "RFM segments are fixed cells of the score grid (here: the 3-bin map above), not "
    "clusters of the check's Gaussian blobs, so the adjusted Rand index against the blob "
    "labels is below sklearn's 0.4 threshold"
)

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "RFMSegmenter": {"check_clustering": _NOT_CLUSTERS},
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
