"""Gamma-Gamma with covariates on the scale of spend: kernel, fit, CLV, persistence."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.special import gammaln

from customer_models import load_cdnow_summary
from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation import GammaGammaModel, customer_lifetime_value, load_model
from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel
from customer_models.valuation._gamma_gamma import log_likelihood_gradient_kernel
from customer_models.valuation._gamma_gamma_covariates import (
    GammaGammaCovariateModel,
    spend_rows_hessian_kernel,
)

sys.path.insert(0, str(Path(__file__).parent))
from _covariate_sim import simulate_spend

TRUTH = {"p": 6.0, "q": 4.0, "v": 15.0, "theta:z1": 0.3, "theta:z2": -0.2}


def _spend(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)]).astype(float)
    x = rng.poisson(2.0, n).astype(float)
    m = simulate_spend(x, p=6.0, q=4.0, v=15.0, z=z, theta=np.array([0.3, -0.2]), rng=rng)
    return pd.DataFrame({"frequency": x, "monetary_value": m, "z1": z[:, 0], "z2": z[:, 1]})


def test_row_kernel_matches_the_gamma_gamma_gradient_and_differences():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 9, 40).astype(float)
    m = rng.uniform(5, 80, 40)
    rows = np.array([6.0, 4.0, 15.0])[:, None] * np.exp(rng.normal(scale=0.2, size=(3, 40)))
    ll, g, h = spend_rows_hessian_kernel(rows, x, m)
    for i in range(0, 40, 7):  # the shipped scalar kernel, one row at a time
        ll_ref, g_ref = log_likelihood_gradient_kernel(rows[:, i], x[i : i + 1], m[i : i + 1])
        assert np.isclose(ll[i], ll_ref[0], rtol=1e-12)
        np.testing.assert_allclose(g[i], g_ref[0], rtol=1e-9)
    for j in range(3):
        eps = 1e-6 * rows[j]
        up, down = rows.copy(), rows.copy()
        up[j] += eps
        down[j] -= eps
        diff = spend_rows_hessian_kernel(up, x, m)[1] - spend_rows_hessian_kernel(down, x, m)[1]
        np.testing.assert_allclose(h[:, :, j], diff / (2 * eps[:, None]), rtol=1e-5, atol=1e-8)


def test_zero_covariates_give_exactly_the_gamma_gamma_fit():
    data = load_cdnow_summary().assign(zero=0.0)
    model = GammaGammaCovariateModel(["zero"]).fit(data)
    null = GammaGammaModel().fit(data)
    np.testing.assert_array_equal(model.params_.to_numpy()[:3], null.params_.to_numpy())
    assert model.params_["theta:zero"] == 0.0
    assert model.log_likelihood_ == null.log_likelihood_
    pd.testing.assert_series_equal(model.expected_spend(data), null.expected_spend(data))


def _independent_negative_loglik(theta, x, m, z1, z2):
    """Hand-written Gamma-Gamma density of the mean spend (note 025 eq. 1a), per customer."""
    p, q, v0 = np.exp(theta[:3])
    total = 0.0
    for xi, mi, u, w in zip(x, m, z1, z2, strict=True):
        v = v0 * np.exp(theta[3] * u + theta[4] * w)
        total += (
            gammaln(p * xi + q)
            - gammaln(p * xi)
            - gammaln(q)
            + q * np.log(v)
            + (p * xi - 1) * np.log(mi)
            + p * xi * np.log(xi)
            - (p * xi + q) * np.log(v + xi * mi)
        )
    return -total


def test_agrees_with_an_independent_likelihood_optimized_by_scipy():
    data = _spend(600, 3)
    repeat = data[data["frequency"] > 0]
    cols = tuple(repeat[c].to_numpy() for c in ("frequency", "monetary_value", "z1", "z2"))
    ref = optimize.minimize(
        _independent_negative_loglik,
        np.array([0.0, 0.7, 2.0, 0.0, 0.0]),
        args=cols,
        method="BFGS",
        options={"gtol": 1e-7},
    )
    model = GammaGammaCovariateModel(["z1", "z2"]).fit(data)
    assert np.isclose(model.log_likelihood_, -ref.fun, rtol=1e-8)
    expected = np.concatenate([np.exp(ref.x[:3]), ref.x[3:]])
    np.testing.assert_allclose(model.params_.to_numpy(), expected, rtol=2e-3, atol=2e-3)


def test_shift_invariance_and_recovery_z_scores():
    data = _spend(4000, 5)
    fit = GammaGammaCovariateModel(["z1", "z2"]).fit(data)
    shifted = GammaGammaCovariateModel(["z1", "z2"]).fit(data.assign(z1=data["z1"] + 4.0))
    np.testing.assert_allclose(shifted.params_.iloc[3:], fit.params_.iloc[3:], rtol=1e-6)
    np.testing.assert_allclose(
        shifted.expected_spend(data.assign(z1=data["z1"] + 4.0)),
        fit.expected_spend(data),
        rtol=1e-6,
    )
    z = {k: [] for k in TRUTH}
    for seed in range(30):
        f = GammaGammaCovariateModel(["z1", "z2"]).fit(_spend(2000, 50 + seed))
        for k, true in TRUTH.items():
            z[k].append((f.params_[k] - true) / f.summary_.loc[k, "se"])
    for k, zs in z.items():
        zs = np.asarray(zs)
        assert abs(zs.mean()) < 0.6, (k, zs.mean())
        assert 0.6 < zs.std() < 1.5, (k, zs.std())
        assert np.mean(np.abs(zs) < 1.96) >= 0.8, k


def test_expected_spend_profiles_and_clv_use_the_covariates():
    spend = GammaGammaCovariateModel.from_params(**TRUTH)
    data = _spend(50, 7).assign(recency=5.0, T=20.0)
    data["recency"] = np.where(data["frequency"] > 0, 5.0, 0.0)
    e = spend.expected_spend(data)
    for i in range(0, 50, 9):
        row = data.iloc[i]
        v = 15.0 * np.exp(0.3 * row["z1"] - 0.2 * row["z2"])
        ref = GammaGammaModel.from_params(p=6.0, q=4.0, v=v).expected_spend(data.iloc[[i]])
        assert np.isclose(e.iloc[i], ref.iloc[0], rtol=1e-12)
    means = spend.population_mean_spend(pd.DataFrame({"z1": [0.0, 1.0], "z2": [0.0, 0.0]}))
    np.testing.assert_allclose(means, [30.0, 30.0 * np.exp(0.3)], rtol=1e-12)
    purchase = BetaGeoCovariateModel.from_params(
        r=0.8, alpha=5.0, a=0.8, b=3.0, time_unit="W", **{"gamma:z1": 0.4}
    )
    data.attrs["time_unit"] = "W"
    clv = customer_lifetime_value(purchase, spend, data, horizon=3, horizon_unit="M")
    purchases = customer_lifetime_value(
        purchase, pd.Series(1.0, index=data.index), data, horizon=3, horizon_unit="M"
    )
    np.testing.assert_allclose(clv, purchases * e, rtol=1e-12)
    with pytest.raises(ParameterError, match="pass covariates="):
        spend.population_mean_spend()


def test_errors_and_json_round_trip(tmp_path):
    data = _spend(2000, 1)
    with pytest.raises(CustomerModelsError, match="z2"):
        GammaGammaCovariateModel(["z1", "z2"]).fit(data.drop(columns="z2"))
    model = GammaGammaCovariateModel(["z1", "z2"], penalizer=0.01).fit(data)
    model.save(tmp_path / "gg.json")
    loaded = load_model(tmp_path / "gg.json")
    pd.testing.assert_series_equal(loaded.params_, model.params_)
    assert loaded.get_params()["spend_covariates"] == ["z1", "z2"]
    assert loaded.get_params()["penalizer"] == 0.01
    pd.testing.assert_series_equal(loaded.expected_spend(data), model.expected_spend(data))
