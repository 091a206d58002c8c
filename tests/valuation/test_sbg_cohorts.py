"""Multi-cohort sBG: agreement with single-cohort sBG, recovery, and input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.exceptions import CustomerModelsError
from customer_models.valuation._sbg import ShiftedBetaGeoModel
from customer_models.valuation._sbg_cohorts import CohortShiftedBetaGeoModel

# Fader & Hardie (2007), Table 1: the "regular" and "high end" cohorts.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def _long(counts: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [(c, t, s) for c, v in counts.items() for t, s in enumerate(v)],
        columns=["cohort", "period", "survivors"],
    )


def _single(survivors) -> ShiftedBetaGeoModel:
    return ShiftedBetaGeoModel().fit(
        ShiftedBetaGeoModel.cohort_to_data(survivors), sample_weight="weight"
    )


@pytest.mark.parametrize("pooling", ["none", "kappa"])
def test_one_cohort_equals_sbg(pooling):
    ref = _single(REGULAR)
    model = CohortShiftedBetaGeoModel(pooling=pooling).fit(_long({"a": REGULAR}))
    tol = 1e-10 if pooling == "none" else 1e-6  # "kappa" is its own optimizer
    np.testing.assert_allclose(model.params_.loc["a"].to_numpy(), ref.params_.to_numpy(), rtol=tol)
    assert model.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-10, abs=1e-8)
    t = np.arange(0, 13)
    np.testing.assert_allclose(model.survival(t)["a"], ref.survival(t), rtol=tol)


def test_independent_cohorts_equal_separate_fits():
    model = CohortShiftedBetaGeoModel().fit(_long({"regular": REGULAR, "high end": HIGH_END}))
    refs = {"regular": _single(REGULAR), "high end": _single(HIGH_END)}
    for name, ref in refs.items():
        np.testing.assert_allclose(
            model.params_.loc[name].to_numpy(), ref.params_.to_numpy(), rtol=1e-10
        )
        np.testing.assert_allclose(model.retention_rate([1, 5])[name], ref.retention_rate([1, 5]))
        assert model.expected_lifetime(discount_rate=0.1)[name] == pytest.approx(
            ref.expected_lifetime(discount_rate=0.1), rel=1e-12
        )
        np.testing.assert_allclose(
            model.expected_residual_lifetime([0, 4], discount_rate=0.1)[name],
            ref.expected_residual_lifetime(np.array([0, 4]), discount_rate=0.1),
            rtol=1e-12,
        )
    assert model.log_likelihood_ == pytest.approx(
        sum(r.log_likelihood_ for r in refs.values()), rel=1e-12
    )
    # published F&H (2007) estimates of both cohorts
    np.testing.assert_allclose(model.params_.round(3).to_numpy(), [[0.704, 1.182], [0.668, 3.806]])


def test_kappa_pooling_is_between_and_not_better_than_independent():
    data = _long({"regular": REGULAR, "high end": HIGH_END})
    free = CohortShiftedBetaGeoModel().fit(data)
    pooled = CohortShiftedBetaGeoModel(pooling="kappa").fit(data)
    kappa = pooled.params_.sum(axis=1)
    np.testing.assert_allclose(kappa.to_numpy(), kappa.iloc[0], rtol=1e-12)  # shared
    assert pooled.log_likelihood_ <= free.log_likelihood_ + 1e-8
    # the pooled fit is a stationary point: no single-cohort refit of phi improves it much
    assert pooled.log_likelihood_ > free.log_likelihood_ - 50


def _simulate(alpha, beta, n, periods, rng):
    theta = rng.beta(alpha, beta, size=n)
    life = rng.geometric(theta)  # period of churn, >= 1
    return [int(np.sum(life > t)) for t in range(periods + 1)]


@pytest.mark.parametrize("pooling", ["none", "kappa"])
def test_parameter_recovery_on_simulated_cohorts(pooling):
    rng = np.random.default_rng(20261202)
    truth = {"2024": (0.8, 2.4), "2025": (1.6, 1.6)}  # both kappa = 3.2
    counts = {c: _simulate(a, b, 40_000, 24, rng) for c, (a, b) in truth.items()}
    model = CohortShiftedBetaGeoModel(pooling=pooling).fit(_long(counts))
    np.testing.assert_allclose(model.params_.to_numpy(), np.array(list(truth.values())), rtol=0.12)


def test_missing_cohort_column():
    with pytest.raises(CustomerModelsError, match="cohort"):
        CohortShiftedBetaGeoModel().fit(_long({"a": REGULAR}).drop(columns="cohort"))


def test_cohort_with_no_rows_is_named():
    data = _long({"a": REGULAR})
    data["cohort"] = pd.Categorical(data["cohort"], categories=["a", "empty"])
    with pytest.raises(CustomerModelsError, match=r"'empty'.*0 rows"):
        CohortShiftedBetaGeoModel().fit(data)


def test_non_monotone_survival_is_named():
    bad = list(HIGH_END)
    bad[3] = 800
    with pytest.raises(CustomerModelsError, match=r"'high end'.*increase.*\[3\]"):
        CohortShiftedBetaGeoModel().fit(_long({"regular": REGULAR, "high end": bad}))


def test_caller_frame_not_mutated():
    data = _long({"regular": REGULAR, "high end": HIGH_END}).iloc[::-1]
    before = data.copy()
    CohortShiftedBetaGeoModel().fit(data)
    pd.testing.assert_frame_equal(data, before)
