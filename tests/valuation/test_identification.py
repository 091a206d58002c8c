"""Weak identification is reported, and profile-likelihood intervals follow the ridge."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import optimize, stats

from customer_models import profile_likelihood_intervals
from customer_models.exceptions import ConvergenceWarning, ParameterError
from customer_models.valuation import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)
from customer_models.valuation._identification import RIDGE_SD, identification


def _simulate(n, params, model="bgnbd", seed=0):
    from conftest import simulate_summary

    return simulate_summary(n, params, model=model, seed=seed)


@pytest.mark.parametrize(
    ("cls", "weakest"),
    [
        (BetaGeoModel, 0.368),
        (ModifiedBetaGeoModel, 0.399),
        (ParetoNBDModel, 0.614),
        (GammaGammaModel, 0.333),
    ],
)
def test_cdnow_fits_are_identified(cdnow, cls, weakest):
    model = cls().fit(cdnow)  # filterwarnings = error: any ConvergenceWarning fails here
    report = model.convergence_
    assert report.success
    assert not report.flat_ridge
    assert report.ridge_parameters == ()
    assert report.weakest_sd == pytest.approx(weakest, abs=2e-3)
    # the weakest sd is 1/sqrt(smallest eigenvalue) of the log-space precision
    p = model.params_.to_numpy()
    precision = np.linalg.inv(model.covariance_.to_numpy() / np.outer(p, p))
    smallest = np.linalg.eigvalsh(precision)[0]
    assert report.weakest_sd == pytest.approx(1 / math.sqrt(smallest), rel=1e-6)


def test_low_dropout_bgnbd_warns_and_names_a_and_b():
    # p ~ Beta(5, 100): hardly anyone drops out, only a / (a + b) is pinned down
    data = _simulate(2000, {"r": 0.5, "alpha": 4.0, "a": 5.0, "b": 100.0}, seed=1)
    with pytest.warns(ConvergenceWarning, match=r"flat ridge: the data determine a and b only"):
        model = BetaGeoModel().fit(data)
    report = model.convergence_
    assert report.flat_ridge
    assert not report.success
    assert report.ridge_parameters == ("a", "b")
    assert report.weakest_sd > RIDGE_SD
    assert report.hessian_positive_definite  # a proper maximum, but a flat one
    # the ridge is real: a and b move together by a factor of 20 with a/(a+b) held
    a, b = model.params_["a"], model.params_["b"]
    assert a / (a + b) == pytest.approx(5 / 105, rel=0.25)


def test_low_dropout_pareto_nbd_warns_and_names_s_and_beta():
    data = _simulate(2000, {"r": 0.5, "alpha": 4.0, "s": 1.0, "beta": 100.0}, "pareto", seed=0)
    with pytest.warns(ConvergenceWarning, match=r"determine s and beta only together"):
        model = ParetoNBDModel().fit(data)
    assert model.convergence_.ridge_parameters == ("s", "beta")
    assert not model.convergence_.success


def test_identification_of_singular_and_indefinite_hessians():
    names = ["r", "alpha", "a", "b"]
    indefinite = np.diag([10.0, 20.0, 5.0, -1e-3])
    found = identification(names, indefinite)
    assert found.flat_ridge
    assert found.parameters == ("b",)
    assert math.isinf(found.weakest_sd)
    singular = np.zeros((4, 4))
    singular[:2, :2] = np.diag([50.0, 80.0])
    singular[2:, 2:] = 30.0  # rank one block: log a - log b free
    found = identification(names, singular)
    assert found.parameters == ("a", "b")
    np.testing.assert_allclose(np.abs(found.direction), [0.0, 0.0, 0.5**0.5, 0.5**0.5], atol=1e-9)
    assert not identification(names, np.diag([10.0, 20.0, 5.0, 2.0])).flat_ridge
    assert identification(names, np.full((4, 4), np.nan)).flat_ridge


def _profile_deviance_by_hand(model, data, j, value):
    """2 (l_hat - max over the others of l with param j fixed), by Nelder-Mead on the public
    log_likelihood of from_params models (independent of the library's profile code)."""
    names = list(model.param_names)
    p_hat = model.params_.to_numpy()
    others = [i for i in range(len(names)) if i != j]

    def negative(rest):
        p = p_hat.copy()
        p[others] = np.exp(np.clip(rest, -25.0, 25.0))  # the box fit searches
        p[j] = value
        m = type(model).from_params(**dict(zip(names, p, strict=True)), time_unit="W")
        return -m.log_likelihood(data)

    res = optimize.minimize(
        negative, np.log(p_hat[others]), method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
    )  # fmt: skip
    return 2.0 * (model.log_likelihood_ + res.fun)


def test_profile_intervals_on_cdnow_hit_the_chi2_quantile(cdnow):
    model = BetaGeoModel().fit(cdnow)
    table = profile_likelihood_intervals(model, cdnow, confidence=0.95)
    assert list(table.index) == ["r", "alpha", "a", "b"]
    assert table["bounded"].all()
    target = stats.chi2.ppf(0.95, 1)
    for j, name in ((0, "r"), (3, "b")):
        for side in ("lower", "upper"):
            deviance = _profile_deviance_by_hand(model, cdnow, j, table.loc[name, side])
            assert deviance == pytest.approx(target, abs=2e-3)
    # r and alpha are well determined: Wald and profile agree to a few percent there
    wald = model.summary_
    for name in ("r", "alpha"):
        assert table.loc[name, "lower"] == pytest.approx(wald.loc[name, "lower"], rel=0.02)
        assert table.loc[name, "upper"] == pytest.approx(wald.loc[name, "upper"], rel=0.02)
    narrower = profile_likelihood_intervals(model, cdnow, confidence=0.5)
    assert (narrower["upper"] < table["upper"]).all()
    assert (narrower["lower"] > table["lower"]).all()


def _profiled(params, seed):
    """BG/NBD fitted to 2,000 customers simulated at ``params`` and its profile intervals.

    The parameters are chosen weakly identified: the fit's ConvergenceWarning is expected.
    """
    data = _simulate(2000, params, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = BetaGeoModel().fit(data)
    return data, model, profile_likelihood_intervals(model, data)


def test_profile_intervals_say_when_the_data_do_not_bound_a_parameter():
    _, _, table = _profiled({"r": 0.5, "alpha": 4.0, "a": 5.0, "b": 100.0}, seed=1)
    assert table.loc["b", "upper"] == math.inf
    assert not table.loc["b", "bounded"]
    assert table.loc[["r", "alpha"], "bounded"].all()
    assert table.loc["b", "lower"] > 0  # the lower side is bounded by the data
    assert table.loc["b", "lower"] < 5 * 21 < table.loc["b", "coef"] * 1e6


def test_profile_intervals_near_the_boundary_are_consistent():
    """p ~ Beta(2, 40): an inexact inner fit once made the root bracket change sign."""
    data, model, table = _profiled({"r": 0.5, "alpha": 4.0, "a": 2.0, "b": 40.0}, seed=500)
    assert (table["lower"] <= table["coef"]).all()
    assert (table["coef"] <= table["upper"]).all()
    assert table.loc[["r", "alpha"], "bounded"].all()
    # a's upper side is bounded only by the search box (b would have to leave it): unbounded
    assert table.loc["a", "upper"] == math.inf
    assert table.loc["b", "upper"] == math.inf
    finite = table[table["bounded"]]
    for name in finite.index:  # every bound found is where the deviance hits the quantile
        j = list(model.param_names).index(name)
        for side in ("lower", "upper"):
            deviance = _profile_deviance_by_hand(model, data, j, finite.loc[name, side])
            assert deviance == pytest.approx(stats.chi2.ppf(0.95, 1), abs=0.02)


def test_profile_interval_errors(cdnow):
    model = BetaGeoModel.from_params(r=0.3, alpha=4.0, a=0.8, b=2.4, time_unit="W")
    with pytest.raises(ParameterError, match="not the maximum"):
        profile_likelihood_intervals(model, cdnow)
    fitted = BetaGeoModel().fit(cdnow)
    for bad in (0.0, 1.0, "0.9"):
        with pytest.raises(ParameterError, match="confidence"):
            profile_likelihood_intervals(fitted, cdnow, confidence=bad)
    with pytest.raises(ParameterError, match="not the maximum"):
        profile_likelihood_intervals(fitted, cdnow.iloc[:500])


@pytest.mark.slow
def test_profile_interval_coverage_by_simulation():
    """95% profile intervals of BG/NBD's four parameters cover the truth (30 fits, n=400)."""
    truth = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}
    hits = []
    for seed in range(30):
        data = _simulate(400, truth, seed=100 + seed)
        model = BetaGeoModel().fit(data)
        table = profile_likelihood_intervals(model, data)
        values = np.array(list(truth.values()))
        hits.append((table["lower"].to_numpy() <= values) & (values <= table["upper"].to_numpy()))
    coverage = np.mean(hits, axis=0)
    # 30 fits per parameter: 28.5 expected hits, binomial sd 1.2
    assert np.all(coverage >= 25 / 30), coverage
    assert 0.9 <= np.mean(hits) <= 1.0
