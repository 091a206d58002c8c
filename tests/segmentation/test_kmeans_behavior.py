from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from customer_models.datasets import make_transactions
from customer_models.exceptions import DataValidationError, MissingColumnError, ParameterError
from customer_models.segmentation import KMeansSegmenter, behavior_features


def three_groups(n_per: int = 800, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Known structure: three customer types, well separated on the log scale."""
    rng = np.random.default_rng(seed)
    centres = np.array([[1.0, 20.0], [6.0, 80.0], [25.0, 400.0]])  # frequency, spend
    truth = np.repeat(np.arange(3), n_per)
    log_c = np.log1p(centres)[truth]
    values = np.expm1(log_c + rng.normal(0.0, 0.12, size=log_c.shape))
    df = pd.DataFrame(values, columns=["frequency", "spend"])
    perm = rng.permutation(len(df))
    return df.iloc[perm].reset_index(drop=True), truth[perm]


def test_auto_k_recovers_known_clusters():
    df, truth = three_groups()
    seg = KMeansSegmenter(value_col="spend", random_state=0).fit(df)
    assert seg.n_clusters_ == 3
    assert max(seg.silhouette_scores_, key=seg.silhouette_scores_.get) == 3
    assert adjusted_rand_score(truth, seg.labels_) > 0.99
    # ordered by value: code 0 = highest spend = the third true group
    assert seg.segments_ == ["High value", "Medium value", "Low value"]
    assert (seg.labels_[truth == 2] == 0).mean() > 0.99
    # centres in original units (geometric-mean-like on log1p scale)
    np.testing.assert_allclose(seg.cluster_centers_[:, 1], [400, 80, 20], rtol=0.05)
    np.testing.assert_allclose(seg.cluster_centers_[:, 0], [25, 6, 1], rtol=0.08)
    assert (seg.predict(df) == seg.labels_).all()


def test_kmeans_is_seeded_and_names():
    df, _ = three_groups(200, seed=3)
    a = KMeansSegmenter(3, random_state=5).fit(df).labels_
    b = KMeansSegmenter(3, random_state=5).fit(df).labels_
    assert (a == b).all()
    named = KMeansSegmenter(3, names=["Gold", "Silver", "Bronze"], random_state=0).fit(df)
    assert named.assign(df).cat.categories.tolist() == ["Gold", "Silver", "Bronze"]


def test_kmeans_errors():
    df, _ = three_groups(50)
    with pytest.raises(DataValidationError, match="Negative values in data"):
        KMeansSegmenter(2).fit(df - 100)
    with pytest.raises(ParameterError, match="value_col 'x'"):
        KMeansSegmenter(2, columns=["spend"], value_col="x").fit(df)
    with pytest.raises(ParameterError, match="n_clusters must be an int or 'auto'"):
        KMeansSegmenter("many").fit(df)
    with pytest.raises(MissingColumnError):
        KMeansSegmenter(2, columns=["spend", "recency"]).fit(df)


# ------------------------------------------------------------------ behaviour features


def test_behavior_features_hand_computed():
    tx = pd.DataFrame(
        {
            "customer_id": ["b", "a", "a", "a", "a", "b"],
            "date": pd.to_datetime(
                [
                    "2024-03-02 20:00",  # Saturday evening
                    "2024-03-04 09:00",  # Monday morning
                    "2024-03-01 13:00",  # Friday afternoon
                    "2024-03-11 02:00",  # Monday night
                    "2024-03-09 10:00",  # Saturday morning
                    "2024-03-04 15:00",
                ]
            ),
            "amount": [10.0, 20.0, 10.0, 40.0, 30.0, 30.0],
            "channel": ["web", "store", "web", "web", "app", "web"],
        }
    )
    before = tx.copy()
    f = behavior_features(tx, channel_col="channel")
    pd.testing.assert_frame_equal(tx, before)
    assert f.index.tolist() == ["a", "b"]
    a = f.loc["a"]
    # a in time order: Mar 1 13h (10), Mar 4 9h (20), Mar 9 10h (30), Mar 11 2h (40)
    gaps = np.array([3 - 4 / 24, 5 + 1 / 24, 2 - 8 / 24])
    assert a["n_orders"] == 4
    assert a["total_value"] == 100
    assert a["aov"] == 25
    assert a["ipt_mean"] == pytest.approx(gaps.mean())
    assert a["ipt_std"] == pytest.approx(gaps.std(ddof=1))
    assert a["ipt_cv"] == pytest.approx(gaps.std(ddof=1) / gaps.mean())
    assert a["spend_trend"] == pytest.approx(np.polyfit([0, 1, 2, 3], [10, 20, 30, 40], 1)[0])
    assert a["weekend_share"] == 0.25
    assert a[["night_share", "morning_share", "afternoon_share", "evening_share"]].tolist() == [
        0.25, 0.5, 0.25, 0.0,
    ]  # fmt: skip
    assert a[["channel_app_share", "channel_store_share", "channel_web_share"]].tolist() == [
        0.25, 0.25, 0.5,
    ]  # fmt: skip
    b = f.loc["b"]
    assert b["spend_trend"] == pytest.approx(20.0)
    assert np.isnan(b["ipt_std"])
    assert b["ipt_mean"] == pytest.approx(1 + 19 / 24)


def test_behavior_features_match_pandas_groupby():
    tx = make_transactions(300, random_state=2)
    f = behavior_features(tx)
    assert "night_share" not in f.columns  # date-only data: no time-of-day shares
    ordered = tx.sort_values(["customer_id", "date"], kind="stable")
    g = ordered.groupby("customer_id")
    pd.testing.assert_series_equal(
        f["aov"], g["amount"].mean(), check_names=False, check_index_type=False
    )
    gaps = g["date"].diff().dt.total_seconds() / 86_400
    pd.testing.assert_series_equal(
        f["ipt_mean"],
        gaps.groupby(ordered["customer_id"]).mean(),
        check_names=False,
        check_index_type=False,
    )

    def slope(d: pd.DataFrame) -> float:
        x = d["date"].rank(method="average").to_numpy()  # same-day orders share a number
        return float(np.polyfit(x, d["amount"].to_numpy(), 1)[0]) if np.ptp(x) > 0 else 0.0

    slopes = g.apply(slope, include_groups=False)
    np.testing.assert_allclose(f["spend_trend"].to_numpy(), slopes.to_numpy(), atol=1e-8)
    shuffled = behavior_features(tx.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(shuffled, f)  # row-order invariance


def test_behavior_feature_errors():
    tx = make_transactions(20, random_state=0)
    with pytest.raises(MissingColumnError, match="Did you mean 'amount'"):
        behavior_features(tx, value_col="amunt")
    bad = tx.assign(amount=tx["amount"].astype(float))
    bad.loc[3, "amount"] = np.nan
    with pytest.raises(DataValidationError, match="amount"):
        behavior_features(bad)


def test_behavior_features_channels_on_sorted_input():
    # Input already sorted by customer and date skips the sort; channel shares used to index
    # the channel column with that missing permutation and raised.
    tx = make_transactions(200, random_state=4)
    rng = np.random.default_rng(4)
    tx = tx.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    tx["channel"] = rng.choice(["app", "store", "web"], size=len(tx))
    before = tx.copy()
    f = behavior_features(tx, channel_col="channel")
    pd.testing.assert_frame_equal(tx, before)
    expected = pd.crosstab(tx["customer_id"], tx["channel"], normalize="index")
    for name in ["app", "store", "web"]:
        np.testing.assert_allclose(f[f"channel_{name}_share"].to_numpy(), expected[name].to_numpy())
    shuffled = behavior_features(tx.sample(frac=1.0, random_state=0), channel_col="channel")
    pd.testing.assert_frame_equal(shuffled, f)


def test_behavior_features_sentinel_dates_do_not_wrap():
    # A 9999-12-31 sentinel used to be cast to datetime64[ns], which wraps to 1816.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["2024-01-01", "9999-12-31", "2024-01-06"],
            "amount": [10.0, 20.0, 5.0],
        }
    )
    f = behavior_features(tx)
    gap = (pd.Timestamp("9999-12-31").as_unit("us") - pd.Timestamp("2024-01-01")).days
    assert f.loc[1, "ipt_mean"] == gap  # positive: the sentinel is after the first order
    assert f.loc[1, "spend_trend"] == pytest.approx(10.0)
    assert f.loc[1, "weekend_share"] == 0.0  # 9999-12-31 is a Friday, 2024-01-01 a Monday
    assert f.loc[2, "weekend_share"] == 1.0


def test_behavior_features_refunds_and_formats():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "date": ["05/01/2024", "09/01/2024", "11/02/2024", "06/01/2024"],
            "amount": [10.0, -4.0, 30.0, 5.0],
        }
    )
    with pytest.raises(DataValidationError, match=r"amount must be >= 0.*refunds="):
        behavior_features(tx, dayfirst=True)
    with pytest.raises(DataValidationError, match="ambiguous"):
        behavior_features(tx, refunds="drop")
    f = behavior_features(tx, refunds="drop", dayfirst=True)
    assert f.loc[1, "n_orders"] == 2
    assert f.loc[1, "ipt_mean"] == 37.0  # Jan 5 -> Feb 11, the refund row is ignored
    with pytest.raises(ParameterError, match="refunds='net_period'"):
        behavior_features(tx, refunds="net_period")
    ints = tx.assign(date=[20240105, 20240109, 20240211, 20240106], amount=tx["amount"].abs())
    with pytest.raises(DataValidationError, match="date_format='%Y%m%d'"):
        behavior_features(ints)
    f = behavior_features(ints, date_format="%Y%m%d")
    assert f.loc[1, "ipt_mean"] == 18.5


def test_auto_k_scores_are_sklearn_silhouettes_on_the_subsample():
    """Every k's score equals silhouette_score of that k's k-means on the same points."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.utils import check_random_state

    df, _ = three_groups(n_per=300, seed=4)
    seg = KMeansSegmenter(
        value_col="spend", k_range=(2, 5), silhouette_size=400, random_state=3
    ).fit(df)
    # Rebuild the segmenter's own sample, subsample and seed from its random_state.
    z = np.log1p(df.to_numpy())
    scaled = (z - z.mean(axis=0)) / z.std(axis=0)
    rng = check_random_state(3)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    sub = rng.choice(len(df), 400, replace=False)
    for k, score in seg.silhouette_scores_.items():
        labels = KMeans(k, n_init=3, random_state=seed).fit(scaled).labels_
        assert score == pytest.approx(silhouette_score(scaled[sub], labels[sub]), abs=1e-12)


@pytest.mark.parametrize("k_true", [2, 4, 6])
def test_auto_k_equals_sklearn_silhouette_choice_on_blobs(k_true):
    """More customers than ``sample_size``: k is chosen on the sample, the clusters refined on all.

    The k with the best ``sklearn.metrics.silhouette_score`` of a full-data scikit-learn
    k-means (an independent computation, on its own subsample) is the blobs' known k, and the
    segmenter chooses the same k and the same clusters.
    """
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs
    from sklearn.metrics import silhouette_score

    corners = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0], [0, 0, 8], [8, 8, 0], [8, 0, 8]])
    points, truth = make_blobs(8_000, centers=corners[:k_true], random_state=k_true)
    seg = KMeansSegmenter(log_transform=False, k_range=(2, 7), random_state=1).fit(points)
    scaled = (points - points.mean(axis=0)) / points.std(axis=0)
    labels = {k: KMeans(k, n_init=3, random_state=0).fit(scaled).labels_ for k in range(2, 8)}
    scores = {
        k: silhouette_score(scaled, lab, sample_size=3_000, random_state=0)
        for k, lab in labels.items()
    }
    assert max(scores, key=scores.get) == k_true
    assert seg.n_clusters_ == k_true
    assert adjusted_rand_score(truth, seg.labels_) > 0.99
    assert adjusted_rand_score(labels[k_true], seg.labels_) > 0.99
    # at the true k the clustering is unique (below it, which blobs merge is not), so the
    # segmenter's score is the silhouette of the same clustering on other points
    assert seg.silhouette_scores_[k_true] == pytest.approx(scores[k_true], abs=0.01)
