"""Valid input never yields NaN or inf (issue #12, item 9): property tests over random inputs.

Each entry point either returns finite numbers (where its documentation does not name a NaN)
or refuses with a CustomerModelsError; it never returns NaN silently and never raises a raw
numpy/pandas error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import customer_models as cm
from customer_models import CustomerModelsError

_SETTINGS = settings(max_examples=60, deadline=None)

scores_0_10 = st.lists(st.integers(0, 10), min_size=1, max_size=40)
weights = st.floats(0.0, 100.0, allow_nan=False)


def _finite(values: object) -> bool:
    return bool(np.all(np.isfinite(np.asarray(values, dtype=np.float64))))


@_SETTINGS
@given(scores_0_10, st.data(), st.sampled_from(["adjusted_wald", "wald"]))
def test_nps_is_finite(scores: list[int], data: st.DataObject, method: str) -> None:
    w = data.draw(st.none() | st.lists(weights, min_size=len(scores), max_size=len(scores)))
    if w is not None and sum(w) == 0:  # the only refusal: weights summing to 0
        with pytest.raises(CustomerModelsError, match="sample_weight sums to 0"):
            cm.nps(scores, sample_weight=w, method=method)
        return
    result = cm.nps(scores, sample_weight=w, method=method)
    assert _finite([result.score, result.se, result.lower, result.upper])
    assert 0.0 < result.effective_n <= len(scores) + 1e-9
    if method == "wald":  # the adjusted Wald interval is centred on the adjusted estimate
        assert result.lower <= result.score <= result.upper


@_SETTINGS
@given(st.lists(st.integers(1, 5), min_size=1, max_size=40))
def test_csat_is_finite(scores: list[int]) -> None:
    result = cm.csat(scores)
    assert _finite([result.score, result.se, result.lower, result.upper])


@_SETTINGS
@given(st.lists(st.integers(1, 7), min_size=2, max_size=40))
def test_ces_is_finite(scores: list[int]) -> None:
    result = cm.ces(scores)
    assert _finite([result.score, result.se, result.lower, result.upper])


@_SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 10), st.sampled_from("abc"), weights), min_size=1, max_size=40
    )
)
def test_feedback_summary_groups_with_answers_are_finite(rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["score", "group", "w"])
    if (frame.groupby("group")["w"].sum() == 0).any():  # a group whose weights are all 0
        with pytest.raises(CustomerModelsError, match="positive sum"):
            cm.feedback_summary(frame, score_col="score", by="group", weight_col="w")
        return
    table = cm.feedback_summary(frame, score_col="score", by="group", weight_col="w")
    assert _finite(table[["score", "se", "lower", "upper", "effective_n"]])


@_SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 10), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
        min_size=6,
        max_size=40,
    )
)
def test_key_drivers_is_finite_or_refused(rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["score", "a", "b", "c"])
    try:
        table = cm.key_drivers(
            frame, target="score", drivers=["a", "b", "c"], n_draws=20, random_state=0
        )
    except CustomerModelsError:
        return  # constant or collinear columns, too few usable resamples
    assert _finite(table.select_dtypes("number"))
    assert _finite([table.attrs["r_squared"]])


@_SETTINGS
@given(
    st.lists(
        st.tuples(
            st.none() | st.floats(-1e6, 1e6, allow_nan=False),
            st.floats(0.0, 1e6, allow_nan=False),
            st.sampled_from(["x", "y", "z"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_segment_profile_is_finite_where_the_statistic_exists(rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["feature", "value", "segment"])
    frame["feature"] = frame["feature"].astype(float)
    table = cm.segment_profile(
        frame[["feature", "value"]], frame["segment"], features=["feature"], value_col="value"
    )
    assert _finite(table[["n_customers", "share", "value_total", "value_share"]])
    observed = frame.dropna().groupby("segment").size().reindex(table.index, fill_value=0)
    has_data = observed.to_numpy() > 0
    assert _finite(table.loc[has_data, ["feature_mean", "feature_median"]])
    segments = table["n_customers"].to_numpy() > 0
    assert _finite(table.loc[segments, "value_lift"])


@_SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.floats(0.0, 1.0)), min_size=2, max_size=50))
def test_evaluate_churn_is_finite(rows: list[tuple[bool, float]]) -> None:
    y = [r[0] for r in rows]
    p = [r[1] for r in rows]
    try:
        result = cm.evaluate_churn(y, p, n_bins=5)
    except CustomerModelsError:
        assert len(set(y)) < 2  # one class only
        return
    assert _finite(list(result.to_dict().values()))
    assert _finite(result.lift.select_dtypes("number"))
    assert _finite(result.calibration.select_dtypes("number"))


@_SETTINGS
@given(
    st.lists(
        st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1e6), st.floats(0.0, 100.0)),
        min_size=1,
        max_size=40,
    ),
    st.none() | st.floats(0.0, 1e4),
)
def test_retention_targets_is_finite(rows: list[tuple], budget: float | None) -> None:
    p, v, c = (pd.Series([r[i] for r in rows]) for i in range(3))
    table = cm.retention_targets(p, v, cost_per_contact=c, budget=budget, success_rate=0.5)
    assert _finite(table.select_dtypes("number"))


@_SETTINGS
@given(st.lists(st.floats(0.0, 1e6), min_size=3, max_size=40))
def test_value_segmenter_is_finite_or_refused(values: list[float]) -> None:
    frame = pd.DataFrame({"v": values})
    try:
        segmenter = cm.ValueSegmenter(value_col="v").fit(frame)
    except CustomerModelsError:
        assert sum(values) == 0  # ABC shares of nothing
        return
    assert _finite(list(segmenter.value_share_.values()))
    assert _finite(segmenter.value_edges_)
