"""Render the plots of docs/clv.md into docs/img/clv_*.png (run from the repository root)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from customer_models import calibration_holdout_split, load_cdnow_transactions
from customer_models.plotting import (
    plot_calibration_purchases_vs_holdout,
    plot_clv_distribution,
    plot_frequency_fit,
    plot_frequency_recency_matrix,
    plot_survival,
    plot_tracking,
)
from customer_models.valuation import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
)
from customer_models.valuation._clv import customer_lifetime_value

OUT = Path(__file__).parent


def main() -> None:
    tx = load_cdnow_transactions(sample=True)
    data = calibration_holdout_split(
        tx,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
        value_col="amount",
    )
    model = ParetoNBDModel().fit(data)
    spend = GammaGammaModel().fit(data)
    clv = customer_lifetime_value(model, spend, data, horizon=12, time_unit="M", discount_rate=0.01)
    plots = {
        "clv_tracking_cumulative": lambda ax: plot_tracking(
            model, data, tx, calibration_end="1997-09-30", ax=ax
        ),
        "clv_tracking_incremental": lambda ax: plot_tracking(
            model, data, tx, cumulative=False, calibration_end="1997-09-30", ax=ax
        ),
        "clv_calibration_vs_holdout": lambda ax: plot_calibration_purchases_vs_holdout(
            model, data, ax=ax
        ),
        "clv_frequency_fit": lambda ax: plot_frequency_fit(BetaGeoModel().fit(data), data, ax=ax),
        "clv_matrix_expected": lambda ax: plot_frequency_recency_matrix(
            model, data, t=39, max_frequency=20, ax=ax
        ),
        "clv_matrix_alive": lambda ax: plot_frequency_recency_matrix(
            model, data, quantity="probability_alive", max_frequency=20, ax=ax
        ),
        "clv_distribution": lambda ax: plot_clv_distribution(clv, log=True, ax=ax),
        "clv_survival": lambda ax: plot_survival(
            ShiftedBetaGeoModel.from_params(alpha=0.668, beta=3.806),
            [1000, 631, 468, 382, 326, 289, 262, 241],
            ax=ax,
        ),
    }
    for name, draw in plots.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=80)
        draw(ax)
        fig.tight_layout()
        fig.savefig(OUT / f"{name}.png")
        plt.close(fig)


if __name__ == "__main__":
    main()
