from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from customer_models import with_time_unit
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


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_calibration_vs_holdout(cdnow_bgnbd, cdnow_holdout):
    _fig, ax = plt.subplots()
    out = plot_calibration_purchases_vs_holdout(cdnow_bgnbd, cdnow_holdout, max_frequency=7, ax=ax)
    assert out is ax
    actual, predicted = ax.lines
    assert actual.get_label() == "Actual"
    assert predicted.get_label() == "Model"
    x = cdnow_holdout["frequency"].clip(upper=7)
    np.testing.assert_allclose(
        actual.get_ydata(), cdnow_holdout.groupby(x)["frequency_holdout"].mean().to_numpy()
    )
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"


@pytest.mark.parametrize("cumulative", [True, False])
def test_tracking(cdnow_bgnbd, cdnow_holdout, cdnow_sample_transactions, cumulative):
    ax = plot_tracking(
        cdnow_bgnbd,
        cdnow_holdout,
        cdnow_sample_transactions,
        cumulative=cumulative,
        calibration_end="1997-09-30",
    )
    track = transaction_tracking(cdnow_bgnbd, cdnow_holdout, cdnow_sample_transactions)
    suffix = "_cumulative" if cumulative else ""
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), track["actual" + suffix])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), track["expected" + suffix])
    assert ax.lines[2].get_xdata()[0] == pytest.approx(39.0, abs=1.0)
    assert "Cumulative" in ax.get_ylabel() if cumulative else "Repeat" in ax.get_ylabel()


def test_frequency_fit_bars(cdnow_bgnbd, cdnow_holdout):
    ax = plot_frequency_fit(cdnow_bgnbd, cdnow_holdout, max_frequency=7)
    table = frequency_fit(cdnow_bgnbd, cdnow_holdout, max_frequency=7)
    assert len(ax.patches) == 16
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[:8], table["actual"])
    np.testing.assert_allclose(heights[8:], table["expected"])
    assert ax.get_legend() is not None


def test_frequency_fit_needs_pmf(cdnow_holdout):
    class NoPmf:
        pass

    with pytest.raises(ParameterError, match="frequency fit"):
        plot_frequency_fit(NoPmf(), cdnow_holdout)


@pytest.mark.parametrize("quantity", ["expected_purchases", "probability_alive"])
def test_frequency_recency_matrix(cdnow_bgnbd, cdnow_holdout, quantity):
    ax = plot_frequency_recency_matrix(
        cdnow_bgnbd, cdnow_holdout, quantity=quantity, t=10, n_recency=30
    )
    image = ax.images[0].get_array()
    assert image.shape == (int(cdnow_holdout["frequency"].max()) + 1, 30)
    T = cdnow_holdout["T"].max()
    if quantity == "probability_alive":
        # frequency 0 is alive for sure; recency = T gives the highest P(alive) of a row
        assert np.allclose(image[0], 1.0)
        assert image[3, -1] == pytest.approx(image[3].max())
    else:
        one = with_time_unit(pd.DataFrame({"frequency": [2.0], "recency": [T], "T": [T]}), "W")
        assert image[2, -1] == pytest.approx(cdnow_bgnbd.expected_purchases(one, t=10).iloc[0])
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


# --- plots an analyst can put in a deck: units, integer counts, nothing clipped ---------------

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), "Regular" cohort


def _drawn(ax):
    ax.figure.canvas.draw()
    return ax


def _visible_ticks(ax, which):
    axis = ax.xaxis if which == "x" else ax.yaxis
    low, high = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
    return [t for t in axis.get_majorticklocs() if low - 1e-9 <= t <= high + 1e-9]


def _assert_integer_ticks(ax, which):
    ticks = _visible_ticks(_drawn(ax), which)
    assert ticks, f"no {which} ticks"
    assert all(float(t).is_integer() for t in ticks), f"fractional {which} ticks: {ticks}"


def _assert_not_clipped(ax):
    fig = _drawn(ax).figure
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    low, high = sorted(ax.get_xlim())
    shown = [t.label1 for t in ax.xaxis.get_major_ticks() if low <= t.get_loc() <= high]
    for artist in [ax.title, ax.xaxis.label, ax.yaxis.label, *shown]:
        if not artist.get_text():
            continue
        extent = artist.get_window_extent(renderer)
        assert extent.x0 >= box.x0 - 1, artist.get_text()
        assert extent.x1 <= box.x1 + 1, artist.get_text()
        assert extent.y0 >= box.y0 - 1, artist.get_text()
        assert extent.y1 <= box.y1 + 1, artist.get_text()


def test_new_figures_use_constrained_layout(cdnow_bgnbd, cdnow_holdout):
    ax = plot_frequency_fit(cdnow_bgnbd, cdnow_holdout)
    assert type(ax.figure.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"


def test_calibration_vs_holdout_labels_and_numbers(cdnow_bgnbd, cdnow_holdout):
    from customer_models.evaluation import evaluate_holdout

    ax = plot_calibration_purchases_vs_holdout(cdnow_bgnbd, cdnow_holdout)
    table = evaluate_holdout(cdnow_bgnbd, cdnow_holdout, max_frequency=7).conditional
    np.testing.assert_allclose(ax.lines[1].get_ydata(), table["predicted"].to_numpy())
    assert "calibration" in ax.get_xlabel()
    assert "holdout" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == [*map(str, range(7)), "7+"]
    _assert_not_clipped(ax)


@pytest.mark.parametrize("cumulative", [True, False])
def test_tracking_labels_units_and_integer_ticks(
    cdnow_bgnbd, cdnow_holdout, cdnow_sample_transactions, cumulative
):
    ax = plot_tracking(cdnow_bgnbd, cdnow_holdout, cdnow_sample_transactions, cumulative=cumulative)
    assert "weeks" in ax.get_xlabel()
    assert "transactions" in ax.get_ylabel()
    _assert_integer_ticks(ax, "x")
    _assert_integer_ticks(ax, "y")
    _assert_not_clipped(ax)


def test_frequency_fit_counts_have_integer_ticks(cdnow_bgnbd, cdnow_holdout):
    ax = plot_frequency_fit(cdnow_bgnbd, cdnow_holdout)
    assert ax.get_ylabel() == "Customers"
    assert "Repeat purchases" in ax.get_xlabel()
    _assert_integer_ticks(ax, "y")
    _assert_not_clipped(ax)


def test_frequency_recency_matrix_units_and_numbers(cdnow_bgnbd, cdnow_holdout):
    ax = plot_frequency_recency_matrix(cdnow_bgnbd, T=39, max_frequency=12, t=39, n_recency=14)
    assert "weeks" in ax.get_xlabel()
    assert "weeks" in ax.get_title()
    colorbar = ax.figure.axes[1]
    assert "next 39 weeks" in colorbar.get_ylabel()
    _assert_integer_ticks(ax, "y")
    _assert_not_clipped(ax)
    image = ax.images[0].get_array()
    recency = np.linspace(0, 39, 14)
    grid = with_time_unit(
        pd.DataFrame({"frequency": [5.0] * 14, "recency": recency, "T": [39.0] * 14}), "W"
    )
    np.testing.assert_allclose(image[5], cdnow_bgnbd.expected_purchases(grid, t=39).to_numpy())


def test_clv_distribution_labels_and_integer_counts():
    values = np.random.default_rng(0).gamma(0.5, 100.0, size=500)
    ax = plot_clv_distribution(values, bins=20)
    assert "lifetime value" in ax.get_xlabel()
    assert ax.get_ylabel() == "Customers"
    _assert_integer_ticks(ax, "y")
    _assert_not_clipped(ax)
    counts, _ = np.histogram(values, bins=20)
    np.testing.assert_allclose([p.get_height() for p in ax.patches], counts)


def test_survival_of_the_regular_cohort_is_its_own_fit():
    from customer_models.valuation import ShiftedBetaGeoModel

    rows = ShiftedBetaGeoModel.cohort_to_data(REGULAR)
    sbg = ShiftedBetaGeoModel(time_unit="Y").fit(rows, sample_weight="weight")
    # Fader & Hardie (2007), "How to project customer retention": Regular alpha 0.704, beta 1.182
    assert sbg.params_["alpha"] == pytest.approx(0.704, abs=5e-3)
    assert sbg.params_["beta"] == pytest.approx(1.182, abs=5e-3)
    ax = plot_survival(sbg, REGULAR)
    model_line, actual = ax.lines
    np.testing.assert_allclose(model_line.get_ydata(), sbg.survival(model_line.get_xdata()))
    # the fitted curve goes through the data (the High End parameters missed it by ~2x)
    np.testing.assert_allclose(model_line.get_ydata()[:8], actual.get_ydata(), atol=0.02)
    assert "years" in ax.get_xlabel()
    _assert_integer_ticks(ax, "x")
    _assert_not_clipped(ax)
