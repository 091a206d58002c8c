"""BdW (beta-discrete-Weibull) contractual retention model (Fader et al. 2018)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from _model_checks import assert_gradient_matches_central_differences
from scipy.optimize import minimize
from scipy.special import betaln

from customer_models.exceptions import ParameterError
from customer_models.valuation import _bdw as k
from customer_models.valuation import _sbg
from customer_models.valuation._bdw import BetaDiscreteWeibullModel
from customer_models.valuation._sbg import ShiftedBetaGeoModel

# Fader & Hardie (2007): survivors of 1000 over years 0-7 (the data of tests/valuation/test_sbg.py).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
D = np.array([1, 2, 3, 7, 7, 0, 40, 1000])
C = np.array([1, 1, 1, 1, 0, 0, 0, 1])


def _fit(cls, survivors):
    return cls().fit(cls.cohort_to_data(survivors), sample_weight="weight")


@pytest.mark.parametrize("params", [(0.704, 1.182), (0.668, 3.806), (3.0, 0.2), (40.0, 900.0)])
def test_c_one_is_sbg(params):
    p3 = np.array([*params, 1.0])
    ll, grad = k.log_likelihood_gradient_kernel(p3, D, C)
    ll_s, grad_s = _sbg.log_likelihood_gradient_kernel(np.array(params), D, C)
    np.testing.assert_allclose(ll, ll_s, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad[:, :2], grad_s, rtol=1e-8, atol=1e-10)
    t = np.arange(0.0, 60.0)
    np.testing.assert_allclose(
        k.survival_kernel(p3, t), _sbg.survival_kernel(np.array(params), t), rtol=1e-10
    )
    np.testing.assert_allclose(
        k.retention_rate_kernel(p3, t[1:]),
        _sbg.retention_rate_kernel(np.array(params), t[1:]),
        rtol=1e-10,
    )
    for d in (0.1, 0.5):
        s = np.array([0, 1, 4, 30])
        np.testing.assert_allclose(
            k.discounted_expected_residual_lifetime_kernel(p3, s, d),
            _sbg.discounted_expected_residual_lifetime_kernel(np.array(params), s, d),
            rtol=1e-10,
        )


@pytest.mark.parametrize("survivors", [REGULAR, HIGH_END])
def test_fit_at_c_one_boundary_matches_sbg_likelihood(survivors):
    sbg = _fit(ShiftedBetaGeoModel, survivors)
    a, b = sbg.params_
    rows = ShiftedBetaGeoModel.cohort_to_data(survivors)
    w = rows["weight"].to_numpy()
    per_row = k.log_likelihood_kernel(np.array([a, b, 1.0]), rows["duration"], rows["churned"])
    ll = float((w * per_row).sum())
    assert ll == pytest.approx(sbg.log_likelihood_, rel=1e-10)


def _neg_ll_by_hand(log_params, survivors):
    # F&H 2018 likelihood from the survivor counts, written independently of the kernels.
    a, b, c = np.exp(log_params)
    s = np.asarray(survivors, dtype=float)
    t = np.arange(s.size, dtype=float)
    surv = np.exp(betaln(a, b + t**c) - betaln(a, b))
    died = s[:-1] - s[1:]
    return -float((died * np.log(surv[:-1] - surv[1:])).sum() + s[-1] * np.log(surv[-1]))


@pytest.mark.parametrize("survivors", [REGULAR, HIGH_END])
def test_fit_matches_independent_scipy_optimisation(survivors):
    # No published BdW estimates for these two cohorts were found with the search tool, so the
    # fit is checked against Nelder-Mead on a hand-written likelihood.
    model = _fit(BetaDiscreteWeibullModel, survivors)
    ref = minimize(
        _neg_ll_by_hand,
        np.zeros(3),
        args=(survivors,),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000},
    )
    np.testing.assert_allclose(model.params_.to_numpy(), np.exp(ref.x), rtol=1e-4)
    assert model.log_likelihood_ == pytest.approx(-ref.fun, abs=1e-6)
    assert model.convergence_.success
    # one more parameter: at least the sBG's likelihood
    assert model.log_likelihood_ >= _fit(ShiftedBetaGeoModel, survivors).log_likelihood_ - 1e-8
    assert model.covariance_.shape == (3, 3)


def test_gradient_matches_finite_differences():
    for params in (np.array([0.704, 1.182, 0.6]), np.array([3.0, 0.2, 1.7])):
        d, c = D[:-1], C[:-1]  # d = 1000 churned: central differences too noisy in c
        assert_gradient_matches_central_differences(k, params, d, c, rtol=1e-5, atol=1e-8)


def _mp_survival(a, b, c, t):
    with mp.workdps(40):
        a, b, c, t = (mp.mpf(float(v)) for v in (a, b, c, t))
        return mp.beta(a, b + t**c) / mp.beta(a, b)


GRID = [
    (0.704, 1.182, 1.0),
    (0.05, 0.05, 0.3),
    (50.0, 0.02, 2.5),
    (1e-3, 1e3, 0.1),
    (200.0, 5000.0, 1.4),
    (0.3, 7.0, 4.0),
]


@pytest.mark.parametrize(("a", "b", "c"), GRID)
def test_survival_and_likelihood_against_mpmath(a, b, c):
    t = np.array([0, 1, 2, 5, 12, 100, 5000])
    got = k.log_survival_kernel(np.array([a, b, c]), t)
    want = np.array([float(mp.log(_mp_survival(a, b, c, v))) for v in t])
    # absolute error of log S = relative error of S
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=2e-11)
    if a < 0.01:
        return  # known limit: log P(T = d) for alpha << 1 loses digits (see the report)
    d = t[1:]
    ll = k.log_likelihood_kernel(np.array([a, b, c]), d, np.ones(d.size))
    want_ll = [float(mp.log(_mp_survival(a, b, c, v - 1) - _mp_survival(a, b, c, v))) for v in d]
    np.testing.assert_allclose(ll, want_ll, rtol=1e-8, atol=1e-10)
    assert np.all(np.isfinite(ll))


def _simulate(n, a, b, c, horizon, seed):
    rng = np.random.default_rng(seed)
    theta = rng.beta(a, b, size=n)
    # discrete Weibull: T = smallest t with (1 - theta)^(t^c) < U, i.e. t^c > log U / log(1-theta)
    u = rng.uniform(size=n)
    with np.errstate(divide="ignore"):
        x = np.log(u) / np.log1p(-theta)
    lifetime = np.ceil(np.power(x, 1.0 / c))
    lifetime = np.maximum(lifetime, 1.0)
    churned = lifetime <= horizon
    return pd.DataFrame(
        {
            "duration": np.where(churned, lifetime, horizon).astype(np.int64),
            "churned": churned.astype(np.int64),
        }
    )


def test_simulated_survival_matches_kernel():
    data = _simulate(200_000, 0.8, 2.0, 0.7, 50, seed=1)
    m = BetaDiscreteWeibullModel.from_params(alpha=0.8, beta=2.0, c=0.7)
    for t in (1, 3, 10, 40):
        empirical = float(((data["churned"] == 0) | (data["duration"] > t)).mean())
        assert empirical == pytest.approx(m.survival(t), abs=4e-3)


@pytest.mark.parametrize(("a", "b", "c"), [(0.8, 2.0, 0.7), (1.5, 4.0, 1.6)])
def test_parameter_recovery(a, b, c):
    data = _simulate(20_000, a, b, c, 12, seed=7)
    model = BetaDiscreteWeibullModel().fit(data)
    z = (model.params_.to_numpy() - [a, b, c]) / model.summary_["se"].to_numpy()
    assert np.all(np.abs(z) < 3.5), z


def test_lifetimes_and_errors():
    m = BetaDiscreteWeibullModel.from_params(alpha=0.8, beta=2.0, c=0.7)
    p = np.array([0.8, 2.0, 0.7])
    t = np.arange(0, 20_000, dtype=float)
    s_t = k.survival_kernel(p, t)
    d = 0.1
    assert m.expected_lifetime(discount_rate=d) == pytest.approx(
        float((s_t * (1 + d) ** -t).sum()), rel=1e-10
    )
    kk = np.arange(1, 10_000)
    for s in (0, 3):
        brute = float((s_t[s + kk] / s_t[s] * (1 + d) ** -(kk - 1.0)).sum())
        assert m.expected_residual_lifetime(s, discount_rate=d) == pytest.approx(brute, rel=1e-10)
    with pytest.raises(ParameterError, match="discount_rate"):
        m.expected_lifetime()
    rates = m.retention_rate(np.arange(1, 10))
    np.testing.assert_allclose(np.cumprod(rates), m.survival(np.arange(1, 10)), rtol=1e-12)
