"""feedback_summary equals the one-sample functions applied group by group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.feedback import ces, csat, feedback_summary, nps


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 1500
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), "D"),
            "segment": rng.choice(["new", "regular", "vip"], n),
            "channel": rng.choice([2, 1], n),
            "ltr": rng.integers(0, 11, n),
            "sat": rng.integers(1, 6, n),
            "effort": rng.integers(1, 8, n),
            "w": rng.uniform(0.2, 3.0, n),
        },
        index=pd.RangeIndex(1000, 1000 + n, name="answer_id"),
    )


FIELDS = {
    "nps": [
        "score",
        "se",
        "lower",
        "upper",
        "n",
        "effective_n",
        "promoters",
        "passives",
        "detractors",
        "promoter_share",
        "passive_share",
        "detractor_share",
    ],
    "csat": ["score", "se", "lower", "upper", "n", "effective_n", "satisfied"],
    "ces": ["score", "se", "lower", "upper", "n", "effective_n", "std"],
}


def one_sample(metric, values, weights=None, method=None):
    kwargs = {} if method is None else {"method": method}
    if metric == "nps":
        return nps(values, sample_weight=weights, **kwargs)
    if metric == "csat":
        return csat(values, sample_weight=weights, **kwargs)
    return ces(values, sample_weight=weights, **kwargs)


def check_against_loop(table, answers, metric, col, by, weight_col=None, method=None):
    expected_groups = answers.groupby(by, sort=True)
    assert len(table) == expected_groups.ngroups
    for key, group in expected_groups:
        row = table.loc[key if not isinstance(key, tuple) or len(key) > 1 else key[0]]
        weights = None if weight_col is None else group[weight_col]
        expected = one_sample(metric, group[col], weights, method).to_dict()
        for field in FIELDS[metric]:
            assert row[field] == pytest.approx(expected[field], rel=1e-9, abs=1e-9), (key, field)


@pytest.mark.parametrize(("metric", "col"), [("nps", "ltr"), ("csat", "sat"), ("ces", "effort")])
def test_by_column_equals_per_group(answers, metric, col):
    table = feedback_summary(answers, score_col=col, metric=metric, by="segment")
    assert table.index.name == "segment"
    assert list(table.index) == ["new", "regular", "vip"]
    check_against_loop(table, answers, metric, col, "segment")
    assert table.attrs["metric"] == metric


@pytest.mark.parametrize(("metric", "col"), [("nps", "ltr"), ("csat", "sat"), ("ces", "effort")])
def test_weighted_equals_per_group(answers, metric, col):
    table = feedback_summary(answers, score_col=col, metric=metric, by="segment", weight_col="w")
    check_against_loop(table, answers, metric, col, "segment", weight_col="w")


@pytest.mark.parametrize(
    ("metric", "col", "method"),
    [
        ("nps", "ltr", "score"),
        ("nps", "ltr", "adjusted_wald"),
        ("csat", "sat", "wilson"),
        ("csat", "sat", "jeffreys"),
        ("csat", "sat", "clopper_pearson"),
        ("ces", "effort", "t"),
    ],
)
def test_every_method_equals_per_group(answers, metric, col, method):
    table = feedback_summary(
        answers, score_col=col, metric=metric, by="segment", weight_col="w", method=method
    )
    assert table.attrs["method"] == method
    check_against_loop(table, answers, metric, col, "segment", weight_col="w", method=method)


def test_wald_method(answers):
    table = feedback_summary(answers, score_col="ltr", by="channel", method="wald")
    check_against_loop(table, answers, "nps", "ltr", "channel", method="wald")
    assert list(table.index) == [1, 2]


def test_by_month_and_segment(answers):
    grouper = pd.Grouper(key="date", freq="MS")
    table = feedback_summary(answers, score_col="ltr", by=[grouper, "segment"])
    assert table.index.names == ["date", "segment"]
    check_against_loop(table, answers, "nps", "ltr", [grouper, "segment"])
    months = table.index.get_level_values("date").unique()
    assert list(months) == list(pd.date_range("2024-01-01", periods=7, freq="MS"))


def test_by_segment_then_week(answers):
    grouper = pd.Grouper(key="date", freq="W")
    table = feedback_summary(answers, score_col="sat", metric="csat", by=["segment", grouper])
    check_against_loop(table, answers, "csat", "sat", ["segment", grouper])


def test_time_only_skips_empty_periods():
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-03-09", "2024-01-05", "2024-03-01", "2024-01-31"]),
            "ltr": [10, 3, 9, 8],
        }
    )
    table = feedback_summary(df, score_col="ltr", by=pd.Grouper(key="date", freq="MS"))
    assert list(table.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01")]
    assert table["n"].tolist() == [2, 2]
    assert table["score"].tolist() == pytest.approx([-50.0, 100.0])


def test_row_order_does_not_matter(answers):
    by = [pd.Grouper(key="date", freq="MS"), "segment"]
    a = feedback_summary(answers, score_col="ltr", by=by)
    shuffled = answers.sample(frac=1.0, random_state=3)
    b = feedback_summary(shuffled, score_col="ltr", by=by)
    pd.testing.assert_frame_equal(a, b)


def test_no_by_gives_one_row(answers):
    table = feedback_summary(answers, score_col="ltr")
    assert list(table.index) == ["all"]
    assert table.loc["all", "score"] == pytest.approx(nps(answers["ltr"]).score)


def test_missing_group_key_is_its_own_group():
    df = pd.DataFrame({"seg": ["a", None, "a", None], "ltr": [10, 0, 9, 1]})
    table = feedback_summary(df, score_col="ltr", by="seg")
    assert len(table) == 2
    assert table["n"].sum() == 4
    assert table.iloc[-1]["score"] == -100.0


def test_dropna_counts_per_group():
    df = pd.DataFrame({"seg": ["a", "a", "b", "b", "c"], "ltr": [10, np.nan, np.nan, 9, np.nan]})
    table = feedback_summary(df, score_col="ltr", by="seg", dropna=True)
    assert table["n_dropped"].tolist() == [1, 1, 1]
    assert table["n"].tolist() == [1, 1, 0]
    assert table.attrs["n_dropped"] == 3
    assert np.isnan(table.loc["c", "score"])  # documented: all answers of the group dropped


def test_single_answer_ces_group_has_nan_interval():
    df = pd.DataFrame({"seg": ["a", "a", "b"], "effort": [3, 5, 6]})
    table = feedback_summary(df, score_col="effort", metric="ces", by="seg")
    assert table.loc["b", "score"] == 6
    assert np.isnan(table.loc["b", "se"])


def test_does_not_mutate_and_accepts_polars(answers):
    before = answers.copy()
    feedback_summary(answers, score_col="ltr", by="segment", weight_col="w")
    pd.testing.assert_frame_equal(answers, before)
    pl = pytest.importorskip("polars")
    table = feedback_summary(pl.from_pandas(answers), score_col="ltr", by="segment")
    expected = feedback_summary(answers, score_col="ltr", by="segment")
    assert isinstance(table, pl.DataFrame)  # polars in, polars out
    back = table.to_pandas()
    pd.testing.assert_frame_equal(back, expected.reset_index(), check_dtype=False)


def test_high_cardinality_keys_compact(answers, monkeypatch):
    from customer_models.feedback import _summary

    monkeypatch.setattr(_summary, "_DENSE_LIMIT", 8)
    by = ["segment", pd.Grouper(key="date", freq="W"), "channel"]
    table = feedback_summary(answers, score_col="ltr", by=by)
    check_against_loop(table, answers, "nps", "ltr", by)


def test_joins_with_customer_segments():
    segments = pd.Series(["vip", "new", "vip"], index=pd.Index([1, 2, 3], name="customer_id"))
    survey = pd.DataFrame({"customer_id": [1, 2, 3, 3, 2], "ltr": [10, 2, 9, 7, 5]})
    joined = survey.join(segments.rename("segment"), on="customer_id")
    table = feedback_summary(joined, score_col="ltr", by="segment")
    assert table.loc["vip", "n"] == 3
    assert table.loc["new", "score"] == -100.0
