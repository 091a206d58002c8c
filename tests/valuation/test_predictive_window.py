"""The count and value over a later window (T + start, T + start + t].

Pareto/NBD, BG/NBD, MBG/NBD and BG/BB (opportunities n + start + 1 .. n + start + t).
Independent checks: the window pmf's mean equals ``E[X(start + t)] - E[X(start)]`` from the
model's own expectation (a different formula); the pmf equals a direct Bayesian evaluation in
mpmath from each model's generative definition (BG family: the likelihood of the history and
``exp(-λ p s)`` for no dropout before the window integrated over the rate in closed form and
over the dropout probability by quadrature; BG/BB: every death opportunity and window count
enumerated, integrated with Beta functions); and it matches the window counts of seeded
simulations (the same simulated customers counted up to T + start and up to
T + start + t).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from test_predictive import BG, BGBB, PNBD, _within, simulate_bg, simulate_bgbb, simulate_pnbd

import customer_models as cm
from customer_models.exceptions import ParameterError
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    GGompertzNBDModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)
from customer_models.valuation._predictive_source import pmf_source, scan

GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _window_pmf(model, data, t, start):
    source = pmf_source(model, data, t, start)
    res = scan(source, source.fixed(), full=True)
    return res.pmf[source.inverse]


@pytest.mark.parametrize("cls", [ParetoNBDModel, BetaGeoModel, ModifiedBetaGeoModel])
def test_window_mean_is_the_difference_of_expectations(cls, cdnow_summary):
    model = cls().fit(cdnow_summary)
    data = cdnow_summary.iloc[::7]
    pmf = _window_pmf(model, data, 26.0, 13.0)
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-9)
    mean = pmf @ np.arange(pmf.shape[1])
    e = (
        model.expected_purchases(data, t=39.0).to_numpy()
        - model.expected_purchases(data, t=13.0).to_numpy()
    )
    np.testing.assert_allclose(mean, e, rtol=1e-7, atol=1e-12)
    np.testing.assert_array_equal(
        _window_pmf(model, data, 26.0, 0.0), cm.purchase_pmf(model, data, t=26.0).to_numpy()
    )


def test_bgbb_window_mean_is_the_difference_of_expectations():
    data = cm.load_donations()
    model = BetaGeoBetaBinomModel().fit(data, sample_weight="weight")
    for t, start in ((5, 3), (1, 10), (12, 1)):
        pmf = _window_pmf(model, data, t, start)
        assert pmf.shape[1] <= t + 1
        np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-12)
        e = (
            model.expected_purchases(data, t=start + t).to_numpy()
            - model.expected_purchases(data, t=start).to_numpy()
        )
        np.testing.assert_allclose(pmf @ np.arange(pmf.shape[1]), e, rtol=1e-9)
    np.testing.assert_array_equal(
        _window_pmf(model, data, 5, 0), cm.purchase_pmf(model, data, t=5).to_numpy()
    )


def _bg_window_mp(x, t_x, T, s, t, ks, modified):
    """P(W = k | history) of the BG family (MBG/NBD: ``modified``) by a direct integral.

    The history's likelihood given (λ, p) is ``(1-p)^(x+c) λ^x e^(-λT)`` (alive at T) plus
    ``p (1-p)^(x-1+c) λ^x e^(-λ t_x)`` (dropped after the last purchase; MBG/NBD also at 0),
    ``c = 1`` for MBG/NBD. Alive at T, no dropout among the Poisson(λ s) purchases before the
    window has probability ``exp(-λ p s)``, and the window count given that is FHL's
    ``(1-p)^k Pois(k; λt) + p (1-p)^(k-1) P(Pois(λt) >= k)``. The rate integrals are Gamma
    moments; the dropout probability is integrated by tanh-sinh quadrature.
    """
    mp.mp.dps = 30
    r, al, a, b = (mp.mpf(BG[k]) for k in ("r", "alpha", "a", "b"))
    x, t_x, T, s, t = (mp.mpf(v) for v in (x, t_x, T, s, t))
    c = 1 if modified else 0

    def moment(j, rate):  # E[λ^j exp(-λ rate)] under the Gamma(r, α) prior
        return al**r * mp.gamma(r + j) / (mp.gamma(r) * (al + rate) ** (r + j))

    def like(p):
        out = (1 - p) ** (x + c) * moment(x, T)
        if x > 0 or modified:
            out += p * (1 - p) ** (x - 1 + c) * moment(x, t_x)
        return out

    def window(k, p):
        def pois(j):
            return t**j / mp.factorial(j) * moment(x + j, T + p * s + t)

        out = (1 - p) ** k * pois(k)
        if k > 0:
            rest = moment(x, T + p * s) - sum(pois(j) for j in range(k))
            out += p * (1 - p) ** (k - 1) * rest
        return (1 - p) ** (x + c) * out

    def integral(f):
        dens = lambda p: p ** (a - 1) * (1 - p) ** (b - 1) / mp.beta(a, b)  # noqa: E731
        return mp.quad(lambda p: dens(p) * f(p), [0, 0.5, 1])

    z = integral(like)
    return np.array([float(integral(lambda p, k=k: window(k, p)) / z) for k in ks])


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel])
def test_bg_window_pmf_against_mpmath(cls):
    data = pd.DataFrame({"frequency": [0, 3, 12], "recency": [0, 20.0, 30.0], "T": [38.86] * 3})
    pmf = _window_pmf(cls.from_params(**BG), data, 26.0, 13.0)
    ks = [1, 2, 6]
    for i, row in enumerate(data.itertuples()):
        modified = cls is ModifiedBetaGeoModel
        want = _bg_window_mp(row.frequency, row.recency, row.T, 13.0, 26.0, ks, modified)
        np.testing.assert_allclose(pmf[i, ks], want, rtol=1e-11)
    # a long wait before a short window, for a frequent buyer: many terms before the window
    far = pd.DataFrame({"frequency": [40.0], "recency": [38.0], "T": [38.86]})
    pmf = _window_pmf(cls.from_params(**BG), far, 4.0, 104.0)
    want = _bg_window_mp(40, 38.0, 38.86, 104.0, 4.0, [1, 3], cls is ModifiedBetaGeoModel)
    np.testing.assert_allclose(pmf[0, [1, 3]], want, rtol=1e-10)


def _bgbb_window_mp(x, t_x, n, s, t):
    """P(W = k | history), k = 0..t, of BG/BB by enumerating the opportunity of death.

    Given (p, θ) the customer is first dead at opportunity ``d`` with probability
    ``(1-θ)^(d-1) θ`` (alive through all of them: ``(1-θ)^(n+s+t)``), buys w.p. ``p`` at each
    opportunity it is alive, so the window count is Binomial(alive window opportunities, p).
    Every term is a product of Beta integrals over ``p ~ Beta(α, β)`` and ``θ ~ Beta(γ, δ)``;
    the history's purchases fix ``d > t_x`` (the pattern's multiplicity cancels).
    """
    mp.mp.dps = 30
    al, be, ga, de = (mp.mpf(BGBB[k]) for k in ("alpha", "beta", "gamma", "delta"))
    last = n + s + t

    def p_part(k_all, alive_opps):  # E_p[p^k_all (1-p)^(alive_opps - k_all)]
        return mp.beta(al + k_all, be + alive_opps - k_all) / mp.beta(al, be)

    joint = [mp.mpf(0)] * (t + 1)
    total = mp.mpf(0)
    deaths = [(d, mp.beta(ga + 1, de + d - 1) / mp.beta(ga, de)) for d in range(t_x + 1, last + 2)]
    deaths[-1] = (last + 1, mp.beta(ga, de + last) / mp.beta(ga, de))  # alive through all
    for d, theta_part in deaths:
        alive = d - 1  # alive at opportunities 1 .. d-1; those between n and n+s sum out
        in_cal = min(alive, n)
        in_window = min(max(alive - n - s, 0), t)
        for k in range(in_window + 1):
            term = mp.binomial(in_window, k) * theta_part * p_part(x + k, in_cal + in_window)
            joint[k] += term
            total += term
    return np.array([float(v / total) for v in joint])


def test_bgbb_window_pmf_against_mpmath():
    rows = [(0, 0, 6), (2, 3, 6), (5, 6, 6), (1, 1, 9)]
    data = pd.DataFrame(rows, columns=["frequency", "recency", "n_periods"]).astype(float)
    for s, t in ((2, 4), (7, 3)):
        pmf = _window_pmf(BetaGeoBetaBinomModel.from_params(**BGBB), data, t, s)
        for i, (x, t_x, n) in enumerate(rows):
            np.testing.assert_allclose(pmf[i], _bgbb_window_mp(x, t_x, n, s, t), rtol=1e-11)


@pytest.mark.parametrize("modified", [False, True])
def test_bg_window_counts_match_simulation(modified):
    cls = ModifiedBetaGeoModel if modified else BetaGeoModel
    data, early, _, _ = simulate_bg(12_000, BG, 13.0, modified=modified, seed=41)
    _, through, _, _ = simulate_bg(12_000, BG, 39.0, modified=modified, seed=41)
    window = through - early
    pmf = _window_pmf(cls.from_params(**BG), data, 26.0, 13.0)
    for k in range(3):
        _within(pmf[:, k], window == k)
    _within(pmf[:, 3:].sum(axis=1), window >= 3)


def test_bgbb_window_counts_match_simulation():
    data, window, _, _ = simulate_bgbb(12_000, BGBB, 4, seed=43, start=3)
    pmf = _window_pmf(BetaGeoBetaBinomModel.from_params(**BGBB), data, 4, 3)
    for k in range(5):
        _within(pmf[:, k], window == k)


def test_window_counts_match_simulation():
    data, early, _, _ = simulate_pnbd(8_000, PNBD, 13.0, seed=31)
    _, through, _, _ = simulate_pnbd(8_000, PNBD, 39.0, seed=31)  # the same customers
    window = through - early
    pmf = _window_pmf(ParetoNBDModel.from_params(**PNBD), data, 26.0, 13.0)
    for k in range(3):
        _within(pmf[:, k], window == k)
    _within(pmf[:, 3:].sum(axis=1), window >= 3)


@pytest.mark.parametrize("cls", [ParetoNBDModel, BetaGeoModel])
def test_value_over_a_window(cls, cdnow_summary):
    model = cls().fit(cdnow_summary)
    spend = GammaGammaModel.from_params(**GG)
    data = cdnow_summary.iloc[::25]
    out = cm.value_distribution(model, spend, data, t=26, start=13, thresholds=[20.0])
    e = (
        model.expected_purchases(data, t=39.0).to_numpy()
        - model.expected_purchases(data, t=13.0).to_numpy()
    )
    want = e * spend.expected_spend(data).to_numpy()
    np.testing.assert_allclose(out["expected_value"], want, rtol=1e-7)
    later = cm.value_distribution(model, spend, data, t=26, start=0, thresholds=[20.0])
    # a customer alive at T is less likely alive at T + 13: less value in the later window
    assert (out["p_above_20"] <= later["p_above_20"] + 1e-12).all()


def test_other_models_are_refused_a_later_window(cdnow_summary):
    model = GGompertzNBDModel.from_params(r=0.5, alpha=10.0, b=0.1, s=0.6, beta=10.0)
    spend = GammaGammaModel.from_params(**GG)
    with pytest.raises(ParameterError, match="BG/NBD, MBG/NBD, Pareto/NBD and BG/BB only"):
        cm.value_distribution(model, spend, cdnow_summary.head(5), t=26, start=13)
    bb = BetaGeoBetaBinomModel.from_params(**BGBB)
    with pytest.raises(ParameterError, match="start"):
        pmf_source(bb, cm.load_donations(), 4, 2.5)


def test_bgbb_value_over_a_window():
    data = pd.DataFrame(
        {
            "frequency": [0.0, 2, 5, 6],
            "recency": [0.0, 3, 6, 6],
            "n_periods": [6.0] * 4,
            "monetary_value": [0.0, 20, 30, 25],
        }
    )
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    spend = GammaGammaModel.from_params(**GG)
    out = cm.value_distribution(model, spend, data, t=5, start=2, thresholds=[50.0])
    e = (
        model.expected_purchases(data, t=7).to_numpy()
        - model.expected_purchases(data, t=2).to_numpy()
    )
    np.testing.assert_allclose(out["expected_value"], e * spend.expected_spend(data), rtol=1e-10)
    now = cm.value_distribution(model, spend, data, t=5, thresholds=[50.0])
    assert (out["p_above_50"] < now["p_above_50"]).all()


@pytest.mark.parametrize("cls", [BetaGeoModel, ParetoNBDModel])
def test_public_functions_take_the_window(cls, cdnow_summary):
    model = cls().fit(cdnow_summary)
    data = cdnow_summary.iloc[::40]
    pmf = cm.purchase_pmf(model, data, t=26, start=13).to_numpy()
    np.testing.assert_array_equal(pmf, _window_pmf(model, data, 26.0, 13.0))
    dist = cm.purchase_distribution(model, data, t=26, start=13, quantiles=[0.5, 0.95])
    e = (
        model.expected_purchases(data, t=39.0).to_numpy()
        - model.expected_purchases(data, t=13.0).to_numpy()
    )
    np.testing.assert_allclose(dist["expected_purchases"], e, rtol=1e-12)
    np.testing.assert_allclose(dist["probability_any"], 1.0 - pmf[:, 0], atol=1e-14)
    cdf = pmf.cumsum(axis=1)
    for q in (0.5, 0.95):  # the smallest k with F(k) >= q, read off the full pmf
        np.testing.assert_array_equal(dist[f"q{q:g}"].to_numpy(), (cdf < q).sum(axis=1))
    with pytest.raises(ParameterError, match="start"):
        cm.purchase_pmf(model, data, t=26, start=-1)
