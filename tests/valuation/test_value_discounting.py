"""value_distribution with discounting: its mean is customer_lifetime_value's; its quantiles
are checked against a seeded simulation of the BG/NBD + Gamma-Gamma process in which every
purchase is discounted at its own time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_predictive import BG, HOLDOUT, _within
from test_predictive_value import GG, simulate_value

import customer_models as cm
from customer_models.exceptions import CustomerModelsError
from customer_models.valuation import (
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


@pytest.mark.slow
def test_continuous_discount_quantiles_match_simulation():
    d = 0.01  # per week: the last purchases of the holdout discounted by about 0.7
    data, value = simulate_value(3_000, seed=11, force_of_interest=np.log1p(d))
    out = value_distribution(
        BetaGeoModel.from_params(**BG),
        GammaGammaModel.from_params(**GG),
        data,
        t=HOLDOUT,
        discount_rate=d,
        discounting="continuous",
        quantiles=(0.5, 0.9),
        thresholds=[10.0],
    )
    for q in (0.5, 0.9):
        cut = out[f"q{q:g}"].to_numpy()
        pos = cut > 0  # the CDF is continuous above 0: P(V <= its quantile) = q there
        _within(np.full(pos.sum(), q), value[pos] <= cut[pos])
    _within(out["p_above_10"].to_numpy(), value > 10.0)
