"""Predictive distributions: pmf, quantiles, P(>=1), P(alive at T+t), time to next purchase.

Independent checks: the pmf's mean against ``expected_purchases`` (1e-8), the BG-family
survival against an mpmath integral over the dropout probability, and every distribution
against seeded simulations from each model's generative process (customers drawn from the
model with their own rates, a calibration period of their own length and a holdout): the
predicted number of customers with k holdout purchases, alive at T+t, or with a next purchase
by a quantile, against the simulated counts, within 4 binomial standard errors.
"""

from __future__ import annotations

import math
from functools import cache

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)
from customer_models.valuation._alive_at import _bg_survival

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
BGBB = {"alpha": 1.204, "beta": 0.75, "gamma": 0.657, "delta": 2.783}
HOLDOUT = 39.0


# ------------------------------------------------------------------ generative simulators
def _poisson_times(rng, lam, end):
    """Purchase times of a Poisson process of rate lam on (0, end] per customer (no dropout)."""
    n = rng.poisson(lam * end)
    owner = np.repeat(np.arange(lam.size), n)
    times = rng.uniform(size=owner.size) * end[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    rank = np.arange(owner.size) - start[owner] + 1
    return owner, times, rank


def _summarise(owner, times, n, T, t, alive_end):
    cal = times <= T[owner]
    x = np.bincount(owner[cal], minlength=n).astype(float)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner[cal], times[cal])
    hold = ~cal & (times <= T[owner] + t)
    y = np.bincount(owner[hold], minlength=n).astype(float)
    nxt = np.full(n, np.inf)
    after = ~cal
    np.minimum.at(nxt, owner[after], times[after] - T[owner[after]])
    data = pd.DataFrame({"frequency": x, "recency": t_x, "T": T})
    return data, y, nxt, alive_end


def simulate_bg(n, params, t, *, modified=False, seed=0, tail=400.0):
    """BG/NBD (MBG/NBD): Poisson(λ) purchases; drop after a purchase (MBG: also at 0) w.p. p.

    Returns the summary, holdout counts in (T, T+t], the time from T to the next purchase
    (inf if none within ``tail``) and whether the customer is alive at T+t.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    last = rng.geometric(p) - (1 if modified else 0)  # the purchase rank at which it drops
    T = rng.uniform(20.0, 60.0, n)
    owner, times, rank = _poisson_times(rng, lam, T + tail)
    made = rank <= last[owner]
    owner, times = owner[made], times[made]
    n_by_end = np.bincount(owner[times <= T[owner] + t], minlength=n)
    alive = n_by_end < last
    return _summarise(owner, times, n, T, t, alive)


def simulate_pnbd(n, params, t, *, seed=0, tail=400.0):
    """Pareto/NBD: Poisson(λ) purchases until an Exp(μ) lifetime ends."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    life = rng.exponential(1.0 / mu)
    T = rng.uniform(20.0, 60.0, n)
    owner, times, _ = _poisson_times(rng, lam, np.minimum(life, T + tail))
    return _summarise(owner, times, n, T, t, life > T + t)


def simulate_bgbb(n, params, t, *, seed=0, start=0):
    """BG/BB: at each opportunity a living customer transacts w.p. p, then dies w.p. θ.

    Returns the summary, the holdout counts of the ``t`` opportunities after the next
    ``start`` (default: the next ``t``), whether the customer is alive after the next ``t``,
    and the opportunities until the next transaction.
    """
    _, data, i, buys, death = bgbb_buys(n, params, start + t, seed=seed)
    n_periods = data["n_periods"].to_numpy()
    cal = i <= n_periods[:, None]
    window = (i > n_periods[:, None] + start) & (i <= n_periods[:, None] + start + t)
    y = (buys & window).sum(axis=1)
    later = buys & ~cal  # opportunities after n until the next transaction (inf: none by t)
    nxt = np.where(later.any(axis=1), np.argmax(later, axis=1) + 1.0 - n_periods, np.inf)
    return data, y.astype(float), death > n_periods + t, nxt


def bgbb_buys(n, params, extra, *, seed=0):
    """The BG/BB process (see `simulate_bgbb`) over ``n_periods`` + ``extra`` opportunities.

    Returns the generator (for further draws), the calibration summary, the opportunity
    numbers ``i`` (1 x opportunities), the transactions (customers x opportunities) and the
    first opportunity at which each customer is dead.
    """
    rng = np.random.default_rng(seed)
    p = rng.beta(params["alpha"], params["beta"], n)
    theta = rng.beta(params["gamma"], params["delta"], n)
    n_periods = rng.integers(4, 12, n)
    total = int(n_periods.max() + extra)
    death = rng.geometric(theta)  # first opportunity at which the customer is dead
    i = np.arange(1, total + 1)[None, :]
    buys = (rng.uniform(size=(n, total)) < p[:, None]) & (i < death[:, None])
    cal = buys & (i <= n_periods[:, None])
    x = cal.sum(axis=1)
    t_x = np.where(cal, i, 0).max(axis=1)
    data = pd.DataFrame({"frequency": x, "recency": t_x, "n_periods": n_periods}).astype(float)
    return rng, data, i, buys, death


@cache
def _bg_sim():
    return simulate_bg(12_000, BG, HOLDOUT, seed=1)


@cache
def _mbg_sim():
    return simulate_bg(12_000, BG, HOLDOUT, modified=True, seed=2)


@cache
def _pnbd_sim():
    return simulate_pnbd(8_000, PNBD, HOLDOUT, seed=3)


@cache
def _bgbb_sim():
    return simulate_bgbb(12_000, BGBB, 5, seed=4)


def _within(predicted_probs, observed, z=4.0):
    """Observed count of events against the sum of their predicted probabilities."""
    expected = float(np.sum(predicted_probs))
    sd = float(np.sqrt(np.sum(predicted_probs * (1.0 - predicted_probs))))
    assert abs(float(np.sum(observed)) - expected) <= z * sd + 1.0, (expected, observed.sum(), sd)


CONTINUOUS = [
    (BetaGeoModel, BG, _bg_sim),
    (ModifiedBetaGeoModel, BG, _mbg_sim),
    (ParetoNBDModel, PNBD, _pnbd_sim),
]


# ------------------------------------------------------------------ exact identities
@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_pmf_mean_is_expected_purchases(cls, cdnow_summary):
    model = cls().fit(cdnow_summary)
    data = cdnow_summary.iloc[::8]
    pmf = cm.purchase_pmf(model, data, t=52, tail=1e-12)
    assert np.allclose(pmf.sum(axis=1), 1.0, atol=1e-12)
    mean = (pmf * pmf.columns.to_numpy()).sum(axis=1)
    np.testing.assert_allclose(mean, model.expected_purchases(data, t=52), rtol=1e-8, atol=1e-10)
    dist = cm.purchase_distribution(model, data, t=52, quantiles=[0.5, 0.9])
    np.testing.assert_allclose(dist["probability_any"], 1.0 - pmf[0], atol=1e-14)
    cdf = pmf.cumsum(axis=1).to_numpy()
    for q in (0.5, 0.9):  # the smallest k with F(k) >= q, read off the full pmf
        expect = (cdf < q).sum(axis=1)
        np.testing.assert_array_equal(dist[f"q{q:g}"].to_numpy(), expect)


def test_bgbb_pmf_mean_and_support():
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    data = cm.load_donations()
    pmf = cm.purchase_pmf(model, data, t=5)
    assert pmf.shape[1] <= 6  # at most t purchases in t opportunities
    mean = (pmf * pmf.columns.to_numpy()).sum(axis=1)
    np.testing.assert_allclose(mean, model.expected_purchases(data, t=5), rtol=1e-8)


def test_pmf_is_row_order_invariant_and_does_not_mutate(cdnow_summary):
    model = BetaGeoModel().fit(cdnow_summary)
    data = cdnow_summary.head(400)
    before = data.copy()
    a = cm.purchase_distribution(model, data, t=30)
    b = cm.purchase_distribution(model, data.iloc[::-1], t=30).loc[data.index]
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(data, before)
    assert list(a.columns) == ["expected_purchases", "probability_any", "q0.05", "q0.5", "q0.95"]


def test_max_count_refuses_with_the_limit_named(cdnow_summary):
    model = BetaGeoModel().fit(cdnow_summary)
    with pytest.raises(CustomerModelsError, match="max_count=3"):
        cm.purchase_pmf(model, cdnow_summary.nlargest(5, "frequency"), t=100, max_count=3)


def _survival_mp(r, alpha, a, b, x, T, t):
    rp, bp, u = mp.mpf(r) + x, mp.mpf(b) + x, mp.mpf(t) / (mp.mpf(alpha) + T)
    dens = lambda p: p ** (a - 1) * (1 - p) ** (bp - 1) / mp.beta(a, bp)  # noqa: E731
    return mp.quad(lambda p: dens(p) * (1 + p * u) ** (-rp), [0, mp.mpf("1e-8"), 0.5, 1])


@pytest.mark.parametrize(
    ("x", "T", "t"), [(0, 30.0, 10.0), (2, 38.86, 39.0), (25, 60.0, 52.0), (5, 10.0, 500.0)]
)
def test_bg_survival_against_mpmath(x, T, t):
    mp.mp.dps = 30
    got = _bg_survival(np.array(list(BG.values())), np.array([x], float), np.array([T]), t, 0.0)
    expect = float(_survival_mp(*BG.values(), x, T, t))
    np.testing.assert_allclose(got[0], expect, rtol=1e-10)


def test_alive_at_zero_is_probability_alive(cdnow_summary):
    for cls in (BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel):
        model = cls().fit(cdnow_summary)
        np.testing.assert_allclose(
            cm.probability_alive_at(model, cdnow_summary, t=0),
            model.probability_alive(cdnow_summary),
            rtol=1e-12,
        )
        later = cm.probability_alive_at(model, cdnow_summary, t=20)
        assert (later <= model.probability_alive(cdnow_summary) + 1e-15).all()


def test_next_purchase_cdf_is_one_minus_p0(cdnow_summary):
    model = ParetoNBDModel().fit(cdnow_summary)
    data = cdnow_summary.head(200)
    p0 = model.probability_of_purchases(data, n=0, t=13)
    np.testing.assert_allclose(cm.next_purchase_cdf(model, data, t=13), 1.0 - p0, atol=1e-15)
    q = cm.next_purchase_quantile(model, data, q=0.2)
    finite = np.isfinite(q)
    assert finite.sum() > 50
    back = cm.next_purchase_cdf(model, data[finite.to_numpy()], t=1.0)  # unit check: a number
    assert back.between(0, 1).all()
    for cid in data.index[finite.to_numpy()][:20]:  # the CDF at each quantile is q
        at = cm.next_purchase_cdf(model, data.loc[[cid]], t=float(q[cid]))
        assert abs(float(at.iloc[0]) - 0.2) < 1e-9


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel])
def test_bg_next_purchase_quantile_closed_form_equals_bisection(cls, cdnow_summary):
    from customer_models.valuation._predictive import _no_purchase, _quantile_by_bisection

    model = cls().fit(cdnow_summary)
    data = cdnow_summary.head(300)
    for level, max_time in ((0.2, None), (0.5, 60.0)):
        closed = cm.next_purchase_quantile(model, data, q=level, max_time=max_time).to_numpy()
        horizon = 1e4 * float(cdnow_summary["T"].head(300).max()) if max_time is None else max_time
        p0, inverse, _ = _no_purchase(model, data)
        bisected = _quantile_by_bisection(p0, int(inverse.max()) + 1, horizon, level)[inverse]
        np.testing.assert_array_equal(np.isinf(closed), np.isinf(bisected))
        finite = np.isfinite(closed)
        assert 20 < finite.sum() < len(data)  # both kinds of customer are in the test
        np.testing.assert_allclose(closed[finite], bisected[finite], rtol=1e-9)
        at = cm.next_purchase_cdf(model, data[finite], t=1.0)  # the CDF at the quantile is q
        for cid, t_q in zip(data.index[finite][:10], closed[finite][:10], strict=True):
            one = cm.next_purchase_cdf(model, data.loc[[cid]], t=float(t_q))
            assert abs(float(one.iloc[0]) - level) < 1e-10
        assert at.between(0, 1).all()


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel])
def test_bg_next_purchase_cdf_closed_form_is_one_minus_p0(cls, cdnow_summary):
    model = cls().fit(cdnow_summary)
    data = cdnow_summary.head(300)
    p0 = model.probability_of_purchases(data, n=0, t=13).to_numpy()
    cdf = cm.next_purchase_cdf(model, data, t=13).to_numpy()
    np.testing.assert_allclose(cdf, 1.0 - p0, atol=1e-14)
    # a near-dead customer: the closed form keeps relative precision where 1 - P(X=0) cancels
    dead = cm.with_time_unit(
        pd.DataFrame({"frequency": [20.0], "recency": [1.0], "T": [78.0]}), "W"
    )
    tiny = float(cm.next_purchase_cdf(model, dead, t=1e-6).iloc[0])
    r, alpha = model.params_.iloc[:2]
    alive = float(model.probability_alive(dead).iloc[0])
    exact = alive * -math.expm1(-(r + 20.0) * math.log1p(1e-6 / (alpha + 78.0)))
    assert 0.0 < tiny < 1e-6
    assert tiny == pytest.approx(exact, rel=1e-12)


def test_bad_models_are_refused():
    spend = cm.GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    data = pd.DataFrame({"frequency": [1.0], "recency": [1.0], "T": [2.0]})
    with pytest.raises(ParameterError, match="probability_of_purchases"):
        cm.purchase_pmf(spend, data, t=1)
    with pytest.raises(ParameterError, match="continuous-time"):
        cm.next_purchase_cdf(spend, data, t=1)


# ------------------------------------------------------------------ against simulation
@pytest.mark.slow
@pytest.mark.parametrize(("cls", "params", "sim"), CONTINUOUS)
def test_count_alive_and_next_purchase_match_simulation(cls, params, sim):
    data, y, nxt, alive = sim()
    model = cls.from_params(**params)
    pmf = cm.purchase_pmf(model, data, t=HOLDOUT).to_numpy()
    for k in range(4):
        _within(pmf[:, k], y == k)
    _within(pmf[:, 4:].sum(axis=1), y >= 4)
    dist = cm.purchase_distribution(model, data, t=HOLDOUT, quantiles=[0.9])
    _within(dist["probability_any"].to_numpy(), y >= 1)
    p_alive = cm.probability_alive_at(model, data, t=HOLDOUT).to_numpy()
    order = np.argsort(p_alive)
    for part in np.array_split(order, 4):  # by quartile of the prediction, too
        _within(p_alive[part], alive[part])
    cdf = cm.next_purchase_cdf(model, data, t=10.0).to_numpy()
    _within(cdf, nxt <= 10.0)
    q = cm.next_purchase_quantile(model, data, q=0.3, max_time=400.0).to_numpy()
    finite = np.isfinite(q)
    assert finite.sum() > 500
    _within(np.full(finite.sum(), 0.3), nxt[finite] <= q[finite])


@pytest.mark.slow
def test_bgbb_distribution_and_alive_match_simulation():
    data, y, alive, _ = _bgbb_sim()
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    pmf = cm.purchase_pmf(model, data, t=5).to_numpy()
    for k in range(pmf.shape[1]):
        _within(pmf[:, k], y == k)
    _within(cm.probability_alive_at(model, data, t=5).to_numpy(), alive)


class _Counts:
    """A model of one's own: only probability_of_purchases and expected_purchases."""

    def __init__(self, inner):
        self.inner = inner
        self.params_ = inner.params_

    def probability_of_purchases(self, data, *, n, t):
        return self.inner.probability_of_purchases(data, n=n, t=t)

    def expected_purchases(self, data, *, t):
        return self.inner.expected_purchases(data, t=t)


def test_a_model_of_ones_own_gets_the_same_distribution(cdnow_summary):
    model = BetaGeoModel().fit(cdnow_summary)
    data = cdnow_summary.head(60)
    fast = cm.purchase_distribution(model, data, t=26, quantiles=[0.1, 0.9])
    slow = cm.purchase_distribution(_Counts(model), data, t=26, quantiles=[0.1, 0.9])
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-12)
    a = cm.prediction_interval(model, data, t=26)
    b = cm.prediction_interval(_Counts(model), data, t=26)
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)
