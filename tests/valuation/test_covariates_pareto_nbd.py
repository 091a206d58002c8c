"""Pareto/NBD with static covariates: row kernel, fit, predictions, errors, persistence."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln, hyp2f1

from customer_models import load_cdnow_summary
from customer_models.exceptions import ParameterError
from customer_models.valuation import ParetoNBDModel, load_model
from customer_models.valuation._covariate_fit import LinkLayout
from customer_models.valuation._covariates import Link, standardize
from customer_models.valuation._pareto_nbd_covariates import (
    ParetoNBDCovariateModel,
    log_likelihood_rows_hessian_kernel,
)
from customer_models.valuation._pareto_nbd_likelihood import log_likelihood_kernel

sys.path.insert(0, str(Path(__file__).parent))
import _covariate_checks as checks
from _covariate_sim import simulate_pareto_nbd

TRUTH = {
    "r": 0.8,
    "alpha": 5.0,
    "s": 0.6,
    "beta": 10.0,
    "gamma:z1": 0.4,
    "gamma:z2": -0.3,
    "delta:z2": 0.5,
}


def _simulated(n: int, seed: int) -> pd.DataFrame:
    def histories(z1, z2, rng):
        return simulate_pareto_nbd(
            n,
            (TRUTH["r"], TRUTH["alpha"], TRUTH["s"], TRUTH["beta"]),
            (np.column_stack([z1, z2]), z2[:, None]),
            (np.array([TRUTH["gamma:z1"], TRUTH["gamma:z2"]]), np.array([TRUTH["delta:z2"]])),
            rng=rng,
        )

    return checks.two_covariate_sample(histories, n, seed, "W")


def _model(**kw) -> ParetoNBDCovariateModel:
    return ParetoNBDCovariateModel(["z1", "z2"], dropout_covariates=["z2"], **kw)


def _rows(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 12, n).astype(float)
    T = rng.uniform(10, 40, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    return x, t_x, T


# ---------------------------------------------------------------- per-row kernel
@pytest.mark.parametrize("ratio", [0.3, 1.0, 4.0])  # alpha < beta, alpha == beta, alpha > beta
def test_row_hessian_against_second_differences_of_the_log_likelihood(ratio):
    rng = np.random.default_rng(3)
    n = 60
    x, t_x, T = _rows(n, 4)
    base = np.array([0.6, 6.0 * ratio, 0.9, 6.0])
    p = base[:, None] * np.exp(rng.normal(scale=0.3, size=(4, n)))
    ll, g, h = log_likelihood_rows_hessian_kernel(p, x, t_x, T)
    np.testing.assert_allclose(ll, log_likelihood_kernel(p, x, t_x, T), rtol=1e-14)
    # differences of the log-likelihood alone (not of the analytic gradient)
    for j in range(4):
        e = 1e-4 * p[j]
        up, down = p.copy(), p.copy()
        up[j] += e
        down[j] -= e
        lu, ld = log_likelihood_kernel(up, x, t_x, T), log_likelihood_kernel(down, x, t_x, T)
        np.testing.assert_allclose(g[:, j], (lu - ld) / (2 * e), rtol=1e-6, atol=1e-8)
        for k in range(4):
            f = 1e-4 * p[k]

            def at(dj, dk, j=j, k=k, e=e, f=f):
                q = p.copy()
                q[j] += dj * e
                q[k] += dk * f
                return log_likelihood_kernel(q, x, t_x, T)

            second = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * e * f)
            np.testing.assert_allclose(h[:, j, k], second, rtol=2e-4, atol=1e-5)


def test_row_kernel_with_one_parameter_vector_equals_the_per_row_form():
    x, t_x, T = _rows(40, 5)
    p = np.array([0.55, 10.6, 0.61, 11.7])
    ll, g, h = log_likelihood_rows_hessian_kernel(p, x, t_x, T)
    ll2, g2, h2 = log_likelihood_rows_hessian_kernel(np.repeat(p[:, None], 40, axis=1), x, t_x, T)
    np.testing.assert_array_equal(ll, ll2)
    np.testing.assert_array_equal(h, h2)
    np.testing.assert_array_equal(g, g2)


def test_chain_rule_gradient_and_hessian_against_differences():
    links = [
        Link("gamma", ((1, -1.0),), ("z1", "z2"), "purchase"),
        Link("delta", ((3, -1.0),), ("z2",), "dropout"),
    ]
    theta = np.concatenate([np.log([0.7, 4.0, 0.9, 8.0]), [0.3, -0.2, 0.4]])
    checks.assert_chain_rule_against_differences(
        log_likelihood_rows_hessian_kernel,
        links,
        _simulated(300, 5),
        ("frequency", "recency", "T"),
        theta,
        step=1e-5,
        gradient_tol=(1e-6, 1e-5),
        hessian_tol=(1e-4, 1e-3),
    )


# ---------------------------------------------------------------- fit properties
def test_zero_valued_covariates_give_exactly_the_no_covariate_fit():
    data = load_cdnow_summary().assign(zero=0.0, one=1.0)
    model = ParetoNBDCovariateModel(["zero"], dropout_covariates=["zero", "one"]).fit(data)
    null = ParetoNBDModel().fit(data)
    checks.assert_constant_covariates_give_the_plain_fit(model, null, data)
    pd.testing.assert_series_equal(
        model.expected_purchases(data, t=10), null.expected_purchases(data, t=10)
    )


def test_shifting_a_covariate_moves_only_the_intercepts():
    data = _simulated(3000, 11)
    fit, shifted, moved = checks.fit_shifted(_model, data, {"z1": 7.0, "z2": -3.0})
    # alpha_i = alpha exp(-gamma'z), beta_i = beta exp(-delta'z): the intercepts absorb it
    p = fit.params_
    assert np.isclose(
        shifted.params_["alpha"],
        p["alpha"] * np.exp(7.0 * p["gamma:z1"] - 3.0 * p["gamma:z2"]),
        rtol=1e-6,
    )
    assert np.isclose(shifted.params_["beta"], p["beta"] * np.exp(-3.0 * p["delta:z2"]), rtol=1e-6)
    np.testing.assert_allclose(
        shifted.expected_purchases(moved, t=10), fit.expected_purchases(data, t=10), rtol=1e-6
    )


def _independent_negative_loglik(theta, x, t_x, T, z1, z2):
    """Fader-Hardie-Lee closed form (2005 note, eq. 19-22) with the links, via hyp2f1."""
    r, alpha0, s, beta0 = np.exp(theta[:4])
    g1, g2, d2 = theta[4:]
    alpha = alpha0 * np.exp(-(g1 * z1 + g2 * z2))
    beta = beta0 * np.exp(-d2 * z2)
    n = r + s + x
    big = alpha >= beta
    # A_0 = F(t_x) - F(T): F(t) = 2F1(n, b; n + 1; (max - min) / (max + t)) / (max + t)^n
    top = np.where(big, alpha, beta)
    b = np.where(big, s + 1.0, r + x)

    def term(t):
        return hyp2f1(n, b, n + 1.0, np.abs(alpha - beta) / (top + t)) / (top + t) ** n

    a0 = term(t_x) - term(T)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    body = 1.0 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / n * a0
    return -float(np.sum(head + np.log(body)))


def test_agrees_with_an_independent_likelihood_optimized_by_scipy():
    data = _simulated(400, 21)
    data = data[data["frequency"] <= 15]  # the plain hyp2f1 form is accurate there
    cols = [data[c].to_numpy() for c in ("frequency", "recency", "T", "z1", "z2")]
    start = np.concatenate([np.log([1.0, 5.0, 1.0, 5.0]), np.zeros(3)])
    model = _model().fit(data)
    ref = checks.assert_fit_is_the_scipy_optimum(
        model, data, _independent_negative_loglik, start, cols, tol=5e-3, rtol=1e-10
    )
    assert model.log_likelihood_ >= -ref.fun - 1e-7  # ours is at least as high


def test_categorical_covariates_are_compressed_and_give_the_same_fit():
    checks.assert_compressed_fit_is_the_row_fit(
        _model, _simulated(3000, 8).assign(z1=lambda d: np.round(d["z1"]))
    )


def test_penalizer_shrinks_the_coefficients_towards_zero():
    checks.assert_penalizer_shrinks(_model, _simulated(2000, 4), "delta:z2")


def test_likelihood_ratio_test_detects_real_covariates():
    data = _simulated(3000, 13)
    model = _model().fit(data)
    null = ParetoNBDModel().fit(data)
    lr = model.likelihood_ratio_test_
    assert lr["df"] == 3.0
    assert np.isclose(lr["null_log_likelihood"], null.log_likelihood_, rtol=1e-12)
    assert np.isclose(lr["statistic"], 2 * (model.log_likelihood_ - null.log_likelihood_))
    assert lr["p_value"] < 1e-6
    assert model.convergence_.success


@pytest.mark.slow
def test_parameter_recovery_z_scores_and_coverage():
    z_scores = checks.recovery_z_scores(
        _model, lambda seed: _simulated(3000, 100 + seed), TRUTH, 30
    )
    for k, zs in z_scores.items():
        # 30 fits: the mean of N(0,1) z-scores has sd 0.18; loose bounds, honest about s
        # and beta (their likelihood is skewed at 3000 customers)
        assert abs(zs.mean()) < 0.6, (k, zs.mean())
        assert 0.6 < zs.std() < 1.5, (k, zs.std())
        assert np.mean(np.abs(zs) < 1.96) >= 0.8, k
    assert np.mean(np.abs(np.concatenate(list(z_scores.values()))) < 1.96) >= 0.88


# ---------------------------------------------------------------- predictions
def _plain_at(row: pd.Series) -> ParetoNBDModel:
    return ParetoNBDModel.from_params(
        r=0.8,
        alpha=5.0 * np.exp(-(0.4 * row["z1"] - 0.3 * row["z2"])),
        s=0.6,
        beta=10.0 * np.exp(-0.5 * row["z2"]),
        time_unit="W",
    )


def test_predictions_equal_pareto_nbd_at_each_customers_own_parameters():
    model = ParetoNBDCovariateModel.from_params(time_unit="W", **TRUTH)
    checks.assert_predictions_at_own_parameters(model, _simulated(500, 2).iloc[:30], _plain_at)


def test_new_customer_expectation_against_simulated_customers():
    """Mean purchases of simulated new customers in (0, t] against E[X(t)], per group."""
    rng = np.random.default_rng(17)
    n = 200_000
    z = rng.integers(0, 2, n).astype(float)[:, None]
    alpha_i, beta_i = 5.0 * np.exp(-0.6 * z[:, 0]), 10.0 * np.exp(-0.5 * z[:, 0])
    lam, mu = rng.gamma(0.8, 1.0 / alpha_i), rng.gamma(0.6, 1.0 / beta_i)
    tau = rng.exponential(1.0 / mu)
    t = 50.0
    total = rng.poisson(lam * np.minimum(tau, t))
    model = ParetoNBDCovariateModel.from_params(
        r=0.8, alpha=5.0, s=0.6, beta=10.0, time_unit="W", **{"gamma:g": 0.6, "delta:g": 0.5}
    )
    new = model.expected_purchases_new_customer(t=t, covariates=pd.DataFrame({"g": [0.0, 1.0]}))
    for g in (0.0, 1.0):
        sel = z[:, 0] == g
        se = total[sel].std() / np.sqrt(sel.sum())
        assert abs(total[sel].mean() - new.iloc[int(g)]) < 4 * se
    assert new.iloc[1] > 1.3 * new.iloc[0]  # the effect is far larger than the noise


def test_clv_and_new_customer_profiles_use_the_covariates():
    model = ParetoNBDCovariateModel.from_params(time_unit="W", **TRUTH)
    checks.assert_new_customer_profiles(model)
    checks.assert_clv_at_own_parameters(model, _simulated(300, 9).iloc[:20], _plain_at)


# ---------------------------------------------------------------- errors
def test_covariate_errors_name_the_column_the_rule_and_ids():
    def make(purchase_covariates=None) -> ParetoNBDCovariateModel:
        if purchase_covariates is None:
            return _model()
        return ParetoNBDCovariateModel(purchase_covariates)

    checks.assert_covariate_errors(make, _simulated(1500, 1))
    with pytest.raises(ParameterError, match="prefix"):
        ParetoNBDCovariateModel.from_params(r=1.0, alpha=1.0, s=1.0, beta=1.0, **{"eta:z": 1.0})


# ---------------------------------------------------------------- persistence, sklearn


def test_json_round_trip_keeps_coefficient_names(tmp_path):
    data = _simulated(1500, 12)
    model = _model(time_unit="W").fit(data)
    checks.assert_json_round_trip(model, data, tmp_path / "pnbd_cov.json")
    assert load_model(tmp_path / "pnbd_cov.json").get_params()["dropout_covariates"] == ["z2"]


def test_clone_and_get_params():
    checks.assert_clone(_model(penalizer=0.1))


def test_chord_steps_at_scale_reach_the_full_newton_optimum():
    """Above 200,000 rows with a gradient kernel: chord steps give the same optimum and SEs."""
    from customer_models.valuation._covariate_fit import fit_links

    def rows(p, x):  # Poisson counts with rate p[0]
        lam = p[0]
        return x * np.log(lam) - lam, (x / lam - 1)[:, None], (-x / lam**2)[:, None, None]

    def grad(p, x):
        ll, g, _ = rows(p, x)
        return ll, g

    rng = np.random.default_rng(0)
    n = 250_000
    z = rng.normal(size=(n, 2))
    x = rng.poisson(2.0 * np.exp(z @ np.array([0.3, -0.2]))).astype(float)
    s = standardize(z, np.ones(n))
    layout = LinkLayout.build(1, [Link("g", ((0, 1.0),), ("a", "b"), "p")], ["a", "b"], s.constant)
    args = (rows, lambda p, x: rows(p, x)[0], layout, np.array([np.log(2.0), 0.0, 0.0]), (x,))
    full = fit_links(*args, s.apply(z), np.ones(n), {})
    chord = fit_links(*args, s.apply(z), np.ones(n), {}, gradient_kernel=grad)
    assert chord.message.startswith("chord")
    assert not full.message.startswith("chord")
    np.testing.assert_allclose(chord.theta, full.theta, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(chord.hessian_total, full.hessian_total, rtol=1e-8)
    assert chord.gradient_norm < 1e-7
    assert np.isclose(chord.log_likelihood, full.log_likelihood, rtol=1e-13)
