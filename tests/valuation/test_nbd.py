"""NBD model (no dropout): published CDNOW fit, an independent optimiser, closed forms, futures."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import polygamma
from scipy.stats import nbinom

from customer_models import (
    DataValidationError,
    customer_lifetime_value,
    load_cdnow_summary,
    with_time_unit,
)
from customer_models.valuation import _clv, load_model
from customer_models.valuation._nbd import (
    NegativeBinomialModel,
    discounted_residual_purchases_kernel,
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
    probability_of_purchases_kernel,
)
from customer_models.valuation._registry import MODEL_CLASSES

TRUE = {"r": 0.8, "alpha": 6.0}
WEEKS_PER_MONTH = 365.25 / 12 / 7


def _simulate(n: int, seed: int, horizon: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    """The NBD's generative process: rate ~ Gamma(r, alpha), Poisson purchases forever."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n)
    T = rng.uniform(10.0, 52.0, n)
    x = rng.poisson(rate * T)
    t_x = np.where(x > 0, T * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1)), 0.0)
    data = pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T})
    return with_time_unit(data, "W"), rng.poisson(rate * horizon)


@pytest.fixture(scope="module")
def fitted(cdnow):
    return NegativeBinomialModel().fit(cdnow)


def test_registered_in_the_package():
    assert MODEL_CLASSES["NegativeBinomialModel"] is NegativeBinomialModel


def test_cdnow_is_the_published_nbd(fitted):
    """Fader, Hardie and Lee (2005): r = 0.385, alpha = 12.072, LL = -9763.7 on CDNOW."""
    assert fitted.convergence_.success
    assert fitted.params_.round(3).tolist() == [0.385, 12.072]
    assert round(fitted.log_likelihood_, 1) == -9763.7


def test_cdnow_fit_equals_an_independent_optimiser(cdnow, fitted):
    """scipy's Nelder-Mead on scipy's negative-binomial pmf of X(T): the same maximum.

    P(X(T) = x) = nbinom(x; r, alpha/(alpha+T)) differs from the timing likelihood by
    T^x / x!, free of the parameters, so both have one maximiser.
    """
    x, T = cdnow["frequency"].to_numpy(float), cdnow["T"].to_numpy(float)

    def nll(log_params):
        r, alpha = np.exp(log_params)
        return -nbinom.logpmf(x, r, alpha / (alpha + T)).sum()

    res = minimize(
        nll,
        np.log([1.0, 1.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000},
    )
    np.testing.assert_allclose(fitted.params_.to_numpy(), np.exp(res.x), rtol=1e-5)
    constant = np.sum(x * np.log(T) - np.array([float(mp.loggamma(v + 1)) for v in x]))
    assert fitted.log_likelihood_ == pytest.approx(-res.fun - constant, abs=1e-6)


def test_standard_errors_are_the_inverse_analytic_information(cdnow, fitted):
    r, alpha = fitted.params_.to_numpy()
    x, T = cdnow["frequency"].to_numpy(float), cdnow["T"].to_numpy(float)
    h_rr = np.sum(polygamma(1, r + x) - polygamma(1, r))
    h_ra = np.sum(1 / alpha - 1 / (alpha + T))
    h_aa = np.sum(-r / alpha**2 + (r + x) / (alpha + T) ** 2)
    covariance = np.linalg.inv(-np.array([[h_rr, h_ra], [h_ra, h_aa]]))
    np.testing.assert_allclose(fitted.covariance_.to_numpy(), covariance, rtol=1e-4)
    assert fitted.summary_["se"].round(3).tolist() == np.sqrt(np.diag(covariance)).round(3).tolist()


@pytest.mark.parametrize(
    ("r", "alpha", "x", "T"),
    [(0.385, 12.07, 0, 39.0), (0.385, 12.07, 7, 30.0), (1e-3, 1e3, 1e4, 1e4), (1e3, 1e-3, 2, 1e-3)],
)
def test_loglik_and_gradient_match_mpmath(r, alpha, x, T):
    mp.mp.dps = 40
    params = [r, alpha]
    ll, grad = log_likelihood_gradient_kernel(params, np.array([x]), np.array([0.0]), np.array([T]))

    def ref(rr, aa):
        return mp.loggamma(rr + x) - mp.loggamma(rr) + rr * mp.log(aa) - (rr + x) * mp.log(aa + T)

    r_, a_ = mp.mpf(r), mp.mpf(alpha)
    assert float(ll[0]) == pytest.approx(float(ref(r_, a_)), rel=1e-12, abs=1e-12)
    assert float(grad[0, 0]) == pytest.approx(float(mp.diff(lambda v: ref(v, a_), r_)), rel=1e-9)
    assert float(grad[0, 1]) == pytest.approx(
        float(mp.diff(lambda v: ref(r_, v), a_)), rel=1e-9, abs=1e-15
    )
    np.testing.assert_allclose(
        log_likelihood_kernel(params, np.array([x]), 0.0, np.array([T])), ll, rtol=0
    )


def test_simulated_parameters_recovered_within_three_standard_errors():
    data, _ = _simulate(20_000, seed=11)
    model = NegativeBinomialModel().fit(data)
    for name, value in TRUE.items():
        estimate, se = model.summary_.loc[name, ["coef", "se"]]
        assert abs(estimate - value) < 3 * se, (name, estimate, se)


def test_predictions_match_simulated_futures_and_scipy():
    t = 26.0
    data, future = _simulate(40_000, seed=12, horizon=t)
    model = NegativeBinomialModel.from_params(time_unit="W", **TRUE)
    np.testing.assert_array_equal(model.probability_alive(data).to_numpy(), 1.0)
    expected = model.expected_purchases(data, t=t).to_numpy()
    groups = np.minimum(data["frequency"].to_numpy(), 8)
    for k in np.unique(groups):
        rows = groups == k
        spread = future[rows].std() / np.sqrt(rows.sum())
        assert abs(future[rows].mean() - expected[rows].mean()) < 4 * spread, k
    head = data.head(50)
    x, T = head["frequency"].to_numpy(), head["T"].to_numpy()
    for n in (0, 1, 3, 20):
        pmf = model.probability_of_purchases(head, n=n, t=t).to_numpy()
        reference = nbinom.pmf(n, TRUE["r"] + x, (TRUE["alpha"] + T) / (TRUE["alpha"] + T + t))
        np.testing.assert_allclose(pmf, reference, rtol=1e-12)
    horizons = np.array([0.0, 1.0, 52.0])
    new = model.expected_purchases_new_customer(t=horizons)
    np.testing.assert_allclose(new, TRUE["r"] / TRUE["alpha"] * horizons, rtol=1e-15)


def test_pmf_of_a_heavy_buyer_matches_mpmath_and_sums_to_one():
    mp.mp.dps = 40
    r, alpha, x, T, t = 0.5, 2.0, 1e4, 1e4, 5e3
    n = np.array([0.0, 10.0, 4000.0, 5000.0, 6000.0])
    got = probability_of_purchases_kernel([r, alpha], n, x, 0.0, T, t)
    shape, p = mp.mpf(r + x), mp.mpf(t) / (alpha + T + t)
    for k, value in zip(n, got, strict=True):
        ref = mp.exp(
            mp.loggamma(shape + k)
            - mp.loggamma(shape)
            - mp.loggamma(k + 1)
            + shape * mp.log(1 - p)
            + k * mp.log(p)
        )
        assert float(value) == pytest.approx(float(ref), rel=1e-9, abs=1e-300)
    total = probability_of_purchases_kernel([r, alpha], np.arange(20_000.0), x, 0.0, T, t).sum()
    assert total == pytest.approx(1.0, abs=1e-10)


def test_dert_closed_form_and_its_undiscounted_limits():
    one = np.ones(3)
    x, T = np.array([0.0, 2.0, 50.0]), np.array([1.0, 30.0, 40.0])
    rate = (0.5 + x) / (10.0 + T)
    d = discounted_residual_purchases_kernel([0.5, 10.0], x, T, one, 0.0 * one, 12.0)
    np.testing.assert_allclose(d, 12.0 * rate, rtol=1e-15)
    assert discounted_residual_purchases_kernel([0.5, 10.0], x, T, one, 0.0 * one, np.inf) is None
    d = discounted_residual_purchases_kernel([0.5, 10.0], x, T, one, 1e-9 * one, 12.0)
    np.testing.assert_allclose(d, 12.0 * rate, rtol=1e-8)  # expm1: no cancellation


def test_customer_lifetime_value_is_the_closed_form(monkeypatch):
    data, _ = _simulate(500, seed=13)
    model = NegativeBinomialModel.from_params(time_unit="W", **TRUE)
    spend = pd.Series(np.linspace(5.0, 50.0, len(data)), index=data.index)
    weekly_rate = (TRUE["r"] + data["frequency"]) / (TRUE["alpha"] + data["T"])
    d, months = 0.01, 12
    discrete = customer_lifetime_value(model, spend, data, horizon=months, discount_rate=d)
    factor = sum((1 + d) ** -i for i in range(1, months + 1))
    expected = weekly_rate * WEEKS_PER_MONTH * spend * factor
    np.testing.assert_allclose(discrete.to_numpy(), expected.to_numpy(), rtol=1e-10)
    delta = np.log1p(d) / WEEKS_PER_MONTH
    for horizon in (months, np.inf):
        weeks = horizon * WEEKS_PER_MONTH
        closed = weekly_rate * spend * -np.expm1(-delta * weeks) / delta
        clv = customer_lifetime_value(
            model, spend, data, horizon=horizon, discount_rate=d, discounting="continuous"
        )
        np.testing.assert_allclose(clv.to_numpy(), closed.to_numpy(), rtol=1e-10)
    with monkeypatch.context() as patch:
        patch.setattr(_clv, "_closed_form_dert", lambda *args, **kwargs: None)
        quadrature = customer_lifetime_value(
            model, spend, data, horizon=months, discount_rate=d, discounting="continuous"
        )
    closed = customer_lifetime_value(
        model, spend, data, horizon=months, discount_rate=d, discounting="continuous"
    )
    np.testing.assert_allclose(quadrature.to_numpy(), closed.to_numpy(), rtol=1e-8)


def test_reloads_with_identical_predictions(fitted, cdnow, tmp_path):
    fitted.save(tmp_path / "nbd.json")
    loaded = load_model(tmp_path / "nbd.json")
    assert type(loaded) is NegativeBinomialModel
    pd.testing.assert_series_equal(loaded.params_, fitted.params_, check_exact=True)
    pd.testing.assert_series_equal(
        loaded.expected_purchases(cdnow, t=10), fitted.expected_purchases(cdnow, t=10)
    )


def test_bad_input_names_the_column():
    data = pd.DataFrame({"frequency": [1.0, -1.0], "recency": [1.0, 0.0], "T": [2.0, 3.0]})
    with pytest.raises(DataValidationError, match="frequency"):
        NegativeBinomialModel().fit(with_time_unit(data, "W"))


def test_fit_does_not_use_recency():
    data = load_cdnow_summary().head(500)
    moved = data.assign(recency=np.where(data["frequency"] > 0, data["T"], 0.0))
    a = NegativeBinomialModel().fit(data)
    b = NegativeBinomialModel().fit(moved)
    np.testing.assert_allclose(a.params_.to_numpy(), b.params_.to_numpy(), rtol=1e-10)
