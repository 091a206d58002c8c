from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_models.churn import retention_targets
from customer_models.exceptions import DataValidationError, ParameterError


@pytest.fixture
def inputs() -> tuple[pd.Series, pd.Series]:
    ids = pd.Index(["a", "b", "c", "d"], name="customer_id")
    p = pd.Series([0.9, 0.2, 0.5, 0.5], index=ids)
    value = pd.Series([100.0, 1000.0, 50.0, 10.0], index=ids)
    return p, value


def test_ranking_by_hand(inputs: tuple[pd.Series, pd.Series]) -> None:
    p, value = inputs
    out = retention_targets(p, value)
    # value at risk: a 90, b 200, c 25, d 5
    assert out.index.tolist() == ["b", "a", "c", "d"]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(out["value_at_risk"], [200, 90, 25, 5])
    np.testing.assert_allclose(out["cumulative_value_at_risk"], [200, 290, 315, 320])
    np.testing.assert_allclose(out["cumulative_share"], np.array([200, 290, 315, 320]) / 320)
    np.testing.assert_allclose(out["cost"], 1.0)
    np.testing.assert_allclose(out["net_gain"], [199, 89, 24, 4])
    assert out["selected"].all()
    assert out.index.name == "customer_id"


def test_budget_costs_and_success_rate(inputs: tuple[pd.Series, pd.Series]) -> None:
    p, value = inputs
    out = retention_targets(p, value, budget=2)
    assert out["selected"].tolist() == [True, True, False, False]
    costs = pd.Series({"a": 30.0, "b": 150.0, "c": 1.0, "d": 1.0})
    out = retention_targets(p, value, budget=200, cost_per_contact=costs, success_rate=0.5)
    np.testing.assert_allclose(out["expected_saving"], [100, 45, 12.5, 2.5])
    np.testing.assert_allclose(out["net_gain"], [-50, 15, 11.5, 1.5])
    np.testing.assert_allclose(out["cumulative_cost"], [150, 180, 181, 182])
    # b is within budget but costs more than it saves; the rest fit and pay off
    assert out["selected"].tolist() == [False, True, True, True]
    assert not retention_targets(p, value, budget=0)["selected"].any()


def test_series_alignment_and_arrays(inputs: tuple[pd.Series, pd.Series]) -> None:
    p, value = inputs
    shuffled = value.iloc[[3, 1, 0, 2]]
    pd.testing.assert_frame_equal(retention_targets(p, shuffled), retention_targets(p, value))
    plain = retention_targets(p.to_numpy(), value.to_numpy())
    assert plain.index.tolist() == [1, 0, 2, 3]
    with pytest.raises(DataValidationError, match="same customers"):
        retention_targets(p, value.rename(index={"d": "zz"}))


def test_bad_input(inputs: tuple[pd.Series, pd.Series]) -> None:
    p, value = inputs
    with pytest.raises(DataValidationError, match=r"in \[0, 1\].*\['a'\]"):
        retention_targets(p.replace(0.9, 1.2), value)
    with pytest.raises(DataValidationError, match="value must be >= 0"):
        retention_targets(p, -value)
    with pytest.raises(DataValidationError, match="finite"):
        retention_targets(p, value.replace(50.0, np.nan))
    with pytest.raises(DataValidationError, match=r"length|customers"):
        retention_targets([0.1, 0.2], [1.0])
    with pytest.raises(ParameterError, match="budget"):
        retention_targets(p, value, budget=-1)
    with pytest.raises(ParameterError, match="success_rate"):
        retention_targets(p, value, success_rate=1.5)
    with pytest.raises(ParameterError, match="cost_per_contact must be a number >= 0"):
        retention_targets(p, value, cost_per_contact=-1.0)
    with pytest.raises(DataValidationError, match="cost_per_contact must be >= 0"):
        retention_targets(p, value, cost_per_contact=pd.Series(-1.0, index=p.index))
    with pytest.raises(DataValidationError, match="every customer must have a cost"):
        retention_targets(p, value, cost_per_contact=pd.Series({"a": 1.0}))
    with pytest.raises(ParameterError, match="one-dimensional"):
        retention_targets(np.ones((2, 2)), [1.0, 2.0])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1e6)), min_size=1, max_size=40),
    st.floats(0, 50),
)
def test_properties(rows: list[tuple[float, float]], budget: float) -> None:
    p = np.array([r[0] for r in rows])
    v = np.array([r[1] for r in rows])
    out = retention_targets(p, v, budget=budget, cost_per_contact=0.0)
    at_risk = out["value_at_risk"].to_numpy()
    assert np.all(np.diff(at_risk) <= 0)
    assert sorted(out.index.tolist()) == list(range(len(rows)))
    np.testing.assert_allclose(at_risk.sum(), (p * v).sum(), rtol=1e-9)
    share = out["cumulative_share"].to_numpy()
    assert np.all(np.diff(share) >= -1e-12)
    if at_risk.sum() > 0:
        assert share[-1] == pytest.approx(1.0)
    # zero cost: every customer with positive value at risk is selected
    np.testing.assert_array_equal(out["selected"].to_numpy(), at_risk > 0)
