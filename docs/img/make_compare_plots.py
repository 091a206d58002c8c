"""Render the figure of docs/model_choice.md into docs/img/compare_tracking.png."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from customer_models import compare_models, load_cdnow_transactions
from customer_models.plotting import plot_model_comparison
from customer_models.valuation import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).parent


def main() -> None:
    tx = load_cdnow_transactions(sample=True)
    result = compare_models(
        [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel],
        transactions=tx,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
    )
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    plot_model_comparison(result, calibration_end="1997-09-30", ax=ax)
    fig.savefig(OUT / "compare_tracking.png", dpi=DPI)
    plt.close(fig)


if __name__ == "__main__":
    main()
