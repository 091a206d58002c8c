"""The two-stage optimizer and the analytic BG/NBD derivatives it uses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from customer_models import make_transactions, rfm_summary
from customer_models.valuation import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    _bgnbd,
    _mbgnbd,
    _optimize,
    _pareto_nbd,
)
from customer_models.valuation._optimize import (
    Objective,
    coarse_sample,
    gradient_derivatives,
    maximize,
)
from customer_models.valuation._patterns import compress_patterns


def _random_rows(seed: int, n: int = 400) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    w = rng.integers(1, 6, n).astype(float)
    return x, t_x, T, w


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 20.0),
    st.floats(0.05, 50.0),
    st.floats(0.05, 20.0),
    st.floats(0.05, 20.0),
    st.integers(0, 10_000),
)
@pytest.mark.parametrize("module", [_bgnbd, _mbgnbd])
def test_bg_family_derivatives_match_row_kernel_and_differences(
    module, r, alpha, a, b, seed
) -> None:
    x, t_x, T, w = _random_rows(seed)
    p = np.array([r, alpha, a, b])
    ll, grad, hess = module.log_likelihood_derivatives_kernel(p, w, x, t_x, T, hessian=True)
    ll_rows, grad_rows = module.log_likelihood_gradient_kernel(p, x, t_x, T)
    assert ll == pytest.approx(float(w @ ll_rows), rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(grad, w @ grad_rows, rtol=1e-9, atol=1e-7)
    assert hess is not None
    # independent check of the Hessian: central differences of the row-kernel gradient
    fd = np.empty((4, 4))
    for j in range(4):
        h = 1e-6 * p[j]
        up, down = p.copy(), p.copy()
        up[j] += h
        down[j] -= h
        fd[:, j] = (w @ module.log_likelihood_gradient_kernel(up, x, t_x, T)[1]) - (
            w @ module.log_likelihood_gradient_kernel(down, x, t_x, T)[1]
        )
        fd[:, j] /= 2 * h
    np.testing.assert_allclose(hess, hess.T)
    np.testing.assert_allclose(hess, fd, rtol=2e-5, atol=1e-4 * np.abs(fd).max())


def test_objective_log_space_hessian_matches_difference_hessian() -> None:
    x, t_x, T, w = _random_rows(3)
    analytic = Objective(
        _bgnbd.log_likelihood_derivatives_kernel, (x, t_x, T), w, float(w.sum()), 0.01
    )
    numeric = Objective(
        gradient_derivatives(_bgnbd.log_likelihood_gradient_kernel),
        (x, t_x, T),
        w,
        float(w.sum()),
        0.01,
    )
    theta = np.log([0.7, 3.0, 1.1, 2.0])
    v1, g1, h1 = analytic.with_hessian(theta)
    v2, g2, h2 = numeric.with_hessian(theta)
    assert analytic.analytic_hessian
    assert not numeric.analytic_hessian
    assert v1 == pytest.approx(v2, rel=1e-13)
    np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h1, h2, rtol=1e-4, atol=1e-6)


def test_mean_dropout_coordinates_round_trip_and_jacobian() -> None:
    """phi = (log r, log alpha, log(s/beta), 1/s): inverse maps and dtheta/dphi by differences."""
    coords = _pareto_nbd.MeanDropoutCoordinates()
    for params in ([0.55, 10.6, 2.0, 800.0], [3.0, 0.2, 1e-4, 5e-3], [0.1, 40.0, 1e6, 1e9]):
        theta = np.log(params)
        phi = coords.from_theta(theta)
        assert phi[3] == pytest.approx(1.0 / params[2], rel=1e-14)
        assert phi[2] == pytest.approx(np.log(params[2] / params[3]), rel=1e-14)
        np.testing.assert_allclose(coords.to_theta(phi), theta, rtol=1e-14, atol=1e-14)
        jac = np.empty((4, 4))
        for j in range(4):
            h = np.zeros(4)
            h[j] = 1e-6 * max(1.0, abs(phi[j])) if j < 3 else 1e-6 * phi[3]
            jac[:, j] = (coords.to_theta(phi + h) - coords.to_theta(phi - h)) / (2 * h[j])
        np.testing.assert_allclose(coords.jacobian(phi), jac, rtol=1e-7, atol=1e-9)


def test_reparametrized_objective_maps_back_to_log_space() -> None:
    """Gradient and Hessian taken in the Pareto/NBD coordinates equal the log-space ones."""
    x, t_x, T, w = _random_rows(5)
    objective = Objective(
        gradient_derivatives(_pareto_nbd.log_likelihood_gradient_kernel),
        (x, t_x, T),
        w,
        float(w.sum()),
        0.0,
    )
    coords = _pareto_nbd.MeanDropoutCoordinates()
    view = _optimize._Reparametrized(objective, coords)
    theta = np.log([0.7, 3.0, 1.3, 9.0])
    value, grad, hess = objective.with_hessian(theta)
    phi = coords.from_theta(theta)
    v_phi, g_phi, h_phi = view.with_hessian(phi)
    assert v_phi == pytest.approx(value, rel=1e-13)
    back_theta, back_grad, back_hess = view.to_log_space(phi, g_phi, h_phi)
    np.testing.assert_allclose(back_theta, theta, rtol=1e-13)
    np.testing.assert_allclose(back_grad, grad, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(back_hess, hess, rtol=1e-4, atol=1e-6)
    projected = view.project(np.array([0.0, 0.0, -3.0, -1.0]), 25.0)  # a step past s = inf
    assert np.all(np.abs(coords.to_theta(projected)) <= 25.0 + 1e-12)


def test_coarse_sample_is_deterministic_and_weighted() -> None:
    cols = (np.repeat([0.0, 1.0], [100_000, 200_000]),)
    w = np.ones(300_000)
    first = coarse_sample(cols, w, size=30_000)
    again = coarse_sample(cols, w, size=30_000)
    assert first is not None
    assert again is not None
    np.testing.assert_array_equal(first[1], again[1])
    share_of_ones = first[1][first[0][0] == 1.0].sum() / first[1].sum()
    assert share_of_ones == pytest.approx(2 / 3, abs=0.01)
    assert coarse_sample(cols, w, size=150_000) is None


def _strict_optimum(derivatives, cols, w) -> np.ndarray:
    """Reference: plain L-BFGS-B on every pattern with a tight tolerance."""
    obj = Objective(derivatives, cols, w, float(w.sum()), 0.0)
    res = optimize.minimize(
        obj,
        np.zeros(4),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 30},
    )
    return np.exp(res.x)


def _check_reaches_full_optimum(model, data) -> None:
    patterns = compress_patterns([data[c].to_numpy(float) for c in model.required_columns])
    assert patterns.weights.size > 2 * _optimize.COARSE_SAMPLE  # the coarse stage is used
    fitted = model().fit(data)
    assert fitted.convergence_.success
    assert fitted.convergence_.gradient_norm < 1e-8
    reference = _strict_optimum(model._loglik_derivatives(), patterns.columns, patterns.weights)
    np.testing.assert_allclose(fitted.params_.to_numpy(), reference, rtol=1e-5)
    at_reference = model.from_params(**dict(zip(model.param_names, reference, strict=True)))
    assert fitted.log_likelihood_ >= at_reference.log_likelihood(data) - 1e-6


@pytest.mark.parametrize("model", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_coarse_then_newton_reaches_the_full_data_optimum(model, monkeypatch) -> None:
    """With a small coarse sample (far from the optimum) Newton still lands on it."""
    monkeypatch.setattr(_optimize, "COARSE_SAMPLE", 2_000)
    data = rfm_summary(make_transactions(30_000, random_state=11), time_unit="W")
    _check_reaches_full_optimum(model, data)


@pytest.mark.slow
def test_coarse_stage_at_its_real_size() -> None:
    data = rfm_summary(make_transactions(260_000, random_state=12), time_unit="W")
    _check_reaches_full_optimum(BetaGeoModel, data)


def test_broken_hessian_falls_back_to_quasi_newton() -> None:
    """A Hessian that is not positive definite stops Newton; L-BFGS-B still finds the optimum."""
    data = rfm_summary(make_transactions(3_000, random_state=5), time_unit="W")
    patterns = compress_patterns([data[c].to_numpy(float) for c in BetaGeoModel.required_columns])
    (x, t_x, T), w = patterns.columns, patterns.weights

    def bad_hessian(params, weights, *cols, hessian=False):
        ll, grad, _ = _bgnbd.log_likelihood_derivatives_kernel(
            params, weights, *cols, hessian=False
        )
        return ll, grad, (np.eye(4) if hessian else None)  # wrong sign: -H is negative definite

    res = maximize(bad_hessian, (x, t_x, T), w, np.zeros(4), penalizer=0.0, bound=25.0)
    good = maximize(
        _bgnbd.log_likelihood_derivatives_kernel,
        (x, t_x, T),
        w,
        np.zeros(4),
        penalizer=0.0,
        bound=25.0,
    )
    assert np.max(np.abs(good.gradient)) < 1e-9
    np.testing.assert_allclose(np.exp(res.theta), np.exp(good.theta), rtol=1e-4)
    assert res.optimizer_success


def test_pareto_dedup_of_recency_terms_changes_nothing() -> None:
    """The hypergeometric terms are shared by rows with equal (x, t); dedup must be exact."""
    x, t_x, T, _ = _random_rows(9, n=6000)
    t_x = np.round(t_x)  # many repeated (x, t_x) pairs
    p = np.array([0.55, 10.6, 0.61, 11.7])
    ll, g = _pareto_nbd.log_likelihood_gradient_kernel(p, x, t_x, T)
    for i in (0, 17, 4000):
        one_ll, one_g = _pareto_nbd.log_likelihood_gradient_kernel(
            p, x[i : i + 1], t_x[i : i + 1], T[i : i + 1]
        )
        assert ll[i] == pytest.approx(one_ll[0], rel=1e-13)
        np.testing.assert_allclose(g[i], one_g[0], rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel])
def test_covariance_is_taken_at_the_optimum(model, monkeypatch) -> None:
    """Reused chord Hessians must not leak into the standard errors."""
    monkeypatch.setattr(_optimize, "COARSE_SAMPLE", 2_000)
    data = rfm_summary(make_transactions(30_000, random_state=4), time_unit="W")
    fitted = model().fit(data)
    patterns = compress_patterns([data[c].to_numpy(float) for c in model.required_columns])
    objective = Objective(
        gradient_derivatives(model._loglik_gradient_kernel),
        patterns.columns,
        patterns.weights,
        float(patterns.weights.sum()),
        0.0,
    )
    theta = np.log(fitted.params_.to_numpy())
    central = np.empty((4, 4))
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-5
        central[:, j] = (objective(theta + step)[1] - objective(theta - step)[1]) / 2e-5
    central = 0.5 * (central + central.T)
    params = fitted.params_.to_numpy()
    expected = params[:, None] * np.linalg.inv(central * objective.n_total) * params[None, :]
    np.testing.assert_allclose(fitted.covariance_.to_numpy(), expected, rtol=1e-4)


def test_convergence_message_says_what_the_optimizer_did(monkeypatch) -> None:
    monkeypatch.setattr(_optimize, "COARSE_SAMPLE", 2_000)
    data = rfm_summary(make_transactions(30_000, random_state=2), time_unit="W")
    message = BetaGeoModel().fit(data).convergence_.message
    assert message.startswith("converged (largest gradient ")
    assert "L-BFGS-B on a sample of 2,000 customers" in message
    assert "Newton on all patterns" in message
    small = BetaGeoModel().fit(data.head(500)).convergence_.message
    assert "L-BFGS-B on all patterns" in small


def test_bg_derivatives_with_sparse_huge_frequencies() -> None:
    """Frequencies far above the row count take the np.unique path instead of a dense table."""
    x = np.array([0.0, 3.0, 5_000_000.0, 3.0])
    T = np.array([50.0, 40.0, 60.0, 45.0])
    t_x = np.array([0.0, 20.0, 59.0, 44.0])
    w = np.array([2.0, 1.0, 1.0, 3.0])
    p = np.array([0.5, 4.0, 0.8, 2.5])
    for module in (_bgnbd, _mbgnbd):
        ll, grad, hess = module.log_likelihood_derivatives_kernel(p, w, x, t_x, T, hessian=True)
        ll_rows, grad_rows = module.log_likelihood_gradient_kernel(p, x, t_x, T)
        assert ll == pytest.approx(float(w @ ll_rows), rel=1e-12)
        np.testing.assert_allclose(grad, w @ grad_rows, rtol=1e-9)
        assert np.all(np.isfinite(hess))
