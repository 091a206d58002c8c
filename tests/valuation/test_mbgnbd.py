from __future__ import annotations

import numpy as np
import pytest
from _btyd_checks import LIFETIMES_HORIZONS, lifetimes_fitter
from _parity import assert_predictions_match_lifetimes
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_models.valuation import ModifiedBetaGeoModel, _mbgnbd

PARAMS = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


def _lifetimes_mbg():
    return lifetimes_fitter("ModifiedBetaGeoFitter")


def test_fit_matches_lifetimes_on_cdnow(cdnow):
    x, t_x, T = (cdnow[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    theirs = _lifetimes_mbg()().fit(x, t_x, T)
    ours = ModifiedBetaGeoModel().fit(cdnow)
    np.testing.assert_allclose(ours.params_.to_numpy(), theirs.params_.to_numpy(), rtol=1e-4)
    their_ll = -_lifetimes_mbg()._negative_log_likelihood(
        np.log(theirs.params_.to_numpy()), x, t_x, T, np.ones_like(x), 0.0
    ) * len(x)
    assert ours.log_likelihood_ == pytest.approx(their_ll, abs=0.01)
    assert ours.log_likelihood_ >= their_ll - 1e-6


def test_predictions_match_lifetimes(cdnow):
    theirs = lifetimes_fitter("ModifiedBetaGeoFitter", PARAMS)
    model = ModifiedBetaGeoModel.from_params(**PARAMS)
    assert_predictions_match_lifetimes(model, theirs, cdnow, **LIFETIMES_HORIZONS)
    for n in (0, 1, 3, 8):
        ours = model.probability_of_purchases(np.zeros((1, 3)), n=n, t=39.0)[0]
        assert ours == pytest.approx(
            float(theirs.probability_of_n_purchases_up_to_time(39.0, n)), rel=1e-6
        )


def test_pmf_sums_to_one_and_mean_matches(cdnow):
    model = ModifiedBetaGeoModel.from_params(**PARAMS)
    head = cdnow.iloc[:40]
    cols = [head[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    n = np.arange(400)[:, None]
    pmf = _mbgnbd.probability_of_purchases_kernel(model.params_.to_numpy(), n, *cols, 26.0)
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose(
        (n * pmf).sum(axis=0), model.expected_purchases(head, t=26.0).to_numpy(), rtol=1e-7
    )


@settings(max_examples=80, deadline=None)
@given(
    x=st.integers(0, 500),
    frac=st.floats(0, 1),
    T=st.floats(0, 1e5),
    t=st.floats(0, 1e4),
    params=st.tuples(
        st.floats(0.01, 50), st.floats(0.01, 500), st.floats(0.01, 50), st.floats(0.01, 50)
    ),
)
def test_predictions_bounded_and_finite(x, frac, T, t, params):
    row = np.array([[x, 0.0 if x == 0 else frac * T, T]])
    model = ModifiedBetaGeoModel.from_params(
        **dict(zip(("r", "alpha", "a", "b"), params, strict=True))
    )
    alive = model.probability_alive(row)
    assert 0 <= alive[0] <= 1
    e1, e2 = model.expected_purchases(row, t=t)[0], model.expected_purchases(row, t=2 * t + 1)[0]
    assert np.isfinite(e1)
    assert np.isfinite(e2)
    assert e2 >= e1 * (1 - 1e-9) - 1e-12
    assert np.isfinite(model.log_likelihood(row))


def test_recovers_make_transactions_parameters(simulated):
    # make_transactions simulates the MBG/NBD story (dropout possible right after the first
    # purchase) with r=0.5, alpha=4, a=0.8, b=2.5 per week.
    from conftest import SIM_PARAMS

    model = ModifiedBetaGeoModel().fit(simulated)
    assert model.time_unit_ == "W"
    for name, true in SIM_PARAMS.items():
        est, se = model.params_[name], model.summary_.loc[name, "se"]
        assert abs(est - true) < max(4 * se, 0.1 * true), (name, est, se)


def test_recovers_direct_simulation():
    from conftest import SIM_PARAMS, simulate_summary

    data = simulate_summary(20_000, SIM_PARAMS, model="mbgnbd", T_max=80.0, seed=2)
    model = ModifiedBetaGeoModel().fit(data)
    for name, true in SIM_PARAMS.items():
        est, se = model.params_[name], model.summary_.loc[name, "se"]
        assert abs(est - true) < max(4 * se, 0.1 * true), (name, est, se)
