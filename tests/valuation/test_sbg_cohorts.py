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


# ---------------------------------------------------------------- standard errors, JSON


@pytest.mark.parametrize("pooling", ["none", "kappa"])
def test_one_cohort_standard_errors_equal_sbg(pooling):
    ref = _single(REGULAR)
    model = CohortShiftedBetaGeoModel(pooling=pooling).fit(_long({"a": REGULAR}))
    tol = 1e-10 if pooling == "none" else 1e-4  # kappa: differences of its own gradient
    np.testing.assert_allclose(model.summary_.loc["a", "se"], ref.summary_["se"], rtol=tol)
    np.testing.assert_allclose(model.covariance_.to_numpy(), ref.covariance_.to_numpy(), rtol=tol)


def test_independent_cohorts_have_no_cross_covariance():
    model = CohortShiftedBetaGeoModel().fit(_long({"regular": REGULAR, "high end": HIGH_END}))
    cross = model.covariance_.loc["regular", "high end"]
    assert np.all(cross.to_numpy() == 0.0)
    ref = _single(HIGH_END)
    np.testing.assert_allclose(
        model.covariance_.loc["high end", "high end"].to_numpy(), ref.covariance_.to_numpy()
    )


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["none", "kappa"])
def test_95_percent_intervals_cover_the_truth(pooling):
    """Coverage of the summary_ intervals over fits of cohorts simulated from sBG itself."""
    rng = np.random.default_rng(7)
    truth = {"2024": (0.8, 2.4), "2025": (1.6, 1.6)}  # shared kappa = 3.2
    reps, hits = 150, []
    for _ in range(reps):
        counts = {c: _simulate(a, b, 1_500, 10, rng) for c, (a, b) in truth.items()}
        model = CohortShiftedBetaGeoModel(pooling=pooling).fit(_long(counts))
        for c, values in truth.items():
            rows, true = model.summary_.loc[c], np.array(values)
            hits.extend((rows["lower"].to_numpy() <= true) & (true <= rows["upper"].to_numpy()))
    coverage = float(np.mean(hits))
    # 600 intervals: binomial sd of the share is 0.009; within nominal -3% / +3%
    assert 0.92 <= coverage <= 0.98, coverage


def test_json_round_trip_keeps_estimates_and_predictions(tmp_path):
    from customer_models.valuation import load_model

    for pooling in ("none", "kappa"):
        model = CohortShiftedBetaGeoModel(pooling=pooling).fit(
            _long({"regular": REGULAR, 2024: HIGH_END})
        )
        path = tmp_path / f"{pooling}.json"
        model.save(path)
        loaded = load_model(path)
        assert type(loaded) is CohortShiftedBetaGeoModel
        assert loaded.pooling == pooling
        pd.testing.assert_frame_equal(loaded.params_, model.params_)
        pd.testing.assert_frame_equal(loaded.summary_, model.summary_)
        pd.testing.assert_frame_equal(loaded.covariance_, model.covariance_)
        assert loaded.log_likelihood_ == model.log_likelihood_
        assert loaded.n_customers_ == model.n_customers_ == 2000.0
        pd.testing.assert_frame_equal(loaded.survival([1, 5]), model.survival([1, 5]))


def test_save_refuses_labels_json_cannot_keep(tmp_path):
    data = _long({"a": REGULAR, "b": HIGH_END})
    data["cohort"] = pd.to_datetime(data["cohort"].map({"a": "2024-01-01", "b": "2024-02-01"}))
    model = CohortShiftedBetaGeoModel().fit(data)
    with pytest.raises(CustomerModelsError, match=r"cohort labels must be str or int.*Timestamp"):
        model.save(tmp_path / "m.json")


def test_malformed_file_is_named(tmp_path):
    from customer_models.valuation import load_model

    model = CohortShiftedBetaGeoModel().fit(_long({"a": REGULAR}))
    path = tmp_path / "m.json"
    model.save(path)
    text = path.read_text().replace('"params": [', '"params": [-1.0, ')
    path.write_text(text)
    with pytest.raises(CustomerModelsError, match="malformed content"):
        load_model(path)


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(CustomerModelsError, match="not fitted"):
        CohortShiftedBetaGeoModel().save(tmp_path / "m.json")
