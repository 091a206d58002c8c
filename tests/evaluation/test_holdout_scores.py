"""evaluate_holdout's probabilistic scores: P(at least one purchase), log score, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.datasets import make_holdout_summary
from customer_models.evaluation import evaluate_holdout
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.valuation import BetaGeoModel, ParetoNBDModel, prediction_interval

BG_PARAMS = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}


def _bgnbd_p_zero(params, x, t_x, T, t):
    """P(no purchase in (T, T+t] | history) of BG/NBD, independent of the library's pmf.

    Dead customers buy nothing; an alive one's rate is Gamma(r + x, alpha + T) a posteriori
    and it cannot drop out without buying, so P(0 | alive) = ((alpha+T) / (alpha+T+t))^(r+x).
    """
    r, alpha, a, b = params
    ratio = ((alpha + T) / (alpha + t_x)) ** (r + x)
    odds = np.where(x > 0, a / (b + x - 1.0) * ratio, 0.0)
    alive = 1.0 / (1.0 + odds)
    return 1.0 - alive + alive * ((alpha + T) / (alpha + T + t)) ** (r + x)


def test_brier_and_reliability_use_p_at_least_one_purchase(cdnow_holdout, cdnow_bgnbd):
    result = evaluate_holdout(cdnow_bgnbd, cdnow_holdout)
    x, t_x, T = (cdnow_holdout[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    t = cdnow_holdout["duration_holdout"].to_numpy(float)
    p_any = 1.0 - _bgnbd_p_zero(cdnow_bgnbd.params_.to_numpy(), x, t_x, T, t)
    bought = (cdnow_holdout["frequency_holdout"].to_numpy() > 0).astype(float)
    np.testing.assert_allclose(result.customers["probability_any_purchase"], p_any, rtol=1e-9)
    brier = float(np.mean((p_any - bought) ** 2))
    assert result.metrics["brier"] == pytest.approx(brier, rel=1e-9)
    assert result.metrics["brier"] == pytest.approx(0.1612, abs=5e-4)  # issue 16
    # the old target, P(alive), scores 0.608 and would fail here
    alive = cdnow_bgnbd.probability_alive(cdnow_holdout).to_numpy()
    assert float(np.mean((alive - bought) ** 2)) == pytest.approx(0.6083, abs=5e-4)
    assert result.metrics["brier"] < 0.3
    table = result.reliability
    assert table["n_customers"].sum() == len(cdnow_holdout)
    first = (p_any < 0.1) & (p_any >= 0.0)
    assert table["mean_predicted"].iloc[0] == pytest.approx(p_any[first].mean(), rel=1e-9)
    assert table["observed"].iloc[0] == pytest.approx(bought[first].mean(), rel=1e-12)


def test_log_score_and_interval_from_the_model_pmf(cdnow_holdout, cdnow_bgnbd):
    result = evaluate_holdout(cdnow_bgnbd, cdnow_holdout, confidence=0.8)
    c = result.customers
    t = float(cdnow_holdout["duration_holdout"].iloc[0])
    assert (cdnow_holdout["duration_holdout"] == t).all()
    actual = cdnow_holdout["frequency_holdout"].to_numpy()
    pmf_actual = np.empty(len(cdnow_holdout))
    for k in np.unique(actual):
        rows = actual == k
        pmf_actual[rows] = cdnow_bgnbd.probability_of_purchases(cdnow_holdout[rows], n=int(k), t=t)
    np.testing.assert_allclose(c["log_score"], -np.log(pmf_actual), rtol=1e-10)
    assert result.metrics["log_score"] == pytest.approx(float(np.mean(-np.log(pmf_actual))))
    # the interval is central: P(X <= upper) >= 0.9 > P(X <= upper - 1), P(X < lower) < 0.1
    some = cdnow_holdout.iloc[np.r_[0:40, -40:0]]
    cdf = np.cumsum(
        [cdnow_bgnbd.probability_of_purchases(some, n=k, t=t).to_numpy() for k in range(60)], axis=0
    )
    lower = c.loc[some.index, "lower"].to_numpy().astype(int)
    upper = c.loc[some.index, "upper"].to_numpy().astype(int)
    cols = np.arange(len(some))
    assert np.all(cdf[upper, cols] >= 0.9 - 1e-12)
    assert np.all(np.where(upper > 0, cdf[np.maximum(upper - 1, 0), cols] < 0.9, True))
    assert np.all(np.where(lower > 0, cdf[np.maximum(lower - 1, 0), cols] < 0.1, True))
    assert np.all(cdf[lower, cols] >= 0.1)
    inside = (c["lower"] <= c["actual_purchases"]) & (c["actual_purchases"] <= c["upper"])
    assert result.metrics["interval_coverage"] == pytest.approx(inside.mean())


@pytest.mark.parametrize("cls", [BetaGeoModel, ParetoNBDModel])
def test_intervals_are_the_library_prediction_intervals(cdnow_holdout, cls):
    """evaluate_holdout scores the intervals prediction_interval gives (same definition)."""
    model = cls().fit(cdnow_holdout)
    for confidence in (0.8, 0.9):
        c = evaluate_holdout(model, cdnow_holdout, confidence=confidence).customers
        band = prediction_interval(model, cdnow_holdout, t=39.0, confidence=confidence)
        np.testing.assert_array_equal(c["lower"], band["lower"])
        np.testing.assert_array_equal(c["upper"], band["upper"])


def test_scores_on_the_models_own_process():
    """With the true parameters the scores are what a calibrated forecast scores."""
    data = make_holdout_summary(4000, BG_PARAMS, holdout=26.0, random_state=11)
    model = BetaGeoModel.from_params(**BG_PARAMS)
    result = evaluate_holdout(model, data, confidence=0.9)
    c = result.customers
    p = c["probability_any_purchase"].to_numpy()
    bought = (data["frequency_holdout"] > 0).to_numpy(float)
    # E[brier] of a calibrated forecast is mean p(1 - p); its sd is about 0.4 / sqrt(n)
    assert result.metrics["brier"] == pytest.approx(float(np.mean(p * (1 - p))), abs=0.012)
    assert abs(bought.mean() - p.mean()) < 4 * np.sqrt(np.sum(p * (1 - p))) / len(p)
    # coverage: the model's own probability that the count lies in each interval, averaged
    t = 26.0
    lower, upper = c["lower"].to_numpy(), c["upper"].to_numpy()
    inside = np.zeros(len(data))
    for k in range(int(upper.max()) + 1):
        pk = model.probability_of_purchases(data, n=k, t=t).to_numpy()
        inside += np.where((lower <= k) & (k <= upper), pk, 0.0)
    assert np.all(inside >= 0.9 - 1e-9)
    se = np.sqrt(np.sum(inside * (1 - inside))) / len(data)
    assert abs(result.metrics["interval_coverage"] - inside.mean()) < 4 * se
    assert result.metrics["interval_coverage"] >= 0.88


def test_pareto_nbd_scores_and_varying_holdout_lengths(cdnow_holdout):
    model = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    varied = cdnow_holdout.copy()
    varied["duration_holdout"] = np.where(np.arange(len(varied)) % 2 == 0, 39.0, 13.0)
    result = evaluate_holdout(model, varied)
    c = result.customers
    for t in (39.0, 13.0):
        rows = varied["duration_holdout"] == t
        zero = model.probability_of_purchases(varied[rows], n=0, t=t).to_numpy()
        np.testing.assert_allclose(c.loc[rows, "probability_any_purchase"], 1 - zero)
    assert 0.0 < result.metrics["brier"] < 0.25
    assert np.isfinite(result.metrics["log_score"])


def test_models_without_pmf_get_no_probabilistic_scores():
    class Half:
        time_unit_ = "W"

        def expected_purchases(self, data, *, t):
            return pd.Series(0.5 * t, index=data.index)

        def probability_alive(self, data):  # has P(alive), but that is not the target
            return pd.Series(0.5, index=data.index)

    data = pd.DataFrame(
        {"frequency": [0, 2], "recency": [0.0, 3.0], "T": [5.0, 5.0],
         "frequency_holdout": [1, 3], "duration_holdout": [4.0, 4.0]}
    )  # fmt: skip
    result = evaluate_holdout(Half(), data)
    assert "brier" not in result.metrics
    assert "log_score" not in result.metrics
    assert result.reliability is None
    assert result.customers["probability_alive"].tolist() == [0.5, 0.5]


def test_score_input_errors(cdnow_holdout, cdnow_bgnbd):
    fractional = cdnow_holdout.astype({"frequency_holdout": float})
    fractional.iloc[3, fractional.columns.get_loc("frequency_holdout")] = 1.5
    with pytest.raises(DataValidationError, match=r"frequency_holdout.*whole numbers.*ids: \[4\]"):
        evaluate_holdout(cdnow_bgnbd, fractional)
    for bad in (0.0, 1.0, "0.9"):
        with pytest.raises(ParameterError, match="confidence"):
            evaluate_holdout(cdnow_bgnbd, cdnow_holdout, confidence=bad)


def test_a_pmf_above_one_is_refused_not_clipped(cdnow_holdout, cdnow_bgnbd):
    """A broken pmf (probabilities far above 1) would score every count as a certainty."""

    class Inflated:
        time_unit_ = cdnow_bgnbd.time_unit_
        params_ = cdnow_bgnbd.params_

        def expected_purchases(self, data, *, t):
            return cdnow_bgnbd.expected_purchases(data, t=t)

        def probability_alive(self, data):
            return cdnow_bgnbd.probability_alive(data)

        def probability_of_purchases(self, data, *, n, t):
            return 3.0 * cdnow_bgnbd.probability_of_purchases(data, n=n, t=t)

    with pytest.raises(DataValidationError, match=r"outside \[0, 1\] at n=0"):
        evaluate_holdout(Inflated(), cdnow_holdout)
