"""NBD model (no dropout): published CDNOW fit, an independent optimiser, closed forms, futures."""

from __future__ import annotations

import _nbd_checks as nbd
import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.stats import nbinom

from customer_models import DataValidationError, load_cdnow_summary, with_time_unit
from customer_models.valuation._nbd import (
    NegativeBinomialModel,
    discounted_residual_purchases_kernel,
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
    probability_of_purchases_kernel,
)
from customer_models.valuation._registry import MODEL_CLASSES


@pytest.fixture(scope="module")
def fitted(cdnow):
    return NegativeBinomialModel().fit(cdnow)


def test_registered_in_the_package():
    assert MODEL_CLASSES["NegativeBinomialModel"] is NegativeBinomialModel


def test_cdnow_is_the_published_nbd(fitted):
    nbd.check_published_cdnow_fit(fitted)


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
    covariance = nbd.analytic_covariance(fitted, cdnow)
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
    data, _ = nbd.simulate(20_000, seed=11)
    nbd.check_parameters_recovered(NegativeBinomialModel().fit(data))


def test_predictions_match_simulated_futures_and_scipy():
    nbd.check_predictions(NegativeBinomialModel, seed=12)


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
    nbd.check_customer_lifetime_value(NegativeBinomialModel, seed=13, monkeypatch=monkeypatch)


def test_reloads_with_identical_predictions(fitted, cdnow, tmp_path):
    nbd.check_reload(fitted, cdnow, tmp_path)


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
