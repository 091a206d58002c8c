"""Bootstrap of correlations on sufficient statistics: exact for rows, bucketed above."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.feedback import _resample, key_drivers
from customer_models.feedback._resample import (
    BOOTSTRAP_UNITS,
    _correlations,
    _unit_moments,
    bootstrap_correlations,
)


def _bivariate(n: int, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1.0 - rho**2) * rng.normal(size=n)
    return np.column_stack([x, y])


def test_unit_moments_give_each_resample_its_own_correlation():
    """With rows as units, the counts' correlation is np.corrcoef of the repeated rows."""
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(60, 3)) + np.array([0.0, 5.0, -2.0])
    matrix[:, 2] += matrix[:, 0]
    standardized = (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)
    size, moments = _unit_moments(standardized, rng)
    counts = np.stack([np.bincount(rng.integers(0, 60, 60), minlength=60) for _ in range(5)])
    got = _correlations(counts.astype(float), size, moments, 3)
    for b in range(5):
        expected = np.corrcoef(np.repeat(matrix, counts[b], axis=0).T)
        np.testing.assert_allclose(got[b], expected, rtol=0, atol=1e-12)


def test_a_resample_with_a_constant_column_is_nan():
    matrix = np.array([[1.0, 2.0], [1.0, 3.0], [2.0, 5.0], [3.0, 1.0]])
    standardized = (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)
    size, moments = _unit_moments(standardized, np.random.default_rng(0))
    counts = np.array([[2.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])  # rows 0-1: x constant
    got = _correlations(counts, size, moments, 2)
    assert np.isnan(got[0]).all()
    np.testing.assert_allclose(got[1], np.corrcoef(matrix.T), atol=1e-12)


@pytest.mark.slow
def test_bucketed_spread_matches_the_row_bootstrap_and_the_normal_theory(monkeypatch):
    """Above BOOTSTRAP_UNITS rows the buckets give the row bootstrap's spread.

    Independent references: the exact row bootstrap (units forced to the rows) and the
    normal-theory standard error of a correlation, (1 - rho^2) / sqrt(n).
    """
    n, rho, reps = 5 * BOOTSTRAP_UNITS, 0.5, 1000
    matrix = _bivariate(n, rho, seed=1)
    bucketed = bootstrap_correlations(matrix, reps, np.random.default_rng(2))[:, 0, 1]
    monkeypatch.setattr(_resample, "BOOTSTRAP_UNITS", n)
    rows = bootstrap_correlations(matrix, reps, np.random.default_rng(2))[:, 0, 1]
    theory = (1.0 - rho**2) / np.sqrt(n)
    # Each spread has Monte Carlo error about 1/sqrt(2 * reps) = 2.2%.
    assert bucketed.std() / rows.std() == pytest.approx(1.0, abs=0.1)
    assert bucketed.std() / theory == pytest.approx(1.0, abs=0.1)
    assert rows.std() / theory == pytest.approx(1.0, abs=0.1)
    r = np.corrcoef(matrix.T)[0, 1]
    assert abs(bucketed.mean() - r) < 3 * theory / np.sqrt(reps) + 1e-4


@pytest.mark.slow
def test_bucketed_percentile_intervals_cover_the_true_correlation():
    """Simulated from the model: 300 samples of 30,000 rows, rho = 0.4, 95% intervals."""
    n, rho, trials = 30_000, 0.4, 300
    hits = 0
    for trial in range(trials):
        sample = pd.DataFrame(_bivariate(n, rho, seed=100 + trial), columns=["x", "y"])
        table = key_drivers(sample, target="y", drivers=["x"], n_draws=200, random_state=trial)
        hits += table["correlation_lower"].iloc[0] <= rho <= table["correlation_upper"].iloc[0]
    # Binomial SE at 95% over 300 trials is 1.3%: [0.91, 0.99] is three SEs either side.
    assert 0.91 <= hits / trials <= 0.99


def test_key_drivers_on_a_million_rows_keeps_its_point_estimates():
    """Point estimates are the full-sample ones; intervals bracket them."""
    rng = np.random.default_rng(5)
    n = 1_000_000
    drivers = rng.normal(size=(n, 3))
    target = drivers @ np.array([0.2, 0.4, 0.1]) + rng.normal(size=n)
    frame = pd.DataFrame(drivers, columns=["a", "b", "c"]).assign(y=target)
    table = key_drivers(frame, target="y", drivers=["a", "b", "c"], n_draws=50, random_state=0)
    expected = frame.corr().loc[["a", "b", "c"], "y"].to_numpy()
    np.testing.assert_allclose(table["correlation"], expected, rtol=0, atol=1e-12)
    assert (table["correlation_lower"] < table["correlation"]).all()
    assert (table["correlation"] < table["correlation_upper"]).all()
    # Normal-theory half-width 1.96 (1 - r^2) / sqrt(n) is about 0.0019 here.
    half = (table["correlation_upper"] - table["correlation_lower"]) / 2
    theory = 1.96 * (1 - expected**2) / np.sqrt(n)
    np.testing.assert_allclose(half, theory, rtol=0.35)
