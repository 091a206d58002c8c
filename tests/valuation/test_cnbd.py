"""BG/CNBD-k and MBG/CNBD-k estimators: published values, the profile over k, recovery of
simulated parameters, the litt column's rules, persistence."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from _cnbd_sim import simulate_cnbd
from scipy import optimize
from scipy.special import betaln, gammaln

from customer_models import (
    ConvergenceWarning,
    DataValidationError,
    MissingColumnError,
    ParameterError,
    load_cdnow_summary,
    load_cdnow_transactions,
    rfm_summary,
)
from customer_models._inter_purchase import LOG_INTERPURCHASE_COLUMN, log_interpurchase_sum
from customer_models.valuation import BetaGeoModel, ModifiedBetaGeoModel, load_model
from customer_models.valuation._cnbd import BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel

PAIRS = [(BetaGeoCNBDModel, BetaGeoModel), (ModifiedBetaGeoCNBDModel, ModifiedBetaGeoModel)]


@pytest.fixture(scope="module")
def cdnow_litt() -> pd.DataFrame:
    """CDNOW 1/10 sample, 39 calibration weeks, with the litt column (as BTYDplus' elog2cbs)."""
    tx = load_cdnow_transactions(sample=True)
    summary = rfm_summary(tx, time_unit="W", observation_end="1997-09-30")
    litt = log_interpurchase_sum(tx, time_unit="W", observation_end="1997-09-30")
    return summary.assign(**{LOG_INTERPURCHASE_COLUMN: litt})


# ------------------------------------------------------------------ published values
def test_k1_fit_is_the_published_bgnbd_fit():
    """Fader, Hardie and Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4."""
    model = BetaGeoCNBDModel(k=1).fit(load_cdnow_summary())
    assert model.params_.round(3).tolist() == [1.0, 0.243, 4.414, 0.793, 2.426]
    assert round(model.log_likelihood_, 1) == -9582.4


@pytest.mark.parametrize(("cls", "peer"), PAIRS)
def test_k1_fit_equals_the_bg_family_fit(cls, peer):
    data = load_cdnow_summary()
    model, ref = cls(k=1).fit(data), peer().fit(data)
    np.testing.assert_allclose(model.params_.to_numpy()[1:], ref.params_.to_numpy(), rtol=1e-6)
    assert model.log_likelihood_ == pytest.approx(ref.log_likelihood_, abs=1e-6)
    assert model.aic_ == pytest.approx(ref.aic_, abs=1e-5)  # a given k is not a parameter
    se = model.summary_["se"].to_numpy()
    np.testing.assert_allclose(se[1:], ref.summary_["se"].to_numpy(), rtol=1e-4)
    assert se[0] == 0.0


@pytest.mark.parametrize("cls", [BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel])
def test_cdnow_profile_chooses_k1(cls, cdnow_litt):
    """BTYDplus' CDNOW demo: 'k=1 -> no regularity detected for CDNow'."""
    model = cls().fit(cdnow_litt)
    assert model.params_["k"] == 1.0
    profile = model.profile_
    assert profile.index.tolist() == [1, 2, 3]  # worse twice in a row: the profile stops
    assert profile["log_likelihood"].idxmax() == 1
    assert profile["converged"].all()
    assert model.log_likelihood_ == profile.loc[1, "log_likelihood"]
    assert model.aic_ == pytest.approx(2 * 5 - 2 * model.log_likelihood_)  # k was chosen


def _hand_fit(data: pd.DataFrame, k: int, modified: bool) -> tuple[np.ndarray, float]:
    """An independent BG/CNBD-k likelihood written from the paper, maximised with scipy."""
    x, t_x, T, litt = (data[c].to_numpy(float) for c in data.columns[:4])
    s = 1.0 if modified else 0.0

    def negll(theta):
        r, alpha, a, b = np.exp(theta)
        R = r + k * x
        survive = sum(
            np.exp(gammaln(R + j) - gammaln(R) - gammaln(j + 1.0)) * ((T - t_x) / (alpha + T)) ** j
            for j in range(k)
        )
        dead = (x > 0) | modified
        ratio = np.where(
            dead, a / np.where(dead, b + x - 1 + s, 1.0) * ((alpha + T) / (alpha + t_x)) ** R, 0.0
        )
        ll = (
            (k - 1) * litt
            - x * gammaln(k)
            + betaln(a, b + x + s)
            - betaln(a, b)
            + gammaln(R)
            - gammaln(r)
            + r * np.log(alpha)
            - R * np.log(alpha + T)
            + np.log(survive + ratio)
        )
        return -ll.sum()

    res = optimize.minimize(
        negll,
        np.log([1.0, 1.0, 1.0, 1.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 40_000},
    )
    return np.exp(res.x), -res.fun


@pytest.mark.parametrize("modified", [False, True])
def test_fixed_k_fit_equals_an_independent_scipy_fit(modified):
    cls = ModifiedBetaGeoCNBDModel if modified else BetaGeoCNBDModel
    sim = simulate_cnbd(
        3000, k=2, r=1.2, alpha=3.0, a=0.8, b=3.0, T=52.0, modified=modified, seed=2
    )
    data = sim[["frequency", "recency", "T", LOG_INTERPURCHASE_COLUMN]]
    model = cls(k=2).fit(data)
    params, ll = _hand_fit(data, 2, modified)
    assert model.log_likelihood_ == pytest.approx(ll, abs=1e-6)
    np.testing.assert_allclose(model.params_.to_numpy()[1:], params, rtol=1e-4)
    assert model.log_likelihood(data) == pytest.approx(model.log_likelihood_, rel=1e-12)


@pytest.mark.parametrize("modified", [False, True])
def test_profile_recovers_k_and_parameters_of_simulated_data(modified):
    """Platzer and Reutterer's k = 3 setting of BTYDplus' tests, 20,000 customers."""
    truth = {"k": 3, "r": 0.85, "alpha": 1.45, "a": 0.79, "b": 2.42}
    T = np.random.default_rng(3).choice(np.arange(36.0, 97.0, 12.0), 20_000)
    sim = simulate_cnbd(20_000, **truth, T=T, modified=modified, seed=4)
    cls = ModifiedBetaGeoCNBDModel if modified else BetaGeoCNBDModel
    model = cls().fit(sim[["frequency", "recency", "T", LOG_INTERPURCHASE_COLUMN]])
    assert model.params_["k"] == 3
    assert model.convergence_.success
    summary = model.summary_
    for name in ("r", "alpha", "a", "b"):
        z = (summary.loc[name, "coef"] - truth[name]) / summary.loc[name, "se"]
        assert abs(z) < 3.5, (name, z)
    ll = model.profile_["log_likelihood"]
    assert ll.index.tolist() == [1, 2, 3, 4, 5]
    assert ll[3] - max(ll[2], ll[4]) > 10  # a clear optimum


# ------------------------------------------------------------------ data rules and errors
def test_k_above_1_needs_the_litt_column():
    with pytest.raises(MissingColumnError, match=r"log_interpurchase_sum.*fix k=1"):
        BetaGeoCNBDModel().fit(load_cdnow_summary())
    with pytest.raises(MissingColumnError, match="log_interpurchase_sum"):
        ModifiedBetaGeoCNBDModel(k=2).fit(load_cdnow_summary())
    model = BetaGeoCNBDModel.from_params(k=2, r=0.5, alpha=2.0, a=0.8, b=2.5, time_unit="W")
    with pytest.raises(MissingColumnError, match="log_interpurchase_sum"):
        model.log_likelihood(load_cdnow_summary())
    # predictions need no litt
    assert np.isfinite(model.expected_purchases(load_cdnow_summary(), t=10)).all()


@pytest.mark.parametrize("k", [0, 51, 2.5, True, "2"])
def test_bad_k_is_refused(k, cdnow_litt):
    with pytest.raises(ParameterError, match="k must be"):
        BetaGeoCNBDModel(k=k).fit(cdnow_litt)


@pytest.mark.parametrize("k", [0.0, 2.5, 51.0])
def test_from_params_refuses_a_k_that_is_not_a_valid_integer(k):
    with pytest.raises(ParameterError, match=r"'k'|k must be an integer"):
        BetaGeoCNBDModel.from_params(k=k, r=0.5, alpha=2.0, a=0.8, b=2.5)


def test_litt_inconsistent_with_frequency_and_recency_is_refused(cdnow_litt):
    bad = cdnow_litt.copy()
    repeat = bad.index[bad["frequency"] > 0][:3]
    bad.loc[repeat, LOG_INTERPURCHASE_COLUMN] += 100.0  # e.g. computed in another unit
    with pytest.raises(DataValidationError, match="at most frequency"):
        BetaGeoCNBDModel().fit(bad)
    bad = cdnow_litt.copy()
    bad.loc[bad.index[bad["frequency"] == 0][:2], LOG_INTERPURCHASE_COLUMN] = -1.0
    with pytest.raises(DataValidationError, match="must be 0 when frequency is 0"):
        BetaGeoCNBDModel().fit(bad)


def test_litt_in_days_with_recency_in_weeks_is_refused():
    tx = load_cdnow_transactions(sample=True)
    summary = rfm_summary(tx, time_unit="W", observation_end="1997-09-30")
    days = log_interpurchase_sum(tx, observation_end="1997-09-30")  # days, not weeks
    with pytest.raises(DataValidationError, match=LOG_INTERPURCHASE_COLUMN):
        BetaGeoCNBDModel().fit(summary.assign(**{LOG_INTERPURCHASE_COLUMN: days}))


# ------------------------------------------------------------------ persistence, fitted state
@pytest.mark.parametrize("cls", [BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel])
def test_a_fitted_model_reloads_with_its_k(cls, tmp_path):
    sim = simulate_cnbd(
        2000,
        k=4,
        r=2.0,
        alpha=2.0,
        a=1.0,
        b=4.0,
        T=52.0,
        modified=cls is ModifiedBetaGeoCNBDModel,
        seed=9,
    )
    data = sim[["frequency", "recency", "T", LOG_INTERPURCHASE_COLUMN]]
    model = cls(max_k=6).fit(data)
    model.save(tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert type(loaded) is cls
    assert loaded.get_params() == model.get_params()
    pd.testing.assert_series_equal(loaded.params_, model.params_, check_exact=True)
    pd.testing.assert_series_equal(
        loaded.expected_purchases(data, t=26),
        model.expected_purchases(data, t=26),
        check_exact=True,
    )
    assert loaded.aic_ == model.aic_
    assert loaded.log_likelihood(data) == model.log_likelihood(data)


def test_required_columns_follow_the_k_in_use():
    assert BetaGeoCNBDModel.required_columns[-1] == LOG_INTERPURCHASE_COLUMN
    assert BetaGeoCNBDModel(k=1).required_columns == ("frequency", "recency", "T")
    assert BetaGeoCNBDModel().required_columns[-1] == LOG_INTERPURCHASE_COLUMN
    fixed = BetaGeoCNBDModel.from_params(k=1, r=0.5, alpha=2.0, a=0.8, b=2.5)
    assert fixed.required_columns == ("frequency", "recency", "T")


def test_new_customer_expectation_at_k3_matches_simulated_frequencies():
    params = {"k": 3, "r": 0.85, "alpha": 1.45, "a": 0.79, "b": 2.42}
    model = ModifiedBetaGeoCNBDModel.from_params(**params, time_unit="W")
    sim = simulate_cnbd(100_000, **params, T=40.0, modified=True, seed=11)
    expected = float(model.expected_purchases_new_customer(t=40.0))
    sd = sim["frequency"].std() / math.sqrt(len(sim))
    assert abs(sim["frequency"].mean() - expected) < 4 * sd


def test_the_numbers_of_the_docs_page(cdnow_litt):
    """docs/models_cnbd.md: the CDNOW profile, the chosen k, customer 1's predictions."""
    from customer_models.evaluation._regularity import estimate_regularity

    shown = {
        BetaGeoCNBDModel: (
            [-9582.4, -9855.3, -10393.6],
            [0.243, 4.414, 0.793, 2.426],
            0.727,
            1.226,
        ),
        ModifiedBetaGeoCNBDModel: (
            [-9582.1, -9853.3, -10394.4],
            [0.525, 6.183, 0.891, 1.614],
            0.706,
            1.263,
        ),
    }
    for cls, (profile, params, alive, expected) in shown.items():
        model = cls().fit(cdnow_litt)
        assert model.profile_["log_likelihood"].round(1).tolist() == profile
        assert model.params_.round(3).tolist() == [1.0, *params]
        one = cdnow_litt.loc[[1]]
        assert round(float(model.probability_alive(one).iloc[0]), 3) == alive
        assert round(float(model.expected_purchases(one, t=39).iloc[0]), 3) == expected
    bg = BetaGeoModel().fit(cdnow_litt)
    assert BetaGeoCNBDModel().fit(cdnow_litt).aic_ - bg.aic_ == pytest.approx(2.0, abs=1e-4)
    tx = load_cdnow_transactions(sample=True)
    regularity = estimate_regularity(tx[tx["date"] <= "1997-09-30"])
    assert round(regularity["k"], 2) == 1.05
    assert round(regularity["se"], 2) == 0.06
    assert regularity["n_customers"] == 507


def test_progress_reports_one_step_per_k_and_leaves_the_fit_unchanged(cdnow_litt):
    seen = []
    model = BetaGeoCNBDModel().fit(
        cdnow_litt, progress=lambda done, total, desc: seen.append((done, total))
    )
    assert seen == [(1, 12), (2, 12), (3, 12)]  # the profile stops after k = 3
    quiet = BetaGeoCNBDModel().fit(cdnow_litt)
    pd.testing.assert_series_equal(model.params_, quiet.params_, check_exact=True)
    with pytest.raises(ParameterError):
        BetaGeoCNBDModel().fit(cdnow_litt, progress="yes")


@pytest.mark.parametrize("cls", [BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel])
def test_convergence_warning_names_the_k_and_points_at_the_caller(cls):
    # nobody drops out and everybody buys at the same steady rate: the fit runs to a boundary
    n = 400
    data = pd.DataFrame(
        {"frequency": np.full(n, 25), "recency": np.full(n, 49.5), "T": np.full(n, 50.0)}
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = cls(k=1).fit(data)
    assert [w.category for w in record] == [ConvergenceWarning]
    assert str(record[0].message).startswith(f"{cls.__name__} fit at k = 1: not converged")
    assert record[0].filename == __file__
    assert not model.convergence_.success
