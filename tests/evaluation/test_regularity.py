"""estimate_regularity: Wheat & Morrison's k from the last two inter-purchase times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from customer_models import estimate_regularity, load_cdnow_transactions
from customer_models.exceptions import DataValidationError


def _erlang_log(n, k, *, mean_days, purchases=5, seed=0):
    """Erlang-k inter-purchase times at a Gamma-distributed rate per customer."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(4.0, 1.0 / 4.0, n) / mean_days
    gaps = rng.gamma(k, 1.0 / (k * rate[:, None]), (n, purchases))
    seconds = np.floor(np.cumsum(gaps, axis=1).ravel() * 86_400).astype(np.int64)
    dates = pd.Timestamp("2000-01-01") + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame({"customer_id": np.repeat(np.arange(n), purchases), "date": dates})


def test_ratio_of_two_erlang_gaps_is_beta_k_k():
    """The identity the estimator rests on: t1 / (t1 + t2) ~ Beta(k, k), Var = 1/(4(2k+1))."""
    for k in (1.0, 2.5):
        assert stats.beta(k, k).var() == pytest.approx(1.0 / (4.0 * (2.0 * k + 1.0)))


@pytest.mark.parametrize("k", [1, 3])
def test_recovers_k_on_simulated_erlang_timing(k):
    # mean gap of 1,000 days: the rounding to days is negligible
    result = estimate_regularity(_erlang_log(4000, k, mean_days=1000.0, seed=k))
    assert result["n_customers"] == 4000
    assert abs(result["k"] - k) < 4 * result["se"]
    assert result["se"] < 0.1 * k


def test_standard_error_matches_the_spread_over_replications():
    estimates = [
        estimate_regularity(_erlang_log(800, 2, mean_days=1000.0, seed=s))["k"] for s in range(30)
    ]
    se = estimate_regularity(_erlang_log(800, 2, mean_days=1000.0, seed=99))["se"]
    assert np.std(estimates, ddof=1) == pytest.approx(se, rel=0.35)


def test_hand_computed_example_and_same_day_purchases_merge():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 3],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-03",
                    "2024-01-03",  # same day: one purchase day
                    "2024-01-09",
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-06",
                    "2024-01-01",
                    "2024-01-02",  # only two days: not used
                ]
            ),
        }
    )
    result = estimate_regularity(tx)
    m = np.array([2 / 8, 1 / 5])  # t1 / (t1 + t2) of customers 1 and 2
    var = np.mean((m - 0.5) ** 2)
    assert result["n_customers"] == 2
    assert result["var_m"] == pytest.approx(var)
    assert result["k"] == pytest.approx((1 - 4 * var) / (8 * var))


def test_cdnow_is_close_to_poisson_timing():
    """The value docs/model_choice.md quotes: k near 1 on the CDNOW 1/10 sample."""
    result = estimate_regularity(load_cdnow_transactions(sample=True))
    assert result["n_customers"] == 736
    assert round(result["k"], 2) == 0.99
    assert round(result["se"], 2) == 0.05


def test_refuses_too_few_customers_and_perfect_regularity():
    one = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"]),
        }
    )
    with pytest.raises(DataValidationError, match="at least 2 customers"):
        estimate_regularity(one)
    regular = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-08", "2024-01-15", "2024-02-01", "2024-02-03", "2024-02-05"]
            ),
        }
    )
    with pytest.raises(DataValidationError, match="perfectly regular"):
        estimate_regularity(regular)


def test_day_resolution_biases_k_upwards_when_customers_rebuy_within_days():
    """The caveat of docs/model_choice.md: Poisson timing, gaps of ~10 days, read as k > 1."""
    result = estimate_regularity(_erlang_log(4000, 1, mean_days=10.0, seed=5))
    assert result["k"] - 1.0 > 4 * result["se"]
