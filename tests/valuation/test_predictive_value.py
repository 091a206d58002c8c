"""value_distribution: the value of the next t (purchase count and spends both random).

Checked against a seeded simulation of the BG/NBD and Gamma-Gamma generative processes: each
customer has a purchase rate, a dropout probability and a spend rate ν; every purchase's spend
is Gamma(p, ν). The predicted probability that a customer's holdout value is at most each of
their quantiles (or above a threshold), summed over customers, must match the simulated count
within 4 binomial standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_predictive import BG, HOLDOUT, _poisson_times, _within

import customer_models as cm
from customer_models.exceptions import ParameterError
from customer_models.valuation import BetaGeoModel, GammaGammaModel
from customer_models.valuation._clv_distribution import _cdf, _spend_posterior

GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def simulate_value(n, seed=0):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(BG["r"], 1.0 / BG["alpha"], n)
    last = rng.geometric(rng.beta(BG["a"], BG["b"], n))
    nu = rng.gamma(GG["q"], 1.0 / GG["v"], n)
    T = rng.uniform(20.0, 60.0, n)
    owner, times, rank = _poisson_times(rng, lam, T + HOLDOUT)
    keep = rank <= last[owner]
    owner, times = owner[keep], times[keep]
    spend = rng.gamma(GG["p"], 1.0 / nu[owner])
    cal = times <= T[owner]
    x = np.bincount(owner[cal], minlength=n).astype(float)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner[cal], times[cal])
    total = np.bincount(owner[cal], weights=spend[cal], minlength=n)
    m = np.divide(total, x, out=np.zeros(n), where=x > 0)
    value = np.bincount(owner[~cal], weights=spend[~cal], minlength=n)
    data = pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary_value": m})
    return data, value


@pytest.mark.slow
def test_value_distribution_matches_simulation():
    data, value = simulate_value(3_000, seed=5)
    bg = BetaGeoModel.from_params(**BG)
    gg = GammaGammaModel.from_params(**GG)
    out = cm.value_distribution(bg, gg, data, t=HOLDOUT, margin=0.3, thresholds=[5.0, 30.0])
    pmf = cm.purchase_pmf(bg, data, t=HOLDOUT).to_numpy()
    p, shape, rate = _spend_posterior(gg, data)
    for q in (0.5, 0.95):  # P(V <= its own quantile), predicted vs simulated
        cut = out[f"q{q:g}"].to_numpy()
        predicted = _cdf(pmf, p, shape, rate, cut / 0.3)
        assert (predicted >= q - 1e-9).all()
        _within(predicted, 0.3 * value <= cut)
    for c in (5.0, 30.0):
        _within(out[f"p_above_{c:g}"].to_numpy(), 0.3 * value > c)
    sd = 0.3 * value.std() / np.sqrt(value.size)  # heavy-tailed spends: a z-test on the mean
    assert abs(out["expected_value"].mean() - 0.3 * value.mean()) < 4.0 * sd


def test_expected_value_is_clv_without_discounting(cdnow_summary):
    bg = BetaGeoModel().fit(cdnow_summary)
    gg = GammaGammaModel().fit(cdnow_summary)
    data = cdnow_summary.head(300)
    out = cm.value_distribution(bg, gg, data, t=52, quantiles=[0.5])
    expect = bg.expected_purchases(data, t=52) * gg.expected_spend(data)
    np.testing.assert_allclose(out["expected_value"], expect, rtol=1e-8)
    assert (out["q0.5"] >= 0).all()
    with pytest.raises(ParameterError, match="GammaGammaModel"):
        cm.value_distribution(bg, data["monetary_value"], data, t=52)
    with pytest.raises(ParameterError, match="margin"):
        cm.value_distribution(bg, gg, data, t=52, margin=0)
