"""sBG (shifted-beta-geometric) contractual retention model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _model_checks import assert_gradient_matches_central_differences, assert_second_row_refused
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln

from customer_models.exceptions import (
    DataValidationError,
    MissingColumnError,
    NotFittedError,
    ParameterError,
)
from customer_models.valuation import _sbg as k
from customer_models.valuation._sbg import ShiftedBetaGeoModel

# Fader & Hardie (2007), "How to project customer retention": survivors of 1000 over years 0-7.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)]
)
def test_fit_matches_published_estimates(survivors, alpha, beta):
    rows = ShiftedBetaGeoModel.cohort_to_data(survivors)
    model = ShiftedBetaGeoModel().fit(rows, sample_weight="weight")
    assert model.params_.index.tolist() == ["alpha", "beta"]
    assert model.params_.round(3).tolist() == [alpha, beta]
    assert model.n_customers_ == 1000
    assert model.convergence_.success
    # the log-likelihood by hand, from the survivor counts (F&H 2007, equation 4)
    s = np.asarray(survivors, dtype=float)
    a, b = model.params_
    t = np.arange(1, s.size)
    by_hand = float(
        ((s[:-1] - s[1:]) * (betaln(a + 1, b + t - 1) - betaln(a, b))).sum()
        + s[-1] * (betaln(a, b + t[-1]) - betaln(a, b))
    )
    assert model.log_likelihood_ == pytest.approx(by_hand, rel=1e-12)


def test_cohort_to_data_rows():
    rows = ShiftedBetaGeoModel.cohort_to_data(REGULAR)
    assert rows.columns.tolist() == ["duration", "churned", "weight"]
    assert rows["duration"].tolist() == [1, 2, 3, 4, 5, 6, 7, 7]
    assert rows["churned"].tolist() == [1, 1, 1, 1, 1, 1, 1, 0]
    assert rows["weight"].tolist() == [369, 163, 86, 56, 37, 27, 21, 241]
    # a period without churn gives no row
    assert len(ShiftedBetaGeoModel.cohort_to_data([10, 10, 7])) == 2


def test_gradient_matches_finite_differences():
    d = np.array([1, 2, 3, 7, 7, 0, 40])
    c = np.array([1, 1, 1, 1, 0, 0, 0])
    for params in (np.array([0.704, 1.182]), np.array([3.0, 0.2])):
        assert_gradient_matches_central_differences(k, params, d, c, rtol=1e-6, atol=1e-9)


def test_survival_and_retention_curves():
    model = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182, time_unit="Y")
    t = np.arange(0, 13)
    surv = model.survival(t)
    rates = model.retention_rate(t[1:])
    # S(t) is the product of the retention rates up to t
    np.testing.assert_allclose(surv[1:], np.cumprod(rates), rtol=1e-12)
    assert surv[0] == 1.0
    assert np.all(np.diff(rates) > 0)  # retention rises with tenure (heterogeneity)
    # P(T = 1) = alpha / (alpha + beta): the first-year churn rate
    assert 1 - model.survival(1) == pytest.approx(0.704 / (0.704 + 1.182))
    assert isinstance(model.survival(3), float)
    # the fitted curve stays close to the observed survivors (F&H 2007, Figure 3)
    fitted = ShiftedBetaGeoModel().fit(
        ShiftedBetaGeoModel.cohort_to_data(REGULAR), sample_weight="weight"
    )
    np.testing.assert_allclose(fitted.survival(np.arange(8)), np.array(REGULAR) / 1000, atol=0.02)


def test_discounted_lifetimes_against_brute_force_sums():
    model = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
    t = np.arange(0, 400_000)
    s_t = k.survival_kernel(np.array([0.704, 1.182]), t)
    for d in (0.05, 0.1, 0.5):
        disc = (1 + d) ** -t.astype(float)
        assert model.expected_lifetime(discount_rate=d) == pytest.approx(
            float((s_t * disc).sum()), rel=1e-10
        )
        for s in (0, 1, 4):
            kk = np.arange(1, 200_000)
            brute = float((s_t[s + kk] / s_t[s] * (1 + d) ** -(kk - 1.0)).sum())
            got = model.expected_residual_lifetime(s, discount_rate=d)
            assert got == pytest.approx(brute, rel=1e-9)


@pytest.mark.parametrize(
    ("alpha", "beta", "d"),
    [
        (1.0, 959.5, 0.00566),
        (2.0, 0.3634, 0.0016),
        (3.0, 240.3, 0.0825),
        (407.8, 78.55, 0.01),
        (0.0954, 459.3, 0.000992),
        (1.0, 1.0, 0.0625),
    ],
)
def test_residual_lifetime_where_scipy_hyp2f1_fails(alpha, beta, d):
    # scipy.special.hyp2f1 returns nan/inf or wrong values for these (large b, integer alpha).
    s = np.array([0, 1, 5, 30, 31, 2500])
    got = k.discounted_expected_residual_lifetime_kernel(np.array([alpha, beta]), s, d)
    x = 1.0 / (1.0 + d)
    kk = np.arange(1, 60_000, dtype=float)
    for s_i, g in zip(s, got, strict=True):
        terms = np.exp(betaln(alpha, beta + s_i + kk) - betaln(alpha, beta + s_i)) * x ** (kk - 1)
        assert g == pytest.approx(float(terms.sum()), rel=1e-10)


def test_undiscounted_lifetime():
    # alpha > 1: E[T] = (alpha + beta - 1) / (alpha - 1)
    model = ShiftedBetaGeoModel.from_params(alpha=3.0, beta=2.0)
    assert model.expected_lifetime() == pytest.approx(2.0)
    t = np.arange(0, 2_000_000)
    brute = float(k.survival_kernel(np.array([3.0, 2.0]), t).sum())
    assert model.expected_lifetime() == pytest.approx(brute, rel=1e-9)
    assert model.expected_residual_lifetime(2) == pytest.approx(
        float((k.survival_kernel(np.array([3.0, 2.0]), 2 + t[1:]) / model.survival(2)).sum()),
        rel=1e-9,
    )
    # alpha <= 1 (both F&H cohorts): infinite mean lifetime, refused with the reason
    heavy = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
    with pytest.raises(ParameterError, match=r"infinite.*discount_rate"):
        heavy.expected_lifetime()
    with pytest.raises(ParameterError, match="infinite"):
        heavy.expected_residual_lifetime(3)


def test_expected_residual_lifetime_on_a_frame():
    model = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
    frame = pd.DataFrame({"duration": [0, 4, 3], "churned": [0, 0, 1]}, index=["a", "b", "c"])
    out = model.expected_residual_lifetime(frame, discount_rate=0.1)
    assert out.name == "expected_residual_lifetime"
    assert out.index.tolist() == ["a", "b", "c"]
    expected = model.expected_residual_lifetime([0, 4], discount_rate=0.1)
    np.testing.assert_allclose(out.to_numpy()[:2], expected)
    assert out["c"] == 0.0  # churned customers have no residual lifetime


def test_fit_recovers_simulated_parameters():
    rng = np.random.default_rng(8)
    alpha, beta, horizon = 1.5, 4.0, 10
    theta = rng.beta(alpha, beta, 50_000)
    lifetime = rng.geometric(theta)  # churns in period T >= 1
    data = pd.DataFrame(
        {"duration": np.minimum(lifetime, horizon), "churned": (lifetime <= horizon).astype(int)}
    )
    model = ShiftedBetaGeoModel().fit(data)
    z = (model.params_.to_numpy() - [alpha, beta]) / model.summary_["se"].to_numpy()
    assert np.all(np.abs(z) < 4), (model.params_, z)


@settings(max_examples=150, deadline=None)
@given(
    alpha=st.floats(1e-3, 1e3),
    beta=st.floats(1e-3, 1e3),
    t=st.integers(1, 10_000),
    d=st.floats(1e-4, 10.0),
)
def test_curves_bounded_and_finite(alpha, beta, t, d):
    model = ShiftedBetaGeoModel.from_params(alpha=alpha, beta=beta)
    s = model.survival([t - 1, t])
    assert 0 <= s[1] <= s[0] <= 1
    r = model.retention_rate(t)
    assert 0 <= r <= 1
    lifetime = model.expected_lifetime(discount_rate=d)
    assert np.isfinite(lifetime)
    assert 1 <= lifetime <= (1 + d) / d * (1 + 1e-9)
    derl = model.expected_residual_lifetime(t, discount_rate=d)
    assert np.isfinite(derl)
    assert 0 <= derl <= (1 + d) / d * (1 + 1e-9)
    ll = k.log_likelihood_kernel(np.array([alpha, beta]), np.array([t, t]), np.array([1, 0]))
    assert np.all(np.isfinite(ll))
    assert np.all(ll <= 0)


@pytest.mark.parametrize(
    ("frame", "column", "rule"),
    [
        ({"duration": [3, -1], "churned": [1, 0]}, "duration", ">= 0"),
        ({"duration": [3, 1.5], "churned": [1, 0]}, "duration", "whole number"),
        ({"duration": [3, 2], "churned": [1, 2]}, "churned", "0 or 1"),
        ({"duration": [3, 0], "churned": [1, 1]}, "duration", "duration >= 1 when churned"),
        ({"duration": [3, np.nan], "churned": [1, 0]}, "duration", "missing"),
    ],
)
def test_bad_inputs_raise_clear_errors(frame, column, rule):
    assert_second_row_refused(ShiftedBetaGeoModel().fit, frame, column, rule)


def test_bad_cohorts_and_arguments():
    with pytest.raises(DataValidationError, match="must not increase"):
        ShiftedBetaGeoModel.cohort_to_data([1000, 600, 700])
    with pytest.raises(DataValidationError, match="whole numbers"):
        ShiftedBetaGeoModel.cohort_to_data([1000, 600.5])
    with pytest.raises(ParameterError, match="at least 2"):
        ShiftedBetaGeoModel.cohort_to_data([1000])
    with pytest.raises(DataValidationError, match="empty"):
        ShiftedBetaGeoModel().fit(pd.DataFrame({"duration": [], "churned": []}))
    with pytest.raises(MissingColumnError, match="churned"):
        ShiftedBetaGeoModel().fit(pd.DataFrame({"duration": [1], "churn": [1]}))
    with pytest.raises(NotFittedError):
        ShiftedBetaGeoModel().survival(3)
    model = ShiftedBetaGeoModel.from_params(alpha=1.0, beta=1.0)
    with pytest.raises(ParameterError, match="whole number"):
        model.survival(-1)
    with pytest.raises(ParameterError, match=">= 1"):
        model.retention_rate(0)
    with pytest.raises(ParameterError, match="discount_rate"):
        model.expected_lifetime(discount_rate=-0.1)


def test_derl_caps_the_series_with_a_clear_error():
    """At most 2**24 terms (about 40/d): d = 1e-6 per period is refused, 5e-6 is summed."""
    params = np.array([0.704, 1.182])
    with pytest.raises(ParameterError, match=r"too small.*16777216"):
        k.discounted_expected_residual_lifetime_kernel(params, [0, 10], 1e-6)
    value = k.discounted_expected_residual_lifetime_kernel(params, [0, 10], 5e-6)
    assert np.all(np.isfinite(value))
    assert np.all(value > 0)


def test_derl_with_many_sparse_durations_matches_one_at_a_time():
    """Durations far apart fall in separate rows of the vectorized series."""
    params = np.array([3.0, 0.5])
    s = np.array([0.0, 7.0, 5000.0, 123456.0, 10**7, 6.0])
    together = k.discounted_expected_residual_lifetime_kernel(params, s, 0.05)
    alone = [k.discounted_expected_residual_lifetime_kernel(params, [v], 0.05)[0] for v in s]
    np.testing.assert_allclose(together, alone, rtol=1e-13)
    # the backward recurrence DERL(s) = r(s+1) (1 + x DERL(s+1)), r(t) = (b+t-1)/(a+b+t-1)
    nxt = k.discounted_expected_residual_lifetime_kernel(params, s + 1.0, 0.05)
    r = (0.5 + s) / (3.5 + s)
    np.testing.assert_allclose(together, r * (1.0 + nxt / 1.05), rtol=1e-12)
