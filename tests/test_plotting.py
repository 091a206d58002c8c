from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from customer_models import calibration_holdout_split, with_time_unit
from customer_models.evaluation import frequency_fit, transaction_tracking
from customer_models.exceptions import ParameterError
from customer_models.plotting import (
    plot_calibration_purchases_vs_holdout,
    plot_clv_distribution,
    plot_frequency_fit,
    plot_frequency_recency_matrix,
    plot_survival,
    plot_tracking,
)
from customer_models.valuation import BetaGeoModel


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def holdout(cdnow_sample_transactions):
    return calibration_holdout_split(
        cdnow_sample_transactions,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
        value_col="amount",
    )


@pytest.fixture(scope="module")
def model(holdout):
    return BetaGeoModel().fit(holdout)


def test_calibration_vs_holdout(model, holdout):
    _fig, ax = plt.subplots()
    out = plot_calibration_purchases_vs_holdout(model, holdout, max_frequency=7, ax=ax)
    assert out is ax
    actual, predicted = ax.lines
    assert actual.get_label() == "Actual"
    assert predicted.get_label() == "Model"
    x = holdout["frequency"].clip(upper=7)
    np.testing.assert_allclose(
        actual.get_ydata(), holdout.groupby(x)["frequency_holdout"].mean().to_numpy()
    )
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"


@pytest.mark.parametrize("cumulative", [True, False])
def test_tracking(model, holdout, cdnow_sample_transactions, cumulative):
    ax = plot_tracking(
        model,
        holdout,
        cdnow_sample_transactions,
        cumulative=cumulative,
        calibration_end="1997-09-30",
    )
    track = transaction_tracking(model, holdout, cdnow_sample_transactions)
    suffix = "_cumulative" if cumulative else ""
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), track["actual" + suffix])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), track["expected" + suffix])
    assert ax.lines[2].get_xdata()[0] == pytest.approx(39.0, abs=1.0)
    assert "Cumulative" in ax.get_ylabel() if cumulative else "Repeat" in ax.get_ylabel()


def test_frequency_fit_bars(model, holdout):
    ax = plot_frequency_fit(model, holdout, max_frequency=7)
    table = frequency_fit(model, holdout, max_frequency=7)
    assert len(ax.patches) == 16
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[:8], table["actual"])
    np.testing.assert_allclose(heights[8:], table["expected"])
    assert ax.get_legend() is not None


def test_frequency_fit_needs_pmf(holdout):
    class NoPmf:
        pass

    with pytest.raises(ParameterError, match="frequency fit"):
        plot_frequency_fit(NoPmf(), holdout)


@pytest.mark.parametrize("quantity", ["expected_purchases", "probability_alive"])
def test_frequency_recency_matrix(model, holdout, quantity):
    ax = plot_frequency_recency_matrix(model, holdout, quantity=quantity, t=10, n_recency=30)
    image = ax.images[0].get_array()
    assert image.shape == (int(holdout["frequency"].max()) + 1, 30)
    T = holdout["T"].max()
    if quantity == "probability_alive":
        # frequency 0 is alive for sure; recency = T gives the highest P(alive) of a row
        assert np.allclose(image[0], 1.0)
        assert image[3, -1] == pytest.approx(image[3].max())
    else:
        one = with_time_unit(pd.DataFrame({"frequency": [2.0], "recency": [T], "T": [T]}), "W")
        assert image[2, -1] == pytest.approx(model.expected_purchases(one, t=10).iloc[0])
    assert len(ax.figure.axes) == 2  # the colour bar


def test_clv_distribution():
    values = np.r_[np.zeros(5), np.arange(1.0, 11.0)]
    ax = plot_clv_distribution(pd.DataFrame({"clv": values}), bins=10)
    assert len(ax.patches) == 10
    assert sum(p.get_height() for p in ax.patches) == values.size
    mean_line, median_line = ax.lines
    assert mean_line.get_xdata()[0] == pytest.approx(values.mean())
    assert median_line.get_xdata()[0] == pytest.approx(np.median(values))


def test_survival_with_sbg():
    from customer_models.valuation._sbg import ShiftedBetaGeoModel

    sbg = ShiftedBetaGeoModel.from_params(alpha=0.668, beta=3.806)
    observed = [1000, 631, 468, 382, 326, 289, 262, 241]
    ax = plot_survival(sbg, observed)
    model_line, actual = ax.lines
    assert len(model_line.get_xdata()) == len(observed) + 6
    np.testing.assert_allclose(actual.get_ydata(), np.array(observed) / 1000)
    # sBG survival: S(1) = beta / (alpha + beta)
    assert model_line.get_ydata()[1] == pytest.approx(3.806 / (0.668 + 3.806))
