"""BG/NBD and MBG/NBD with static covariates: kernels, fit, predictions, errors, persistence."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, gammaln

from customer_models import load_cdnow_summary
from customer_models.valuation import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    load_model,
)
from customer_models.valuation._bgnbd_covariates import (
    BetaGeoCovariateModel,
    ModifiedBetaGeoCovariateModel,
)
from customer_models.valuation._bgnbd_likelihood import (
    log_likelihood_derivatives_kernel,
    log_likelihood_gradient_kernel,
    log_likelihood_rows_hessian_kernel,
)
from customer_models.valuation._covariates import Link, one_hot_covariates
from customer_models.valuation._fit_result import estimate_tables

sys.path.insert(0, str(Path(__file__).parent))
from _covariate_checks import (
    assert_chain_rule_against_differences,
    assert_clone,
    assert_clv_at_own_parameters,
    assert_compressed_fit_is_the_row_fit,
    assert_constant_covariates_give_the_plain_fit,
    assert_covariate_errors,
    assert_fit_is_the_scipy_optimum,
    assert_json_round_trip,
    assert_new_customer_profiles,
    assert_penalizer_shrinks,
    assert_predictions_at_own_parameters,
    assert_row_hessian_against_differences,
    fit_shifted,
    recovery_z_scores,
    truth_vectors,
    two_covariate_sample,
)
from _covariate_sim import simulate_bgnbd


def _simulated(n: int, seed: int, *, modified: bool = False) -> pd.DataFrame:
    def histories(z1, z2, rng):
        return simulate_bgnbd(
            n,
            **{p: TRUTH[p] for p in ("r", "alpha", "a", "b")},
            z_purchase=np.column_stack([z1, z2]),
            z_dropout=z2[:, None],
            **truth_vectors(TRUTH, ("gamma", "delta_a", "delta_b")),
            modified=modified,
            rng=rng,
        )

    return two_covariate_sample(histories, n, seed, "W")


TRUTH = {
    "r": 0.8,
    "alpha": 5.0,
    "a": 0.8,
    "b": 3.0,
    "gamma:z1": 0.4,
    "gamma:z2": -0.3,
    "delta_a:z2": 0.5,
    "delta_b:z2": -0.3,
}


def _model(**kw) -> BetaGeoCovariateModel:
    return BetaGeoCovariateModel(["z1", "z2"], dropout_covariates=["z2"], **kw)


# ---------------------------------------------------------------- per-row kernel
@pytest.mark.parametrize("modified", [False, True])
def test_row_hessian_matches_the_aggregate_kernel_and_differences(modified):
    rng = np.random.default_rng(3)
    n = 50
    x = rng.integers(0, 8, n).astype(float)
    T = rng.uniform(10, 40, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    p = np.array([0.6, 3.0, 0.9, 2.2])
    w = rng.uniform(0.5, 2, n)
    ll, g, h = log_likelihood_rows_hessian_kernel(p, x, t_x, T, modified=modified)
    ll0, g0, h0 = log_likelihood_derivatives_kernel(
        p, w, x, t_x, T, hessian=True, modified=modified
    )
    assert np.isclose(w @ ll, ll0, rtol=1e-12)
    np.testing.assert_allclose(w @ g, g0, rtol=1e-10)
    np.testing.assert_allclose(np.einsum("i,ijk->jk", w, h), h0, rtol=1e-9, atol=1e-9)
    # per-row parameters (4, n): central differences of the per-row analytic gradient
    rows = p[:, None] * np.exp(rng.normal(scale=0.3, size=(4, n)))
    _, g_rows, h_rows = log_likelihood_rows_hessian_kernel(rows, x, t_x, T, modified=modified)
    _, g_ref = log_likelihood_gradient_kernel(rows, x, t_x, T, modified=modified)
    np.testing.assert_allclose(g_rows, g_ref, rtol=1e-12, atol=1e-12)
    assert_row_hessian_against_differences(
        lambda r: log_likelihood_gradient_kernel(r, x, t_x, T, modified=modified)[1], rows, h_rows
    )


@pytest.mark.parametrize("shared", [False, True])
def test_chain_rule_gradient_and_hessian_against_differences(shared):
    purchase = Link("gamma", ((1, -1.0),), ("z1", "z2"), "purchase")
    if shared:
        dropout = [Link("delta", ((2, 1.0), (3, 1.0)), ("z2",), "dropout")]
    else:
        dropout = [
            Link("delta_a", ((2, 1.0),), ("z2",), "dropout"),
            Link("delta_b", ((3, 1.0),), ("z2",), "dropout"),
        ]
    coefs = np.linspace(-0.3, 0.4, 2 + len(dropout))  # gamma:z1, gamma:z2, then delta(s):z2
    theta = np.concatenate([np.log([0.7, 4.0, 0.9, 2.5]), coefs])
    assert_chain_rule_against_differences(
        log_likelihood_rows_hessian_kernel,
        [purchase, *dropout],
        _simulated(400, 5),
        ("frequency", "recency", "T"),
        theta,
    )


# ---------------------------------------------------------------- fit properties
@pytest.mark.parametrize(
    ("cls", "null_cls"),
    [(BetaGeoCovariateModel, BetaGeoModel), (ModifiedBetaGeoCovariateModel, ModifiedBetaGeoModel)],
)
def test_zero_valued_covariates_give_exactly_the_no_covariate_fit(cls, null_cls):
    data = load_cdnow_summary().assign(zero=0.0, one=1.0)
    model = cls(["zero"], dropout_covariates=["zero", "one"]).fit(data)
    assert_constant_covariates_give_the_plain_fit(model, null_cls().fit(data), data)


def test_shifting_a_covariate_moves_only_the_intercepts():
    data = _simulated(3000, 11)
    fit, shifted, moved = fit_shifted(_model, data, {"z1": 7.0, "z2": -3.0})
    # alpha_i = alpha exp(-gamma'z): the intercept absorbs the shift exactly
    expected_alpha = fit.params_["alpha"] * np.exp(
        7.0 * fit.params_["gamma:z1"] - 3.0 * fit.params_["gamma:z2"]
    )
    assert np.isclose(shifted.params_["alpha"], expected_alpha, rtol=1e-6)
    np.testing.assert_allclose(
        shifted.expected_purchases(moved, t=10), fit.expected_purchases(data, t=10), rtol=1e-6
    )


def _independent_negative_loglik(theta, x, t_x, T, z1, z2):
    """Hand-written per-customer BG/NBD likelihood (FHL 2005 eq. 6) with the links."""
    r, alpha0, a0, b0 = np.exp(theta[:4])
    g1, g2, da, db = theta[4:]
    total = 0.0
    for xi, txi, Ti, u, v in zip(x, t_x, T, z1, z2, strict=True):  # one customer at a time
        alpha = alpha0 * np.exp(-(g1 * u + g2 * v))
        a = a0 * np.exp(da * v)
        b = b0 * np.exp(db * v)
        common = gammaln(r + xi) - gammaln(r) + r * np.log(alpha)
        stay = np.exp(betaln(a, b + xi) - betaln(a, b) - (r + xi) * np.log(alpha + Ti))
        drop = 0.0
        if xi > 0:
            drop = np.exp(betaln(a + 1, b + xi - 1) - betaln(a, b) - (r + xi) * np.log(alpha + txi))
        total += common + np.log(stay + drop)
    return -total


def test_agrees_with_an_independent_likelihood_optimized_by_scipy():
    data = _simulated(300, 21)
    cols = [data[c].to_numpy() for c in ("frequency", "recency", "T", "z1", "z2")]
    start = np.concatenate([np.log([1.0, 5.0, 1.0, 3.0]), np.zeros(4)])
    assert_fit_is_the_scipy_optimum(
        _model().fit(data), data, _independent_negative_loglik, start, cols, tol=2e-3, rtol=1e-12
    )


def test_categorical_covariates_are_compressed_and_give_the_same_fit():
    data = _simulated(4000, 8)
    data = data.assign(z1=np.round(data["z1"]))  # few levels: the fit compresses rows
    a = assert_compressed_fit_is_the_row_fit(_model, data)
    b = _model().fit(pd.concat([data, data.iloc[:0]]), sample_weight=np.ones(len(data)))
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-12)


def test_penalizer_shrinks_the_coefficients_towards_zero():
    assert_penalizer_shrinks(_model, _simulated(2000, 4), "delta_a:z2")


def test_parameter_recovery_z_scores_and_coverage():
    z_scores = recovery_z_scores(_model, lambda seed: _simulated(3000, 100 + seed), TRUTH, 40)
    for k, zs in z_scores.items():
        coverage = np.mean(np.abs(zs) < 1.96)
        # 40 fits: the mean of N(0,1) z-scores has sd 0.16, the coverage of 95% sd 0.034
        assert abs(zs.mean()) < 0.5, (k, zs.mean())
        assert 0.65 < zs.std() < 1.4, (k, zs.std())
        assert coverage >= 0.85, (k, coverage)


# ---------------------------------------------------------------- predictions
def _plain_at(row: pd.Series) -> BetaGeoModel:
    return BetaGeoModel.from_params(
        r=0.8,
        alpha=5.0 * np.exp(-(0.4 * row["z1"] - 0.3 * row["z2"])),
        a=0.8 * np.exp(0.5 * row["z2"]),
        b=3.0 * np.exp(-0.3 * row["z2"]),
        time_unit="W",
    )


def test_predictions_equal_bgnbd_at_each_customers_own_parameters():
    model = BetaGeoCovariateModel.from_params(time_unit="W", **TRUTH)
    assert_predictions_at_own_parameters(model, _simulated(500, 2).iloc[:40], _plain_at)


def test_clv_uses_each_customers_covariates():
    model = BetaGeoCovariateModel.from_params(time_unit="W", **TRUTH)
    assert_clv_at_own_parameters(model, _simulated(300, 9).iloc[:30], _plain_at)


def test_new_customer_expectation_per_profile():
    assert_new_customer_profiles(BetaGeoCovariateModel.from_params(time_unit="W", **TRUTH))


# ---------------------------------------------------------------- errors and the one-hot path


def _make(purchase_covariates=None) -> BetaGeoCovariateModel:
    return _model() if purchase_covariates is None else BetaGeoCovariateModel(purchase_covariates)


def test_covariate_errors_name_the_column_the_rule_and_ids():
    assert_covariate_errors(_make, _simulated(2000, 1))


def test_one_hot_path_for_a_categorical_column():
    data = _simulated(3000, 6)
    data["channel"] = np.where(data["z2"] > 0, "web", "shop")
    encoded = one_hot_covariates(data, ["channel"])
    assert "channel" not in encoded.columns
    assert "channel" in data.columns
    via_dummies = BetaGeoCovariateModel(["channel_web"]).fit(encoded)
    direct = BetaGeoCovariateModel(["z2"]).fit(data)
    np.testing.assert_allclose(
        via_dummies.params_.to_numpy(), direct.params_.to_numpy(), rtol=1e-12
    )


# ---------------------------------------------------------------- persistence, sklearn
def test_json_round_trip_keeps_coefficient_names(tmp_path):
    data = _simulated(1500, 12)
    model = _model(dropout_link="shared", time_unit="W").fit(data)
    assert "delta:z2" in model.params_.index
    rebuilt = assert_json_round_trip(model, data, tmp_path / "cov.json")
    assert load_model(tmp_path / "cov.json").get_params()["purchase_covariates"] == ["z1", "z2"]
    assert rebuilt.dropout_link == "shared"


def test_clone_and_get_params():
    assert_clone(_model(penalizer=0.1))


def test_one_hot_covariates_keeps_the_time_unit():
    import customer_models as cm

    summary = cm.load_cdnow_summary().head(200).assign(channel=["web", "shop"] * 100)
    encoded = cm.one_hot_covariates(summary, ["channel"])
    assert encoded.attrs.get("time_unit") == summary.attrs.get("time_unit") == "W"
    assert summary.columns.tolist()[-1] == "channel"  # the caller's frame is not changed


def test_summary_interval_at_a_boundary_is_unbounded_without_warning():
    """The base parameters' log-scale interval is the plain models' (``log_scale_interval``)."""
    model = BetaGeoCovariateModel.from_params(time_unit="W", **TRUTH)
    values = model.params_.to_numpy().copy()
    values[3] = 1e-9  # b at its lower boundary, with an se many times larger
    covariance = np.diag(np.full(values.size, 1e-6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, summary = model._estimate_tables(values, covariance)
    assert summary.loc["b", "upper"] == np.inf
    assert summary.loc["b", "lower"] == 0.0
    _, _, plain = estimate_tables(["r"], values[:1], covariance[:1, :1])
    assert summary.loc["r", "lower"] == plain.loc["r", "lower"]
    assert summary.loc["r", "upper"] == plain.loc["r", "upper"]
