"""The count and value over a later window (T + start, T + start + t] (Pareto/NBD).

Independent checks: the window pmf's mean equals ``E[X(start + t)] - E[X(start)]`` from the
model's own expectation (a different formula), and the pmf matches the window counts of a
seeded Pareto/NBD simulation (the same simulated customers counted up to T + start and up to
T + start + t).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_predictive import PNBD, _within, simulate_pnbd

import customer_models as cm
from customer_models.exceptions import ParameterError
from customer_models.valuation import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from customer_models.valuation._predictive_source import pmf_source, scan

GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _window_pmf(model, data, t, start):
    source = pmf_source(model, data, t, start)
    res = scan(source, source.fixed(), full=True)
    return res.pmf[source.inverse]


def test_window_mean_is_the_difference_of_expectations(cdnow_summary):
    model = ParetoNBDModel().fit(cdnow_summary)
    data = cdnow_summary.iloc[::7]
    pmf = _window_pmf(model, data, 26.0, 13.0)
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-9)
    mean = pmf @ np.arange(pmf.shape[1])
    e = (
        model.expected_purchases(data, t=39.0).to_numpy()
        - model.expected_purchases(data, t=13.0).to_numpy()
    )
    np.testing.assert_allclose(mean, e, rtol=1e-7)
    np.testing.assert_array_equal(
        _window_pmf(model, data, 26.0, 0.0), cm.purchase_pmf(model, data, t=26.0).to_numpy()
    )


def test_window_counts_match_simulation():
    data, early, _, _ = simulate_pnbd(8_000, PNBD, 13.0, seed=31)
    _, through, _, _ = simulate_pnbd(8_000, PNBD, 39.0, seed=31)  # the same customers
    window = through - early
    pmf = _window_pmf(ParetoNBDModel.from_params(**PNBD), data, 26.0, 13.0)
    for k in range(3):
        _within(pmf[:, k], window == k)
    _within(pmf[:, 3:].sum(axis=1), window >= 3)


def test_value_over_a_window(cdnow_summary):
    model = ParetoNBDModel().fit(cdnow_summary)
    spend = GammaGammaModel.from_params(**GG)
    data = cdnow_summary.iloc[::25]
    out = cm.value_distribution(model, spend, data, t=26, start=13, thresholds=[20.0])
    e = (
        model.expected_purchases(data, t=39.0).to_numpy()
        - model.expected_purchases(data, t=13.0).to_numpy()
    )
    want = e * spend.expected_spend(data).to_numpy()
    np.testing.assert_allclose(out["expected_value"], want, rtol=1e-7)
    later = cm.value_distribution(model, spend, data, t=26, start=0, thresholds=[20.0])
    # a customer alive at T is less likely alive at T + 13: less value in the later window
    assert (out["p_above_20"] <= later["p_above_20"] + 1e-12).all()


def test_other_models_are_refused_a_later_window(cdnow_summary):
    model = BetaGeoModel().fit(cdnow_summary)
    spend = GammaGammaModel.from_params(**GG)
    with pytest.raises(ParameterError, match="Pareto/NBD only"):
        cm.value_distribution(model, spend, cdnow_summary.head(5), t=26, start=13)
