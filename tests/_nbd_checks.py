"""Checks of an NBD model, shared by the package's NBD and the toy NBD of docs/contributing.md.

tests/valuation/test_nbd.py runs them on ``NegativeBinomialModel``, tests/test_contributing.py on
the toy ``NBDModel`` of tests/_toy_model.py: one model written twice, so one set of checks. Each
compares with something computed without the code under test: the published CDNOW fit, the
model's generative process, scipy's negative binomial, the analytic Hessian, closed forms.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import polygamma
from scipy.stats import nbinom

from customer_models import customer_lifetime_value, with_time_unit
from customer_models.valuation import _clv, load_model

TRUE = {"r": 0.8, "alpha": 6.0}
WEEKS_PER_MONTH = 365.25 / 12 / 7


def simulate(n: int, seed: int, horizon: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers of the NBD: rate ~ Gamma(r, alpha), Poisson purchases from their first on.

    Returns the summary (weeks) and each customer's purchases in the ``horizon`` weeks after T.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n)
    T = rng.uniform(10.0, 52.0, n)
    x = rng.poisson(rate * T)
    # given x purchases on (0, T], the last is at T U^(1/x)
    t_x = np.where(x > 0, T * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1)), 0.0)
    summary = pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T})
    return with_time_unit(summary, "W"), rng.poisson(rate * horizon)


def check_published_cdnow_fit(model) -> None:
    """Fader, Hardie and Lee (2005): r = 0.385, alpha = 12.072, LL = -9763.7 on CDNOW."""
    assert model.convergence_.success
    assert model.params_.round(3).tolist() == [0.385, 12.072]
    assert round(model.log_likelihood_, 1) == -9763.7


def analytic_covariance(model, data: pd.DataFrame) -> np.ndarray:
    """The inverse of minus the NBD's analytic Hessian at the model's parameters."""
    r, alpha = model.params_.to_numpy()
    x, T = data["frequency"].to_numpy(float), data["T"].to_numpy(float)
    h_rr = np.sum(polygamma(1, r + x) - polygamma(1, r))
    h_ra = np.sum(1 / alpha - 1 / (alpha + T))
    h_aa = np.sum(-r / alpha**2 + (r + x) / (alpha + T) ** 2)
    return np.linalg.inv(-np.array([[h_rr, h_ra], [h_ra, h_aa]]))


def check_parameters_recovered(model) -> None:
    """A fit of 20,000 simulated customers: each parameter within 3 standard errors of the
    truth, and pinned down (standard error under 5% of the value)."""
    assert model.convergence_.success
    fitted = model.summary_.loc[list(TRUE)]
    truth = np.array(list(TRUE.values()))
    np.testing.assert_array_less(np.abs(fitted["coef"].to_numpy() - truth), 3 * fitted["se"])
    np.testing.assert_array_less(fitted["se"].to_numpy(), 0.05 * truth)


def check_predictions(model_class, seed: int) -> None:
    """From the true parameters: nobody leaves; the expected purchases are the means of futures
    simulated by the generative process (by frequency group); the pmf is scipy's negative
    binomial; a new customer buys r / alpha per week."""
    t = 26.0
    data, future = simulate(40_000, seed=seed, horizon=t)
    model = model_class.from_params(time_unit="W", **TRUE)
    np.testing.assert_array_equal(model.probability_alive(data).to_numpy(), 1.0)
    expected = model.expected_purchases(data, t=t).to_numpy()
    groups = pd.Series(np.minimum(data["frequency"].to_numpy(), 8))
    simulated = pd.Series(future).groupby(groups)
    predicted = pd.Series(expected).groupby(groups).mean()
    sigma = simulated.std(ddof=0) / np.sqrt(simulated.size())
    np.testing.assert_array_less((simulated.mean() - predicted).abs(), 4 * sigma)
    head = data.head(50)
    x, T = head["frequency"].to_numpy(), head["T"].to_numpy()
    for n in (0, 1, 3, 20):
        pmf = model.probability_of_purchases(head, n=n, t=t).to_numpy()
        reference = nbinom.pmf(n, TRUE["r"] + x, (TRUE["alpha"] + T) / (TRUE["alpha"] + T + t))
        np.testing.assert_allclose(pmf, reference, rtol=1e-12)
    horizons = np.array([0.0, 1.0, 52.0])
    new = model.expected_purchases_new_customer(t=horizons)
    np.testing.assert_allclose(new, TRUE["r"] / TRUE["alpha"] * horizons, rtol=1e-15)


def check_reload(model, data: pd.DataFrame, tmp_path: Path) -> None:
    """Saved and loaded: the same class, parameters, covariance and predictions."""
    model.save(tmp_path / "nbd.json")
    loaded = load_model(tmp_path / "nbd.json")
    assert type(loaded) is type(model)
    pd.testing.assert_series_equal(loaded.params_, model.params_, check_exact=True)
    pd.testing.assert_frame_equal(loaded.covariance_, model.covariance_, check_exact=True)
    pd.testing.assert_series_equal(
        loaded.expected_purchases(data, t=10), model.expected_purchases(data, t=10)
    )


def check_customer_lifetime_value(model_class, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``customer_lifetime_value`` of the NBD against its closed forms, discrete and continuous,
    and the model's DERT fast path against the quadrature it replaces."""
    data, _ = simulate(500, seed=seed)
    model = model_class.from_params(time_unit="W", **TRUE)
    spend = pd.Series(np.linspace(5.0, 50.0, len(data)), index=data.index)
    weekly_rate = (TRUE["r"] + data["frequency"]) / (TRUE["alpha"] + data["T"])
    d, months = 0.01, 12
    # discrete: each month brings rate * weeks-per-month purchases, discounted by (1 + d)^i
    discrete = customer_lifetime_value(model, spend, data, horizon=months, discount_rate=d)
    per_month = weekly_rate * WEEKS_PER_MONTH * spend
    factor = sum((1 + d) ** -i for i in range(1, months + 1))
    np.testing.assert_allclose(discrete.to_numpy(), (per_month * factor).to_numpy(), rtol=1e-10)
    # continuous: int_0^H exp(-delta s) rate ds, delta = log(1 + d) per month, in weeks
    delta = np.log1p(d) / WEEKS_PER_MONTH

    def continuous(horizon: float) -> pd.Series:
        return customer_lifetime_value(
            model, spend, data, horizon=horizon, discount_rate=d, discounting="continuous"
        )

    for horizon in (months, np.inf):
        closed = weekly_rate * spend * -np.expm1(-delta * horizon * WEEKS_PER_MONTH) / delta
        np.testing.assert_allclose(continuous(horizon).to_numpy(), closed.to_numpy(), rtol=1e-10)
    # the model's DERT kernel is the fast path: declined, the quadrature gives the same
    with monkeypatch.context() as patch:
        patch.setattr(_clv, "_closed_form_dert", lambda *args, **kwargs: None)
        quadrature = continuous(months)
    np.testing.assert_allclose(quadrature.to_numpy(), continuous(months).to_numpy(), rtol=1e-8)
