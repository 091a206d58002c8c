"""Segmenters with the default (named-column) parameters inside scikit-learn tooling."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import silhouette_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from customer_models.exceptions import NotFittedError
from customer_models.segmentation import (
    KMeansSegmenter,
    RFMScorer,
    RFMSegmenter,
    RuleSegmenter,
    ValueSegmenter,
)


def _since_last(summary: pd.DataFrame) -> pd.DataFrame:
    return summary.assign(since_last=summary["T"] - summary["recency"])[
        ["frequency", "since_last", "monetary_value"]
    ]


def test_kmeans_in_pipeline_and_gridsearch(cdnow_summary):
    pipe = make_pipeline(
        FunctionTransformer(_since_last),
        KMeansSegmenter(3, value_col="monetary_value", random_state=0),
    )
    labels = pipe.fit_predict(cdnow_summary)
    assert labels.shape == (len(cdnow_summary),)
    assert set(np.unique(labels)) == {0, 1, 2}

    def silhouette(estimator, X, y=None):
        Z = np.log1p(X.to_numpy())
        return silhouette_score(Z, estimator.predict(X), sample_size=1000, random_state=0)

    X = _since_last(cdnow_summary)
    search = GridSearchCV(
        KMeansSegmenter(random_state=0), {"n_clusters": [2, 3, 4]}, scoring=silhouette, cv=2
    ).fit(X)
    assert search.best_params_["n_clusters"] in (2, 3, 4)


def test_segmenters_clone_pickle_and_refit(cdnow_summary):
    estimators = [
        RFMSegmenter(),
        RuleSegmenter([("Repeat", {"frequency": (1, None)})], default="One-off"),
        ValueSegmenter("quantile", value_col="monetary_value", labels=["high", "low"]),
        KMeansSegmenter(2, columns=["frequency", "monetary_value"], random_state=0),
    ]
    for est in estimators:
        with pytest.raises(NotFittedError):
            est.predict(cdnow_summary)
        fitted = clone(est).fit(cdnow_summary)
        again = pickle.loads(pickle.dumps(fitted))
        assert (again.predict(cdnow_summary) == fitted.labels_).all()
        names = fitted.assign(cdnow_summary)
        assert names.index.equals(cdnow_summary.index)
        assert names.notna().all()
        assert list(names.cat.categories) == fitted.segments_


def test_scorer_set_output_keeps_index_and_names(cdnow_summary):
    out = RFMScorer(combined="sum").set_output(transform="pandas").fit_transform(cdnow_summary)
    assert out.index.equals(cdnow_summary.index)
    assert list(out.columns) == ["r_score", "f_score", "m_score", "rfm_score"]
    assert out.dtypes.map(lambda d: d.kind == "i").all()


def test_feature_name_mismatch_is_reported(cdnow_summary):
    seg = RFMSegmenter().fit(cdnow_summary)
    with pytest.raises(ValueError, match="feature names should match"):
        seg.predict(cdnow_summary.assign(extra=1.0))


def test_a_failed_fit_leaves_the_segmenter_unfitted(cdnow_summary):
    # fit stores labels_ only once everything it learns is valid, so predict never runs on
    # half-learned state (a rule on a missing column used to leave segments_ behind).
    bad = cdnow_summary.drop(columns="monetary_value")
    estimators = [
        RFMSegmenter(),
        RuleSegmenter([("Big", {"monetary_value": (50, None)})]),
        ValueSegmenter(value_col="monetary_value"),
        KMeansSegmenter(2, columns=["frequency", "monetary_value"], random_state=0),
    ]
    for est in estimators:
        with pytest.raises(ValueError, match="monetary_value"):
            est.fit(bad)
        with pytest.raises(NotFittedError, match="not fitted"):
            est.predict(cdnow_summary)
