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


def simulate_value(n, seed=0, force_of_interest=0.0, params=None, discount=None):
    """Summaries and holdout values from the BG/NBD + Gamma-Gamma process; each holdout
    purchase is discounted by ``exp(-force_of_interest * (time - T))`` (none by default), or
    by ``discount(time - T)`` if given. ``params``: the BG/NBD parameters (default ``BG``)."""
    bg = BG if params is None else params
    rng = np.random.default_rng(seed)
    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], n)
    last = rng.geometric(rng.beta(bg["a"], bg["b"], n))
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
    later = ~cal
    ahead = times[later] - T[owner[later]]
    weight = np.exp(-force_of_interest * ahead) if discount is None else discount(ahead)
    value = np.bincount(owner[later], weights=spend[later] * weight, minlength=n)
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


def test_quantiles_and_cdf_match_the_dense_sum_and_mpmath(cdnow_summary):
    """The fast path (pruned terms, Newton over a block) against the full sum of every term.

    ``_cdf`` evaluates ``P(N = 0) + Σ P(N = n) I_z(n p, q')`` over every count with no pruning;
    the quantile is the smallest value whose CDF reaches its level, so the CDF there equals the
    level and 1e-6 below it is under the level. One customer's CDF is also summed in mpmath.
    """
    bg = BetaGeoModel.from_params(**BG)
    gg = GammaGammaModel.from_params(**GG)
    data = cdnow_summary.iloc[::4]
    levels = [0.05, 0.5, 0.9, 0.99]
    out = cm.value_distribution(
        bg, gg, data, t=52, margin=0.5, quantiles=levels, thresholds=[0.0, 10.0, 250.0]
    )
    pmf = cm.purchase_pmf(bg, data, t=52).to_numpy()
    p, shape, rate = _spend_posterior(gg, data)
    for q in levels:
        s = out[f"q{q:g}"].to_numpy() / 0.5
        inner = pmf[:, 0] < q
        assert (s[~inner] == 0).all()
        assert (s[inner] > 0).all()
        np.testing.assert_allclose(_cdf(pmf, p, shape, rate, s)[inner], q, atol=1e-10)
        assert (_cdf(pmf, p, shape, rate, s * (1 - 1e-6))[inner] < q).all()
    for c in (0.0, 10.0, 250.0):
        dense = 1.0 - _cdf(pmf, p, shape, rate, np.full(len(data), c / 0.5))
        np.testing.assert_allclose(out[f"p_above_{c:g}"], np.clip(dense, 0, 1), atol=1e-13)
    mpmath = pytest.importorskip("mpmath")
    i = int(np.argmax(data["frequency"].to_numpy()))  # the longest pmf
    s = float(out["q0.5"].iloc[i]) / 0.5
    z = mpmath.mpf(s) / (s + rate[i])
    exact = pmf[i, 0] + sum(
        pmf[i, n] * mpmath.betainc(n * p, shape[i], 0, z, regularized=True)
        for n in range(1, pmf.shape[1])
    )
    assert abs(float(exact) - 0.5) < 1e-10


def test_compressed_rows_give_each_customer_its_own_answer(cdnow_summary):
    """Duplicated and shuffled customers get the values of their own history, row by row."""
    bg = BetaGeoModel.from_params(**BG)
    gg = GammaGammaModel.from_params(**GG)
    base = cdnow_summary.iloc[:200]
    once = cm.value_distribution(bg, gg, base, t=39, thresholds=[50.0])
    pick = np.random.default_rng(3).permutation(np.tile(np.arange(200), 3))
    big = base.iloc[pick].copy()
    big.index = [f"c{i}" for i in range(len(big))]
    before = big.copy()
    many = cm.value_distribution(bg, gg, big, t=39, thresholds=[50.0])
    np.testing.assert_allclose(many.to_numpy(), once.to_numpy()[pick], rtol=1e-12)
    assert list(many.index) == list(big.index)
    pd.testing.assert_frame_equal(big, before)  # the input is not modified


@pytest.mark.parametrize("spend", [GG, {"p": 0.6, "q": 1.5, "v": 2.0}])
def test_discrete_model_and_spend_shape_below_one_match_the_dense_sum(spend):
    """BG/BB counts (bounded support); p < 1 (the one-purchase term is not log-concave: exact)."""
    from customer_models.valuation import BetaGeoBetaBinomModel

    rng = np.random.default_rng(4)
    n_periods = rng.integers(4, 12, 300).astype(float)
    x = rng.binomial(n_periods.astype(int), 0.4).astype(float)
    recency = np.where(x > 0, np.minimum(n_periods, x + rng.integers(0, 4, 300)), 0.0)
    data = pd.DataFrame(
        {
            "frequency": x,
            "recency": recency,
            "n_periods": n_periods,
            "monetary_value": np.where(x > 0, rng.gamma(5.0, 4.0, 300), 0.0),
        }
    )
    bb = BetaGeoBetaBinomModel.from_params(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783)
    gg = GammaGammaModel.from_params(**spend)
    levels = [0.3, 0.5, 0.99, 1 - 1e-9]
    out = cm.value_distribution(bb, gg, data, t=5, quantiles=levels, thresholds=[20.0])
    pmf = cm.purchase_pmf(bb, data, t=5).to_numpy()
    assert pmf.shape[1] == 6  # at most t = 5 purchases
    p, shape, rate = _spend_posterior(gg, data)
    for q in levels:
        s = out[f"q{q:g}"].to_numpy()
        inner = pmf[:, 0] < q
        np.testing.assert_allclose(_cdf(pmf, p, shape, rate, s)[inner], q, atol=1e-12)
        assert (s[~inner] == 0).all()
    dense = 1.0 - _cdf(pmf, p, shape, rate, np.full(len(data), 20.0))
    np.testing.assert_allclose(out["p_above_20"], np.clip(dense, 0, 1), atol=1e-13)
