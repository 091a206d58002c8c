"""Coverage by simulation: prediction intervals of the count, confidence intervals of the mean.

*Outcome* (``prediction_interval``). Counts are discrete, so an interval cannot hold exactly
``confidence``: by construction ``P(lower <= X <= upper) >= confidence`` for every customer,
and the function returns that probability as ``coverage``. On data simulated from the model,
the share of customers whose simulated holdout count falls inside their interval must match
the mean ``coverage`` (within 4 binomial standard errors) and so be at least the nominal level
(less 2% of sampling slack). The excess over nominal is the discreteness (a customer with
``P(X = 0) = 0.97`` gets [0, 0]) and is reported, not hidden: docs/uncertainty.md tabulates it.

*Expectation* (``confidence_interval``). Refit on data simulated from known parameters, the
interval of the expected count (and P(alive)) of fixed histories must contain the true value in
nominal ± 3% of the replicates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_predictive import (
    BG,
    BGBB,
    HOLDOUT,
    PNBD,
    simulate_bg,
    simulate_bgbb,
    simulate_pnbd,
)

import customer_models as cm
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)


def _inside(out: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    return ((out["lower"].to_numpy() <= y) & (y <= out["upper"].to_numpy())).astype(float)


def _check(out: pd.DataFrame, y: np.ndarray, confidence: float) -> tuple[float, float]:
    c = out["coverage"].to_numpy()
    assert (c >= confidence - 1e-12).all()
    inside = _inside(out, y)
    sd = float(np.sqrt(np.sum(c * (1.0 - c)))) / c.size
    assert abs(inside.mean() - c.mean()) <= 4.0 * sd + 1e-12, (inside.mean(), c.mean(), sd)
    assert inside.mean() >= confidence - 0.02
    return float(inside.mean()), float(c.mean())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cls", "params", "sim"),
    [
        (BetaGeoModel, BG, lambda: simulate_bg(15_000, BG, HOLDOUT, seed=11)),
        (
            ModifiedBetaGeoModel,
            BG,
            lambda: simulate_bg(15_000, BG, HOLDOUT, modified=True, seed=12),
        ),
        (ParetoNBDModel, PNBD, lambda: simulate_pnbd(8_000, PNBD, HOLDOUT, seed=13)),
    ],
)
def test_outcome_interval_covers_the_simulated_count(cls, params, sim):
    data, y, _, _ = sim()
    model = cls.from_params(**params)
    for confidence in (0.8, 0.9):
        out = cm.prediction_interval(model, data, t=HOLDOUT, confidence=confidence)
        _check(out, y, confidence)
        assert (out["lower"] <= out["upper"]).all()


@pytest.mark.slow
def test_bgbb_outcome_interval_covers_the_simulated_count():
    data, y, _, _ = simulate_bgbb(15_000, BGBB, 5, seed=14)
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    for confidence in (0.8, 0.9):
        _check(cm.prediction_interval(model, data, t=5, confidence=confidence), y, confidence)


def test_the_expectation_interval_does_not_cover_the_count():
    """The old confusion, measured: the confidence interval of the mean holds few counts."""
    data, y, _, _ = simulate_bg(3_000, BG, HOLDOUT, seed=15)
    model = BetaGeoModel().fit(data)
    mean = cm.confidence_interval(model, data, t=HOLDOUT, method="delta")
    count = cm.prediction_interval(model, data, t=HOLDOUT)
    assert _inside(mean, y).mean() < 0.6
    assert _inside(count, y).mean() > 0.9


def test_parameter_uncertainty_widens_and_still_covers():
    data, y, _, _ = simulate_bg(400, BG, HOLDOUT, seed=16)
    model = BetaGeoModel().fit(data)
    plain = cm.prediction_interval(model, data, t=HOLDOUT)
    mixed = cm.prediction_interval(
        model, data, t=HOLDOUT, parameter_uncertainty=True, n_draws=40, random_state=0
    )
    again = cm.prediction_interval(
        model, data, t=HOLDOUT, parameter_uncertainty=True, n_draws=40, random_state=0
    )
    pd.testing.assert_frame_equal(mixed, again)
    assert (mixed["upper"] >= plain["upper"]).mean() > 0.95
    assert (mixed["upper"] - mixed["lower"]).mean() >= (plain["upper"] - plain["lower"]).mean()
    assert _inside(mixed, y).mean() >= 0.9 - 0.03
    with pytest.raises(cm.CustomerModelsError, match="fit_data"):
        cm.prediction_interval(
            model, data, t=HOLDOUT, parameter_uncertainty=True, method="bootstrap", n_draws=2
        )


REFERENCE = pd.DataFrame(
    {"frequency": [2.0, 10.0], "recency": [30.0, 38.0], "T": [40.0, 40.0]}, index=["mid", "top"]
)


@pytest.mark.slow
def test_confidence_interval_covers_the_true_expectation():
    truth_model = BetaGeoModel.from_params(**BG)
    truth = truth_model.expected_purchases(REFERENCE, t=HOLDOUT).to_numpy()
    truth_alive = truth_model.probability_alive(REFERENCE).to_numpy()
    hits, hits_alive = [], []
    for rep in range(300):
        data, _, _, _ = simulate_bg(10_000, BG, HOLDOUT, seed=1_000 + rep, tail=1.0)
        model = BetaGeoModel().fit(data)
        mean = cm.confidence_interval(model, REFERENCE, t=HOLDOUT, method="delta")
        alive = cm.confidence_interval(
            model, REFERENCE, quantity="probability_alive", method="delta"
        )
        hits.append(_inside(mean, truth))
        hits_alive.append(_inside(alive, truth_alive))
    coverage = np.mean(hits, axis=0)
    coverage_alive = np.mean(hits_alive, axis=0)
    np.testing.assert_allclose(coverage, 0.9, atol=0.03)
    np.testing.assert_allclose(coverage_alive, 0.9, atol=0.03)
