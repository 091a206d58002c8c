"""Render the plots of docs/clv.md into docs/img/clv_*.png (run from the repository root)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import customer_models as cm
from customer_models import plotting

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).parent
#: Survivors of the "Regular" cohort by year (Fader & Hardie 2007, "How to project customer
#: retention"): their sBG fit is alpha = 0.704, beta = 1.182.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def main() -> None:
    tx = cm.load_cdnow_transactions(sample=True)
    data = cm.calibration_holdout_split(
        tx,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
        value_col="amount",
    )
    model = cm.ParetoNBDModel().fit(data)
    spend = cm.GammaGammaModel().fit(data)
    clv = cm.customer_lifetime_value(
        model, spend, data, horizon=12, horizon_unit="M", discount_rate=0.01
    )
    # the sBG curve is fitted on the cohort it is drawn over (Fader & Hardie 2007, "Regular")
    regular = cm.ShiftedBetaGeoModel(time_unit="Y").fit(
        cm.ShiftedBetaGeoModel.cohort_to_data(REGULAR), sample_weight="weight"
    )
    plots = {
        "clv_tracking_cumulative": lambda ax: plotting.plot_tracking(
            model, data, tx, calibration_end="1997-09-30", ax=ax
        ),
        "clv_tracking_incremental": lambda ax: plotting.plot_tracking(
            model, data, tx, cumulative=False, calibration_end="1997-09-30", ax=ax
        ),
        "clv_calibration_vs_holdout": lambda ax: plotting.plot_calibration_purchases_vs_holdout(
            model, data, ax=ax
        ),
        "clv_frequency_fit": lambda ax: plotting.plot_frequency_fit(
            cm.BetaGeoModel().fit(data), data, ax=ax
        ),
        "clv_matrix_expected": lambda ax: plotting.plot_frequency_recency_matrix(
            model, data, t=39, max_frequency=20, ax=ax
        ),
        "clv_matrix_alive": lambda ax: plotting.plot_frequency_recency_matrix(
            model, data, quantity="probability_alive", max_frequency=20, ax=ax
        ),
        "clv_distribution": lambda ax: plotting.plot_clv_distribution(clv, log=True, ax=ax),
        "clv_survival": lambda ax: plotting.plot_survival(regular, REGULAR, ax=ax),
    }
    for name, draw in plots.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
        draw(ax)
        fig.savefig(OUT / f"{name}.png", dpi=DPI)
        plt.close(fig)


if __name__ == "__main__":
    main()
