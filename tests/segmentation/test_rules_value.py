from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from customer_models.exceptions import DataValidationError, MissingColumnError, ParameterError
from customer_models.segmentation import RuleSegmenter, ValueSegmenter, band_rules


@pytest.fixture
def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [17, 22, 35, 49, 50, 64, 65, 80],
            "income": [0, 18_000, 52_000, 75_000, 120_000, 40_000, 30_000, 25_000],
            "region": ["N", "S", "N", "E", "W", "S", "N", "E"],
            "online_share": [1.0, 0.9, 0.5, 0.1, 0.0, 0.85, 0.3, 0.0],
        },
        index=pd.Index([f"c{i}" for i in range(8)], name="customer_id"),
    )


def test_first_matching_rule_wins_and_default(customers):
    rules = [
        ("Online", {"online_share": (0.8, None)}),
        ("Offline", {"online_share": (None, 0.2)}),
        ("Hybrid", {"online_share": (0.2, 0.8)}),
    ]
    seg = RuleSegmenter(rules).fit(customers)
    assert seg.assign(customers).tolist() == [
        "Online", "Online", "Hybrid", "Offline", "Offline", "Online", "Hybrid", "Offline",
    ]  # fmt: skip
    assert seg.segments_ == ["Online", "Offline", "Hybrid", "Other"]
    # order matters: an earlier broad rule shadows later ones
    shadow = RuleSegmenter([("Any", {"age": (None, None)}), ("Young", {"age": (None, 30)})])
    assert set(shadow.fit_assign(customers)) == {"Any"}


def test_sets_scalars_dict_conditions_and_or_rules(customers):
    rules = [
        ("North/East senior", {"region": {"N", "E"}, "age": {"min": 60}}),
        ("Premium", {"income": (100_000, None)}),
        ("Premium", {"income": (70_000, None), "region": "E"}),  # a second rule = OR
    ]
    got = RuleSegmenter(rules, default="Rest").fit_assign(customers)
    assert got.tolist() == [
        "Rest", "Rest", "Rest", "Premium", "Premium", "Rest", "North/East senior",
        "North/East senior",
    ]  # fmt: skip


def test_band_rules_every_value_lands_once(customers):
    rules = band_rules("age", [18, 25, 35, 50, 65])
    assert [name for name, _ in rules] == [
        "< 18", "[18, 25)", "[25, 35)", "[35, 50)", "[50, 65)", ">= 65",
    ]  # fmt: skip
    got = RuleSegmenter(rules, default=None).fit_assign(customers)
    assert got.tolist() == [
        "< 18", "[18, 25)", "[35, 50)", "[35, 50)", "[50, 65)", "[50, 65)", ">= 65", ">= 65",
    ]  # fmt: skip
    labelled = band_rules("income", [30_000, 60_000], labels=["low", "mid", "high"])
    assert [n for n, _ in labelled] == ["low", "mid", "high"]
    with pytest.raises(ParameterError, match="increasing"):
        band_rules("age", [30, 20])


@settings(max_examples=50, deadline=None)
@given(
    ages=st.lists(st.integers(0, 110), min_size=1, max_size=50),
    edges=st.lists(st.integers(1, 100), min_size=1, max_size=6, unique=True),
)
def test_band_property_exactly_one_band(ages, edges):
    edges = sorted(edges)
    df = pd.DataFrame({"age": ages})
    before = df.copy()
    got = RuleSegmenter(band_rules("age", edges), default=None).fit(df).predict(df)
    expected = np.searchsorted(np.asarray(edges), np.asarray(ages), side="right")
    assert (got == expected).all()
    pd.testing.assert_frame_equal(df, before)


def test_rule_errors(customers):
    with pytest.raises(MissingColumnError, match=r"no column 'agee'.*Did you mean 'age'"):
        RuleSegmenter([("x", {"agee": (0, 10)})]).fit(customers)
    with pytest.raises(ParameterError, match="empty range"):
        RuleSegmenter([("x", {"age": (10, 10)})]).fit(customers)
    with pytest.raises(ParameterError, match="non-empty"):
        RuleSegmenter([]).fit(customers)
    with pytest.raises(ParameterError, match="range, a set/list"):
        RuleSegmenter([("x", {"age": object()})]).fit(customers)
    bad = customers.assign(age=customers["age"].astype(float))
    bad.loc["c2", "age"] = np.nan
    with pytest.raises(DataValidationError, match=r"age must not be NaN.*\['c2'\]"):
        RuleSegmenter([("x", {"age": (0, 10)})]).fit(bad)
    with pytest.raises(DataValidationError, match=r"match a rule.*\['c0', 'c1'"):
        RuleSegmenter([("Old", {"age": (60, None)})], default=None).fit(customers)
    # string rules never reach eval
    rule = [("x", {"region": "__import__('os').system('echo hi')"})]
    assert set(RuleSegmenter(rule).fit_assign(customers)) == {"Other"}


def test_rules_as_mapping_and_clone(customers):
    seg = RuleSegmenter({"Adult": {"age": (18, None)}}, default="Minor")
    assert clone(seg).fit_assign(customers).tolist()[:2] == ["Minor", "Adult"]


# ----------------------------------------------------------------- value tiers


def test_abc_hand_computed():
    # total 1000; cumulative shares .5 .7 .8 .86 .9 .94 .97 .99 1 1
    revenue = pd.DataFrame({"clv": [500, 200, 100, 60, 40, 40, 30, 20, 10, 0]})
    seg = ValueSegmenter(thresholds=(0.8, 0.95)).fit(revenue)
    # A: up to the customer crossing 80% (value 100); B: up to crossing 95% (value 30)
    assert seg.assign(revenue).tolist() == ["A"] * 3 + ["B"] * 4 + ["C"] * 3
    np.testing.assert_allclose(seg.value_edges_, [100, 30])
    assert seg.value_share_ == pytest.approx({"A": 0.8, "B": 0.17, "C": 0.03})
    # ties at an edge never straddle tiers; new customers use the training edges
    new = pd.DataFrame({"clv": [1000, 100, 99, 30, 29]})
    assert seg.assign(new).tolist() == ["A", "A", "B", "B", "C"]


def test_abc_against_brute_force_sort():
    rng = np.random.default_rng(1)
    value = np.round(rng.lognormal(3, 1.2, 2_000), 0)
    df = pd.DataFrame({"v": value})
    codes = ValueSegmenter(thresholds=(0.8, 0.95)).fit(df).labels_
    srt = np.sort(value)[::-1]
    share = np.cumsum(srt) / srt.sum()
    a_edge = srt[np.argmax(share >= 0.8)]
    b_edge = srt[np.argmax(share >= 0.95)]
    expected = np.where(value >= a_edge, 0, np.where(value >= b_edge, 1, 2))
    assert (codes == expected).all()
    a_share = value[codes == 0].sum() / value.sum()
    assert a_share >= 0.8


def test_quantile_tiers_with_ties():
    df = pd.DataFrame({"v": [0] * 6 + [1, 2, 3, 4, 5, 6]})
    seg = ValueSegmenter("quantile").fit(df)
    got = seg.assign(df).tolist()
    assert got == ["low"] * 6 + ["medium"] * 3 + ["high"] * 3
    assert seg.segments_ == ["high", "medium", "low"]


def test_value_errors():
    two = pd.DataFrame({"a": [1.0, 2], "b": [3.0, 4]})
    with pytest.raises(ParameterError, match="pass value_col"):
        ValueSegmenter().fit(two)
    with pytest.raises(DataValidationError, match="Negative values in data"):
        ValueSegmenter(value_col="a").fit(pd.DataFrame({"a": [1.0, -2]}))
    with pytest.raises(ParameterError, match="increasing shares"):
        ValueSegmenter(value_col="a", thresholds=(0.9, 0.8)).fit(two)
    with pytest.raises(DataValidationError, match="sums to 0"):
        ValueSegmenter().fit(pd.DataFrame({"a": [0.0, 0.0]}))
    with pytest.raises(MissingColumnError):
        ValueSegmenter(value_col="clv").fit(two)
