"""The worked example of docs/contributing.md: the toy NBD model of tests/_toy_model.py.

The page includes the model file and the contract list of tests/test_common.py through the
snippets syntax, so page and tests show the same code; the contract itself runs over the toy
in tests/test_common.py. Here the toy is checked the way a new model is: against its published
fit, against data simulated from its own generative process (parameters within their standard
errors, the derived numeric Hessian against the analytic one, predictions against simulated
futures and scipy's negative binomial), through a file, and by ``customer_lifetime_value``
against the closed forms.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _toy_model import NBDModel
from scipy.special import polygamma
from scipy.stats import nbinom

from customer_models import customer_lifetime_value, load_cdnow_summary, with_time_unit
from customer_models.valuation import _clv, load_model
from customer_models.valuation._derivatives import CentralDifferenceGradient
from customer_models.valuation._registry import MODEL_CLASSES

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "contributing.md"
TRUE = {"r": 0.8, "alpha": 6.0}
N_SIMULATED = 20_000
HESSIAN_RTOL = 1e-4  # the page says "to 1e-4"
WEEKS_PER_MONTH = 365.25 / 12 / 7


def _snippet(path: Path, name: str) -> str:
    text = path.read_text(encoding="utf-8")
    return text.split(f"# --8<-- [start:{name}]\n", 1)[1].split(f"# --8<-- [end:{name}]", 1)[0]


def _simulate(n: int, seed: int, horizon: float = 0.0):
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


@pytest.fixture(scope="module")
def simulated():
    data, _ = _simulate(N_SIMULATED, seed=1)
    return data, NBDModel().fit(data)


def test_the_page_includes_the_model_file_and_the_contract_line():
    page = PAGE.read_text(encoding="utf-8")
    assert '--8<-- "tests/_toy_model.py:model"' in page
    assert '--8<-- "tests/test_common.py:contract"' in page
    model = _snippet(ROOT / "tests" / "_toy_model.py", "model")
    contract = _snippet(ROOT / "tests" / "test_common.py", "contract")
    assert "class NBDModel(PurchaseModel, register=True):" in model
    assert '"NBDModel",' in contract
    # what the page says about the file's size is what it is
    n_lines = len(model.strip().splitlines())
    assert f"{n_lines} lines" in page
    kernels = re.findall(r"^    _\w+ = kernel\(", model, flags=re.MULTILINE)
    assert f"{len(kernels)} kernels" in page
    assert f"on {N_SIMULATED:,} customers simulated" in page
    assert "the analytic one to 1e-4" in page


def test_the_toy_is_registered_and_loadable_by_name():
    assert MODEL_CLASSES["NBDModel"] is NBDModel
    assert isinstance(NBDModel._loglik_gradient_kernel, CentralDifferenceGradient)  # derived


def test_cdnow_fit_is_the_published_nbd():
    """The NBD on CDNOW as Fader, Hardie and Lee (2005) report it: r, alpha, log-likelihood."""
    model = NBDModel().fit(load_cdnow_summary())
    assert model.convergence_.success
    assert model.params_.round(3).tolist() == [0.385, 12.072]
    assert round(model.log_likelihood_, 1) == -9763.7


def test_simulated_parameters_are_recovered_within_their_standard_errors(simulated):
    _, model = simulated
    assert model.convergence_.success
    for name, value in TRUE.items():
        estimate, se = model.summary_.loc[name, ["coef", "se"]]
        assert abs(estimate - value) < 3 * se, (name, estimate, se)
        assert se < 0.05 * value  # 20,000 customers pin the parameters down


def test_the_derived_numeric_hessian_is_the_analytic_one(simulated):
    data, model = simulated
    r, alpha = model.params_.to_numpy()
    x, T = data["frequency"].to_numpy(), data["T"].to_numpy()
    h_rr = np.sum(polygamma(1, r + x) - polygamma(1, r))
    h_ra = np.sum(1 / alpha - 1 / (alpha + T))
    h_aa = np.sum(-r / alpha**2 + (r + x) / (alpha + T) ** 2)
    covariance = np.linalg.inv(-np.array([[h_rr, h_ra], [h_ra, h_aa]]))
    np.testing.assert_allclose(model.covariance_.to_numpy(), covariance, rtol=HESSIAN_RTOL)


def test_predictions_match_simulated_futures_and_the_negative_binomial():
    t = 26.0
    data, future = _simulate(40_000, seed=2, horizon=t)
    model = NBDModel.from_params(time_unit="W", **TRUE)
    np.testing.assert_array_equal(model.probability_alive(data).to_numpy(), 1.0)
    expected = model.expected_purchases(data, t=t).to_numpy()
    groups = np.minimum(data["frequency"].to_numpy(), 8)
    for k in np.unique(groups):
        rows = groups == k
        spread = future[rows].std() / np.sqrt(rows.sum())
        assert abs(future[rows].mean() - expected[rows].mean()) < 4 * spread, k
    head = data.head(50)
    x, T = head["frequency"].to_numpy(), head["T"].to_numpy()
    for n in (0, 1, 3):
        pmf = model.probability_of_purchases(head, n=n, t=t).to_numpy()
        reference = nbinom.pmf(n, TRUE["r"] + x, (TRUE["alpha"] + T) / (TRUE["alpha"] + T + t))
        np.testing.assert_allclose(pmf, reference, rtol=1e-12)
    new = model.expected_purchases_new_customer(t=np.array([0.0, 1.0, 52.0]))
    np.testing.assert_allclose(new, TRUE["r"] / TRUE["alpha"] * np.array([0.0, 1.0, 52.0]))


def test_a_fitted_toy_reloads_and_predicts_identically(simulated, tmp_path):
    data, model = simulated
    model.save(tmp_path / "nbd.json")
    loaded = load_model(tmp_path / "nbd.json")
    assert type(loaded) is NBDModel
    pd.testing.assert_series_equal(loaded.params_, model.params_, check_exact=True)
    pd.testing.assert_frame_equal(loaded.covariance_, model.covariance_, check_exact=True)
    pd.testing.assert_series_equal(
        loaded.expected_purchases(data, t=10), model.expected_purchases(data, t=10)
    )


def test_customer_lifetime_value_is_the_closed_form(monkeypatch):
    data, _ = _simulate(500, seed=3)
    model = NBDModel.from_params(time_unit="W", **TRUE)
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
    for horizon in (months, np.inf):
        weeks = horizon * WEEKS_PER_MONTH
        closed = weekly_rate * spend * -np.expm1(-delta * weeks) / delta
        clv = customer_lifetime_value(
            model, spend, data, horizon=horizon, discount_rate=d, discounting="continuous"
        )
        np.testing.assert_allclose(clv.to_numpy(), closed.to_numpy(), rtol=1e-10)
    # the model's DERT kernel is the fast path: declined, the quadrature gives the same
    with monkeypatch.context() as patch:
        patch.setattr(_clv, "_closed_form_dert", lambda *args, **kwargs: None)
        quadrature = customer_lifetime_value(
            model, spend, data, horizon=months, discount_rate=d, discounting="continuous"
        )
    closed = customer_lifetime_value(
        model, spend, data, horizon=months, discount_rate=d, discounting="continuous"
    )
    np.testing.assert_allclose(quadrature.to_numpy(), closed.to_numpy(), rtol=1e-8)
