"""value_distribution(parameter_uncertainty=True): the value distribution mixed over draws.

Independent checks: the mixture's P(value > c) equals the mean over the same parameter draws
of the fixed-parameter distribution (each draw a model rebuilt with ``from_params``), its
quantiles solve that mean CDF, the mixture is wider than the fixed-parameter distribution on a
small fit, and its quantiles converge to the fixed-parameter ones as the covariance shrinks.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

import customer_models as cm
from customer_models.exceptions import ParameterError
from customer_models.valuation import BetaGeoModel, GammaGammaModel
from customer_models.valuation._param_draws import joint_draws, with_params

LEVELS = (0.05, 0.5, 0.95)


def _small_fit(cdnow_summary, n=400):
    data = cdnow_summary.iloc[:n]
    bg = BetaGeoModel().fit(data)
    gg = GammaGammaModel().fit(data.loc[data["frequency"] > 0])
    return bg, gg, data


def test_mixture_is_the_mean_over_the_draws(cdnow_summary):
    bg, gg, data = _small_fit(cdnow_summary)
    rows = data[data["frequency"] > 0].iloc[:6]
    kw = {"t": 39, "margin": 0.3}
    n_draws = 8
    mixed = cm.value_distribution(
        bg,
        gg,
        rows,
        **kw,
        thresholds=[5.0, 40.0],
        parameter_uncertainty=True,
        n_draws=n_draws,
        random_state=3,
    )
    tm, sm = joint_draws(bg, gg, n_draws, np.random.default_rng(3), "laplace", None)
    for c in (5.0, 40.0):
        each = [
            cm.value_distribution(
                with_params(bg, a),
                with_params(gg, b),
                rows,
                **kw,
                quantiles=[0.5],
                thresholds=[c],
            )[f"p_above_{c:g}"].to_numpy()
            for a, b in zip(tm, sm, strict=True)
        ]
        np.testing.assert_allclose(mixed[f"p_above_{c:g}"], np.mean(each, axis=0), atol=1e-12)
    for q in LEVELS:  # the mean CDF of the draws at the mixture's quantile is the level
        cut = mixed[f"q{q:g}"].to_numpy()
        for j in np.flatnonzero(cut > 0):
            one = rows.iloc[[j]]
            below = [
                1.0
                - cm.value_distribution(
                    with_params(bg, a),
                    with_params(gg, b),
                    one,
                    **kw,
                    quantiles=[0.5],
                    thresholds=[float(cut[j])],
                ).iloc[0, -1]
                for a, b in zip(tm, sm, strict=True)
            ]
            assert np.mean(below) == pytest.approx(q, abs=1e-9)


# 100 customers: the parameters are uncertain enough for the mixture to be visibly wider (the
# fit warns that a and b are weakly identified, which is the point here)
@pytest.mark.filterwarnings("ignore::customer_models.exceptions.ConvergenceWarning")
def test_parameter_uncertainty_widens_the_distribution(cdnow_summary):
    data = cdnow_summary.sample(100, random_state=1)
    bg = BetaGeoModel().fit(data)
    gg = GammaGammaModel().fit(data.loc[data["frequency"] > 0])
    rows = data[data["frequency"] > 0]
    fixed = cm.value_distribution(bg, gg, rows, t=52, quantiles=LEVELS)
    mixed = cm.value_distribution(
        bg,
        gg,
        rows,
        t=52,
        quantiles=LEVELS,
        parameter_uncertainty=True,
        n_draws=100,
        random_state=0,
    )
    width_fixed = (fixed["q0.95"] - fixed["q0.05"]).to_numpy()
    width_mixed = (mixed["q0.95"] - mixed["q0.05"]).to_numpy()
    some = width_fixed > 0  # (a customer with P(no purchase) >= 0.95 has [0, 0])
    assert some.sum() > 20
    assert np.median(width_mixed[some] / width_fixed[some]) > 1.03
    assert (width_mixed[some] > width_fixed[some]).mean() > 0.9
    # the expected value stays at the fitted parameters
    np.testing.assert_array_equal(mixed["expected_value"], fixed["expected_value"])


def _shrunk(model, factor):
    out = copy.deepcopy(model)
    out.covariance_ = model.covariance_ * factor
    return out


def test_quantiles_converge_as_the_covariance_shrinks(cdnow_summary):
    bg, gg, data = _small_fit(cdnow_summary)
    rows = data[data["frequency"] > 0].iloc[:80]
    fixed = cm.value_distribution(bg, gg, rows, t=39, quantiles=LEVELS).to_numpy()
    gaps = []
    for factor in (1.0, 1e-2, 1e-4, 1e-6):
        mixed = cm.value_distribution(
            _shrunk(bg, factor),
            _shrunk(gg, factor),
            rows,
            t=39,
            quantiles=LEVELS,
            parameter_uncertainty=True,
            n_draws=20,
            random_state=1,
        ).to_numpy()
        gaps.append(float(np.max(np.abs(mixed - fixed) / np.maximum(np.abs(fixed), 1e-3))))
    assert all(b < a for a, b in itertools.pairwise(gaps)), gaps
    assert gaps[-1] < 1e-3, gaps  # the gap scales with the draws' spread (sd 1e-3 of 1.0)


def test_options_are_checked(cdnow_summary):
    bg, gg, data = _small_fit(cdnow_summary, n=200)
    with pytest.raises(ParameterError, match="n_draws"):
        cm.value_distribution(bg, gg, data, t=39, parameter_uncertainty=True, n_draws=1)
    with pytest.raises(ParameterError, match="fit_data"):
        cm.value_distribution(
            bg, gg, data, t=39, parameter_uncertainty=True, method="bootstrap", n_draws=2
        )
