from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models import calibration_holdout_split
from customer_models.churn import PAliveChurnScorer, evaluate_churn
from customer_models.exceptions import DataValidationError, ParameterError


class _Stub:
    """A fitted 'model' whose P(alive) is a fixed function of frequency."""

    def probability_alive(self, data: pd.DataFrame) -> pd.Series:
        return pd.Series(data["frequency"] / (data["frequency"] + 1.0), index=data.index)


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame(
        {"frequency": [0, 1, 3, 9], "recency": [0.0, 5.0, 20.0, 30.0], "T": [40.0] * 4},
        index=pd.Index(list("abcd"), name="customer_id"),
    )


def test_stub_model(summary: pd.DataFrame) -> None:
    scorer = PAliveChurnScorer(_Stub())
    risk = scorer.churn_probability(summary)
    assert risk.name == "churn_probability"
    assert risk.index.equals(summary.index)
    np.testing.assert_allclose(risk, [1.0, 0.5, 0.25, 0.1])
    np.testing.assert_allclose(scorer.predict_proba(summary), np.column_stack([1 - risk, risk]))
    y = pd.Series([1, 1, 0, 0], index=summary.index)
    result = scorer.evaluate(summary, y.iloc[::-1], n_bins=2)  # matched on the index
    expected = evaluate_churn(y, risk, n_bins=2)
    assert result.roc_auc == expected.roc_auc == 1.0
    assert result.brier == pytest.approx(expected.brier)
    assert scorer.evaluate(summary, [1, 1, 0, 0]).roc_auc == 1.0


def test_bad_models(summary: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="probability_alive"):
        PAliveChurnScorer(object()).churn_probability(summary)

    class Broken:
        def probability_alive(self, data: pd.DataFrame) -> np.ndarray:
            return np.array([0.5, 1.5, np.nan, 0.2])

    with pytest.raises(DataValidationError, match=r"2 of 4 rows.*\['b', 'c'\]"):
        PAliveChurnScorer(Broken()).churn_probability(summary)

    class Short:
        def probability_alive(self, data: pd.DataFrame) -> np.ndarray:
            return np.array([0.5])

    with pytest.raises(ParameterError, match="returned 1 values for 4 rows"):
        PAliveChurnScorer(Short()).churn_probability(summary)
    with pytest.raises(ParameterError, match="probability_of_purchases"):
        PAliveChurnScorer(_Stub(), horizon=10).churn_probability(summary)
    with pytest.raises(ParameterError, match="horizon must be a number > 0"):
        PAliveChurnScorer(_Stub(), horizon=-1).churn_probability(summary)


@pytest.fixture(scope="module")
def cdnow_split() -> pd.DataFrame:
    from customer_models.datasets import load_cdnow_transactions

    return calibration_holdout_split(
        load_cdnow_transactions(sample=True),
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
    )


def _bgnbd_no_purchase(params: pd.Series, data: pd.DataFrame, t: float) -> np.ndarray:
    """P(no purchase in (T, T+t]) = 1 - P(alive) + P(alive) ((alpha+T)/(alpha+T+t))^(r+x).

    P(alive) from lifetimes (oracle); given alive, lambda ~ Gamma(r + x, alpha + T).
    """
    lifetimes = pytest.importorskip("lifetimes")
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series(params.to_dict())
    x, t_x, T = (data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    alive = fitter.conditional_probability_alive(x, t_x, T)
    r, alpha = params["r"], params["alpha"]
    return 1 - alive + alive * ((alpha + T) / (alpha + T + t)) ** (r + x)


def test_real_bgnbd_on_cdnow_holdout(cdnow_split: pd.DataFrame) -> None:
    valuation = pytest.importorskip("customer_models.valuation")
    model = valuation.BetaGeoModel().fit(cdnow_split)
    churned = (cdnow_split["frequency_holdout"] == 0).astype(int)

    plain = PAliveChurnScorer(model)
    risk = plain.churn_probability(cdnow_split)
    # BG/NBD: no repeat purchase -> P(alive) = 1 -> zero risk (the documented quirk)
    assert (risk[cdnow_split["frequency"] == 0] == 0).all()
    assert plain.evaluate(cdnow_split, churned).roc_auc < 0.5

    horizon = PAliveChurnScorer(model, horizon=39)
    no_purchase = horizon.churn_probability(cdnow_split)
    np.testing.assert_allclose(
        no_purchase, _bgnbd_no_purchase(model.params_, cdnow_split, 39.0), rtol=1e-6
    )
    result = horizon.evaluate(cdnow_split, churned)
    assert result.roc_auc > 0.72
    # calibration in the large: predicted and observed shares of holdout churners agree
    assert no_purchase.mean() == pytest.approx(churned.mean(), abs=0.05)


def test_real_pareto_nbd_ranks_one_time_buyers(cdnow_split: pd.DataFrame) -> None:
    valuation = pytest.importorskip("customer_models.valuation")
    model = valuation.ParetoNBDModel().fit(cdnow_split)
    churned = (cdnow_split["frequency_holdout"] == 0).astype(int)
    assert PAliveChurnScorer(model).evaluate(cdnow_split, churned).roc_auc > 0.68
