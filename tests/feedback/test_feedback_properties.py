"""Hypothesis properties of the one-sample feedback metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_models.feedback import ces, csat, feedback_summary, nps, nps_test

nps_answers = st.lists(st.integers(0, 10), min_size=1, max_size=60)
five_point = st.lists(st.integers(1, 5), min_size=1, max_size=60)
seven_point = st.lists(st.integers(1, 7), min_size=2, max_size=60)
confidences = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@settings(max_examples=60, deadline=None)
@given(nps_answers, confidences, st.sampled_from(["wald", "adjusted_wald"]))
def test_nps_bounds(scores, confidence, method):
    result = nps(scores, confidence=confidence, method=method)
    assert -100 <= result.score <= 100
    assert -100 <= result.lower <= result.upper <= 100
    assert result.se >= 0
    assert result.promoters + result.passives + result.detractors == len(scores)
    assert result.promoter_share + result.passive_share + result.detractor_share == pytest.approx(
        1.0
    )
    if method == "wald":
        assert result.lower <= result.score + 1e-9
        assert result.score - 1e-9 <= result.upper


@settings(max_examples=25, deadline=None)
@given(nps_answers)
def test_bootstrap_bounds(scores):
    result = nps(scores, method="bootstrap", n_draws=200, random_state=0)
    assert -100 <= result.lower <= result.upper <= 100


@settings(max_examples=40, deadline=None)
@given(nps_answers, st.randoms(use_true_random=False))
def test_order_invariance_and_no_mutation(scores, random):
    series = pd.Series(scores, dtype="int64")
    copy = series.copy()
    shuffled = list(scores)
    random.shuffle(shuffled)
    for method in ("wald", "adjusted_wald"):
        assert nps(series, method=method) == nps(shuffled, method=method)
    assert nps(series, method="bootstrap", random_state=1) == nps(
        shuffled, method="bootstrap", random_state=1
    )
    pd.testing.assert_series_equal(series, copy)


@settings(max_examples=40, deadline=None)
@given(nps_answers, five_point, seven_point)
def test_weights_of_ones_equal_unweighted(a, b, c):
    for method in ("wald", "adjusted_wald"):
        weighted = nps(a, method=method, sample_weight=np.ones(len(a)))
        plain = nps(a, method=method)
        for field, value in plain.to_dict().items():
            assert weighted.to_dict()[field] == pytest.approx(value), field
    for field, value in csat(b).to_dict().items():
        assert csat(b, sample_weight=[1.0] * len(b)).to_dict()[field] == pytest.approx(value), field
    for field, value in ces(c).to_dict().items():
        got = ces(c, sample_weight=np.ones(len(c))).to_dict()[field]
        assert got == pytest.approx(value, nan_ok=True), field


@settings(max_examples=40, deadline=None)
@given(five_point, confidences)
def test_csat_wilson_contains_estimate(scores, confidence):
    result = csat(scores, confidence=confidence)
    assert 0 <= result.lower <= result.score <= result.upper <= 100


@settings(max_examples=40, deadline=None)
@given(seven_point, confidences)
def test_ces_interval_contains_mean_and_stays_on_scale(scores, confidence):
    result = ces(scores, confidence=confidence)
    assert 1 <= result.lower <= result.score <= result.upper <= 7


@settings(max_examples=40, deadline=None)
@given(nps_answers, nps_answers)
def test_nps_test_interval_and_p_value_agree(a, b):
    test = nps_test(a, b)
    excludes_zero = test.lower > 0 or test.upper < 0
    if abs(test.p_value - 0.05) > 1e-9:
        assert excludes_zero == (test.p_value < 0.05)
    assert 0 <= test.p_value <= 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 10)), min_size=1, max_size=50))
def test_summary_rows_equal_nps(rows):
    df = pd.DataFrame(rows, columns=["g", "ltr"])
    table = feedback_summary(df, score_col="ltr", by="g")
    for key, group in df.groupby("g"):
        expected = nps(group["ltr"])
        assert table.loc[key, "score"] == pytest.approx(expected.score)
        assert table.loc[key, "lower"] == pytest.approx(expected.lower)
        assert table.loc[key, "upper"] == pytest.approx(expected.upper)
        assert table.loc[key, "n"] == expected.n
