"""confidence_interval: parameter uncertainty of an expectation (Laplace, delta, bootstrap)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _bootstrap_clv import bootstrap_clv
from scipy import stats

from customer_models.exceptions import ParameterError
from customer_models.valuation import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from customer_models.valuation._clv import customer_lifetime_value
from customer_models.valuation._intervals import confidence_interval


class Rate:
    """E[X(t)] = lam * t with a known log-normal posterior of lam."""

    time_unit_ = "W"

    def __init__(self, lam=2.0, se=0.2):
        self.params_ = pd.Series({"lam": lam})
        self.covariance_ = pd.DataFrame([[se**2]], index=["lam"], columns=["lam"])

    @classmethod
    def from_params(cls, *, time_unit=None, lam):
        return cls(lam)

    def expected_purchases(self, data, *, t):
        return pd.Series(self.params_["lam"] * t, index=data.index)


class Wrapped:
    """A BG/NBD seen only through its public methods (no kernels: the per-draw model path)."""

    def __init__(self, inner):
        self.inner = inner
        self.params_ = inner.params_
        self.covariance_ = inner.covariance_
        self.time_unit_ = inner.time_unit_

    @classmethod
    def from_params(cls, *, time_unit=None, **params):
        return cls(BetaGeoModel.from_params(time_unit=time_unit, **params))

    def expected_purchases(self, data, *, t):
        return self.inner.expected_purchases(data, t=t)

    def probability_alive(self, data):
        return self.inner.probability_alive(data)


def test_laplace_and_delta_match_lognormal():
    data = pd.DataFrame({"frequency": np.zeros(3)}, index=list("abc"))
    out = confidence_interval(Rate(), data, t=3.0, confidence=0.8, n_draws=3000, random_state=0)
    sigma_log = 0.2 / 2.0  # delta method inverse: se / lam
    z = stats.norm.ppf(0.9)
    np.testing.assert_allclose(out["lower"], 6.0 * np.exp(-z * sigma_log), rtol=1.5e-2)
    np.testing.assert_allclose(out["upper"], 6.0 * np.exp(z * sigma_log), rtol=1.5e-2)
    np.testing.assert_allclose(out["expected_purchases"], 6.0)
    delta = confidence_interval(Rate(), data, t=3.0, confidence=0.8, method="delta")
    np.testing.assert_allclose(delta["lower"], 6.0 * np.exp(-z * sigma_log), rtol=1e-8)
    np.testing.assert_allclose(delta["upper"], 6.0 * np.exp(z * sigma_log), rtol=1e-8)


@pytest.fixture(scope="module")
def fitted(cdnow_summary):
    return BetaGeoModel().fit(cdnow_summary)


def test_seeded_and_chunk_invariant(fitted, cdnow_summary):
    data = cdnow_summary.head(300)
    a = confidence_interval(fitted, data, t=39, n_draws=50, random_state=1, chunk_size=7)
    b = confidence_interval(fitted, data, t=39, n_draws=50, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert (a["lower"] <= a["expected_purchases"] + 1e-9).mean() > 0.95
    assert (a["upper"] >= a["expected_purchases"] - 1e-9).mean() > 0.95
    alive = confidence_interval(
        fitted, data, quantity="probability_alive", n_draws=50, random_state=1
    )
    assert ((alive["lower"] >= 0) & (alive["upper"] <= 1)).all()


@pytest.mark.parametrize("quantity", ["expected_purchases", "probability_alive"])
def test_patterns_equal_the_per_customer_path(fitted, cdnow_summary, quantity):
    """Compressed histories + kernels give the same quantiles as one model per draw."""
    data = cdnow_summary.head(150)
    t = 39 if quantity == "expected_purchases" else None
    fast = confidence_interval(fitted, data, quantity=quantity, t=t, n_draws=30, random_state=3)
    slow = confidence_interval(
        Wrapped(fitted), data, quantity=quantity, t=t, n_draws=30, random_state=3
    )
    np.testing.assert_allclose(fast.to_numpy(), slow.to_numpy(), rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cls", "n_draws", "tol"), [(BetaGeoModel, 2000, 0.03), (ParetoNBDModel, 1000, 0.05)]
)
def test_delta_is_close_to_laplace_on_cdnow(cdnow_summary, cls, n_draws, tol):
    model = cls().fit(cdnow_summary)
    data = cdnow_summary.iloc[::10]
    lap = confidence_interval(model, data, t=52, n_draws=n_draws, random_state=0)
    delta = confidence_interval(model, data, t=52, method="delta")
    width_lap = np.log(lap["upper"] / lap["lower"])
    width_delta = np.log(delta["upper"] / delta["lower"])
    # the log-widths agree to a few percent (Monte Carlo error of the draws included)
    assert np.median(np.abs(width_delta / width_lap - 1.0)) < tol
    np.testing.assert_allclose(np.median(delta["lower"] / lap["lower"]), 1.0, atol=tol)


def test_spend_interval(cdnow_summary):
    spend = GammaGammaModel().fit(cdnow_summary)
    out = confidence_interval(spend, cdnow_summary, quantity="expected_spend", method="delta")
    ok = (out["lower"] < out["expected_spend"]) & (out["expected_spend"] < out["upper"])
    assert ok.all()


def test_clv_interval(fitted, cdnow_summary):
    data = cdnow_summary.head(200)
    out = customer_lifetime_value(
        fitted,
        None,
        data,
        horizon=12,
        discount_rate=0.01,
        confidence=0.9,
        n_draws=40,
        random_state=0,
    )
    assert list(out.columns) == ["clv", "lower", "upper"]
    point = customer_lifetime_value(fitted, None, data, horizon=12, discount_rate=0.01)
    np.testing.assert_allclose(out["clv"], point)
    assert np.isfinite(out.to_numpy()).all()
    assert (out["lower"] <= out["upper"]).all()
    buyers = data["monetary_value"] > 0
    inside = (out["lower"] <= out["clv"] * 1.0001) & (out["upper"] >= out["clv"] * 0.9999)
    assert inside[buyers].mean() > 0.95


def test_bootstrap_uses_the_fit_data_not_the_scored_rows(cdnow_summary):
    fit = cdnow_summary.head(600)
    model = BetaGeoModel().fit(fit)
    top = fit.nlargest(20, "frequency")  # refitting on these alone is what used to give NaN
    a = confidence_interval(
        model, top, t=10, method="bootstrap", n_draws=4, fit_data=fit, random_state=2
    )
    b = confidence_interval(
        model, top, t=10, method="bootstrap", n_draws=4, fit_data=fit, random_state=2
    )
    pd.testing.assert_frame_equal(a, b)
    assert np.isfinite(a.to_numpy()).all()
    assert (a["upper"] >= a["lower"]).all()
    with pytest.raises(ParameterError, match="fit_data"):
        confidence_interval(model, top, t=10, method="bootstrap", n_draws=4)
    with pytest.raises(ParameterError, match="fit_data"):
        customer_lifetime_value(
            model, None, top, horizon=3, confidence=0.9, method="bootstrap", n_draws=2
        )
    spend = GammaGammaModel().fit(fit)
    clv = bootstrap_clv(model, spend, top, fit, horizon=3, n_draws=3)
    assert np.isfinite(clv.to_numpy()).all()


def test_errors(cdnow_summary):
    model = BetaGeoModel.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4, time_unit="W")
    with pytest.raises(ParameterError, match="covariance_"):
        confidence_interval(model, cdnow_summary, t=1)
    with pytest.raises(ParameterError, match="covariance_"):
        confidence_interval(model, cdnow_summary, t=1, method="delta")
    with pytest.raises(ParameterError, match="confidence"):
        confidence_interval(Rate(), cdnow_summary, t=1, confidence=1.5)
    with pytest.raises(ParameterError, match="t >= 0"):
        confidence_interval(Rate(), cdnow_summary)
    with pytest.raises(ParameterError, match="quantity"):
        confidence_interval(Rate(), cdnow_summary, quantity="clv", t=1)


@pytest.mark.parametrize("quantity", ["expected_purchases", "probability_alive"])
def test_batched_draws_equal_one_at_a_time(cdnow_summary, quantity):
    """Pareto/NBD evaluates 16 draws per broadcast kernel call: the same numbers."""
    from customer_models.valuation._param_draws import draw_params, evaluator

    model = ParetoNBDModel().fit(cdnow_summary)
    t = 52.0 if quantity == "expected_purchases" else None
    ev = evaluator(model, cdnow_summary, quantity, t)
    draws = draw_params(model, 7, np.random.default_rng(0), "laplace", None)
    rows = slice(0, ev.n_patterns)
    one = np.stack([ev.evaluate(d, rows) for d in draws])
    np.testing.assert_allclose(ev.evaluate_many(draws, rows), one, rtol=1e-13, atol=1e-300)
