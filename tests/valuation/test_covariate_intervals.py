"""Predictive distributions and parameter-uncertainty intervals of the covariate models.

Independent checks: the pmf the predictive tools use equals the model's own
``probability_of_purchases`` at each customer's covariates; the prediction interval of the
holdout count covers its nominal share on customers simulated from the BG/NBD generative
process with covariate effects (calibration and holdout from one simulated purchase history);
the Laplace and delta confidence intervals treat a coefficient on its own (signed) scale, so a
negative coefficient no longer blocks them and both agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models.valuation import BetaGeoCovariateModel
from customer_models.valuation._param_draws import free_covariance, free_params, from_free

TRUTH = {"r": 0.8, "alpha": 4.0, "a": 0.8, "b": 2.5, "gamma": 0.5, "delta_a": -0.3}


def simulate_with_holdout(n: int, horizon: float, rng: np.random.Generator) -> pd.DataFrame:
    """BG/NBD with ``alpha_i = alpha exp(-gamma z)``, ``a_i = a exp(delta_a z)``: one history.

    Each customer's arrivals on (0, T + horizon] are the order statistics of a Poisson count of
    uniform times; the first ``Geometric(p)`` of them happen (BG: the coin after each purchase),
    split into the calibration summary up to T and the holdout count after it.
    """
    z = rng.normal(size=n)
    alpha_i = TRUTH["alpha"] * np.exp(-TRUTH["gamma"] * z)
    a_i = TRUTH["a"] * np.exp(TRUTH["delta_a"] * z)
    lam = rng.gamma(TRUTH["r"], 1.0 / alpha_i)
    p = rng.beta(a_i, TRUTH["b"])
    T = rng.uniform(26.0, 39.0, n)
    end = T + horizon
    counts = rng.poisson(lam * end)
    allowed = np.minimum(counts, rng.geometric(p))  # purchases up to and incl. the dropout one
    width = max(int(allowed.max()), 1)
    # the first `width` order statistics of `counts` uniforms on (0, end]: cumulative sums of
    # exponential spacings over the (counts + 1)-th sum (Renyi), no loop per customer
    sums = np.cumsum(rng.exponential(size=(n, width)), axis=1)
    rest = np.maximum(counts + 1 - width, 0)
    beyond = sums[:, -1] + rng.gamma(np.maximum(rest, 1), 1.0)
    total = np.where(rest > 0, beyond, sums[np.arange(n), np.minimum(counts, width - 1)])
    times = sums / total[:, None] * end[:, None]
    slot = np.arange(width)[None, :]
    kept = slot < allowed[:, None]
    in_cal = kept & (times <= T[:, None])
    x = in_cal.sum(axis=1)
    t_x = np.where(x > 0, np.max(np.where(in_cal, times, 0.0), axis=1), 0.0)
    holdout = (kept & (times > T[:, None]) & (times <= end[:, None])).sum(axis=1)
    return pd.DataFrame(
        {"frequency": x.astype(float), "recency": t_x, "T": T, "z": z, "holdout": holdout}
    )


@pytest.fixture(scope="module")
def fitted():
    data = simulate_with_holdout(4000, 26.0, np.random.default_rng(11))
    model = BetaGeoCovariateModel(purchase_covariates=["z"], dropout_covariates=["z"]).fit(data)
    return model, data


def test_pmf_is_the_models_own_probability_of_purchases(fitted):
    model, data = fitted
    part = data.head(40)
    dist = cm.purchase_pmf(model, part, t=13.0)
    for n in range(4):
        direct = model.probability_of_purchases(part, n=n, t=13.0)
        np.testing.assert_allclose(dist.iloc[:, n].to_numpy(), direct.to_numpy(), rtol=1e-12)
    summary = cm.purchase_distribution(model, part, t=13.0)
    np.testing.assert_allclose(
        summary["probability_any"],
        1.0 - model.probability_of_purchases(part, n=0, t=13.0),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        summary["expected_purchases"], model.expected_purchases(part, t=13.0), rtol=1e-12
    )


def test_prediction_interval_covers_the_simulated_holdout(fitted):
    model, data = fitted
    out = cm.prediction_interval(model, data, t=26.0, confidence=0.9)
    inside = (data["holdout"] >= out["lower"]) & (data["holdout"] <= out["upper"])
    # discrete counts: the interval's own probability (coverage) is at least 0.9 per
    # customer; the share of simulated holdouts inside must match its mean (4000
    # customers: binomial sd of the share about 0.004)
    assert float(inside.mean()) == pytest.approx(float(out["coverage"].mean()), abs=0.02)
    assert float(out["coverage"].min()) >= 0.9


def test_covariate_coefficients_are_drawn_on_their_own_scale(fitted):
    model, _ = fitted
    u, positive = free_params(model)
    names = list(model.params_.index)
    assert positive.tolist() == [n in ("r", "alpha", "a", "b") for n in names]
    assert model.params_["delta_a:z"] < 0  # a negative coefficient (truth -0.3)
    np.testing.assert_allclose(from_free(u, positive), model.params_.to_numpy(), rtol=1e-15)
    cov = free_covariance(model)
    se = np.sqrt(np.diag(cov))
    # a coefficient's free sd is its own standard error; a positive one's is se / value
    np.testing.assert_allclose(se[~positive], model.summary_["se"].to_numpy()[~positive])
    np.testing.assert_allclose(
        se[positive],
        (model.summary_["se"] / model.params_).to_numpy()[positive],
        rtol=1e-12,
    )


def test_laplace_and_delta_intervals_agree_with_covariates(fitted):
    model, data = fitted
    part = data.head(200)
    laplace = cm.confidence_interval(model, part, t=26.0, n_draws=2000, random_state=3)
    delta = cm.confidence_interval(model, part, t=26.0, method="delta")
    point = model.expected_purchases(part, t=26.0).to_numpy()
    assert np.all(laplace["lower"].to_numpy() <= point)
    assert np.all(point <= laplace["upper"].to_numpy())
    width_l = (laplace["upper"] - laplace["lower"]).to_numpy()
    width_d = (delta["upper"] - delta["lower"]).to_numpy()
    assert np.median(np.abs(width_l / width_d - 1.0)) < 0.1


@pytest.mark.slow
def test_confidence_interval_covers_the_true_expectation():
    """Refits on fresh simulated bases: the 90% interval holds E[X] at the true parameters."""
    truth = BetaGeoCovariateModel.from_params(
        r=TRUTH["r"],
        alpha=TRUTH["alpha"],
        a=TRUTH["a"],
        b=TRUTH["b"],
        **{"gamma:z": TRUTH["gamma"], "delta_a:z": TRUTH["delta_a"], "delta_b:z": 0.0},
    )
    probe = pd.DataFrame(
        {
            "frequency": [0.0, 2.0, 6.0],
            "recency": [0.0, 20.0, 30.0],
            "T": [30.0] * 3,
            "z": [-1.0, 0.0, 1.0],
        }
    )
    target = truth.expected_purchases(probe, t=26.0).to_numpy()
    rng = np.random.default_rng(5)
    hits = []
    for _ in range(40):
        data = simulate_with_holdout(3000, 0.0, rng)
        model = BetaGeoCovariateModel(purchase_covariates=["z"], dropout_covariates=["z"]).fit(data)
        for method in ("delta", "laplace"):
            ci = cm.confidence_interval(
                model, probe, t=26.0, method=method, confidence=0.9, random_state=1
            )
            inside = (ci["lower"].to_numpy() <= target) & (target <= ci["upper"].to_numpy())
            hits.extend((method, bool(v)) for v in inside)
    for method in ("delta", "laplace"):
        coverage = float(np.mean([v for m, v in hits if m == method]))
        # 120 intervals (3 profiles x 40 fits): binomial sd about 0.027 at 0.9
        assert 0.82 <= coverage <= 0.97, (method, coverage)
