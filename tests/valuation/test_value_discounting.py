"""value_distribution with discounting: its mean is customer_lifetime_value's; its quantiles
are checked against seeded simulations of the BG/NBD + Gamma-Gamma process in which every
purchase is discounted at its own time, and of the BG/BB + Gamma-Gamma process in which every
transaction is discounted at its own opportunity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_predictive import BG, BGBB, HOLDOUT, _within, bgbb_buys
from test_predictive_value import GG, simulate_value

import customer_models as cm
from customer_models.exceptions import CustomerModelsError
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)
from customer_models.valuation._clv_distribution import value_distribution

ONE = pd.DataFrame(
    {
        "frequency": [0, 2, 7],
        "recency": [0.0, 30.43, 35.0],
        "T": [38.86] * 3,
        "monetary_value": [0.0, 22.35, 40.0],
    }
)


@pytest.mark.parametrize("discounting", ["discrete", "continuous"])
@pytest.mark.parametrize(
    "model",
    [
        BetaGeoModel.from_params(**BG),
        ModifiedBetaGeoModel.from_params(**BG),
        ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ],
)
def test_mean_equals_clv(model, discounting):
    gg = GammaGammaModel.from_params(**GG)
    out = value_distribution(
        model, gg, ONE, t=39, margin=0.3, discount_rate=0.01, discounting=discounting
    )
    clv = cm.customer_lifetime_value(
        model,
        gg,
        ONE,
        horizon=39,
        horizon_unit="D",
        model_time_unit="D",
        margin=0.3,
        discount_rate=0.01,
        discounting=discounting,
    )
    np.testing.assert_allclose(out["expected_value"], clv, rtol=1e-6)
    plain = value_distribution(model, gg, ONE, t=39, margin=0.3)
    assert (out["q0.95"] < plain["q0.95"]).all() or (plain["q0.95"] == 0).any()


def test_bad_discount_rate():
    gg = GammaGammaModel.from_params(**GG)
    with pytest.raises(CustomerModelsError):
        value_distribution(BetaGeoModel.from_params(**BG), gg, ONE, t=39, discount_rate=-1)
    with pytest.raises(CustomerModelsError):
        value_distribution(BetaGeoModel.from_params(**BG), gg, ONE, t=39, discounting="x")


def _check_against_simulation(out, value, levels, thresholds):
    """P(V <= own quantile) = level where it is positive; P(V > c) against the counts; the
    mean against the simulated mean (a z-test: spends are heavy-tailed)."""
    for q in levels:
        cut = out[f"q{q:g}"].to_numpy()
        pos = cut > 0  # the CDF is continuous above 0: P(V <= its quantile) = q there
        _within(np.full(pos.sum(), q), value[pos] <= cut[pos])
    for c in thresholds:
        _within(out[f"p_above_{c:g}"].to_numpy(), value > c)
    sd = value.std() / np.sqrt(value.size)
    assert abs(out["expected_value"].mean() - value.mean()) < 4.0 * sd


@pytest.mark.slow
@pytest.mark.parametrize("discounting", ["continuous", "discrete"])
def test_discount_quantiles_match_simulation(discounting):
    """Continuous: each purchase at ``exp(-δ τ)``, ``τ`` its time after T, ``δ = log(1+d)``;
    discrete: the purchases of period ``i`` (``τ`` in ``(i-1, i]`` weeks) at ``(1+d)^-i``."""
    d = 0.01  # per week: the last purchases of the holdout discounted by about 0.7
    if discounting == "continuous":
        data, value = simulate_value(3_000, seed=11, force_of_interest=np.log1p(d))
    else:
        data, value = simulate_value(3_000, seed=12, discount=lambda tau: (1 + d) ** -np.ceil(tau))
    out = value_distribution(
        BetaGeoModel.from_params(**BG),
        GammaGammaModel.from_params(**GG),
        data,
        t=HOLDOUT,
        discount_rate=d,
        discounting=discounting,
        quantiles=(0.5, 0.9),
        thresholds=[10.0, 50.0],
    )
    _check_against_simulation(out, value, (0.5, 0.9), (10.0, 50.0))


BB = BetaGeoBetaBinomModel.from_params(**BGBB)


def simulate_bgbb_value(n, t, d, seed=0):
    """BG/BB transactions with Gamma-Gamma spends; the transaction at opportunity n + i of
    the holdout is discounted by ``(1 + d)^-i``."""
    rng, data, i, buys, _ = bgbb_buys(n, BGBB, t, seed=seed)
    nu = rng.gamma(GG["q"], 1.0 / GG["v"], n)
    spend = np.where(buys, rng.gamma(GG["p"], 1.0 / nu[:, None], buys.shape), 0.0)
    n_periods = data["n_periods"].to_numpy()[:, None]
    cal = i <= n_periods
    x = data["frequency"].to_numpy()
    m = np.divide((spend * cal).sum(axis=1), x, out=np.zeros(n), where=x > 0)
    ahead = i - n_periods  # the holdout period of each opportunity
    weight = np.where((ahead >= 1) & (ahead <= t), (1.0 + d) ** -ahead.astype(float), 0.0)
    return data.assign(monetary_value=m), (spend * weight).sum(axis=1)


def test_bgbb_discounted_mean_equals_clv():
    data, _ = simulate_bgbb_value(400, 6, 0.05, seed=2)
    gg = GammaGammaModel.from_params(**GG)
    out = value_distribution(BB, gg, data, t=6, margin=0.3, discount_rate=0.05)
    clv = cm.customer_lifetime_value(
        BB,
        gg,
        data,
        horizon=6,
        horizon_unit="D",
        model_time_unit="D",
        margin=0.3,
        discount_rate=0.05,
    )
    np.testing.assert_allclose(out["expected_value"], clv, rtol=1e-10)
    # the same mean summed by hand: period i's expected purchases discounted by (1.05)^-i
    e = np.stack([BB.expected_purchases(data, t=j).to_numpy() for j in range(7)], axis=1)
    by_hand = (np.diff(e, axis=1) * 1.05 ** -np.arange(1.0, 7.0)).sum(axis=1)
    want = 0.3 * by_hand * gg.expected_spend(data).to_numpy()
    np.testing.assert_allclose(out["expected_value"], want, rtol=1e-10)


@pytest.mark.slow
def test_bgbb_discount_quantiles_match_simulation():
    d = 0.05  # per opportunity: the last of 6 discounted by 0.75
    data, value = simulate_bgbb_value(4_000, 6, d, seed=13)
    out = value_distribution(
        BB,
        GammaGammaModel.from_params(**GG),
        data,
        t=6,
        discount_rate=d,
        quantiles=(0.5, 0.9),
        thresholds=[10.0, 40.0],
    )
    _check_against_simulation(out, value, (0.5, 0.9), (10.0, 40.0))
