from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.segmentation import (
    RFMSegmenter,
    explain_segments,
    segment_migration,
    segment_profile,
)


def test_profile_hand_computed():
    data = pd.DataFrame(
        {"spend": [10.0, 30.0, 100.0, 60.0, 0.0], "orders": [1.0, 3, 5, 4, 1]},
        index=list("abcde"),
    )
    seg = pd.Series(
        pd.Categorical(["low", "low", "high", "high", "low"], categories=["high", "low", "none"]),
        index=list("edcba"),  # aligned by id, not by position
    )
    p = segment_profile(data, seg, value_col="spend")
    assert p.index.tolist() == ["high", "low", "none"]  # empty segment kept
    assert p["n_customers"].tolist() == [2, 3, 0]
    # by id: high = {c, b} (100, 30), low = {e, d, a} (0, 60, 10)
    assert p.loc["high", "spend_mean"] == pytest.approx(65.0)
    assert p.loc["low", "spend_median"] == pytest.approx(10.0)
    assert p.loc["high", "spend_lift"] == pytest.approx(65 / 40)
    assert p.loc["low", "orders_mean"] == pytest.approx((1 + 4 + 1) / 3)
    assert p.loc["low", "value_share"] == pytest.approx(70 / 200)
    assert p.loc["low", "value_lift"] == pytest.approx((70 / 200) / (3 / 5))
    assert p["share"].sum() == pytest.approx(1.0)


def test_profile_errors():
    data = pd.DataFrame({"x": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(DataValidationError, match=r"every customer must have a segment.*\['b'\]"):
        segment_profile(data, pd.Series({"a": "s"}))
    with pytest.raises(ParameterError, match="length 2"):
        segment_profile(data, ["s"])


def test_migration_counts_shares_and_churn():
    before = pd.Series({"a": "Loyal", "b": "Loyal", "c": "At Risk", "e": "At Risk"})
    after = pd.Series({"a": "Loyal", "b": "At Risk", "d": "Loyal", "e": "Loyal"})
    counts = segment_migration(before, after)
    expected = pd.DataFrame(
        [[1, 1, 0], [1, 0, 1], [1, 0, 0]],
        index=pd.Index(["Loyal", "At Risk", "(new)"], name="before"),
        columns=pd.Index(["Loyal", "At Risk", "(gone)"], name="after"),
    )
    pd.testing.assert_frame_equal(counts, expected)
    shares = segment_migration(before, after, normalize=True)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert shares.loc["At Risk", "(gone)"] == 0.5
    assert counts.to_numpy().sum() == len(before.index.union(after.index))
    with pytest.raises(DataValidationError, match="duplicated"):
        segment_migration(pd.Series(["x", "y"], index=["a", "a"]), after)


def test_migration_between_two_cdnow_snapshots(cdnow_sample_transactions):
    from customer_models.summary import rfm_summary

    tx = cdnow_sample_transactions
    early = rfm_summary(tx, value_col="amount", freq="W", observation_end="1997-09-30")
    late = rfm_summary(tx, value_col="amount", freq="W")
    seg = RFMSegmenter().fit(late)
    table = segment_migration(seg.assign(early), seg.assign(late))
    assert table.to_numpy().sum() == len(late)
    assert "(gone)" not in table.columns  # nobody disappears from a cumulative summary


def test_explain_tree_reproduces_rule_segments(cdnow_summary):
    seg = RFMSegmenter().fit(cdnow_summary)
    segments = seg.assign(cdnow_summary)
    scores = pd.DataFrame(
        seg.scorer_.transform(cdnow_summary)[:, :3],
        columns=["r", "f", "m"],
        index=cdnow_summary.index,
    )
    deep = explain_segments(scores, segments, max_depth=12)
    assert deep.accuracy == 1.0  # segments are a function of the scores
    shallow = explain_segments(scores, segments, max_depth=2)
    assert shallow.accuracy < deep.accuracy
    assert "r <=" in shallow.rules
    assert "class:" in shallow.rules
    assert shallow.importance.idxmax() == "r"
    assert (shallow.predict(scores) == shallow.model.predict(scores.to_numpy())).all()


def test_explain_lda_assigns_new_customers():
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({"spend": rng.normal(0, 1, n), "noise": rng.normal(0, 1, n)})
    segments = np.where(X["spend"] > 0, "high", "low")
    ex = explain_segments(X, segments, method="lda")
    assert ex.rules == ""
    assert ex.accuracy > 0.95
    assert ex.importance["spend"] > 5 * ex.importance["noise"]
    new = pd.DataFrame({"spend": [3.0, -3.0], "noise": [0.0, 0.0]}, index=["n1", "n2"])
    assert ex.assign(new).to_dict() == {"n1": "high", "n2": "low"}
    assert ex.predict(new).tolist() == ["high", "low"]
    with pytest.raises(ParameterError, match="method"):
        explain_segments(X, segments, method="svm")
