"""Equality constraints between processes: ``shared_covariates`` (one coefficient for both).

Independent checks: a shared coefficient is the same model as the separate links with equal
coefficients (predictions and likelihood at ``from_params``); the shared fit is the maximum
of the separate model's likelihood over the constrained family, found by scipy from the
separate model's own ``log_likelihood``; simulated data with equal effects are recovered.
"""

from __future__ import annotations

import numpy as np
import pytest
from _covariate_sim import simulate_pareto_nbd
from scipy.optimize import minimize

from customer_models.exceptions import ParameterError
from customer_models.valuation import (
    BetaGeoCovariateModel,
    ParetoNBDCovariateModel,
    load_model,
)

BASE = {"r": 0.8, "alpha": 6.0, "s": 0.7, "beta": 14.0}


def _pareto_data(n: int, seed: int, effect: float = 0.3):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 1))
    data = simulate_pareto_nbd(
        n,
        tuple(BASE.values()),
        (z, z),
        (np.array([effect]), np.array([effect])),
        rng=rng,
    )
    data["z"] = z[:, 0]
    data.attrs["time_unit"] = "W"
    return data


def test_pareto_shared_coefficient_is_the_equal_separate_model():
    data = _pareto_data(300, 1)
    shared = ParetoNBDCovariateModel.from_params(**BASE, **{"shared:z": 0.3}, time_unit="W")
    both = ParetoNBDCovariateModel.from_params(
        **BASE, **{"gamma:z": 0.3, "delta:z": 0.3}, time_unit="W"
    )
    assert shared.shared_covariates == ["z"]
    np.testing.assert_allclose(
        shared.expected_purchases(data, t=26), both.expected_purchases(data, t=26), rtol=1e-13
    )
    assert shared.log_likelihood(data) == pytest.approx(both.log_likelihood(data), rel=1e-13)


def test_bgnbd_shared_coefficient_is_clvtools_equality_constraint():
    rng = np.random.default_rng(2)
    data = _pareto_data(200, 2).drop(columns="z").assign(z=rng.normal(size=200))
    base = {"r": 0.8, "alpha": 4.0, "a": 0.8, "b": 2.5}
    shared = BetaGeoCovariateModel.from_params(**base, **{"shared:z": -0.2}, time_unit="W")
    both = BetaGeoCovariateModel.from_params(
        **base, **{"gamma:z": -0.2, "delta_a:z": -0.2, "delta_b:z": -0.2}, time_unit="W"
    )
    np.testing.assert_allclose(
        shared.probability_alive(data), both.probability_alive(data), rtol=1e-13
    )


def test_pareto_shared_fit_is_the_constrained_maximum():
    data = _pareto_data(2000, 3)
    fit = ParetoNBDCovariateModel(shared_covariates=["z"]).fit(data)

    def negative(theta):  # the separate model's own likelihood with gamma = delta
        r, alpha, s, beta = np.exp(theta[:4])
        m = ParetoNBDCovariateModel.from_params(
            r=r,
            alpha=alpha,
            s=s,
            beta=beta,
            **{"gamma:z": theta[4], "delta:z": theta[4]},
            time_unit="W",
        )
        return -m.log_likelihood(data)

    start = np.r_[np.log(list(BASE.values())), 0.0]
    ref = minimize(
        negative,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-9, "maxiter": 20000},
    )
    assert -ref.fun <= fit.log_likelihood_ + 1e-6
    assert fit.log_likelihood_ == pytest.approx(-ref.fun, abs=1e-4)
    np.testing.assert_allclose(fit.params_.to_numpy()[4], ref.x[4], atol=2e-3)
    # one coefficient fewer than the separate fit, which cannot do worse
    free = ParetoNBDCovariateModel(["z"], dropout_covariates=["z"]).fit(data)
    assert free.log_likelihood_ >= fit.log_likelihood_ - 1e-8
    assert fit.params_.index.tolist() == ["r", "alpha", "s", "beta", "shared:z"]


def test_pareto_shared_effect_is_recovered_with_its_standard_error():
    data = _pareto_data(20_000, 4, effect=0.3)
    fit = ParetoNBDCovariateModel(shared_covariates=["z"]).fit(data)
    est, se = fit.params_["shared:z"], fit.summary_.loc["shared:z", "se"]
    assert abs(est - 0.3) < 4 * se
    assert 0 < se < 0.05


def test_shared_column_in_a_process_list_is_refused_and_json_keeps_it(tmp_path):
    data = _pareto_data(500, 5)
    with pytest.raises(ParameterError, match=r"shared_covariates columns \['z'\]"):
        ParetoNBDCovariateModel(["z"], shared_covariates=["z"]).fit(data)
    fit = ParetoNBDCovariateModel(shared_covariates=["z"]).fit(data)
    fit.save(tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert loaded.shared_covariates == ["z"]
    np.testing.assert_allclose(
        loaded.expected_purchases(data, t=13), fit.expected_purchases(data, t=13), rtol=1e-12
    )
