"""sBG with static covariates: kernels, fit properties, recovery, predictions, errors, JSON."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation import ShiftedBetaGeoModel
from customer_models.valuation._sbg import log_likelihood_gradient_kernel
from customer_models.valuation._sbg_covariate_kernels import sbg_rows_hessian_kernel
from customer_models.valuation._sbg_covariates import ShiftedBetaGeoCovariateModel

sys.path.insert(0, str(Path(__file__).parent))
import _covariate_checks as checks
from _covariate_checks_beta import (
    assert_categorical_weights_are_repeated_rows,
    assert_covariates_refused,
    assert_nests_the_plain_fit,
    assert_z_scores_calibrated,
)
from _covariate_sim_discrete import simulate_sbg

# Fader & Hardie (2007): survivors of 1000 over years 0-7 of the "regular" cohort.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
TRUTH = {
    "alpha": 0.8,
    "beta": 1.5,
    "alpha:z1": 0.4,
    "alpha:z2": -0.3,
    "beta:z1": -0.2,
    "beta:z2": 0.5,
}


def _simulated(n: int, seed: int) -> pd.DataFrame:
    coefs = checks.truth_vectors(TRUTH, ("alpha", "beta"))

    def histories(z1, z2, rng):
        return simulate_sbg(
            **{p: TRUTH[p] for p in coefs},
            z=np.column_stack([z1, z2]),
            **{f"coef_{p}": v for p, v in coefs.items()},
            horizon=rng.integers(4, 13, n),
            rng=rng,
        )

    return checks.two_covariate_sample(histories, n, seed, "M")


def _model(**kw) -> ShiftedBetaGeoCovariateModel:
    return ShiftedBetaGeoCovariateModel(["z1", "z2"], **kw)


# ---------------------------------------------------------------- per-row kernel
def test_row_kernel_matches_the_sbg_gradient_and_central_differences():
    rng = np.random.default_rng(0)
    n = 60
    d = rng.integers(1, 30, n).astype(float)
    c = rng.integers(0, 2, n).astype(float)
    d[:5], c[:5] = 0.0, 0.0  # survivors of 0 periods
    p = np.array([0.7, 1.3])
    ll, g, _ = sbg_rows_hessian_kernel(p, d, c)
    ll_ref, g_ref = log_likelihood_gradient_kernel(p, d, c)  # the plain model's kernel
    np.testing.assert_allclose(ll, ll_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12)
    rows = p[:, None] * np.exp(rng.normal(scale=0.4, size=(2, n)))
    _, g_rows, h_rows = sbg_rows_hessian_kernel(rows, d, c)
    for i in range(0, n, 9):
        _, g_one = log_likelihood_gradient_kernel(rows[:, i], d[i : i + 1], c[i : i + 1])
        np.testing.assert_allclose(g_rows[i], g_one[0], rtol=1e-10, atol=1e-12)
    checks.assert_row_hessian_against_differences(
        lambda r: sbg_rows_hessian_kernel(r, d, c)[1], rows, h_rows
    )


# ---------------------------------------------------------------- fit properties
def test_zero_valued_covariates_give_exactly_the_plain_fit():
    data = ShiftedBetaGeoModel.cohort_to_data(REGULAR).assign(zero=0.0, one=1.0)
    data.attrs["time_unit"] = "Y"
    model = ShiftedBetaGeoCovariateModel(["zero", "one"]).fit(data, sample_weight="weight")
    null = ShiftedBetaGeoModel().fit(data, sample_weight="weight")
    checks.assert_constant_covariates_give_the_plain_estimates(model, null)
    profile = {"zero": 0.0, "one": 1.0}
    t = np.arange(10)
    np.testing.assert_allclose(
        model.survival(t, covariates=profile).to_numpy()[0], null.survival(t), rtol=1e-12
    )
    assert np.isclose(
        model.expected_lifetime(discount_rate=0.1, covariates=profile).iloc[0],
        null.expected_lifetime(discount_rate=0.1),
        rtol=1e-10,
    )


def test_without_covariates_it_is_the_plain_model():
    data = ShiftedBetaGeoModel.cohort_to_data(REGULAR)
    data.attrs["time_unit"] = "Y"
    model = ShiftedBetaGeoCovariateModel().fit(data, sample_weight="weight")
    null = ShiftedBetaGeoModel().fit(data, sample_weight="weight")
    np.testing.assert_array_equal(model.params_.to_numpy(), null.params_.to_numpy())
    np.testing.assert_allclose(model.survival([1, 7]), null.survival([1, 7]), rtol=1e-12)
    np.testing.assert_allclose(model.retention_rate([1, 7]), null.retention_rate([1, 7]))
    np.testing.assert_allclose(
        model.expected_residual_lifetime([0, 4], discount_rate=0.1),
        null.expected_residual_lifetime([0, 4], discount_rate=0.1),
        rtol=1e-10,
    )


def test_shifting_a_covariate_moves_only_the_intercepts():
    data = _simulated(3000, 11)
    shifts = {"z1": 5.0, "z2": -2.0}
    fit, shifted, moved = checks.fit_shifted(_model, data, shifts)
    # alpha_i = alpha exp(a'z): alpha absorbs the shift exactly
    expected = fit.params_["alpha"] * np.exp(
        -5.0 * fit.params_["alpha:z1"] + 2.0 * fit.params_["alpha:z2"]
    )
    assert np.isclose(shifted.params_["alpha"], expected, rtol=1e-6)
    np.testing.assert_allclose(
        shifted.expected_residual_lifetime(moved, discount_rate=0.1),
        fit.expected_residual_lifetime(data, discount_rate=0.1),
        rtol=1e-6,
    )


def _independent_negative_loglik(theta, duration, churned, z1, z2):
    """Per customer: P(T=1) = a/(a+b), P(T=t) = (b+t-2)/(a+b+t-1) P(T=t-1) (F&H 2007 eq. 7)."""
    a0, b0 = np.exp(theta[:2])
    ca1, ca2, cb1, cb2 = theta[2:]
    total = 0.0
    for d, c, u, v in zip(duration, churned, z1, z2, strict=True):  # one customer at a time
        a = a0 * np.exp(ca1 * u + ca2 * v)
        b = b0 * np.exp(cb1 * u + cb2 * v)
        pmf, survival = a / (a + b), 1.0
        for t in range(1, int(d) + 1):
            if t > 1:
                pmf *= (b + t - 2) / (a + b + t - 1)
            if c and t == d:
                total += np.log(pmf)
            survival -= pmf
        if not c:
            total += np.log(survival)
    return -total


def test_agrees_with_an_independent_likelihood_optimized_by_scipy():
    data = _simulated(300, 21)
    cols = [data[c].to_numpy() for c in ("duration", "churned", "z1", "z2")]
    ref = checks.scipy_optimum(_independent_negative_loglik, np.zeros(6), cols)
    checks.assert_at_scipy_optimum(
        _model().fit(data), data, ref, _independent_negative_loglik, cols, tol=2e-3
    )


def test_categorical_covariates_compress_and_weights_equal_repeated_rows():
    assert_categorical_weights_are_repeated_rows(_model, _simulated)


def test_shared_link_and_the_penalizer():
    data = _simulated(2000, 4)
    shared = _model(dropout_link="shared").fit(data)
    null = ShiftedBetaGeoModel().fit(data[["duration", "churned"]])
    assert_nests_the_plain_fit(shared, null, data, ["dropout:z1", "dropout:z2"])
    coefs = ["alpha:z1", "alpha:z2", "beta:z1", "beta:z2"]  # one penalty on every coefficient
    checks.fit_free_and_penalized(_model, data, 10.0, coefs)
    with pytest.raises(ParameterError, match="penalizer keys"):
        _model(penalizer={"purchase": 1.0}).fit(data)


@pytest.mark.slow
def test_parameter_recovery_z_scores_and_coverage():
    z_scores = checks.recovery_z_scores(
        _model, lambda seed: _simulated(3000, 300 + seed), TRUTH, 40
    )
    table = assert_z_scores_calibrated(z_scores)
    print("sBG covariates recovery:", table.round(2), sep="\n")


# ---------------------------------------------------------------- predictions
def test_predictions_equal_the_plain_model_at_each_customers_parameters():
    data = _simulated(200, 2).iloc[:25]
    model = ShiftedBetaGeoCovariateModel.from_params(time_unit="M", **TRUTH)
    derl = model.expected_residual_lifetime(data, discount_rate=0.05)
    t = np.arange(1, 8)
    curves = model.survival(t, covariates=data[["z1", "z2"]])
    rates = model.retention_rate(t, covariates=data[["z1", "z2"]])
    lifetimes = model.expected_lifetime(discount_rate=0.05, covariates=data[["z1", "z2"]])
    for cid, row in data.iterrows():
        a = 0.8 * np.exp(0.4 * row["z1"] - 0.3 * row["z2"])
        b = 1.5 * np.exp(-0.2 * row["z1"] + 0.5 * row["z2"])
        ref = ShiftedBetaGeoModel.from_params(alpha=a, beta=b, time_unit="M")
        expected = (
            0.0
            if row["churned"]
            else ref.expected_residual_lifetime(int(row["duration"]), discount_rate=0.05)
        )
        assert np.isclose(derl[cid], expected, rtol=1e-9), cid
        np.testing.assert_allclose(curves.loc[cid], ref.survival(t), rtol=1e-11)
        np.testing.assert_allclose(rates.loc[cid], ref.retention_rate(t), rtol=1e-12)
        assert np.isclose(lifetimes[cid], ref.expected_lifetime(discount_rate=0.05), rtol=1e-9)


def test_undiscounted_lifetime_is_refused_where_infinite():
    model = ShiftedBetaGeoCovariateModel.from_params(
        alpha=1.5, beta=1.0, **{"alpha:z": -1.0, "beta:z": 0.0}
    )
    profiles = pd.DataFrame({"z": [0.0, 1.0]})
    with pytest.raises(ParameterError, match="infinite for 1 of 2"):
        model.expected_lifetime(covariates=profiles)
    assert np.isclose(model.expected_lifetime(covariates={"z": 0.0}).iloc[0], 1.5 / 0.5)
    # DERL with d = 0 is (beta_i + s) / (alpha_i - 1); churned rows are 0 whatever alpha_i
    rows = pd.DataFrame({"duration": [3, 2, 4], "churned": [0, 1, 0], "z": [0.0, 1.0, 0.0]})
    derl = model.expected_residual_lifetime(rows)
    np.testing.assert_allclose(derl, [(1.0 + 3) / 0.5, 0.0, (1.0 + 4) / 0.5], rtol=1e-12)
    with pytest.raises(ParameterError, match="infinite for 1 of 3"):
        model.expected_residual_lifetime(rows.assign(churned=0))


# ---------------------------------------------------------------- errors, persistence
def test_bad_covariate_input_names_the_column_the_rule_and_ids():
    data = _simulated(500, 1)
    assert_covariates_refused(_model, data, ShiftedBetaGeoCovariateModel(["duration"]))
    with pytest.raises(ParameterError, match="dropout_link"):
        _model(dropout_link="both").fit(data)
    fitted = _model().fit(data)
    with pytest.raises(CustomerModelsError, match="z2"):
        fitted.expected_residual_lifetime(data.drop(columns="z2"), discount_rate=0.1)
    checks.assert_profile_errors(partial(fitted.survival, 3), {"z1": 0.0, "z2": 0.0, "z3": 1.0})
    with pytest.raises(ParameterError, match="DataFrame with duration"):
        fitted.expected_residual_lifetime([1, 2], discount_rate=0.1)


def test_json_round_trip_keeps_coefficient_names(tmp_path):
    data = _simulated(1500, 12)
    model = _model(dropout_link="shared").fit(data)
    assert model.time_unit_ == "M"
    loaded = checks.assert_saved_and_loaded(model, tmp_path / "sbg_cov.json")
    assert type(loaded) is ShiftedBetaGeoCovariateModel
    pd.testing.assert_series_equal(
        loaded.expected_residual_lifetime(data, discount_rate=0.1),
        model.expected_residual_lifetime(data, discount_rate=0.1),
    )
    rebuilt = ShiftedBetaGeoCovariateModel.from_params(time_unit="M", **model.params_.to_dict())
    assert rebuilt.dropout_link == "shared"
