from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from customer_models.exceptions import (
    CustomerModelsError,
    DataValidationError,
    MissingColumnError,
    NotFittedError,
    ParameterError,
)
from customer_models.segmentation import DEFAULT_RFM_SEGMENTS, RFMScorer, RFMSegmenter


def summary_frame(frequency, recency=None, T=None, monetary=None) -> pd.DataFrame:
    frequency = np.asarray(frequency, dtype=float)
    n = frequency.size
    recency = np.linspace(0.0, 9.0, n) if recency is None else np.asarray(recency, dtype=float)
    T = np.full(n, 10.0) if T is None else np.asarray(T, dtype=float)
    monetary = frequency * 10.0 if monetary is None else np.asarray(monetary, dtype=float)
    index = pd.Index([f"c{i}" for i in range(n)], name="customer_id")
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary},
        index=index,
    )


# ---------------------------------------------------------------- hand-computed tables


def test_heavy_ties_hand_computed_three_bins():
    # 60% zeros. Greedy policy: bin 1 = {0} (6 customers, target 3.3 but the tie is
    # indivisible); next target 6 + 4/2 = 8 = cum count at value 1 -> bin 2 = {1}; bin 3 = {2, 3}.
    df = summary_frame([0, 0, 0, 0, 0, 0, 1, 1, 2, 3])
    scores = RFMScorer(3).fit(df).transform(df)
    assert scores[:, 1].tolist() == [1] * 6 + [2, 2, 3, 3]
    # the plain pandas approach cannot even build the bins
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(df["frequency"], 3)


def test_heavy_ties_hand_computed_five_bins():
    # 12 of 20 customers with frequency 0 (60%), then 1..8 once each.
    # targets: 4 -> {0}; 12 + 8/4 = 14 -> {1, 2}; 14 + 6/3 = 16 -> {3, 4}; 18 -> {5, 6}; {7, 8}
    freq = [0] * 12 + list(range(1, 9))
    df = summary_frame(freq)
    scorer = RFMScorer().fit(df)
    f = scorer.transform(df)[:, 1]
    expected = [1] * 12 + [2, 2, 3, 3, 4, 4, 5, 5]
    assert f.tolist() == expected
    np.testing.assert_allclose(scorer.bin_edges_["f_score"], [0.5, 2.5, 4.5, 6.5])
    assert scorer.n_bins_ == {"r_score": 5, "f_score": 5, "m_score": 5}
    # monetary is 10 * frequency: same ranks, same scores
    assert scorer.transform(df)[:, 2].tolist() == expected


def test_recency_score_uses_time_since_last_purchase():
    # T = 10, recency (first -> last) 10..1, so time since last purchase = 0..9
    df = summary_frame(np.arange(10), recency=np.arange(10, 0, -1), T=np.full(10, 10.0))
    scorer = RFMScorer().fit(df)
    r = scorer.transform(df)[:, 0]
    assert r.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]  # most recent scores highest
    np.testing.assert_allclose(scorer.bin_edges_["r_score"], [1.5, 3.5, 5.5, 7.5])


def test_new_customers_are_scored_on_the_training_scale():
    df = summary_frame([0] * 12 + list(range(1, 9)))
    scorer = RFMScorer().fit(df)
    new = summary_frame([0, 2, 2.4, 2.6, 100], recency=[0] * 5)
    f = scorer.transform(new)[:, 1]
    assert f.tolist() == [1, 2, 2, 3, 5]  # midpoint edges 0.5, 2.5, 4.5, 6.5


def test_combined_scores():
    df = summary_frame(np.arange(10), recency=np.arange(10, 0, -1))
    code = RFMScorer().fit_transform(df)
    assert (code[:, 3] == code[:, 0] * 100 + code[:, 1] * 10 + code[:, 2]).all()
    total = RFMScorer(combined="sum").fit_transform(df)
    assert (total[:, 3] == total[:, :3].sum(axis=1)).all()
    no_m = RFMScorer(monetary_col=None).fit(df)
    assert list(no_m.get_feature_names_out()) == ["r_score", "f_score", "rfm_score"]


def test_qcut_agrees_without_ties():
    rng = np.random.default_rng(0)
    x = rng.permutation(100).astype(float)
    df = summary_frame(x)
    f = RFMScorer().fit_transform(df)[:, 1]
    expected = pd.qcut(x, 5, labels=False) + 1
    assert (f == expected).all()


# ---------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 12), min_size=5, max_size=80),
    n_bins=st.integers(2, 6),
    seed=st.integers(0, 2**16),
)
def test_score_properties(values, n_bins, seed):
    x = np.asarray(values, dtype=float)
    if np.unique(x).size < n_bins:
        with pytest.raises(DataValidationError, match=r"distinct value|at least n_bins"):
            RFMScorer(n_bins).fit(summary_frame(x))
        return
    df = summary_frame(x)
    before = df.copy()
    scorer = RFMScorer(n_bins).fit(df)
    f = scorer.transform(df)[:, 1]
    pd.testing.assert_frame_equal(df, before)  # no mutation
    assert f.min() == 1
    assert f.max() == n_bins
    assert set(f.tolist()) == set(range(1, n_bins + 1))  # no empty bin
    order = np.argsort(x, kind="stable")
    assert (np.diff(f[order]) >= 0).all()  # monotone in the feature
    for v in np.unique(x):  # ties share a score
        assert np.unique(f[x == v]).size == 1
    perm = np.random.default_rng(seed).permutation(x.size)
    f_perm = RFMScorer(n_bins).fit(df.iloc[perm]).transform(df.iloc[perm])[:, 1]
    assert (f_perm == f[perm]).all()  # row-order invariance


@settings(max_examples=40, deadline=None)
@given(
    r=st.lists(st.integers(0, 20), min_size=25, max_size=60),
    seed=st.integers(0, 2**16),
)
def test_every_customer_gets_exactly_one_default_segment(r, seed):
    rng = np.random.default_rng(seed)
    n = len(r)
    T = np.full(n, 20.0)
    recency = np.asarray(r, dtype=float)
    freq = rng.integers(0, 8, n).astype(float)
    freq[: min(n, 8)] = np.arange(min(n, 8))  # enough distinct values for 5 bins
    monetary = np.where(freq > 0, rng.gamma(2.0, 20.0, n), 0.0)
    df = summary_frame(freq, recency=recency, T=T, monetary=monetary)
    if np.unique(T - recency).size < 5:
        return
    seg = RFMSegmenter().fit(df)
    codes = seg.predict(df)
    assert codes.min() >= 0
    assert codes.max() < len(DEFAULT_RFM_SEGMENTS)
    names = seg.assign(df)
    scores = seg.scorer_.transform(df)
    # independent evaluation of the map, cell by cell
    for (rs, fs, ms), name in zip(scores[:, :3].tolist(), names.tolist(), strict=True):
        fm = (fs + ms + 1) // 2
        hits = [
            seg_name
            for seg_name, spec in DEFAULT_RFM_SEGMENTS.items()
            if spec["r"][0] <= rs <= spec["r"][1] and spec["fm"][0] <= fm <= spec["fm"][1]
        ]
        assert hits == [name]


# ---------------------------------------------------------------- segment maps


def test_default_map_partitions_the_grid():
    grid = np.zeros((5, 5), dtype=int)
    for spec in DEFAULT_RFM_SEGMENTS.values():
        (r0, r1), (f0, f1) = spec["r"], spec["fm"]
        grid[r0 - 1 : r1, f0 - 1 : f1] += 1
    assert (grid == 1).all()
    assert len(DEFAULT_RFM_SEGMENTS) == 11


def test_map_with_gaps_is_rejected_with_the_cells(cdnow_summary):
    segments = {"Recent": {"r": (4, 5)}, "Old": {"r": (1, 2)}}
    with pytest.raises(
        ParameterError, match=r"does not cover 5 score cell\(s\): r=3, fm=1; r=3, fm=2"
    ):
        RFMSegmenter(segments).fit(cdnow_summary)


def test_map_with_overlaps_is_rejected_with_the_names(cdnow_summary):
    segments = {"A": {"r": (1, 3)}, "B": {"r": (3, 5)}}
    with pytest.raises(
        ParameterError, match=r"overlaps on 5 score cell.*r=3, fm=1 \(A, B\); r=3, fm=2"
    ):
        RFMSegmenter(segments).fit(cdnow_summary)


def test_rfm_map_over_f_and_m(cdnow_summary):
    segments = {
        "Big spenders": {"m": (4, 5)},
        "Frequent": {"m": (1, 3), "f": (4, 5)},
        "Others": {"m": (1, 3), "f": (1, 3)},
    }
    seg = RFMSegmenter(segments).fit(cdnow_summary)
    scores = seg.scorer_.transform(cdnow_summary)
    names = seg.assign(cdnow_summary)
    assert (names[scores[:, 2] >= 4] == "Big spenders").all()
    with pytest.raises(ParameterError, match=r"does not cover"):
        RFMSegmenter({"x": {"f": (1, 5), "m": (1, 4)}}).fit(cdnow_summary)


def test_default_map_needs_five_bins(cdnow_summary):
    with pytest.raises(ParameterError, match=r"defined on scores 1..5"):
        RFMSegmenter(n_bins=4).fit(cdnow_summary)


# ---------------------------------------------------------------- CDNOW


def test_cdnow_scores_and_segments(cdnow_summary):
    scores = RFMScorer().set_output(transform="pandas").fit_transform(cdnow_summary)
    assert scores.index.equals(cdnow_summary.index)
    zero = cdnow_summary["frequency"] == 0
    assert zero.mean() > 0.59  # the heavy tie of the brief
    assert (scores.loc[zero, "f_score"] == 1).all()
    assert (scores.loc[~zero, "f_score"] > 1).all()
    for column in ("r_score", "f_score", "m_score"):
        assert sorted(scores[column].unique()) == [1, 2, 3, 4, 5]
    # positives share scores 2..5 about equally (ties permitting)
    counts = scores.loc[~zero, "m_score"].value_counts()
    assert counts.max() - counts.min() <= 2
    segments = RFMSegmenter().fit_assign(cdnow_summary)
    assert segments.notna().all()
    assert len(segments) == len(cdnow_summary)
    assert list(segments.cat.categories) == list(DEFAULT_RFM_SEGMENTS)
    value = cdnow_summary["monetary_value"] * cdnow_summary["frequency"]
    by_segment = value.groupby(segments, observed=True).mean()
    assert by_segment["Champions"] > by_segment["Loyal Customers"] > by_segment["Lost"]


# ---------------------------------------------------------------- contract


def test_pipeline_clone_gridsearch(cdnow_summary):
    X = cdnow_summary
    y = (X["recency"] > X["recency"].median()).to_numpy()
    pipe = make_pipeline(RFMScorer(), LogisticRegression(max_iter=500))
    search = GridSearchCV(pipe, {"rfmscorer__n_bins": [3, 5]}, cv=3).fit(X, y)
    assert search.best_params_["rfmscorer__n_bins"] in (3, 5)
    assert search.best_score_ > 0.8
    scorer = RFMScorer(4).fit(X)
    twin = clone(scorer)
    assert twin.get_params() == scorer.get_params()
    assert not hasattr(twin, "bin_edges_")


def test_array_input_by_position(cdnow_summary):
    cols = ["frequency", "recency", "T", "monetary_value"]
    from_frame = RFMScorer().fit_transform(cdnow_summary[cols])
    from_array = RFMScorer().fit_transform(cdnow_summary[cols].to_numpy())
    assert (from_frame == from_array).all()


def test_polars_input(cdnow_summary):
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(cdnow_summary.reset_index(drop=True))
    scores = RFMScorer().fit_transform(frame)
    expected = RFMScorer().fit_transform(cdnow_summary.reset_index(drop=True))
    assert (scores == expected).all()


# ---------------------------------------------------------------- errors


def test_missing_column_suggests_closest(cdnow_summary):
    bad = cdnow_summary.rename(columns={"frequency": "frequence"})
    with pytest.raises(MissingColumnError, match="Did you mean 'frequence'"):
        RFMScorer().fit(bad)


def test_nan_names_the_customer(cdnow_summary):
    bad = cdnow_summary.copy()
    bad.iloc[3, bad.columns.get_loc("monetary_value")] = np.nan
    with pytest.raises(DataValidationError, match=r"monetary_value.*first offending ids: \[4\]"):
        RFMScorer().fit(bad)


def test_recency_above_T_is_rejected():
    df = summary_frame(np.arange(10), recency=[11] + [0] * 9)
    with pytest.raises(DataValidationError, match=r"recency must be <= T.*T_col=None"):
        RFMScorer().fit(df)


def test_too_many_bins_for_distinct_values():
    df = summary_frame([0, 0, 0, 1, 1, 2], recency=np.arange(6))
    with pytest.raises(DataValidationError, match=r"only 3 distinct value\(s\).*n_bins <= 3"):
        RFMScorer(5).fit(df)


def test_bad_parameters_and_unfitted(cdnow_summary):
    with pytest.raises(ParameterError, match="n_bins must be an integer >= 2"):
        RFMScorer(1).fit(cdnow_summary)
    with pytest.raises(ParameterError, match="n_bins must be <= 9"):
        RFMScorer(10).fit(cdnow_summary)
    with pytest.raises(NotFittedError):
        RFMScorer().transform(cdnow_summary)
    assert issubclass(NotFittedError, CustomerModelsError)
