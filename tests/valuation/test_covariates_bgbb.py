"""BG/BB with static covariates: kernels, fit properties, recovery, predictions, errors, JSON."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.special import beta as beta_fn

from customer_models import load_donations
from customer_models.exceptions import CustomerModelsError, DataValidationError, ParameterError
from customer_models.valuation import BetaGeoBetaBinomModel, customer_lifetime_value
from customer_models.valuation._bgbb import (
    expected_purchases_kernel,
    log_likelihood_gradient_kernel,
)
from customer_models.valuation._bgbb_covariate_kernels import (
    bgbb_row_terms,
    bgbb_rows_hessian_kernel,
    expected_purchases_rows,
)
from customer_models.valuation._bgbb_covariates import BetaGeoBetaBinomCovariateModel

sys.path.insert(0, str(Path(__file__).parent))
from _covariate_checks import (
    assert_at_scipy_optimum,
    assert_chain_rule_against_differences,
    assert_constant_covariates_give_the_plain_estimates,
    assert_profile_errors,
    assert_row_hessian_against_differences,
    assert_saved_and_loaded,
    fit_free_and_penalized,
    fit_shifted,
    recovery_z_scores,
    truth_vectors,
    two_covariate_sample,
)
from _covariate_checks_beta import (
    assert_categorical_weights_are_repeated_rows,
    assert_covariates_refused,
    assert_nests_the_plain_fit,
    assert_z_scores_calibrated,
)
from _covariate_sim_discrete import simulate_bgbb

TRUTH = {
    "alpha": 1.2,
    "beta": 0.8,
    "gamma": 0.6,
    "delta": 2.5,
    "alpha:z1": 0.4,
    "alpha:z2": -0.3,
    "beta:z1": -0.2,
    "beta:z2": 0.3,
    "gamma:z2": 0.5,
    "delta:z2": -0.3,
}


def _simulated(n: int, seed: int, *, n_max: int = 10) -> pd.DataFrame:
    coefs = truth_vectors(TRUTH, ("alpha", "beta", "gamma", "delta"))

    def histories(z1, z2, rng):
        return simulate_bgbb(
            **{p: TRUTH[p] for p in coefs},
            z_purchase=np.column_stack([z1, z2]),
            z_dropout=z2[:, None],
            **{f"coef_{p}": v for p, v in coefs.items()},
            n_periods=rng.integers(4, n_max + 1, n),
            rng=rng,
        )

    return two_covariate_sample(histories, n, seed, "Y")


_HISTORY = ("frequency", "recency", "n_periods")


def _model(**kw) -> BetaGeoBetaBinomCovariateModel:
    return BetaGeoBetaBinomCovariateModel(["z1", "z2"], dropout_covariates=["z2"], **kw)


def _histories(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_periods = rng.integers(0, 40, n)
    t_x = np.floor(rng.uniform(0, 1, n) * (n_periods + 1)).astype(int)
    x = np.floor(rng.uniform(0, 1, n) * (t_x + 1)).astype(int)
    x = np.where(t_x == 0, 0, np.maximum(x, 1))
    return x, t_x, n_periods


# ---------------------------------------------------------------- per-row kernel
def test_row_terms_match_the_plain_kernel_and_central_differences():
    x, t_x, n = _histories(80, 0)
    p = np.array([1.2, 0.75, 0.66, 2.8])
    out = bgbb_row_terms(p, x, t_x, n, derivatives=1)
    ll_ref, g_ref = log_likelihood_gradient_kernel(p, x, t_x, n)  # tables + logsumexp
    np.testing.assert_allclose(out["log_l"], ll_ref, rtol=1e-12)
    np.testing.assert_allclose(out["grad"], g_ref, rtol=1e-9, atol=1e-11)
    rng = np.random.default_rng(1)
    rows = p[:, None] * np.exp(rng.normal(scale=0.5, size=(4, x.size)))
    ll_rows, g_rows, h_rows = bgbb_rows_hessian_kernel(rows, x, t_x, n)
    for i in range(0, x.size, 11):  # the plain kernel, one customer at a time
        one = (x[i : i + 1], t_x[i : i + 1], n[i : i + 1])
        ll_one, g_one = log_likelihood_gradient_kernel(rows[:, i], *one)
        assert np.isclose(ll_rows[i], ll_one[0], rtol=1e-12)
        np.testing.assert_allclose(g_rows[i], g_one[0], rtol=1e-9, atol=1e-11)
    assert_row_hessian_against_differences(
        lambda r: bgbb_rows_hessian_kernel(r, x, t_x, n)[1], rows, h_rows
    )


@pytest.mark.parametrize(
    "p", [[1.2, 0.75, 0.66, 2.8], [0.05, 20.0, 0.01, 50.0], [30.0, 2.0, 5.0, 0.3]]
)
def test_long_histories_keep_the_recurrences_precise(p):
    """Up to 1000 opportunities: the term walk against the plain kernels' tables."""
    rng = np.random.default_rng(7)
    n = rng.integers(0, 1000, 300)
    t_x = np.floor(rng.uniform(0, 1, 300) * (n + 1)).astype(int)
    x = np.where(t_x == 0, 0, np.maximum(np.floor(rng.uniform(0, 1, 300) * (t_x + 1)), 1))
    p = np.array(p)
    out = bgbb_row_terms(p, x, t_x, n, derivatives=1)
    ll, g = log_likelihood_gradient_kernel(p, x, t_x, n)
    np.testing.assert_allclose(out["log_l"], ll, rtol=1e-11)
    np.testing.assert_allclose(out["grad"], g, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(
        expected_purchases_rows(p, x, t_x, n, 52.0),
        expected_purchases_kernel(p, x, t_x, n, 52.0),
        rtol=1e-10,
    )


def test_chain_rule_through_the_links_against_differences():
    links = _model(purchase_link="shared")._links()  # purchase:z1, purchase:z2, gamma, delta
    theta = np.r_[np.log([1.0, 0.9, 0.7, 2.0]), np.linspace(-0.3, 0.4, 4)]
    assert_chain_rule_against_differences(
        bgbb_rows_hessian_kernel, links, _simulated(300, 5), _HISTORY, theta
    )


# ---------------------------------------------------------------- fit properties
def test_zero_valued_covariates_give_exactly_the_plain_fit():
    data = load_donations().assign(zero=0.0, one=1.0)
    model = BetaGeoBetaBinomCovariateModel(["zero"], dropout_covariates=["zero", "one"])
    model.fit(data, sample_weight="weight")
    null = BetaGeoBetaBinomModel().fit(data, sample_weight="weight")
    assert_constant_covariates_give_the_plain_estimates(model, null)
    np.testing.assert_allclose(
        model.probability_alive(data), null.probability_alive(data), rtol=1e-11
    )
    np.testing.assert_allclose(
        model.expected_purchases(data, t=5), null.expected_purchases(data, t=5), rtol=1e-11
    )


def test_without_covariates_it_is_the_plain_model():
    data = load_donations()
    model = BetaGeoBetaBinomCovariateModel().fit(data, sample_weight="weight")
    null = BetaGeoBetaBinomModel().fit(data, sample_weight="weight")
    np.testing.assert_array_equal(model.params_.to_numpy(), null.params_.to_numpy())
    np.testing.assert_allclose(
        model.expected_purchases_new_customer(t=np.array([1, 5, 10])),
        null.expected_purchases_new_customer(t=np.array([1, 5, 10])),
        rtol=1e-12,
    )
    for k in range(3):
        np.testing.assert_allclose(
            model.probability_of_purchases(data, n=k, t=5),
            null.probability_of_purchases(data, n=k, t=5),
            rtol=1e-10,
        )


def test_shifting_a_covariate_moves_only_the_intercepts():
    data = _simulated(3000, 11)
    shifts = {"z1": 4.0, "z2": -2.0}
    fit, shifted, moved = fit_shifted(_model, data, shifts)
    expected_gamma = fit.params_["gamma"] * np.exp(2.0 * fit.params_["gamma:z2"])
    assert np.isclose(shifted.params_["gamma"], expected_gamma, rtol=1e-6)
    np.testing.assert_allclose(
        shifted.expected_purchases(moved, t=5), fit.expected_purchases(data, t=5), rtol=1e-6
    )


def _independent_negative_loglik(theta, x, t_x, n, z1, z2):
    """FHS 2010 eq. 5 from its definition with scipy's beta function, one death time at a time."""
    a0, b0, g0, d0 = np.exp(theta[:4])
    ca1, ca2, cb1, cb2, cg, cd = theta[4:]
    a, b = a0 * np.exp(ca1 * z1 + ca2 * z2), b0 * np.exp(cb1 * z1 + cb2 * z2)
    g, d = g0 * np.exp(cg * z2), d0 * np.exp(cd * z2)
    # alive through all n opportunities, or alive for t_x + i and dead at the next one
    like = beta_fn(a + x, b + n - x) / beta_fn(a, b) * beta_fn(g, d + n) / beta_fn(g, d)
    for i in range(int(np.max(n - t_x))):
        dies = beta_fn(a + x, b + t_x - x + i) / beta_fn(a, b) * beta_fn(g + 1, d + t_x + i)
        like = like + np.where(i < n - t_x, dies / beta_fn(g, d), 0.0)
    return -float(np.sum(np.log(like)))


def test_agrees_with_an_independent_likelihood_optimized_by_scipy():
    data = _simulated(400, 22, n_max=8)
    cols = [data[c].to_numpy(dtype=float) for c in (*_HISTORY, "z1", "z2")]
    ref = optimize.minimize(
        _independent_negative_loglik,
        np.zeros(10),
        args=tuple(cols),
        method="BFGS",
        options={"gtol": 1e-7, "maxiter": 2000},
    )
    assert_at_scipy_optimum(
        _model().fit(data), data, ref, _independent_negative_loglik, cols, tol=5e-3
    )


def test_categorical_covariates_compress_and_weights_equal_repeated_rows():
    assert_categorical_weights_are_repeated_rows(_model, _simulated)


def test_shared_links_and_the_penalizer():
    data = _simulated(3000, 4)
    shared = _model(purchase_link="shared", dropout_link="shared").fit(data)
    null = BetaGeoBetaBinomModel().fit(data[list(_HISTORY)])
    assert_nests_the_plain_fit(shared, null, data, ["purchase:z1", "purchase:z2", "dropout:z2"])
    purchase = ["alpha:z1", "alpha:z2", "beta:z1", "beta:z2"]
    free, shrunk = fit_free_and_penalized(_model, data, {"purchase": 10.0}, purchase)
    # the dropout coefficients are not penalized (z2 acts on both processes, so they move)
    assert abs(shrunk.params_["gamma:z2"]) > 0.3 * abs(free.params_["gamma:z2"])


@pytest.mark.slow
def test_parameter_recovery_z_scores_and_coverage():
    z_scores = recovery_z_scores(_model, lambda seed: _simulated(4000, 500 + seed), TRUTH, 40)
    table = assert_z_scores_calibrated(z_scores)
    print("BG/BB covariates recovery:", table.round(2), sep="\n")


# ---------------------------------------------------------------- predictions
def _plain_at(row: pd.Series) -> BetaGeoBetaBinomModel:
    return BetaGeoBetaBinomModel.from_params(
        alpha=1.2 * np.exp(0.4 * row["z1"] - 0.3 * row["z2"]),
        beta=0.8 * np.exp(-0.2 * row["z1"] + 0.3 * row["z2"]),
        gamma=0.6 * np.exp(0.5 * row["z2"]),
        delta=2.5 * np.exp(-0.3 * row["z2"]),
        time_unit="Y",
    )


def test_predictions_equal_the_plain_model_at_each_customers_parameters():
    data = _simulated(300, 2).iloc[:30]
    model = BetaGeoBetaBinomCovariateModel.from_params(time_unit="Y", **TRUTH)
    alive = model.probability_alive(data)
    alive0 = model.probability_alive(data, periods_ahead=0)
    expected = model.expected_purchases(data, t=5)
    pmf = {k: model.probability_of_purchases(data, n=k, t=5) for k in range(3)}
    profiles = data[["z1", "z2"]]
    new = model.expected_purchases_new_customer(t=7, covariates=profiles)
    for cid, row in data.iterrows():
        ref = _plain_at(row)
        one = data.loc[[cid], list(_HISTORY)]
        assert np.isclose(alive[cid], ref.probability_alive(one).iloc[0], rtol=1e-11)
        assert np.isclose(
            alive0[cid], ref.probability_alive(one, periods_ahead=0).iloc[0], rtol=1e-11
        )
        assert np.isclose(expected[cid], ref.expected_purchases(one, t=5).iloc[0], rtol=1e-10)
        for k in range(3):
            got = ref.probability_of_purchases(one, n=k, t=5).iloc[0]
            assert np.isclose(pmf[k][cid], got, rtol=1e-10, atol=1e-15), (cid, k)
        assert np.isclose(new[cid], ref.expected_purchases_new_customer(t=7), rtol=1e-11)


def test_pmf_sums_to_one_and_is_the_expectation():
    data = _simulated(200, 3).iloc[:20]
    model = BetaGeoBetaBinomCovariateModel.from_params(time_unit="Y", **TRUTH)
    pmf = np.array([model.probability_of_purchases(data, n=k, t=6).to_numpy() for k in range(7)])
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, rtol=1e-11)
    mean = (np.arange(7)[:, None] * pmf).sum(axis=0)
    np.testing.assert_allclose(mean, model.expected_purchases(data, t=6), rtol=1e-10)


def test_clv_uses_each_customers_covariates():
    data = _simulated(200, 9).iloc[:20].assign(monetary_value=30.0)
    model = BetaGeoBetaBinomCovariateModel.from_params(time_unit="Y", **TRUTH)
    clv = customer_lifetime_value(
        model, None, data, horizon=10, horizon_unit="Y", discount_rate=0.1
    )
    for cid in data.index[:5]:
        one = data.loc[[cid]]
        ref = customer_lifetime_value(
            _plain_at(data.loc[cid]),
            None,
            one[["frequency", "recency", "n_periods", "monetary_value"]],
            horizon=10,
            horizon_unit="Y",
            discount_rate=0.1,
        )
        assert np.isclose(clv[cid], ref.iloc[0], rtol=1e-10)


# ---------------------------------------------------------------- errors, persistence
def test_bad_covariate_input_names_the_column_the_rule_and_ids():
    data = _simulated(500, 1)
    assert_covariates_refused(
        _model, data, BetaGeoBetaBinomCovariateModel(["n_periods"]), categorical="z1"
    )
    with pytest.raises(DataValidationError, match=r"z1.*finite"):
        _model().fit(data.assign(z1=np.inf))
    with pytest.raises(ParameterError, match="purchase_link"):
        _model(purchase_link="mean").fit(data)
    fitted = _model().fit(data)
    with pytest.raises(CustomerModelsError, match="z2"):
        fitted.probability_alive(data.drop(columns="z2"))
    assert_profile_errors(
        partial(fitted.expected_purchases_new_customer, t=3), {"z1": 0, "z2": 0, "z9": 1}
    )


def test_json_round_trip_keeps_coefficient_names(tmp_path):
    data = _simulated(1500, 12)
    model = _model(dropout_link="shared").fit(data)
    assert "dropout:z2" in model.params_.index
    loaded = assert_saved_and_loaded(model, tmp_path / "bgbb_cov.json")
    assert type(loaded) is BetaGeoBetaBinomCovariateModel
    assert loaded.get_params()["purchase_covariates"] == ["z1", "z2"]
    pd.testing.assert_series_equal(
        loaded.expected_purchases(data, t=5), model.expected_purchases(data, t=5)
    )
    rebuilt = BetaGeoBetaBinomCovariateModel.from_params(time_unit="Y", **model.params_.to_dict())
    assert rebuilt.dropout_link == "shared"
    assert rebuilt.purchase_link == "separate"
