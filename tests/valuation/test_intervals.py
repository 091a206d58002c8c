from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from customer_models.exceptions import ParameterError
from customer_models.valuation import BetaGeoModel
from customer_models.valuation._clv import customer_lifetime_value
from customer_models.valuation._intervals import prediction_interval


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


def test_laplace_quantiles_match_lognormal():
    data = pd.DataFrame({"frequency": np.zeros(3)}, index=list("abc"))
    out = prediction_interval(Rate(), data, t=3.0, level=0.8, n_draws=4000, random_state=0)
    sigma_log = 0.2 / 2.0  # delta method inverse: se / lam
    z = stats.norm.ppf(0.9)
    np.testing.assert_allclose(out["lower"], 6.0 * np.exp(-z * sigma_log), rtol=1.5e-2)
    np.testing.assert_allclose(out["upper"], 6.0 * np.exp(z * sigma_log), rtol=1.5e-2)
    np.testing.assert_allclose(out["expected_purchases"], 6.0)


@pytest.fixture(scope="module")
def fitted(cdnow_summary):
    return BetaGeoModel().fit(cdnow_summary)


def test_seeded_and_chunk_invariant(fitted, cdnow_summary):
    data = cdnow_summary.head(300)
    a = prediction_interval(fitted, data, t=39, n_draws=50, random_state=1, chunk_size=7)
    b = prediction_interval(fitted, data, t=39, n_draws=50, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert (a["lower"] <= a["expected_purchases"] + 1e-9).mean() > 0.95
    assert (a["upper"] >= a["expected_purchases"] - 1e-9).mean() > 0.95
    alive = prediction_interval(
        fitted, data, quantity="probability_alive", n_draws=50, random_state=1
    )
    assert ((alive["lower"] >= 0) & (alive["upper"] <= 1)).all()


def test_clv_interval(fitted, cdnow_summary):
    data = cdnow_summary.head(200)
    out = customer_lifetime_value(
        fitted,
        None,
        data,
        horizon=12,
        discount_rate=0.01,
        interval=0.9,
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


def test_bootstrap_is_seeded(cdnow_summary):
    data = cdnow_summary.head(400)
    model = BetaGeoModel().fit(data)
    a = prediction_interval(model, data, t=10, method="bootstrap", n_draws=4, random_state=2)
    b = prediction_interval(model, data, t=10, method="bootstrap", n_draws=4, random_state=2)
    pd.testing.assert_frame_equal(a, b)
    assert (a["upper"] >= a["lower"]).all()


def test_errors(cdnow_summary):
    model = BetaGeoModel.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4, time_unit="W")
    with pytest.raises(ParameterError, match="bootstrap"):
        prediction_interval(model, cdnow_summary, t=1)
    with pytest.raises(ParameterError, match="level"):
        prediction_interval(Rate(), cdnow_summary, t=1, level=1.5)
    with pytest.raises(ParameterError, match="t >= 0"):
        prediction_interval(Rate(), cdnow_summary)
    with pytest.raises(ParameterError, match="quantity"):
        prediction_interval(Rate(), cdnow_summary, quantity="clv", t=1)
