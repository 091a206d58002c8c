"""Gamma-Gamma spend model: kernels, golden values, lifetimes parity, properties, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _model_checks import assert_gradient_matches_central_differences, assert_second_row_refused
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from customer_models.datasets import load_cdnow_summary
from customer_models.exceptions import (
    ConvergenceWarning,
    DataValidationError,
    MissingColumnError,
    NotFittedError,
    ParameterError,
)
from customer_models.valuation import _gamma_gamma as k
from customer_models.valuation._gamma_gamma import GammaGammaModel

PAPER = np.array([6.25, 3.74, 15.44])  # Fader & Hardie, note 025 (CDNOW repeat buyers)


@pytest.fixture(scope="module")
def summary():
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def repeat(summary):
    return summary.loc[summary["frequency"] > 0]


@pytest.fixture(scope="module")
def fitted(summary):
    return GammaGammaModel().fit(summary)


# ----------------------------------------------------------------------------- kernels


def test_log_likelihood_at_published_params(repeat):
    x, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy()
    assert float(k.log_likelihood_kernel(PAPER, x, m).sum()) == pytest.approx(-4055.92, abs=0.01)


@pytest.mark.parametrize(("x", "m"), [(1, 3.0), (2, 22.35), (5, 100.0), (30, 0.5)])
def test_density_matches_numerical_integration(x, m):
    # Independent: the mean of x Gamma(p, nu) values is Gamma(p x, rate x nu); nu ~ Gamma(q, v).
    p, q, v = PAPER

    def integrand(nu):
        return stats.gamma.pdf(m, a=p * x, scale=1.0 / (x * nu)) * stats.gamma.pdf(
            nu, a=q, scale=1.0 / v
        )

    value, _ = integrate.quad(integrand, 0, np.inf, limit=200, epsabs=0, epsrel=1e-11)
    got = np.exp(k.log_likelihood_kernel(PAPER, np.array([x]), np.array([m]))[0])
    assert got == pytest.approx(value, rel=1e-7)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 40, size=30).astype(float)
    m = rng.lognormal(3, 1, size=30)
    for params in (PAPER, np.array([0.5, 1.2, 3.0]), np.array([20.0, 8.0, 0.3])):
        assert_gradient_matches_central_differences(k, params, x, m, rtol=1e-5, atol=1e-8)


def test_expected_spend_is_the_weighted_average_of_note_025():
    p, q, v = PAPER
    x = np.array([0.0, 1.0, 2.0, 10.0])
    m = np.array([0.0, 5.0, 22.35, 80.0])
    weight = p * x / (p * x + q - 1)
    expected = (1 - weight) * p * v / (q - 1) + weight * m
    np.testing.assert_allclose(k.expected_spend_kernel(PAPER, x, m), expected, rtol=1e-13)


# ----------------------------------------------------------------------------- lifetimes parity


@pytest.fixture(scope="module")
def lifetimes_gg():
    lifetimes = pytest.importorskip("lifetimes")
    fitter = lifetimes.GammaGammaFitter()
    fitter.params_ = pd.Series(PAPER, index=["p", "q", "v"])
    return fitter


def test_parity_with_lifetimes_at_fixed_params(repeat, lifetimes_gg):
    x, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy()
    model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    np.testing.assert_allclose(
        model.expected_spend(repeat),
        lifetimes_gg.conditional_expected_average_profit(x, m),
        rtol=1e-6,
    )
    theirs = lifetimes_gg._negative_log_likelihood(np.log(PAPER), x, m, np.ones_like(x), 0.0)
    assert -model.log_likelihood(repeat) / len(repeat) == pytest.approx(theirs, rel=1e-9)


# ----------------------------------------------------------------------------- estimator


def test_fit_matches_published_estimates(fitted):
    # Fader & Hardie note 025: p = 6.25, q = 3.74, v (their gamma) = 15.44, LL = -4055.92.
    assert fitted.params_.index.tolist() == ["p", "q", "v"]
    np.testing.assert_allclose(fitted.params_.to_numpy(), PAPER, atol=0.01)
    assert fitted.log_likelihood_ == pytest.approx(-4055.92, abs=0.01)
    assert fitted.n_customers_ == 946  # only the repeat buyers are used
    assert fitted.convergence_.success
    assert fitted.time_unit_ == "W"


def test_frequency_zero_rows_are_ignored_in_fit(summary, repeat, fitted):
    only_repeat = GammaGammaModel().fit(repeat)
    np.testing.assert_allclose(only_repeat.params_, fitted.params_, rtol=1e-9)
    assert fitted.log_likelihood(summary) == pytest.approx(fitted.log_likelihood_, rel=1e-12)


def test_expected_spend_series(summary, fitted):
    spend = fitted.expected_spend(summary)
    assert spend.name == "expected_spend"
    assert spend.index.equals(summary.index)
    assert np.all(np.isfinite(spend))
    assert np.all(spend > 0)
    zero = summary["frequency"] == 0
    np.testing.assert_allclose(spend[zero], fitted.population_mean_spend())
    p, q, v = fitted.params_
    assert fitted.population_mean_spend() == pytest.approx(p * v / (q - 1))


def test_fit_recovers_simulated_parameters():
    rng = np.random.default_rng(11)
    p, q, v = 4.0, 3.0, 20.0
    n = 20_000
    nu = rng.gamma(q, 1.0 / v, n)
    x = rng.integers(1, 12, n)
    # the mean of x Gamma(p, nu) draws is Gamma(p x, rate x nu)
    m = rng.gamma(p * x, 1.0 / (x * nu))
    model = GammaGammaModel().fit(pd.DataFrame({"frequency": x, "monetary_value": m}))
    z = (model.params_.to_numpy() - [p, q, v]) / model.summary_["se"].to_numpy()
    assert np.all(np.abs(z) < 4), (model.params_, z)


def test_q_at_most_one_warns_and_refuses_the_population_mean():
    rng = np.random.default_rng(12)
    n = 20_000
    nu = rng.gamma(0.6, 1.0 / 2.0, n)  # q = 0.6: heavy-tailed mean spends
    x = rng.integers(1, 6, n)
    m = rng.gamma(3.0 * x, 1.0 / (x * nu))
    data = pd.DataFrame({"frequency": x, "monetary_value": m})
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = GammaGammaModel().fit(data)
    assert [w.category for w in record] == [ConvergenceWarning]
    assert str(record[0].message).startswith("GammaGammaModel fit: q = 0.6")
    assert "infinite population mean" in str(record[0].message)
    assert record[0].filename == __file__  # the caller's line, not the library's
    assert model.params_["q"] < 1
    with pytest.raises(ParameterError, match="infinite"):
        model.population_mean_spend()
    # repeat buyers still get a finite, positive conditional expectation when p x + q > 1
    spend = model.expected_spend(data)
    assert np.all(np.isfinite(spend))
    assert np.all(spend > 0)
    with pytest.raises(ParameterError, match="infinite"):
        model.expected_spend(pd.DataFrame({"frequency": [0, 2], "monetary_value": [0.0, 5.0]}))


@settings(max_examples=200, deadline=None)
@given(
    p=st.floats(1e-3, 1e3),
    q=st.floats(1.0 + 1e-6, 1e3),
    v=st.floats(1e-3, 1e6),
    x=st.integers(0, 100_000),
    m=st.floats(1e-6, 1e9),
)
def test_expected_spend_finite_and_positive(p, q, v, x, m):
    model = GammaGammaModel.from_params(p=p, q=q, v=v)
    out = model.expected_spend(np.array([[x, m]]))
    assert np.isfinite(out[0])
    assert out[0] > 0
    if x > 0:  # between the population mean and the observed mean
        lo, hi = sorted([p * v / (q - 1), m])
        assert lo * (1 - 1e-9) <= out[0] <= hi * (1 + 1e-9)
    ll = k.log_likelihood_kernel(np.array([p, q, v]), np.array([max(x, 1)]), np.array([m]))
    assert np.isfinite(ll[0])


@pytest.mark.parametrize(
    ("frame", "column", "rule"),
    [
        ({"frequency": [2, -1], "monetary_value": [10.0, 5.0]}, "frequency", ">= 0"),
        ({"frequency": [2, 1.5], "monetary_value": [10.0, 5.0]}, "frequency", "whole number"),
        ({"frequency": [2, 1], "monetary_value": [10.0, np.nan]}, "monetary_value", "missing"),
        ({"frequency": [2, 1], "monetary_value": [10.0, np.inf]}, "monetary_value", "finite"),
    ],
)
def test_bad_inputs_raise_clear_errors(frame, column, rule):
    df = assert_second_row_refused(GammaGammaModel().fit, frame, column, rule)
    with pytest.raises(DataValidationError, match=rule):
        GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44).expected_spend(df)


def test_empty_missing_and_unfitted():
    with pytest.raises(DataValidationError, match="empty"):
        GammaGammaModel().fit(pd.DataFrame({"frequency": [], "monetary_value": []}))
    with pytest.raises(DataValidationError, match="no rows left"):
        GammaGammaModel().fit(pd.DataFrame({"frequency": [0, 0], "monetary_value": [0.0, 0.0]}))
    with pytest.raises(MissingColumnError, match="monetary_value"):
        GammaGammaModel().fit(pd.DataFrame({"frequency": [1], "monetary": [2.0]}))
    with pytest.raises(NotFittedError):
        GammaGammaModel().expected_spend(pd.DataFrame({"frequency": [1], "monetary_value": [2.0]}))


@pytest.mark.parametrize("bad_spend", [0.0, -5.0])
def test_customers_without_valid_spend_are_skipped_and_valued_at_the_population_mean(
    cdnow_summary, bad_spend
):
    # A $0 repeat order (CDNOW master has one) or refunds netted against spend give
    # monetary_value <= 0 with frequency > 0: the fit ignores them, the prediction uses the
    # population mean, and nothing fails for the rest of the base.
    valid = cdnow_summary[cdnow_summary["frequency"] > 0]
    extra = pd.DataFrame(
        {"frequency": [3], "monetary_value": [bad_spend]}, index=pd.Index([-1], name="ID")
    )
    data = pd.concat([valid[["frequency", "monetary_value"]], extra])
    with_bad = GammaGammaModel().fit(data)
    reference = GammaGammaModel().fit(valid)
    np.testing.assert_allclose(with_bad.params_, reference.params_, rtol=1e-10)
    assert with_bad.n_customers_ == len(valid)
    spend = with_bad.expected_spend(data)
    assert spend.loc[-1] == pytest.approx(with_bad.population_mean_spend(), rel=1e-12)
