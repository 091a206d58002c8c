"""The wheat plot of purchase regularity (customer_models._plot_regularity)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from customer_models import DataValidationError, ParameterError, load_cdnow_transactions
from customer_models._plot_regularity import plot_regularity, wheat_ratios
from customer_models.evaluation._regularity import estimate_regularity

matplotlib.use("Agg")


def _erlang_log(n: int, k: int, seed: int) -> pd.DataFrame:
    """Four purchases per customer with Erlang-k gaps (mean 10k days) at random rates."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 1.0, n)
    gaps = rng.gamma(k, 10.0 / rate[:, None], (n, 3))
    days = np.floor(np.cumsum(np.c_[np.zeros(n), gaps], axis=1)).astype(int)
    ids = np.repeat(np.arange(n), 4)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(days.ravel(), "D"),
        }
    )


def test_ratios_are_those_behind_estimate_regularity():
    tx = load_cdnow_transactions(sample=True)
    m = wheat_ratios(tx)
    est = estimate_regularity(tx)
    assert m.size == est["n_customers"]
    assert np.mean((m - 0.5) ** 2) == pytest.approx(est["var_m"], rel=1e-12)
    assert np.all((m > 0) & (m < 1))


def test_regular_buyers_give_the_beta_k_k_shape():
    tx = _erlang_log(20_000, 4, seed=1)
    m = wheat_ratios(tx)
    # M ~ Beta(4, 4) up to day rounding: Kolmogorov-Smirnov distance small
    assert stats.kstest(m, stats.beta(4, 4).cdf).statistic < 0.02
    ax = plot_regularity(tx, bins=25)
    fitted, poisson = ax.lines
    k = float(estimate_regularity(tx)["k"])
    assert fitted.get_label() == f"k = {k:.2f}"
    x, y = fitted.get_data()
    np.testing.assert_allclose(y, stats.beta.pdf(x, k, k), rtol=1e-12)
    assert np.all(poisson.get_ydata() == 1.0)
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights.size == 25
    assert heights.sum() * (1 / 25) == pytest.approx(1.0)  # a density
    assert "20000 customers" in ax.get_title()
    matplotlib.pyplot.close(ax.figure)


@pytest.mark.parametrize("bins", [1, 2.5, 500, "10"])
def test_bad_bins_are_refused(bins):
    with pytest.raises(ParameterError, match="bins"):
        plot_regularity(load_cdnow_transactions(sample=True), bins=bins)


def test_too_few_customers_is_the_estimates_error():
    tx = load_cdnow_transactions(sample=True)
    one = tx[tx["customer_id"] == tx["customer_id"].iloc[0]]  # one customer, four purchases
    with pytest.raises(DataValidationError, match="at least 2 customers"):
        plot_regularity(one)
